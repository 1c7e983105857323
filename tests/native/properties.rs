//! Property tests (proptest) of the promises the rules make, over scenarios
//! from the seeded generator (`permsnap::testing::testgen`), edited as JSON and read
//! back through the real loaders. Each property also asks the snapshot
//! (issue → verify → check) where it says something about checks.
//!
//! Proptest draws the seeds and the choices; a failure prints the seed, and
//! `testgen::generate(seed, ..)` rebuilds the scenario.

use permsnap::native::admin::{AdminOp, AdminReason};
use permsnap::native::directory::{Access, AccessDoc, User, UserDoc};
use permsnap::native::sso::{Login, SsoConfig, SsoOutcome, PUBLIC_DOMAINS};
use permsnap::testing::testgen::{self, Rng};
use permsnap::testing::vectors::{Parity, Scenario, SnapshotParity};
use permsnap::{Reason, Resource, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------- JSON editing ----------

fn field<'a>(v: &'a mut Json, key: &str) -> &'a mut Json {
    if v.is_null() {
        *v = json!({});
    }
    v.as_object_mut()
        .unwrap_or_else(|| panic!("not an object"))
        .entry(key)
        .or_insert(Json::Null)
}

fn arr(v: &mut Json) -> &mut Vec<Json> {
    if !v.is_array() {
        *v = json!([]);
    }
    v.as_array_mut().unwrap()
}

fn users(doc: &mut Json) -> &mut Vec<Json> {
    arr(field(field(doc, "directory"), "users"))
}

fn labels(doc: &mut Json) -> &mut Vec<Json> {
    arr(field(field(doc, "directory"), "labels"))
}

fn s(v: &str) -> Json {
    Json::String(v.to_string())
}

fn load(doc: &Json) -> Scenario {
    testgen::load(doc).unwrap_or_else(|e| panic!("{e}\n{doc}"))
}

fn label_ids(s: &Scenario) -> Vec<u64> {
    s.model.directory.labels.iter().map(|l| l.id).collect()
}

fn perm_ids(s: &Scenario) -> Vec<String> {
    s.model
        .catalog
        .permissions
        .iter()
        .map(|p| p.id.clone())
        .collect()
}

/// Resources that make conditions hold, fail and not evaluate.
fn resources(user: &str) -> Vec<Option<Resource>> {
    let mut out = vec![None, Some(Resource::new())];
    for v in [
        Value::Str(user.to_string()),
        Value::Str("open".into()),
        Value::Num(1.0),
        Value::Bool(true),
    ] {
        let mut r = Resource::new();
        for a in testgen::ATTRS {
            r = r.with(a, v.clone());
        }
        out.push(Some(r));
    }
    out
}

/// Every (label, action, resource) of `user`, decided on the server and,
/// through a snapshot, on the client side.
fn every_decision(
    s: &Scenario,
    user: &str,
) -> Vec<(u64, String, permsnap::Decision, permsnap::Decision)> {
    let parity = SnapshotParity::new();
    let snap = parity.open(s, user).unwrap();
    let mut out = Vec::new();
    let mut labels = label_ids(s);
    labels.push(3); // a label the directory does not hold
    for l in labels {
        for p in perm_ids(s) {
            for r in resources(user) {
                let server = s.model.check(user, l, &p, r.as_ref(), s.now);
                let client: permsnap::Decision = snap.check(&p, l, r.as_ref(), s.now).into();
                out.push((l, p.clone(), server, client));
            }
        }
    }
    out
}

// ---------- properties of checks ----------

