//! Native benchmarks of the server side, std only (`cargo bench --bench
//! native`; `scripts/bench.sh` runs it with the JS benchmarks and writes
//! BENCHMARKS.md): a server check, snapshot compile, compile + sign (the
//! issuer's throughput) and verify, on the `smartico-crm` scenario the JS
//! benchmarks use and on random-but-seeded catalogs of 10, 100 and 1,000
//! permissions with directories of 1, 10 and 50 labels.
//!
//! Every figure is per operation: each case is warmed up and calibrated to
//! batches of about `BATCH_MS`, then timed over `BATCHES` batches; the table
//! gives the median and the fastest and slowest batch. Results are summed
//! into a sink read at the end, so nothing is optimised away.
//! `PERMSNAP_BENCH_QUICK=1` runs fewer, shorter batches (a smoke test).

use std::hint::black_box;
use std::time::{Duration, Instant};

use permsnap::native::time::{parse_rfc3339, Millis};
use permsnap::{
    issue, verify, Catalog, Directory, IssueOptions, Jwks, Model, PrivateKey, VerifyOptions,
};

/// The time of every check and token (inside every token's lifetime).
const NOW: &str = "2026-11-23T12:00:00Z";

/// The 8 actions of the UI benchmark (bench/js.mjs), allowed and denied in
/// turn for a CRM Support user with `complete_missions` and `no_give_bonus`.
const CRM_ACTIONS: [(&str, bool); 8] = [
    ("player.send_message", true),
    ("player.give_bonus", false),
    ("player.complete_mission", true),
    ("player.change_opt_out", false),
    ("campaign.view", true),
    ("campaign.activate_marketing", false),
    ("message.view_links", true),
    ("settings.gateways", false),
];

struct Config {
    batches: usize,
    batch: Duration,
}

impl Config {
    fn from_env() -> Config {
        if std::env::var("PERMSNAP_BENCH_QUICK").is_ok_and(|v| v == "1") {
            Config {
                batches: 3,
                batch: Duration::from_millis(3),
            }
        } else {
            Config {
                batches: 15,
                batch: Duration::from_millis(12),
            }
        }
    }
}

/// Nanoseconds per operation: median, min and max over the batches.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

