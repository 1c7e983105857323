//! Directory loading on any input, against a preset catalog (the first byte
//! picks which). A directory that loads runs the parity oracle, the admin
//! rules between its first users, and an SSO login.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::native::admin::AdminOp;
use permsnap::native::presets;
use permsnap::{Directory, Login, Model, SsoConfig};
use std::sync::OnceLock;

fn catalogs() -> &'static Vec<permsnap::Catalog> {
    static C: OnceLock<Vec<permsnap::Catalog>> = OnceLock::new();
    C.get_or_init(|| {
        presets::PRESETS
            .iter()
            .map(|(id, _)| presets::preset(id).expect("presets load"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let catalogs = catalogs();
    let catalog = &catalogs[pick as usize % catalogs.len()];
    let Ok(directory) = Directory::from_json_text(text, "fuzz.json", catalog) else {
        return;
    };
    let model = Model::new(catalog.clone(), directory);
    common::assert_parity(&model, 4);
    let users: Vec<String> = model
        .directory
        .users
        .iter()
        .take(3)
        .map(|u| u.id.clone())
        .collect();
    for a in &users {
        for t in &users {
            for op in [
                AdminOp::Disable { target: t.clone() },
                AdminOp::Delete { target: t.clone() },
                AdminOp::Enable { target: t.clone() },
                AdminOp::EditProfile {
                    target: t.clone(),
                    name: None,
                    email: None,
                },
            ] {
                let d = model.admin(a, &op, common::NOW);
                if a == t && matches!(op, AdminOp::Disable { .. } | AdminOp::Delete { .. }) {
                    assert!(!d.allowed, "{a} may {op:?}");
                }
            }
        }
    }
    let labels: Vec<u64> = model
        .directory
        .labels
        .iter()
        .map(|l| l.id)
        .take(3)
        .collect();
    let config = SsoConfig {
        providers: vec!["google".into()],
        domains: vec!["x.com".into(), "gmail.com".into()],
        allow_creation: true,
        default_role: model.catalog.roles.first().map(|r| r.id.clone()),
        home_label: labels.first().copied(),
        labels,
    };
    for u in model.directory.users.iter().take(3) {
        for verified in [false, true] {
            let login = Login {
                provider: "Google".into(),
                iss: u
                    .identities
                    .first()
                    .map_or("https://x".into(), |i| i.iss.clone()),
                sub: "fuzz".into(),
                email: u.email.clone(),
                email_verified: verified,
            };
            let out = model.sso(&config, &login, common::NOW);
            if !verified {
                assert!(
                    !matches!(
                        out,
                        permsnap::SsoOutcome::Matched { linked: true, .. }
                            | permsnap::SsoOutcome::Created { .. }
                    ),
                    "{out:?}"
                );
            }
        }
    }
});