proptest! {
    #![proptest_config(config())]

    /// An unconditional restriction, or a conditional one whose attribute is
    /// missing (fail closed), beats a role granting `*`, an additional grant
    /// and a direct grant of `*`, wherever it sits among the user's sources.
    #[test]
    fn a_restriction_beats_every_grant(seed in any::<u64>(), pick in any::<u64>(), conditional in any::<bool>()) {
        let mut doc = testgen::generate(seed, 0);
        let base = load(&doc);
        let mut r = Rng::new(pick);
        let perms = perm_ids(&base);
        let p = r.pick(&perms).unwrap().clone();
        let labels = label_ids(&base);
        let l = *r.pick(&labels).unwrap();
        let ui = r.below(base.model.directory.users.len());
        let user = base.model.directory.users[ui].id.clone();
        let deny = if conditional {
            json!({"permission": p, "when": [{"attr": "zz_missing", "eq": 1}]})
        } else {
            s(&p)
        };
        let cat = field(&mut doc, "catalog");
        arr(field(cat, "roles")).push(json!({"id": "grant_all", "title": "All", "grants": ["*"]}));
        arr(field(cat, "additional")).push(json!({"id": "add_all", "title": "All", "grants": ["*"]}));
        arr(field(cat, "restrictions")).push(json!({"id": "deny_p", "title": "No p", "denies": [deny]}));
        let single = base.model.catalog.single_role;
        let entry = field(field(&mut users(&mut doc)[ui], "access"), &l.to_string());
        if entry.is_null() {
            *entry = json!({});
        }
        let roles = arr(field(entry, "roles"));
        if single { roles.clear(); }
        let at = r.below(roles.len() + 1);
        roles.insert(at, s("grant_all"));
        let adds = arr(field(entry, "additional"));
        let at = r.below(adds.len() + 1);
        adds.insert(at, s("add_all"));
        arr(field(entry, "grants")).push(s("*"));
        let res = arr(field(entry, "restrictions"));
        let at = r.below(res.len() + 1);
        res.insert(at, s("deny_p"));
        let sc = load(&doc);
        for res in resources(&user) {
            let d = sc.model.check(&user, l, &p, res.as_ref(), sc.now);
            match d.reason {
                Reason::Disabled | Reason::Expired | Reason::HomeLabelClosed | Reason::LabelClosed => prop_assert!(!d.allowed),
                Reason::Owner => prop_assert!(d.allowed),
                _ => prop_assert_eq!(d.reason, Reason::Restricted, "seed {} {:?}", seed, res),
            }
        }
        let c = testgen::compare(&SnapshotParity::new(), &with_checks(sc, &user, l, &p), false);
        prop_assert!(c.mismatches.is_empty(), "{:?}", c.mismatches);
    }

    /// Shuffling every list (catalog entries, grants, conditions, labels,
    /// users, access entries) changes no decision; shuffling the user's own
    /// roles, additional roles and restriction roles may change only `by`.
    #[test]
    fn the_order_of_roles_grants_and_denies_never_changes_a_decision(seed in any::<u64>(), shuffle in any::<u64>()) {
        let doc = testgen::generate(seed, 150);
        let base = load(&doc);
        let mut r = Rng::new(shuffle);
        let mut same_by = doc.clone();
        shuffle_lists(&mut same_by, &mut r, false);
        let mut any_by = doc.clone();
        shuffle_lists(&mut any_by, &mut r, true);
        let (a, b) = (load(&same_by), load(&any_by));
        for c in &base.checks {
            let d = base.model.check(&c.user, c.label, &c.action, c.resource.as_ref(), base.now);
            let da = a.model.check(&c.user, c.label, &c.action, c.resource.as_ref(), a.now);
            let db = b.model.check(&c.user, c.label, &c.action, c.resource.as_ref(), b.now);
            prop_assert_eq!(&d, &da, "seed {} {:?}", seed, c);
            prop_assert_eq!((d.allowed, d.reason), (db.allowed, db.reason), "seed {} {:?}", seed, c);
        }
        for sc in [&a, &b] {
            let c = testgen::compare(&SnapshotParity::new(), sc, false);
            prop_assert!(c.mismatches.is_empty(), "{:?}", c.mismatches);
        }
    }

    /// A disabled user, an expired one (`now >= expires_at`) and one whose
    /// home label is closed is denied everything everywhere, with that
    /// reason, on the server and in the snapshot, even as the owner.
    #[test]
    fn a_disabled_expired_or_closed_home_user_is_denied_everything_everywhere(seed in any::<u64>(), pick in any::<u64>(), how in 0..3u8, owner in any::<bool>()) {
        let mut doc = testgen::generate(seed, 0);
        let base = load(&doc);
        let mut r = Rng::new(pick);
        let ui = r.below(base.model.directory.users.len());
        let u = base.model.directory.users[ui].clone();
        let now = base.now;
        if owner {
            for x in users(&mut doc).iter_mut() {
                *field(x, "owner") = Json::Bool(false);
            }
            *field(&mut users(&mut doc)[ui], "owner") = Json::Bool(true);
        }
        let expected = match how {
            0 => {
                *field(&mut users(&mut doc)[ui], "status") = s("disabled");
                Reason::Disabled
            }
            1 => {
                let at = now - r.below(5) as i64 * 1000;
                *field(&mut users(&mut doc)[ui], "status") = s("active");
                *field(&mut users(&mut doc)[ui], "expires_at") = s(&permsnap::native::time::format_rfc3339(at));
                Reason::Expired
            }
            _ => {
                *field(&mut users(&mut doc)[ui], "status") = s("active");
                *field(&mut users(&mut doc)[ui], "expires_at") = Json::Null;
                for l in labels(&mut doc).iter_mut() {
                    if l.get("id").and_then(Json::as_u64) == Some(u.home_label) {
                        *field(l, "closed") = Json::Bool(true);
                    }
                }
                Reason::HomeLabelClosed
            }
        };
        let sc = load(&doc);
        for (l, p, server, client) in every_decision(&sc, &u.id) {
            prop_assert!(!server.allowed && !client.allowed, "{} {}: {:?} / {:?}", l, p, server, client);
            if l == 3 {
                prop_assert_eq!(server.reason, Reason::UnknownLabel);
                prop_assert_eq!(client.reason, Reason::NoLabelAccess);
            } else {
                prop_assert_eq!(server.reason, expected);
                prop_assert_eq!(client.reason, expected);
            }
        }
    }

    /// The owner (active, not expired, home label open) is allowed every
    /// permission in every open label, whatever the resource, restrictions
    /// and access entries say; closed labels stay closed.
    #[test]
    fn the_owner_is_allowed_everything_in_open_labels(seed in any::<u64>(), pick in any::<u64>()) {
        let mut doc = testgen::generate(seed, 0);
        let base = load(&doc);
        let ui = Rng::new(pick).below(base.model.directory.users.len());
        let u = base.model.directory.users[ui].clone();
        for x in users(&mut doc).iter_mut() {
            *field(x, "owner") = Json::Bool(false);
        }
        let me = &mut users(&mut doc)[ui];
        *field(me, "owner") = Json::Bool(true);
        *field(me, "status") = s("active");
        *field(me, "expires_at") = Json::Null;
        for l in labels(&mut doc).iter_mut() {
            if l.get("id").and_then(Json::as_u64) == Some(u.home_label) {
                *field(l, "closed") = Json::Bool(false);
            }
        }
        let sc = load(&doc);
        for (l, p, server, client) in every_decision(&sc, &u.id) {
            let closed = sc.model.directory.label(l).map(|x| x.closed);
            let want = match closed {
                Some(false) => Reason::Owner,
                Some(true) => Reason::LabelClosed,
                None => Reason::UnknownLabel,
            };
            prop_assert_eq!(server.reason, want, "{} {}", l, p);
            prop_assert_eq!(server.allowed, want == Reason::Owner);
            prop_assert!(permsnap::testing::vectors::parity_agrees(&server, &client), "{} {}: {:?} / {:?}", l, p, server, client);
        }
    }
}

