//! `permsnap samples`: parity samples for the package's tests. For every
//! user of every vector file (or of seeded random scenarios), a token issued
//! at the scenario's `now` and the server's answer to each of that user's
//! checks; the package verifies the tokens in Node and Chromium and must
//! answer every check as the server did (`docs/rules.md`, "Parity").

use super::{vector_files, CliError};
use clap::Subcommand;
use permsnap::testing::testgen;
use permsnap::testing::vectors::{Scenario, SnapshotParity, VectorFile};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// What to write samples of.
#[derive(Subcommand)]
pub enum SamplesCommand {
    /// The vector files' checks
    #[command(
        after_help = "Example:\n  permsnap samples vectors tests/vectors --out target/samples/vectors.json"
    )]
    Vectors {
        /// vector files, or folders of them
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// the samples file to write
        #[arg(long)]
        out: PathBuf,
    },
    /// Seeded random scenarios (the differential generator)
    #[command(
        after_help = "Example:\n  permsnap samples differential --seed 20261124 --checks 10000 --out target/samples/random.json"
    )]
    Differential {
        /// the run's seed
        #[arg(long, default_value_t = 20_261_124)]
        seed: u64,
        /// checks in all
        #[arg(long, default_value_t = 10_000)]
        checks: u64,
        /// the samples file to write
        #[arg(long)]
        out: PathBuf,
    },
}

/// Writes the samples; answers with their counts.
pub fn run(c: SamplesCommand) -> Result<Value, CliError> {
    let mut w = Writer::default();
    let out = match c {
        SamplesCommand::Vectors { paths, out } => {
            for f in vector_files(&paths)? {
                let name = f.display().to_string();
                let text = super::read(&f)?;
                let vf = VectorFile::from_text(&text, &name)?;
                if let (Ok(s), None) = (&vf.loaded, &vf.expect_error) {
                    w.scenario(&name, s)?;
                }
            }
            out
        }
        SamplesCommand::Differential { seed, checks, out } => {
            let mut made = 0u64;
            let mut i = 0u64;
            while made < checks {
                let n = 200.min(checks - made);
                let scenario_seed = testgen::scenario_seed(seed, i);
                let s = testgen::load(&testgen::generate(scenario_seed, n as usize))?;
                w.scenario(&format!("scenario {scenario_seed}"), &s)?;
                made += n;
                i += 1;
            }
            out
        }
    };
    w.write(&out)
}

#[derive(Default)]
struct Writer {
    parity: SnapshotParity,
    manifests: Map<String, Value>,
    sessions: Vec<Value>,
    checks: usize,
}

impl Writer {
    /// One session per user of the scenario: the token and the server's answers.
    fn scenario(&mut self, name: &str, s: &Scenario) -> Result<(), CliError> {
        let m = s.model.manifest();
        self.manifests
            .insert(m.hash().to_string(), Value::String(m.text().to_string()));
        let mut users: Vec<&str> = Vec::new();
        for c in &s.checks {
            if s.model.directory.user(&c.user).is_some() && !users.contains(&c.user.as_str()) {
                users.push(&c.user);
            }
        }
        for user in users {
            let token = self
                .parity
                .token(s, user)
                .map_err(|e| CliError::new("unknown_user", e))?;
            let checks: Vec<Value> = s
                .checks
                .iter()
                .filter(|c| c.user == user)
                .map(|c| {
                    let d = s
                        .model
                        .check(&c.user, c.label, &c.action, c.resource.as_ref(), s.now);
                    let mut v = json!({
                        "action": c.action, "label": c.label,
                        "allowed": d.allowed, "reason": d.reason.code(),
                    });
                    if let Some(r) = &c.resource_json {
                        v["resource"] = r.clone();
                    }
                    if let Some(by) = &d.by {
                        v["by"] = json!(by);
                    }
                    v
                })
                .collect();
            self.checks += checks.len();
            self.sessions.push(json!({
                "name": format!("{name} user {user}"), "user": user, "now": s.now,
                "manifest": m.hash(), "token": token, "checks": checks,
            }));
        }
        Ok(())
    }

    fn write(self, out: &PathBuf) -> Result<Value, CliError> {
        let doc = json!({
            "audience": permsnap::IssueOptions::default().audience,
            "jwks": self.parity.jwks(),
            "manifests": self.manifests,
            "sessions": self.sessions,
        });
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::new("io", format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(out, doc.to_string())
            .map_err(|e| CliError::new("io", format!("{}: {e}", out.display())))?;
        Ok(json!({
            "file": out.display().to_string(), "sessions": doc["sessions"].as_array().map_or(0, Vec::len),
            "checks": self.checks, "manifests": doc["manifests"].as_object().map_or(0, Map::len),
        }))
    }
}
