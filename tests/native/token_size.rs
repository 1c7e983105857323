//! The token size for a user with 10 labels on the largest preset (the
//! target is at most 1.5 KB), measured on realistic and on unfavourable
//! access entries. Sizes are deterministic, so they are asserted.

use permsnap::native::presets;
use permsnap::native::time::parse_rfc3339;
use permsnap::{issue, Directory, IssueOptions, Model, PrivateKey};

fn largest_preset() -> permsnap::Catalog {
    presets::PRESETS
        .iter()
        .map(|(id, _)| presets::preset(id).unwrap())
        .max_by_key(|c| c.permissions.len())
        .unwrap()
}

fn token_bytes(access: impl Fn(usize) -> String) -> usize {
    let catalog = largest_preset();
    let labels: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":{},"name":"Brand {i}","suffix":"brand{i}"}}"#,
                4440 + i
            )
        })
        .collect();
    let entries: Vec<String> = (0..10)
        .map(|i| format!(r#""{}":{}"#, 4440 + i, access(i)))
        .collect();
    let dir = format!(
        r#"{{"labels":[{}],"users":[{{"id":"u-1042","username":"jane@brand0","email":"jane@mycompany.com","home_label":4440,"access":{{{}}}}}]}}"#,
        labels.join(","),
        entries.join(",")
    );
    let directory = Directory::from_json_text(&dir, "dir.json", &catalog).unwrap();
    let model = Model::new(catalog, directory);
    let key = PrivateKey::from_seed(&[3; 32], None); // a thumbprint kid: 43 characters
    let now = parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
    issue(&model, "u-1042", now, &IssueOptions::default(), &key)
        .unwrap()
        .len()
}

#[test]
fn ten_labels_with_the_same_role_fit_in_1_5_kb() {
    let n = token_bytes(|_| {
        r#"{"roles":["crm_support"],"additional":["complete_missions"],"restrictions":["no_give_bonus"]}"#.into()
    });
    println!("10 labels, one access pattern: {n} bytes");
    assert!(n <= 1536, "{n} bytes");
}

/// The package issue's target: 10 labels, each with a different access entry
/// (roles, additional roles, restriction roles, direct grants and denies),
/// within 1.5 KB. Permission ids and titles live in the catalog manifest.
#[test]
fn ten_labels_each_with_different_roles_restrictions_and_direct_grants_fit_in_1_5_kb() {
    let roles = ["crm_admin", "crm_manager", "crm_engineer", "crm_support"];
    let restrictions = [
        "no_adjust_points",
        "hide_links",
        "no_give_bonus",
        "no_operational_activation",
        "no_segment_export",
    ];
    let n = token_bytes(|i| {
        format!(
            r#"{{"roles":["{}"],"additional":["{}"],"restrictions":["{}","{}"],"grants":["api.docs"],"denies":["player.give_raffle_tickets"]}}"#,
            roles[i % 4],
            if i % 2 == 0 {
                "complete_missions"
            } else {
                "api_access"
            },
            restrictions[i % 5],
            restrictions[(i + 2) % 5]
        )
    });
    println!("10 labels, all different: {n} bytes");
    assert!(n <= 1536, "{n} bytes");
}