fn with_checks(mut s: Scenario, user: &str, label: u64, action: &str) -> Scenario {
    s.checks = resources(user)
        .into_iter()
        .map(|resource| permsnap::testing::vectors::CheckCase {
            user: user.to_string(),
            label,
            action: action.to_string(),
            resource_json: None,
            resource,
            allow: false,
            reason: None,
            by: None,
        })
        .collect();
    s
}

/// Shuffles every list that carries no meaning in its order; with
/// `sources`, also each access entry's roles, additional roles and
/// restriction roles (which decide `by` only).
fn shuffle_lists(doc: &mut Json, r: &mut Rng, sources: bool) {
    fn walk(v: &mut Json, key: &str, r: &mut Rng, sources: bool) {
        match v {
            Json::Array(items) => {
                let ordered = matches!(key, "roles" | "additional" | "restrictions")
                    && items.iter().all(Json::is_string);
                // `checks` keep their order so the cases line up
                if key != "checks" && (!ordered || sources) {
                    r.shuffle(items);
                }
                for i in items.iter_mut() {
                    walk(i, "", r, sources);
                }
            }
            Json::Object(fields) => {
                let mut entries: Vec<(String, Json)> = std::mem::take(fields).into_iter().collect();
                r.shuffle(&mut entries);
                for (k, i) in entries.iter_mut() {
                    let k = k.clone();
                    walk(i, &k, r, sources);
                }
                *fields = entries.into_iter().collect();
            }
            _ => {}
        }
    }
    walk(doc, "", r, sources);
}

