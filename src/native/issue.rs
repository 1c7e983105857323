//! Issuing (native): the catalog manifest a page fetches once, and one
//! user's snapshot compiled from a [`Model`], signed as a compact JWS.

use crate::core::rules::RuleSet;
use crate::core::snapshot::token::TYP;
use crate::core::snapshot::{LabelEntry, SnapshotClaim, VERSION};
use crate::native::engine::Model;
pub use crate::native::jws::Alg;
use crate::native::jws::{b64, PrivateKey};
pub use crate::native::manifest::{manifest_hash, ManifestFile};
use crate::native::time::Millis;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What the issuer puts around the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueOptions {
    /// `iss`
    pub issuer: String,
    /// `aud`
    pub audience: String,
    /// `tid`, written when set: the tenant the token is issued in
    pub tenant: Option<String>,
    /// lifetime in seconds (at least 1; capped by the user's `expires_at`)
    pub ttl_secs: i64,
    /// the header's `alg`
    pub alg: Alg,
}

impl Default for IssueOptions {
    fn default() -> Self {
        IssueOptions {
            issuer: "permsnap".into(),
            audience: "backoffice".into(),
            tenant: None,
            ttl_secs: 900,
            alg: Alg::EdDsa,
        }
    }
}

/// Why a token could not be issued.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// the directory has no such user
    #[error("user `{user}` is not in the directory")]
    UnknownUser {
        /// the user asked for
        user: String,
    },
}

impl IssueError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::UnknownUser { .. } => "unknown_user",
        }
    }
}

/// One user's snapshot claim and when it expires (whole seconds, in milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// the `psnap` claim
    pub claim: SnapshotClaim,
    /// `exp`, milliseconds since the epoch, a whole second
    pub expires_at: Millis,
}

/// Compiles the snapshot of `user` at `now`; `None` when the directory has
/// no such user. `exp` is `now + ttl`, never later than the user's
/// `expires_at` while that is still ahead, rounded down to a whole second
/// (a user whose access ends within the second is `expired` already);
/// a user who is already disabled, expired or whose home label is closed
/// gets a snapshot that denies everything with that reason (so the UI can
/// say why).
pub fn compile(model: &Model, user: &str, now: Millis, ttl_secs: i64) -> Option<Compiled> {
    let u = model.directory.user(user)?;
    let mut denial = model.global_denial(u, now);
    let whole = |ms: Millis| ms.div_euclid(1000) * 1000;
    let lifetime = whole(now.saturating_add(ttl_secs.max(1).saturating_mul(1000)));
    let mut expires_at = lifetime;
    if let Some(e) = u.expires_at.filter(|&e| e > now) {
        expires_at = expires_at.min(whole(e));
    }
    // Access that ends within this very second: rounded down, `exp` would
    // be in the past; the snapshot says `expired` now instead (never later
    // than the server), and stays valid so the UI can say why.
    if expires_at <= now {
        denial = denial.or(Some(crate::Reason::Expired));
        expires_at = lifetime;
    }
    let mut claim = SnapshotClaim {
        v: VERSION,
        catalog: model.catalog.id.clone(),
        manifest: model.manifest().hash().to_string(),
        labels: Vec::new(),
        direct: Vec::new(),
        owner: u.owner,
        denial,
    };
    for l in model.directory.labels.iter() {
        let access = match u.access_in(l.id) {
            Some(a) if denial.is_none() && !u.owner && !l.closed => {
                Some(label_sources(model, a, &mut claim.direct))
            }
            _ => None,
        };
        claim.labels.push(LabelEntry {
            id: l.id,
            closed: l.closed,
            access,
        });
    }
    claim.labels.sort_by_key(|l| l.id);
    Some(Compiled { claim, expires_at })
}

/// The grant and deny source indices of one access entry: manifest sources
/// by position (roles, additional roles, restriction roles), direct lists
/// appended to `direct` once each (an empty one never decides anything).
fn label_sources(
    model: &Model,
    a: &crate::native::directory::Access,
    direct: &mut Vec<RuleSet>,
) -> (Vec<u32>, Vec<u32>) {
    let c = &model.catalog;
    let m = c.roles.len() + c.additional.len() + c.restrictions.len();
    let mut intern = |rules: &RuleSet| -> Option<u32> {
        if rules.is_empty() {
            return None;
        }
        let i = direct.iter().position(|r| r == rules).unwrap_or_else(|| {
            direct.push(rules.clone());
            direct.len() - 1
        });
        Some((m + i) as u32)
    };
    let roles = a.roles.iter().map(|&r| r as u32);
    let additional = a.additional.iter().map(|&x| (c.roles.len() + x) as u32);
    let grants = roles.chain(additional).chain(intern(&a.grants)).collect();
    let first_restriction = c.roles.len() + c.additional.len();
    let restrictions = a
        .restrictions
        .iter()
        .map(|&x| (first_restriction + x) as u32);
    let denies = restrictions.chain(intern(&a.denies)).collect();
    (grants, denies)
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

#[derive(Serialize)]
struct ClaimsOut<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tid: Option<&'a str>,
    #[serde(rename = "psnap")]
    snapshot: &'a SnapshotClaim,
}

