//! Signing keys and API keys. Signing keys: one current key signs; a key
//! retired by `keys rotate` stays in the JWKS until every token it signed
//! has expired ([`MAX_TTL_SECS`] after its retirement), then leaves. API
//! keys: `psk_` and 32 random bytes (base64url), stored as SHA-256 hashes
//! with their scopes; the key itself is shown once and never stored.

use super::error::{Result, ServerError};
use super::model::{self, SigningKey};
use super::store::KeyRow;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Whether `id` is a tenant id: 1 to 64 characters of `a-z 0-9 - _`,
/// starting with a letter or digit (it appears in paths, tokens and logs).
pub fn check_tenant_id(id: &str) -> Result<()> {
    let ok = (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        let shown: String = id.chars().take(80).collect();
        Err(ServerError::bad(
            "bad_tenant_id",
            format!("a tenant id is 1 to 64 characters of a-z, 0-9, `-` and `_`, starting with a letter or digit, not `{shown}`"),
            Some("tenant".into()),
        ))
    }
}

/// The longest snapshot lifetime the server issues.
pub const MAX_TTL_SECS: i64 = 86_400;

/// Clock leeway a verifier may allow; a retired key stays this much longer.
pub const LEEWAY_SECS: i64 = 300;

/// How long a retired key stays in the JWKS.
pub const RETIRED_KEY_MS: i64 = (MAX_TTL_SECS + LEEWAY_SECS) * 1000;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `POST /v1/snapshots`
    Snapshots,
    /// `POST /v1/check`
    Check,
    /// `POST /v1/admin`
    Admin,
    /// `POST /v1/sso/login`
    Sso,
    /// `GET /v1/users/{id}`, `GET /v1/audit`
    Read,
    /// `POST /v1/tenants`, `GET /v1/tenants`
    Tenants,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 6] = [
        Scope::Snapshots,
        Scope::Check,
        Scope::Admin,
        Scope::Sso,
        Scope::Read,
        Scope::Tenants,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Snapshots => "snapshots",
            Scope::Check => "check",
            Scope::Admin => "admin",
            Scope::Sso => "sso",
            Scope::Read => "read",
            Scope::Tenants => "tenants",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Parses `a,b,c`; an unknown name is an error.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>> {
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let s = Scope::ALL
                .into_iter()
                .find(|s| s.name() == name)
                .ok_or_else(|| {
                    ServerError::Config(format!(
                        "`{name}` is not a scope (snapshots, check, admin, sso, read, tenants)"
                    ))
                })?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        if out.is_empty() {
            return Err(ServerError::Config(
                "an API key needs at least one scope".into(),
            ));
        }
        Ok(out)
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// From the stored `a,b` text (unknown names ignored).
    pub fn from_text(text: &str) -> Scopes {
        Scopes(
            text.split(',')
                .filter_map(|n| Scope::ALL.into_iter().find(|s| s.name() == n.trim()))
                .fold(0, |acc, s| acc | s.bit()),
        )
    }

    /// Whether `s` is in the set.
    pub fn has(self, s: Scope) -> bool {
        self.0 & s.bit() != 0
    }
}

/// What a stored API key grants: its scopes, the tenant it is bound to, and
/// whether its admin ops must prove who acts with the actor's own snapshot
/// token (`apikey create --require-actor-token`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyGrant {
    /// the scopes
    pub scopes: Scopes,
    /// the one tenant it is good for; `None`: every tenant
    pub tenant: Option<String>,
    /// `POST /v1/admin` needs `actor_token`
    pub require_actor_token: bool,
}

/// 32 random bytes.
pub fn random32() -> Result<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| ServerError::Io(format!("no randomness: {e}")))?;
    Ok(b)
}

/// A new user id for an SSO-created user: `u_` and 16 hex digits.
pub fn random_user_id() -> Result<String> {
    let b = random32()?;
    Ok(format!("u_{}", hex(&b[..8])))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored hash of an API key (hex SHA-256).
pub fn api_key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// How many characters of a key its stored prefix keeps (`psk_` and six).
pub const API_KEY_PREFIX_LEN: usize = 10;

/// A new API key: (the key, shown once; its hash; a short prefix for operators).
pub fn new_api_key() -> Result<(String, String, String)> {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random32()?);
    let key = format!("psk_{secret}");
    let prefix = key.chars().take(API_KEY_PREFIX_LEN).collect();
    Ok((api_key_hash(&key), key, prefix))
}

/// A new signing key row made at `now`.
pub fn new_key_row(now: i64) -> Result<KeyRow> {
    let key = model::new_signing_key(&random32()?);
    Ok(KeyRow {
        kid: model::kid(&key).to_string(),
        private_jwk: model::private_jwk_text(&key),
        created_at: now,
        retired_at: None,
    })
}

/// The loaded signing keys: the current one and the public JWKs of every
/// key still published.
pub struct KeyRing {
    /// the keys version it was read at
    pub version: i64,
    /// the key that signs (none before the first start)
    pub current: Option<SigningKey>,
    /// (public JWK, retired at)
    pub public: Vec<(serde_json::Value, Option<i64>)>,
    /// every stored key's public half, to verify the tokens this server
    /// signed (a token signed by a key retired long ago has expired anyway)
    pub verifier: model::Verifier,
}

impl KeyRing {
    /// Builds the ring from stored rows (newest first).
    pub fn from_rows(version: i64, rows: &[KeyRow]) -> Result<KeyRing> {
        let keys = rows
            .iter()
            .map(|r| model::signing_key_from_jwk(&r.private_jwk))
            .collect::<Result<Vec<_>>>()?;
        let mut public = Vec::new();
        for (k, r) in keys.iter().zip(rows) {
            public.push((model::public_jwk(k)?, r.retired_at));
        }
        let verifier = model::verifier(&keys.iter().collect::<Vec<_>>());
        let current = keys
            .into_iter()
            .zip(rows)
            .find(|(_, r)| r.retired_at.is_none())
            .map(|(k, _)| k);
        Ok(KeyRing {
            version,
            current,
            public,
            verifier,
        })
    }

    /// The JWKS at `now`: the current key, then retired keys whose tokens may
    /// still be alive.
    pub fn jwks(&self, now: i64) -> serde_json::Value {
        let keys: Vec<&serde_json::Value> = self
            .public
            .iter()
            .filter(|(_, retired)| retired.is_none_or(|r| now < r + RETIRED_KEY_MS))
            .map(|(k, _)| k)
            .collect();
        serde_json::json!({ "keys": keys })
    }
}