// ---------- admin ----------

fn random_access_json(r: &mut Rng, sc: &Scenario) -> Json {
    let c = &sc.model.catalog;
    let roles: Vec<Json> = (0..r.below(if c.single_role { 2 } else { 3 }))
        .filter_map(|_| r.pick(&c.roles).map(|g| s(&g.id)))
        .collect();
    let adds: Vec<Json> = (0..r.below(2))
        .filter_map(|_| r.pick(&c.additional).map(|g| s(&g.id)))
        .collect();
    let res: Vec<Json> = (0..r.below(2))
        .filter_map(|_| r.pick(&c.restrictions).map(|g| s(&g.id)))
        .collect();
    let perms = perm_ids(sc);
    let grant = |r: &mut Rng| -> Json {
        let p = r.pick(&perms).unwrap().clone();
        match r.below(4) {
            0 => json!({"permission": p, "when": [{"attr": "manager", "eq": "$user"}]}),
            1 => s("*"),
            _ => s(&p),
        }
    };
    let grants: Vec<Json> = (0..r.below(3)).map(|_| grant(r)).collect();
    let denies: Vec<Json> = (0..r.below(2)).map(|_| grant(r)).collect();
    json!({"roles": roles, "additional": adds, "restrictions": res, "grants": grants, "denies": denies})
}

fn access_of(json: &Json, s: &Scenario) -> Access {
    let doc: AccessDoc = serde_json::from_value(json.clone()).unwrap();
    permsnap::native::directory::access_entry(doc, &s.model.catalog, "$").unwrap()
}