/// Issues the signed snapshot of `user` at `now`.
pub fn issue(
    model: &Model,
    user: &str,
    now: Millis,
    opts: &IssueOptions,
    key: &PrivateKey,
) -> Result<String, IssueError> {
    let compiled =
        compile(model, user, now, opts.ttl_secs).ok_or_else(|| IssueError::UnknownUser {
            user: user.to_string(),
        })?;
    Ok(sign(&compiled, user, now, opts, key))
}

/// Signs a compiled snapshot for `user` as a compact JWS.
pub fn sign(
    compiled: &Compiled,
    user: &str,
    now: Millis,
    opts: &IssueOptions,
    key: &PrivateKey,
) -> String {
    let iat = now.div_euclid(1000);
    let exp = compiled.expires_at.div_euclid(1000);
    // A reproducible id: the same snapshot at the same second has the same `jti`.
    let digest = Sha256::new()
        .chain_update(user.as_bytes())
        .chain_update(iat.to_le_bytes())
        .chain_update(exp.to_le_bytes())
        .chain_update(compiled.claim.manifest.as_bytes())
        .chain_update(serde_json::to_vec(&compiled.claim).unwrap_or_default())
        .finalize();
    let claims = ClaimsOut {
        iss: &opts.issuer,
        sub: user,
        aud: &opts.audience,
        iat,
        exp,
        jti: b64::encode(&digest[..12]),
        tid: opts.tenant.as_deref(),
        snapshot: &compiled.claim,
    };
    let header = HeaderOut {
        alg: opts.alg.name(),
        typ: TYP,
        kid: key.kid(),
    };
    key.sign_compact(
        &serde_json::to_vec(&header).unwrap_or_default(),
        &serde_json::to_vec(&claims).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::time::parse_rfc3339;
    use crate::{Directory, Model};

    fn model(expires_at: &str) -> Model {
        let catalog = crate::native::presets::preset("smartico-crm").unwrap();
        let dir = format!(
            r#"{{"labels":[{{"id":1,"name":"One","suffix":"one"}}],
            "users":[{{"id":"u1","username":"a@one","email":"a@x.com","home_label":1,
              "expires_at":{expires_at},"access":{{"1":{{"roles":["crm_support"]}}}}}}]}}"#
        );
        let directory = Directory::from_json_text(&dir, "d.json", &catalog).unwrap();
        Model::new(catalog, directory)
    }

    #[test]
    fn exp_is_a_whole_second_never_past_expires_at() {
        let now = parse_rfc3339("2026-11-23T12:00:00.750Z").unwrap();
        let c = compile(&model("null"), "u1", now, 60).unwrap();
        assert_eq!(c.expires_at, parse_rfc3339("2026-11-23T12:01:00Z").unwrap());
        let c = compile(&model(r#""2026-11-23T12:00:30.900Z""#), "u1", now, 60).unwrap();
        assert_eq!(c.expires_at, parse_rfc3339("2026-11-23T12:00:30Z").unwrap());
        assert_eq!(c.claim.denial, None);
    }

    #[test]
    fn access_ending_within_the_second_is_expired_at_once_in_a_valid_snapshot() {
        let now = parse_rfc3339("2026-11-23T12:00:00.250Z").unwrap();
        let c = compile(&model(r#""2026-11-23T12:00:00.900Z""#), "u1", now, 60).unwrap();
        assert_eq!(c.claim.denial, Some(crate::Reason::Expired));
        assert!(c.expires_at > now);
    }

    #[test]
    fn the_manifest_hash_names_its_exact_text_and_reads_back() {
        let m = model("null");
        let file = m.manifest();
        assert_eq!(file.hash(), manifest_hash(file.text().as_bytes()));
        assert_eq!(file.hash().len(), 22);
        let back = ManifestFile::from_text(file.text()).unwrap();
        assert_eq!(back.manifest().data(), file.manifest().data());
        let e = ManifestFile::from_text(&file.text().replacen("{", r#"{"v":2,"#, 1)).unwrap_err();
        assert_eq!(e.code(), "malformed");
    }

    #[test]
    fn an_unknown_user_is_an_issue_error_with_its_code() {
        let key = PrivateKey::from_seed(&[1; 32], None);
        let e = issue(&model("null"), "nobody", 0, &IssueOptions::default(), &key).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string()),
            (
                "unknown_user",
                "user `nobody` is not in the directory".into()
            )
        );
    }
}
