//! Catalog loading on any input. A catalog that loads gets a directory with
//! users holding its roles, additional roles and restriction roles, and the
//! parity oracle runs on it (server rules vs compiled snapshot).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::{Catalog, Directory, Model};

fn ids(list: &[permsnap::native::catalog::Grantor], take: usize) -> String {
    list.iter()
        .take(take)
        .map(|g| format!("\"{}\"", g.id))
        .collect::<Vec<_>>()
        .join(",")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(catalog) = Catalog::from_json_text(text, "fuzz.json") else {
        return;
    };
    let roles = if catalog.single_role { 1 } else { 3 };
    let dir = format!(
        r#"{{"labels":[{{"id":1,"name":"One","suffix":"one"}},{{"id":2,"name":"Two","suffix":"two","closed":true}}],
        "users":[
          {{"id":"u1","username":"a@one","email":"a@x.com","home_label":1,
            "access":{{"1":{{"roles":[{}],"additional":[{}],"restrictions":[{}]}},"2":{{}}}}}},
          {{"id":"u2","username":"b@one","email":"b@x.com","home_label":1,
            "access":{{"1":{{"roles":[{}],"restrictions":[{}]}}}}}},
          {{"id":"u3","username":"c@one","email":"c@x.com","home_label":1,"owner":true}}]}}"#,
        ids(&catalog.roles, roles),
        ids(&catalog.additional, 3),
        ids(&catalog.restrictions, 3),
        ids(&catalog.roles[catalog.roles.len().min(1)..], 1),
        ids(
            &catalog.restrictions[catalog.restrictions.len().min(1)..],
            2
        ),
    );
    let directory = Directory::from_json_text(&dir, "dir.json", &catalog)
        .expect("the directory built from the catalog loads");
    let model = Model::new(catalog, directory);
    let _ = model.allowed("u1", 1, common::NOW);
    common::assert_parity(&model, 3);
});