proptest! {
    #![proptest_config(config())]

    /// Nobody edits their own access, disables or deletes themselves: not
    /// the owner, not an admin holding everything everywhere.
    #[test]
    fn no_admin_action_on_oneself_for_access_disable_or_delete_succeeds(seed in any::<u64>(), pick in any::<u64>(), all_powerful in any::<bool>()) {
        let mut doc = testgen::generate(seed, 0);
        let base = load(&doc);
        let mut r = Rng::new(pick);
        if all_powerful {
            arr(field(field(&mut doc, "catalog"), "roles")).push(json!({"id": "all", "title": "All", "grants": ["*"]}));
            for u in users(&mut doc).iter_mut() {
                let entries: serde_json::Map<String, Json> = base.model.directory.labels.iter().map(|l| (l.id.to_string(), json!({"roles": ["all"]}))).collect();
                *field(u, "access") = Json::Object(entries);
            }
        }
        let sc = load(&doc);
        for u in &sc.model.directory.users {
            let label = *r.pick(&label_ids(&sc)).unwrap();
            let access = access_of(&random_access_json(&mut r, &sc), &sc);
            let ops = [
                (AdminOp::EditAccess { target: u.id.clone(), label, access }, AdminReason::SelfEdit),
                (AdminOp::Disable { target: u.id.clone() }, AdminReason::SelfDisable),
                (AdminOp::Delete { target: u.id.clone() }, AdminReason::SelfDelete),
            ];
            for (op, reason) in ops {
                let d = sc.model.admin(&u.id, &op, sc.now);
                prop_assert!(!d.allowed, "{:?}", op);
                if sc.model.global_denial(u, sc.now).is_none() && !u.owner {
                    prop_assert_eq!(d.reason, reason);
                }
            }
        }
    }

    /// Over random sequences of admin actions (each allowed one applied to
    /// the directory before the next), whatever an `edit_access` or a
    /// `create_user` lets its target do in a label (under any resource), the
    /// acting admin held there unconditionally (no resource) just before;
    /// whatever an `edit_access` takes away from its target in a label
    /// (without a resource), the actor held there too; and an allowed
    /// `edit_access` is by an admin of the edited label.
    #[test]
    fn no_sequence_of_admin_actions_gives_or_takes_away_a_permission_the_actor_did_not_hold_unconditionally(seed in any::<u64>(), pick in any::<u64>(), steps in 1..8usize) {
        let mut doc = testgen::generate(seed, 0);
        let mut r = Rng::new(pick);
        // make some admins: a role with the admin permission and a random part of the catalog
        let base = load(&doc);
        let admin_perm = base.model.catalog.permissions[base.model.catalog.admin_permission].id.clone();
        let mut grants = vec![s(&admin_perm)];
        for p in perm_ids(&base) {
            if r.chance(50) { grants.push(s(&p)); }
        }
        arr(field(field(&mut doc, "catalog"), "roles")).push(json!({"id": "adm", "title": "Admin", "grants": grants}));
        for u in users(&mut doc).iter_mut() {
            if r.chance(50) {
                for l in base.model.directory.labels.iter() {
                    let entry = field(field(u, "access"), &l.id.to_string());
                    if entry.is_null() { *entry = json!({}); }
                    let roles = arr(field(entry, "roles"));
                    roles.clear();
                    roles.push(s("adm"));
                }
            }
        }
        let mut created = 0;
        let mut applied = 0;
        for _ in 0..steps {
            let sc = load(&doc);
            let dir = &sc.model.directory;
            let actor = r.pick(&dir.users).unwrap().id.clone();
            let labels = label_ids(&sc);
            let (op, target_index, entries): (AdminOp, Option<usize>, Vec<(u64, Json)>) = if r.chance(60) {
                let ti = r.below(dir.users.len());
                let label = *r.pick(&labels).unwrap();
                let json = random_access_json(&mut r, &sc);
                let op = AdminOp::EditAccess { target: dir.users[ti].id.clone(), label, access: access_of(&json, &sc) };
                (op, Some(ti), vec![(label, json)])
            } else {
                created += 1;
                let home_i = r.below(dir.labels.len());
                let home = &dir.labels[home_i];
                let mut entries = Vec::new();
                for &l in &labels {
                    if r.chance(50) { entries.push((l, random_access_json(&mut r, &sc))); }
                }
                let access: serde_json::Map<String, Json> = entries.iter().map(|(l, j)| (l.to_string(), j.clone())).collect();
                let user = json!({
                    "id": format!("new{created}"), "username": format!("new{created}@{}", home.suffix),
                    "email": format!("new{created}@corp.example"), "home_label": home.id, "access": access,
                });
                let doc_u: UserDoc = serde_json::from_value(user).unwrap();
                let u = User::from_doc(doc_u, &sc.model.catalog, "$").unwrap();
                (AdminOp::CreateUser(Box::new(u)), None, entries)
            };
            let d = sc.model.admin(&actor, &op, sc.now);
            if !d.allowed { continue; }
            applied += 1;
            // apply it
            let target = match &op {
                AdminOp::CreateUser(u) => {
                    let access: serde_json::Map<String, Json> = entries.iter().map(|(l, j)| (l.to_string(), j.clone())).collect();
                    let json = json!({"id": u.id, "username": u.username, "email": u.email, "home_label": u.home_label, "access": access});
                    users(&mut doc).push(json);
                    u.id.clone()
                }
                _ => {
                    let ti = target_index.unwrap();
                    let (label, json) = &entries[0];
                    *field(field(&mut users(&mut doc)[ti], "access"), &label.to_string()) = json.clone();
                    dir.users[ti].id.clone()
                }
            };
            let after = load(&doc);
            let is_owner = dir.user(&actor).is_some_and(|u| u.owner);
            for (label, _) in &entries {
                if matches!(op, AdminOp::EditAccess { .. }) {
                    let admin = is_owner || sc.model.check(&actor, *label, &admin_perm, None, sc.now).allowed;
                    prop_assert!(admin, "seed {}: {} edited {}'s access in {} without being an admin there", seed, actor, target, label);
                }
                for p in perm_ids(&after) {
                    let held = is_owner || sc.model.check(&actor, *label, &p, None, sc.now).allowed;
                    let had = sc.model.check(&target, *label, &p, None, sc.now).allowed;
                    let has = after.model.check(&target, *label, &p, None, after.now).allowed;
                    prop_assert!(!had || has || held, "seed {}: {} took `{}` in {} from {} without holding it", seed, actor, p, label, target);
                    for res in resources(&target) {
                        let got = after.model.check(&target, *label, &p, res.as_ref(), after.now);
                        if got.reason == Reason::Granted {
                            prop_assert!(held, "seed {}: {} gave {} `{}` in {} ({:?}) without holding it", seed, actor, target, p, label, res);
                        }
                    }
                }
            }
        }
        prop_assert!(applied <= steps);
    }
}