/// Times `op` (one operation, returning something to sink): warm-up and
/// calibration first, then `cfg.batches` batches of the calibrated size.
fn measure(cfg: &Config, sink: &mut u64, mut op: impl FnMut(usize) -> u64) -> Stats {
    // Warm-up doubles as calibration: how many operations fill a batch.
    let mut n = 1usize;
    loop {
        let t = Instant::now();
        for i in 0..n {
            *sink = sink.wrapping_add(black_box(op(i)));
        }
        let spent = t.elapsed();
        if spent >= cfg.batch / 2 {
            let per = spent.as_secs_f64() / n as f64;
            n = ((cfg.batch.as_secs_f64() / per).ceil() as usize).max(1);
            break;
        }
        n *= 2;
    }
    let mut samples: Vec<f64> = (0..cfg.batches)
        .map(|_| {
            let t = Instant::now();
            for i in 0..n {
                *sink = sink.wrapping_add(black_box(op(i)));
            }
            t.elapsed().as_secs_f64() * 1e9 / n as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Stats {
        median: samples[samples.len() / 2],
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}

/// `12.3 ns`, `4.56 µs`, `7.89 ms`.
fn human(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn cell(s: Stats) -> String {
    format!("{} ({}–{})", human(s.median), human(s.min), human(s.max))
}

/// `12,345`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// xorshift64*: a small seeded generator, so every run builds the same catalogs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A catalog of `perms` permissions in sections of 10 (`s3.p7`): 6 roles
/// (one inherits another) granting sections, wildcards, single permissions
/// and conditional grants; 3 additional roles; 4 restriction roles, one with
/// a conditional deny.
fn random_catalog(perms: usize, rng: &mut Rng) -> String {
    let sections = perms.div_ceil(10);
    let perm_id = |i: usize| format!("s{}.p{}", i / 10, i % 10);
    let q = |s: String| format!("\"{s}\"");
    let section_list: Vec<String> = (0..sections)
        .map(|s| format!(r#"{{"id":"s{s}","title":"Section {s}"}}"#))
        .collect();
    let perm_list: Vec<String> = (0..perms)
        .map(|i| {
            format!(
                r#"{{"id":"{}","title":"Permission {i}","section":"s{}"}}"#,
                perm_id(i),
                i / 10
            )
        })
        .collect();
    let grants = |rng: &mut Rng, singles: usize| -> String {
        let mut g = vec![
            format!(r#"{{"section":"s{}"}}"#, rng.below(sections)),
            q(format!("s{}.*", rng.below(sections))),
            format!(
                r#"{{"permission":"{}","when":[{{"attr":"manager","eq":"$user"}}]}}"#,
                perm_id(rng.below(perms))
            ),
        ];
        g.extend((0..singles).map(|_| q(perm_id(rng.below(perms)))));
        g.join(",")
    };
    let singles = (perms / 8).max(2);
    let roles: Vec<String> = (0..6)
        .map(|r| {
            let inherits = if r == 0 { r#""inherits":["r1"],"# } else { "" };
            format!(
                r#"{{"id":"r{r}","title":"Role {r}",{inherits}"grants":[{}]}}"#,
                grants(rng, singles)
            )
        })
        .collect();
    let additional: Vec<String> = (0..3)
        .map(|a| {
            format!(
                r#"{{"id":"a{a}","title":"Additional {a}","grants":[{}]}}"#,
                q(perm_id(rng.below(perms)))
            )
        })
        .collect();
    let restrictions: Vec<String> = (0..4)
        .map(|d| {
            let mut denies: Vec<String> = (0..(perms / 20).max(1))
                .map(|_| q(perm_id(rng.below(perms))))
                .collect();
            if d == 3 {
                denies.push(format!(
                    r#"{{"permission":"{}","when":[{{"attr":"status","eq":"pending"}}]}}"#,
                    perm_id(rng.below(perms))
                ));
            }
            format!(
                r#"{{"id":"d{d}","title":"Restriction {d}","denies":[{}]}}"#,
                denies.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"id":"bench-{perms}","title":"Bench {perms}","admin_permission":"s0.p0","single_role":false,
"sections":[{}],"permissions":[{}],"roles":[{}],"additional":[{}],"restrictions":[{}]}}"#,
        section_list.join(","),
        perm_list.join(","),
        roles.join(","),
        additional.join(","),
        restrictions.join(",")
    )
}

/// A directory of `labels` labels and 20 users; the benchmarked user `u0`
/// has an access entry in every label (1 or 2 roles, an additional role in
/// half of them, 0 to 2 restriction roles), the others in a random few.
fn random_directory(labels: usize, rng: &mut Rng) -> String {
    let label_list: Vec<String> = (0..labels)
        .map(|i| {
            format!(
                r#"{{"id":{},"name":"Brand {i}","suffix":"brand{i}"}}"#,
                1000 + i
            )
        })
        .collect();
    let entry = |rng: &mut Rng| -> String {
        let mut roles = vec![format!("\"r{}\"", rng.below(6))];
        if rng.below(2) == 0 {
            roles.push(format!("\"r{}\"", rng.below(6)));
        }
        roles.dedup();
        let additional = if rng.below(2) == 0 {
            format!(r#","additional":["a{}"]"#, rng.below(3))
        } else {
            String::new()
        };
        let restrictions: Vec<String> = match rng.below(3) {
            0 => Vec::new(),
            1 => vec![format!("\"d{}\"", rng.below(4))],
            _ => vec!["\"d0\"".into(), "\"d3\"".into()],
        };
        format!(
            r#"{{"roles":[{}]{additional},"restrictions":[{}]}}"#,
            roles.join(","),
            restrictions.join(",")
        )
    };
    let users: Vec<String> = (0..20)
        .map(|u| {
            let access: Vec<String> = if u == 0 {
                (0..labels)
                    .map(|l| format!(r#""{}":{}"#, 1000 + l, entry(rng)))
                    .collect()
            } else {
                let mut ls: Vec<usize> = (0..3).map(|_| rng.below(labels)).collect();
                ls.sort_unstable();
                ls.dedup();
                ls.iter()
                    .map(|l| format!(r#""{}":{}"#, 1000 + l, entry(rng)))
                    .collect()
            };
            format!(
                r#"{{"id":"u{u}","username":"user{u}@brand0","email":"user{u}@mycompany.com","home_label":1000,"access":{{{}}}}}"#,
                access.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"labels":[{}],"users":[{}]}}"#,
        label_list.join(","),
        users.join(",")
    )
}

/// One model's figures.
struct Row {
    check: Stats,
    compile: Stats,
    issue: Stats,
    verify: Stats,
    token_bytes: usize,
}

/// Measures a model: `check` cycles through `checks` (action, label);
/// compile, compile + sign and verify are for `user`.
fn measure_model(
    cfg: &Config,
    sink: &mut u64,
    model: &Model,
    user: &str,
    checks: &[(String, u64)],
) -> Row {
    let now: Millis = parse_rfc3339(NOW).unwrap_or_default();
    let key = PrivateKey::from_seed(&[42; 32], Some("bench-key"));
    let jwks = Jwks::from_json_text(&key.to_jwks().to_string()).expect("the JWKS of the key");
    let opts = IssueOptions::default();
    let vopts = VerifyOptions::new(&opts.audience, now + 1000);
    let token = issue(model, user, now, &opts, &key).expect("a token for the user");
    assert!(verify(&token, &jwks, &vopts).is_ok(), "the token verifies");

    let check = measure(cfg, sink, |i| {
        let (action, label) = &checks[i % checks.len()];
        u64::from(model.check(user, *label, action, None, now).allowed)
    });
    let compile = measure(cfg, sink, |_| {
        let snap =
            permsnap::native::issue::compile(model, user, now, opts.ttl_secs).expect("the user");
        snap.claim.labels.len() as u64
    });
    let issue_stats = measure(cfg, sink, |_| {
        issue(model, user, now, &opts, &key).expect("a token").len() as u64
    });
    let verify_stats = measure(cfg, sink, |_| {
        let v = verify(&token, &jwks, &vopts).expect("verifies");
        let s = v
            .snapshot(model.manifest().manifest())
            .expect("its manifest");
        s.labels().len() as u64
    });
    Row {
        check,
        compile,
        issue: issue_stats,
        verify: verify_stats,
        token_bytes: token.len(),
    }
}

/// The `smartico-crm` scenario of bench/js.mjs: user `jane`, CRM Support +
/// `complete_missions` + `no_give_bonus` in 10 labels; checks in label 4444.
fn crm_scenario(cfg: &Config, sink: &mut u64) {
    let catalog = permsnap::native::presets::preset("smartico-crm").expect("the preset");
    let labels: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":{},"name":"Brand {i}","suffix":"brand{i}"}}"#,
                4440 + i
            )
        })
        .collect();
    let access: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#""{}":{{"roles":["crm_support"],"additional":["complete_missions"],"restrictions":["no_give_bonus"]}}"#,
                4440 + i
            )
        })
        .collect();
    let text = format!(
        r#"{{"labels":[{}],"users":[{{"id":"jane","username":"jane@brand0","email":"jane@mycompany.com","home_label":4440,"access":{{{}}}}}]}}"#,
        labels.join(","),
        access.join(",")
    );
    let directory = Directory::from_json_text(&text, "crm-bench.json", &catalog).expect("loads");
    let model = Model::new(catalog, directory);
    let now = parse_rfc3339(NOW).unwrap_or_default();
    for (action, allowed) in CRM_ACTIONS {
        assert_eq!(
            model.check("jane", 4444, action, None, now).allowed,
            allowed,
            "{action}"
        );
    }
    let checks: Vec<(String, u64)> = CRM_ACTIONS
        .iter()
        .map(|(a, _)| (a.to_string(), 4444))
        .collect();
    let row = measure_model(cfg, sink, &model, "jane", &checks);

    // The same 8 checks answered from the verified snapshot (what the wasm
    // module runs in the browser, here without the JS boundary).
    let key = PrivateKey::from_seed(&[42; 32], Some("bench-key"));
    let jwks = Jwks::from_json_text(&key.to_jwks().to_string()).expect("JWKS");
    let token = issue(&model, "jane", now, &IssueOptions::default(), &key).expect("token");
    let v = verify(&token, &jwks, &VerifyOptions::new("backoffice", now)).expect("verifies");
    let snapshot = v
        .snapshot(model.manifest().manifest())
        .expect("its manifest");
    let snap_check = measure(cfg, sink, |i| {
        let (action, _) = CRM_ACTIONS[i % 8];
        u64::from(snapshot.check(action, 4444, None, now).allowed())
    });

    println!("### 5a. The `smartico-crm` scenario (35 permissions, 10 labels)\n");
    println!(
        "User `jane`: CRM Support + `complete_missions` + `no_give_bonus` in 10 labels; checks cycle through the 8 actions of the UI benchmark in label 4444 (half allowed). Token: {} bytes.\n",
        row.token_bytes
    );
    println!("| operation | median (min–max) | per second per core |");
    println!("| --- | --- | --- |");
    let line = |name: &str, s: Stats| {
        println!("| {name} | {} | {} |", cell(s), thousands(1e9 / s.median));
    };
    line("server check `Model::check`", row.check);
    line(
        "snapshot check `Snapshot::check` (verified token)",
        snap_check,
    );
    line("snapshot compile `issue::compile`", row.compile);
    line("compile + sign `permsnap::native::issue`", row.issue);
    line(
        "verify `permsnap::verify` + `Verified::snapshot` (signature, claims, checker)",
        row.verify,
    );
    println!();
}

/// The scaling grid: 10/100/1,000 permissions × 1/10/50 labels.
fn scaling(cfg: &Config, sink: &mut u64) {
    println!("### 5b. Scaling with the catalog and the directory\n");
    println!(
        "Random-but-seeded catalogs (sections of 10 permissions; 6 roles with section, wildcard, single and conditional grants; 3 additional roles; 4 restriction roles) and directories (user `u0` has an access entry in every label, 19 other users). `check` cycles through 64 seeded (action, label) pairs. Median (min–max) per operation; issue throughput is snapshots per second per core.\n"
    );
    println!(
        "| permissions | labels | server check | snapshot compile | compile + sign | snapshots/s/core | verify | token bytes |"
    );
    println!("| ---: | ---: | --- | --- | --- | ---: | --- | ---: |");
    for perms in [10usize, 100, 1000] {
        let mut rng = Rng(0x5eed_0000 + perms as u64);
        let catalog_text = random_catalog(perms, &mut rng);
        for labels in [1usize, 10, 50] {
            let catalog = Catalog::from_json_text(&catalog_text, "bench-catalog.json")
                .expect("the generated catalog loads");
            let mut rng = Rng(0xd1ec_0000 + (perms * 100 + labels) as u64);
            let directory = Directory::from_json_text(
                &random_directory(labels, &mut rng),
                "bench-directory.json",
                &catalog,
            )
            .expect("the generated directory loads");
            let checks: Vec<(String, u64)> = (0..64)
                .map(|_| {
                    let p = rng.below(perms);
                    (
                        catalog.permissions[p].id.clone(),
                        1000 + rng.below(labels) as u64,
                    )
                })
                .collect();
            let model = Model::new(catalog, directory);
            let row = measure_model(cfg, sink, &model, "u0", &checks);
            println!(
                "| {} | {labels} | {} | {} | {} | {} | {} | {} |",
                thousands(perms as f64),
                cell(row.check),
                cell(row.compile),
                cell(row.issue),
                thousands(1e9 / row.issue.median),
                cell(row.verify),
                thousands(row.token_bytes as f64)
            );
        }
    }
    println!();
}

/// Attacker-shaped inputs: 16,634 keys crafted to collide under a known hash
/// (`testgen::crafted_keys`), against as many plain keys, in one JSON object,
/// in a JWKS and in a resource.
fn crafted_inputs(cfg: &Config, sink: &mut u64) {
    let n = 16_634;
    let crafted = permsnap::testing::testgen::crafted_keys(n);
    let plain: Vec<String> = (0..n).map(|i| format!("key{i}")).collect();
    let object = |keys: &[String]| {
        let fields: Vec<String> = keys.iter().map(|k| format!(r#""{k}":0"#)).collect();
        format!("{{{}}}", fields.join(","))
    };
    let key = PrivateKey::from_seed(&[42; 32], Some("bench-key"));
    let jwks = |keys: &[String]| {
        let mut v = key.to_jwks();
        for k in keys {
            v[k.as_str()] = serde_json::json!(0);
        }
        v.to_string()
    };
    println!("### 5c. Attacker-shaped inputs: {n} crafted colliding keys\n");
    println!("Keys whose FNV-1a hashes agree in their low 17 bits (the shape that made the former hand-written reader's key table quadratic: 0.71 s for a 183 KB JWKS), against as many plain keys. The duplicate-key check now keeps std's randomly keyed hash set per object.\n");
    println!("| input | bytes | crafted keys | plain keys | ratio |");
    println!("| --- | ---: | --- | --- | ---: |");
    let row = |name: &str, bytes: usize, c: Stats, p: Stats| {
        println!(
            "| {name} | {} | {} | {} | {:.2}× |",
            thousands(bytes as f64),
            cell(c),
            cell(p),
            c.median / p.median
        );
    };
    let (co, po) = (object(&crafted), object(&plain));
    let c = measure(cfg, sink, |_| {
        u64::from(permsnap::native::load::check_json(&co).is_ok())
    });
    let p = measure(cfg, sink, |_| {
        u64::from(permsnap::native::load::check_json(&po).is_ok())
    });
    row("one JSON object (strict read)", co.len(), c, p);
    let (cj, pj) = (jwks(&crafted), jwks(&plain));
    let c = measure(cfg, sink, |_| u64::from(Jwks::from_json_text(&cj).is_ok()));
    let p = measure(cfg, sink, |_| u64::from(Jwks::from_json_text(&pj).is_ok()));
    row("a JWKS with the keys as members", cj.len(), c, p);
    let (cv, pv): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&co).unwrap_or_default(),
        serde_json::from_str(&po).unwrap_or_default(),
    );
    let c = measure(cfg, sink, |_| {
        permsnap::native::load::resource(&cv, "$").map_or(0, |r| r.len() as u64)
    });
    let p = measure(cfg, sink, |_| {
        permsnap::native::load::resource(&pv, "$").map_or(0, |r| r.len() as u64)
    });
    row("a resource of the keys", co.len(), c, p);
    println!();
}

fn main() {
    let cfg = Config::from_env();
    let mut sink = 0u64;
    let t = Instant::now();
    // Let the core settle (frequency, caches) after the build that precedes
    // this run, so the first case is not timed on a cold machine.
    while t.elapsed() < Duration::from_millis(if cfg.batches > 3 { 500 } else { 50 }) {
        sink = sink.wrapping_add(black_box(1));
    }
    println!(
        "<!-- cargo bench --bench native: {} batches of about {} ms per case -->\n",
        cfg.batches,
        cfg.batch.as_millis()
    );
    crm_scenario(&cfg, &mut sink);
    scaling(&cfg, &mut sink);
    crafted_inputs(&cfg, &mut sink);
    eprintln!(
        "native benchmarks done in {:.1} s (sink {sink})",
        t.elapsed().as_secs_f64()
    );
}