proptest! {
    #![proptest_config(config())]

    /// `edit_profile`, `disable`, `enable`, `delete` and `set_expiry` are
    /// allowed only when the actor holds, in every label, every permission
    /// the target holds there without a resource (checked on the target made
    /// active and unexpired, as the op could make them): nobody touches
    /// someone stronger.
    #[test]
    fn no_admin_action_touches_someone_stronger(seed in any::<u64>(), pick in any::<u64>()) {
        let doc = testgen::generate(seed, 0);
        let sc = load(&doc);
        let mut r = Rng::new(pick);
        let dir = &sc.model.directory;
        for _ in 0..6 {
            let actor = r.pick(&dir.users).unwrap().id.clone();
            let ti = r.below(dir.users.len());
            let target = dir.users[ti].id.clone();
            let op = match r.below(5) {
                0 => AdminOp::EditProfile { target: target.clone(), name: None, email: Some("x@corp.example".into()) },
                1 => AdminOp::Disable { target: target.clone() },
                2 => AdminOp::Enable { target: target.clone() },
                3 => AdminOp::Delete { target: target.clone() },
                _ => AdminOp::SetExpiry { target: target.clone(), expires_at: Some(sc.now + 3_600_000) },
            };
            if !sc.model.admin(&actor, &op, sc.now).allowed {
                continue;
            }
            let mut active = doc.clone();
            let t = &mut users(&mut active)[ti];
            *field(t, "status") = s("active");
            *field(t, "expires_at") = Json::Null;
            let act = load(&active);
            let a = act.model.directory.user(&actor).unwrap();
            for l in label_ids(&act) {
                for p in perm_ids(&act) {
                    let target_holds = act.model.check(&target, l, &p, None, act.now).allowed;
                    let actor_holds = a.owner || act.model.check(&actor, l, &p, None, act.now).allowed;
                    prop_assert!(!target_holds || actor_holds, "seed {}: {} may {:?} though {} holds `{}` in {} and they do not", seed, actor, op, target, p, l);
                }
            }
        }
    }
}

// ---------- SSO ----------

fn sso_case(r: &mut Rng, s: &Scenario) -> (SsoConfig, Login) {
    let providers = ["google", "microsoft", "okta"];
    let domains = [
        "corp0.example",
        "CORP1.example",
        "gmail.com",
        "Outlook.com",
        "other.example",
    ];
    let dir = &s.model.directory;
    let labels = label_ids(s);
    let config_labels: Vec<u64> = labels.iter().copied().filter(|_| r.chance(60)).collect();
    let config = SsoConfig {
        providers: providers
            .iter()
            .filter(|_| r.chance(60))
            .map(|p| p.to_string())
            .collect(),
        domains: domains
            .iter()
            .filter(|_| r.chance(50))
            .map(|p| p.to_string())
            .collect(),
        allow_creation: r.chance(60),
        default_role: s
            .model
            .catalog
            .roles
            .first()
            .map(|g| g.id.clone())
            .filter(|_| r.chance(80)),
        home_label: r.pick(&config_labels).copied(),
        labels: config_labels,
    };
    let (iss, sub) = match r.pick(&dir.users).and_then(|u| r.pick(&u.identities)) {
        Some(i) if r.chance(40) => (i.iss.clone(), i.sub.clone()),
        _ => (
            "https://idp9.example".to_string(),
            format!("{}", r.below(100)),
        ),
    };
    let local = match r.below(3) {
        0 => r
            .pick(&dir.users)
            .map(|u| u.email.split('@').next().unwrap_or("x").to_string())
            .unwrap_or_default(),
        1 => "Ann.Lee".to_string(),
        _ => String::new(),
    };
    let domain = *r
        .pick(&[
            "corp0.example",
            "Corp0.Example",
            "corp1.example",
            "GMAIL.com",
            "gmail.com",
            "yahoo.com",
            "googe.com",
            "other.example",
            "sub.corp0.example",
        ])
        .unwrap();
    // Sometimes a character that Unicode case folding maps onto ASCII
    // (KELVIN SIGN, LONG S, dotless i, a Cyrillic lookalike).
    let email = format!("{local}@{domain}");
    let email = if r.chance(25) {
        let lookalike = *r
            .pick(&["\u{212A}", "\u{17F}", "\u{131}", "\u{430}"])
            .unwrap();
        let at = r.below(email.len());
        let at = (0..=at)
            .rev()
            .find(|i| email.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}{lookalike}{}", &email[..at], &email[at..])
    } else {
        email
    };
    let login = Login {
        provider: providers[r.below(3)].to_uppercase(),
        iss,
        sub,
        email,
        email_verified: r.chance(60),
    };
    (config, login)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// SSO matches or creates by email only for a verified email of a listed,
    /// non-public domain; a known identity matches its own holder only.
    #[test]
    fn sso_never_matches_an_unverified_email_or_a_public_domain(seed in any::<u64>(), pick in any::<u64>()) {
        let s = load(&testgen::generate(seed, 0));
        let mut r = Rng::new(pick);
        for _ in 0..8 {
            let (config, login) = sso_case(&mut r, &s);
            let out = s.model.sso(&config, &login, s.now);
            let domain = login.email.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
            let public = PUBLIC_DOMAINS.contains(&domain.as_str());
            let listed = config.domains.iter().any(|d| d.eq_ignore_ascii_case(&domain));
            let holder = s.model.directory.users.iter().find(|u| u.identities.iter().any(|i| i.iss == login.iss && i.sub == login.sub));
            match &out {
                SsoOutcome::Matched { user, linked: false } => {
                    prop_assert_eq!(Some(user), holder.map(|u| &u.id), "{:?} {:?}", config, login);
                }
                SsoOutcome::Matched { linked: true, .. } | SsoOutcome::Created { .. } => {
                    prop_assert!(holder.is_none());
                    prop_assert!(login.email.is_ascii(), "{:?} -> {:?}", login, out);
                    prop_assert!(login.email_verified, "{:?} {:?} -> {:?}", config, login, out);
                    prop_assert!(!public, "{:?} {:?} -> {:?}", config, login, out);
                    prop_assert!(listed, "{:?} {:?} -> {:?}", config, login, out);
                }
                SsoOutcome::Rejected(_) | SsoOutcome::InvalidConfig(_) => {}
            }
            if let SsoOutcome::Matched { user, linked: true } = &out {
                let matched = s.model.directory.user(user).unwrap();
                prop_assert!(matched.email.eq_ignore_ascii_case(&login.email), "{:?} -> {:?}", login, out);
            }
            if holder.is_none() && (!login.email_verified || public) {
                prop_assert!(matches!(out, SsoOutcome::Rejected(_) | SsoOutcome::InvalidConfig(_)), "{:?}", out);
            }
        }
    }
}
