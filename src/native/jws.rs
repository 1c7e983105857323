//! Compact JWS with Ed25519 on the native side (RFC 7515, RFC 8037): signing
//! keys, key sets, and verification as its steps (`docs/architecture.md`,
//! "Verification, as steps"). The header and claim rules are the browser
//! core's ([`Header::check`], [`Claims::check`]), so both rooms refuse the same
//! tokens with the same codes.

use crate::core::error::{KeyError, VerifyError};
use crate::core::snapshot::keys::{Jwk, JwkSet};
use crate::core::snapshot::token::{ClaimRules, Claims, Header, ALG_ED25519, ALG_EDDSA};
use crate::core::snapshot::{Manifest, Snapshot, SnapshotClaim};
use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The `alg` a token is signed under: the same Ed25519 signature either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Alg {
    /// `EdDSA` (RFC 8037): what JWT libraries in every language read today
    /// (PyJWT 2.15 refuses `Ed25519`)
    #[default]
    EdDsa,
    /// `Ed25519` (RFC 9864's fully specified name)
    Ed25519,
}

impl Alg {
    /// The header value.
    pub fn name(self) -> &'static str {
        match self {
            Alg::EdDsa => ALG_EDDSA,
            Alg::Ed25519 => ALG_ED25519,
        }
    }
}

/// base64url without padding (RFC 4648 section 5), strict: no padding, no
/// white space, no other alphabet, canonical trailing bits; one byte string
/// has exactly one text, so a token cannot be re-spelled.
pub mod b64 {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    /// Encodes `data`.
    pub fn encode(data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(data)
    }

    /// Decodes strict base64url; `None` for anything else.
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(text).ok()
    }
}

/// The largest token accepted unless [`VerifyOptions::max_len`] says otherwise.
pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

/// Reads a `T` from JSON bytes strictly: UTF-8, one JSON value, no key twice
/// in any object (RFC 8725 section 3.x: two readers must never disagree on
/// which value counts); `what` names the part in the message.
pub fn strict_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, VerifyError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| VerifyError::malformed(format!("{what} is not UTF-8")))?;
    crate::native::load::from_text(text).map_err(|e| {
        VerifyError::malformed(format!(
            "{what} is not what permsnap reads: {}: {}",
            e.path, e.message
        ))
    })
}

/// An Ed25519 signing key with its `kid`. The seed and the expanded secret
/// are wiped from memory when it is dropped; `Debug` shows only the `kid`.
pub struct PrivateKey {
    kid: String,
    alg: Alg,
    signing: SigningKey,
    expanded: ExpandedSecretKey,
    public: VerifyingKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A private JWK as written (`kty`, `crv`, `x`, `d`, `kid` ...).
#[derive(Deserialize)]
struct PrivateJwk {
    #[serde(flatten)]
    public: Jwk,
    d: Option<String>,
}

#[derive(Serialize)]
struct PublicJwkOut<'a> {
    kty: &'a str,
    crv: &'a str,
    x: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    kid: &'a str,
    alg: &'a str,
    #[serde(rename = "use")]
    key_use: &'a str,
}

impl PrivateKey {
    /// A key from a 32-byte seed; `kid` defaults to the RFC 7638 thumbprint.
    pub fn from_seed(seed: &[u8; 32], kid: Option<&str>) -> PrivateKey {
        let signing = SigningKey::from_bytes(seed);
        let public = signing.verifying_key();
        let kid = kid.map_or_else(|| thumbprint(&public), str::to_string);
        // Expanded once (SHA-512 of the seed): signing then skips it.
        let expanded = ExpandedSecretKey::from(signing.as_bytes());
        PrivateKey {
            kid,
            alg: Alg::EdDsa,
            signing,
            expanded,
            public,
        }
    }

    /// The same key published under `alg` (its JWKs say it; a token signed
    /// with it should say it too: strict libraries such as jose match the
    /// key's `alg` with the token's).
    pub fn with_alg(mut self, alg: Alg) -> PrivateKey {
        self.alg = alg;
        self
    }

    /// The `alg` its JWKs say.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// A new random key.
    pub fn generate(kid: Option<&str>) -> Result<PrivateKey, getrandom::Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut())?;
        Ok(PrivateKey::from_seed(&seed, kid))
    }

    /// Reads a private JWK (`kty` `OKP`, `crv` `Ed25519`, `x`, `d`, `kid`),
    /// bare or as `permsnap keygen` writes it (`{"private": ..., "jwks": ...}`).
    pub fn from_json_text(text: &str) -> Result<PrivateKey, KeyError> {
        let not_a_key = |e: crate::LoadError| KeyError::NotAKey {
            detail: format!("{}: {}", e.path, e.message),
        };
        let mut value: serde_json::Value =
            crate::native::load::from_text(text).map_err(not_a_key)?;
        if let Some(private) = value.get_mut("private") {
            value = private.take();
        }
        let jwk: PrivateJwk = crate::native::load::from_value(&value).map_err(not_a_key)?;
        let x = jwk.public.x.as_deref().and_then(b64::decode);
        let (kid, public) = jwk.public.public_key(x.as_deref())?;
        let d = jwk
            .d
            .ok_or_else(|| KeyError::NoPrivatePart { kid: kid.clone() })?;
        let seed = Zeroizing::new(
            b64::decode(&d)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| KeyError::BadBytes {
                    kid: kid.clone(),
                    field: "d",
                })?,
        );
        let alg = match jwk.public.alg.as_deref() {
            Some(ALG_ED25519) => Alg::Ed25519,
            _ => Alg::EdDsa,
        };
        let key = PrivateKey::from_seed(&seed, Some(&kid)).with_alg(alg);
        if key.public.as_bytes() != &public {
            return Err(KeyError::MismatchedPrivateKey { kid });
        }
        Ok(key)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    fn jwk(&self, private: bool) -> serde_json::Value {
        let out = PublicJwkOut {
            kty: "OKP",
            crv: "Ed25519",
            x: b64::encode(self.public.as_bytes()),
            d: private.then(|| b64::encode(self.signing.as_bytes())),
            kid: &self.kid,
            alg: self.alg.name(),
            key_use: "sig",
        };
        serde_json::to_value(out).unwrap_or_default()
    }

    /// The private JWK (keep it secret).
    pub fn to_private_jwk(&self) -> serde_json::Value {
        self.jwk(true)
    }

    /// The public JWK (`alg` as [`PrivateKey::alg`], `use` `sig`).
    pub fn to_public_jwk(&self) -> serde_json::Value {
        self.jwk(false)
    }

    /// A JWKS holding the public half.
    pub fn to_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.to_public_jwk()] })
    }

    /// `base64url(header).base64url(payload).base64url(signature)`.
    pub fn sign_compact(&self, header: &[u8], payload: &[u8]) -> String {
        let mut token = b64::encode(header);
        token.push('.');
        token.push_str(&b64::encode(payload));
        let sig: Signature = raw_sign::<Sha512>(&self.expanded, token.as_bytes(), &self.public);
        token.push('.');
        token.push_str(&b64::encode(&sig.to_bytes()));
        token
    }
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        b64::encode(key.as_bytes())
    );
    b64::encode(&Sha256::digest(canonical.as_bytes()))
}

/// A JWKS of Ed25519 public keys, looked up by `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<(String, VerifyingKey)>,
}

impl Jwks {
    /// Reads a JWKS (`{"keys": [...]}`) with the browser core's rules
    /// ([`JwkSet::ed25519_keys`]); each key must also be a point of the curve.
    pub fn from_json_text(text: &str) -> Result<Jwks, KeyError> {
        let set: JwkSet = crate::native::load::from_text(text).map_err(|e| KeyError::NotAJwks {
            detail: format!("{}: {}", e.path, e.message),
        })?;
        // A key that is not a point of the curve refuses the set, as any
        // refused Ed25519 key does (`bad_jwks`, naming its place).
        let index = |kid: &str| {
            set.keys
                .iter()
                .position(|k| k.is_ed25519() && k.kid.as_deref() == Some(kid))
                .unwrap_or_default()
        };
        let keys = set
            .ed25519_keys(b64::decode)?
            .into_iter()
            .map(|(kid, bytes)| match VerifyingKey::from_bytes(&bytes) {
                Ok(vk) if !vk.is_weak() => Ok((kid, vk)),
                _ => Err(KeyError::InJwks {
                    index: index(&kid),
                    error: Box::new(KeyError::WeakKey { kid }),
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Jwks { keys })
    }

    /// A JWKS of these keys' public halves.
    pub fn of(keys: &[&PrivateKey]) -> Jwks {
        Jwks {
            keys: keys.iter().map(|k| (k.kid.clone(), k.public)).collect(),
        }
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, v)| v)
    }

    /// The key ids, in order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| k.as_str())
    }
}

/// What a verifier expects of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// the audience that `aud` must name
    pub audience: String,
    /// the issuer `iss` must be, if set
    pub issuer: Option<String>,
    /// the tenant `tid` must be, if set (`wrong_tenant` otherwise); unset,
    /// `tid` is not checked
    pub tenant: Option<String>,
    /// seconds by which `exp` may be passed and `nbf`/`iat` be ahead
    pub leeway_secs: i64,
    /// seconds by which only `nbf`/`iat` may be ahead (the issuer's clock
    /// running ahead); `exp` is never extended by it
    pub max_clock_skew_secs: i64,
    /// the verifier's time, milliseconds since the epoch
    pub now: i64,
    /// the longest token accepted, in bytes
    pub max_len: usize,
}

impl VerifyOptions {
    /// Options for `audience` at `now`: no issuer check, no leeway, no clock
    /// skew, the default size limit.
    pub fn new(audience: &str, now: i64) -> Self {
        VerifyOptions {
            audience: audience.to_string(),
            issuer: None,
            tenant: None,
            leeway_secs: 0,
            max_clock_skew_secs: 0,
            now,
            max_len: DEFAULT_MAX_LEN,
        }
    }

    fn rules(&self) -> ClaimRules {
        ClaimRules {
            audience: self.audience.clone(),
            issuer: self.issuer.clone(),
            tenant: self.tenant.clone(),
            now: self.now,
            leeway_secs: self.leeway_secs,
            max_clock_skew_secs: self.max_clock_skew_secs,
        }
    }
}

/// A verified token: its key, its claims, and its snapshot claim, ready to
/// be checked against the catalog manifest ([`Verified::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// the key that signed it
    pub kid: String,
    /// its registered claims
    pub claims: Claims,
    /// the `psnap` claim
    pub claim: SnapshotClaim,
}

impl Verified {
    /// The snapshot, checked against `manifest` (`manifest_mismatch` when
    /// the token was compiled against another one).
    pub fn snapshot(&self, manifest: &Arc<Manifest>) -> Result<Snapshot, VerifyError> {
        Snapshot::new(
            Arc::clone(manifest),
            self.claim.clone(),
            self.claims.sub.clone(),
            self.claims.exp.secs().saturating_mul(1000),
        )
    }
}

/// Verifies `token` against `keys` and `opts`, as its steps.
pub fn verify(token: &str, keys: &Jwks, opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    let compact = Compact::split(token, opts.max_len)?;
    let header = compact.header()?;
    let kid = header.check()?;
    let key = keys.get(kid).ok_or_else(|| VerifyError::UnknownKey {
        kid: Some(kid.to_string()),
    })?;
    let payload = compact.verify_signature(kid, key)?;
    let claims: Claims = payload.read("the payload")?;
    claims.check(&opts.rules())?;
    let claim = payload.read::<SnapshotPart>("the snapshot claim")?.psnap;
    Ok(Verified {
        kid: kid.to_string(),
        claims,
        claim,
    })
}

#[derive(Deserialize)]
struct SnapshotPart {
    psnap: SnapshotClaim,
}

/// A token split into its three base64url parts, nothing decoded yet.
struct Compact<'a> {
    token: &'a str,
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

/// The signed payload: only [`Compact::verify_signature`] makes one, so the
/// payload is never read before its signature has been verified.
struct SignedPayload(Vec<u8>);

fn part(text: &str, what: &str) -> Result<Vec<u8>, VerifyError> {
    b64::decode(text).ok_or_else(|| {
        VerifyError::malformed(format!("the {what} is not base64url without padding"))
    })
}

impl<'a> Compact<'a> {
    /// Step 1. The size limit comes first, before any parsing (RFC 8725
    /// section 3.x: bound the work an unauthenticated input can cause); then
    /// exactly three parts.
    fn split(token: &'a str, max_len: usize) -> Result<Compact<'a>, VerifyError> {
        if token.len() > max_len {
            return Err(VerifyError::TooLarge {
                len: token.len(),
                max: max_len,
            });
        }
        let mut parts = token.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(header), Some(payload), Some(signature), None) => Ok(Compact {
                token,
                header,
                payload,
                signature,
            }),
            _ => Err(VerifyError::malformed(
                "a compact JWS has three parts separated by `.`",
            )),
        }
    }

    /// Step 2. The header is read only to pick the key and to refuse what
    /// is not allowed; strict JSON, as every part.
    fn header(&self) -> Result<Header, VerifyError> {
        strict_json(&part(self.header, "header")?, "the header")
    }

    /// Step 4. `verify_strict` over the exact bytes received (RFC 7515
    /// section 5.2: the signing input is the text as sent, never a
    /// re-encoding): canonical `S` and no small-order `R` or key, so that a
    /// signature cannot be re-spelled into a second valid one.
    fn verify_signature(
        &self,
        kid: &str,
        key: &VerifyingKey,
    ) -> Result<SignedPayload, VerifyError> {
        let bad = || VerifyError::BadSignature {
            kid: kid.to_string(),
        };
        let sig = <[u8; 64]>::try_from(part(self.signature, "signature")?).map_err(|_| bad())?;
        let input = &self.token.as_bytes()[..self.header.len() + 1 + self.payload.len()];
        key.verify_strict(input, &Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        Ok(SignedPayload(part(self.payload, "payload")?))
    }
}

impl SignedPayload {
    /// Step 5. Only now is the payload parsed, strictly.
    fn read<T: DeserializeOwned>(&self, what: &str) -> Result<T, VerifyError> {
        strict_json(&self.0, what)
    }
}

/// Verifies an Ed25519 signature strictly (`verify_strict`), for tools and
/// tests that hold raw bytes.
pub fn verify_ed25519(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (
        <[u8; 32]>::try_from(public_key),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    VerifyingKey::from_bytes(&pk).is_ok_and(|key| {
        key.verify_strict(message, &Signature::from_bytes(&sig))
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_reads_from_a_bare_jwk_and_from_keygen_output() {
        let key = PrivateKey::from_seed(&[5; 32], Some("k5"));
        let bare = key.to_private_jwk().to_string();
        let keygen = serde_json::json!({"private": key.to_private_jwk(), "jwks": key.to_jwks()});
        for text in [bare.clone(), keygen.to_string(), format!("\n  {bare}\n")] {
            let read = PrivateKey::from_json_text(&text).unwrap();
            assert_eq!(read.kid(), "k5");
            assert_eq!(read.verifying_key(), key.verifying_key());
        }
    }

    #[test]
    fn a_private_key_whose_x_is_not_its_d_or_without_d_is_refused() {
        let a = PrivateKey::from_seed(&[5; 32], Some("k"));
        let b = PrivateKey::from_seed(&[6; 32], Some("k"));
        let mut jwk = a.to_private_jwk();
        jwk["x"] = b.to_public_jwk()["x"].clone();
        let e = PrivateKey::from_json_text(&jwk.to_string()).unwrap_err();
        assert_eq!((e.code(), e.to_string().contains("`k`")), ("bad_key", true));
        let e = PrivateKey::from_json_text(&a.to_public_jwk().to_string()).unwrap_err();
        assert!(matches!(e, KeyError::NoPrivatePart { .. }), "{e}");
    }

    #[test]
    fn a_private_key_never_shows_its_secret_in_debug_output() {
        let key = PrivateKey::from_seed(&[5; 32], Some("k5"));
        let d = key.to_private_jwk()["d"].as_str().unwrap().to_string();
        let debug = format!("{key:?}");
        assert!(debug.contains("k5") && !debug.contains(&d), "{debug}");
    }

    #[test]
    fn a_key_published_under_ed25519_says_so_and_reads_back_so() {
        let key = PrivateKey::from_seed(&[5; 32], Some("k")).with_alg(Alg::Ed25519);
        assert_eq!(key.to_jwks()["keys"][0]["alg"], "Ed25519");
        let back = PrivateKey::from_json_text(&key.to_private_jwk().to_string()).unwrap();
        assert_eq!(back.alg(), Alg::Ed25519);
        let default = PrivateKey::from_json_text(
            &PrivateKey::from_seed(&[5; 32], None)
                .to_private_jwk()
                .to_string(),
        )
        .unwrap();
        assert_eq!(default.alg(), Alg::EdDsa);
    }

    #[test]
    fn keys_publish_alg_eddsa_and_a_jwks_never_holds_d() {
        let key = PrivateKey::from_seed(&[5; 32], None);
        let jwks = key.to_jwks();
        assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
        assert!(jwks["keys"][0].get("d").is_none());
        assert_eq!(key.kid(), thumbprint(key.verifying_key()));
        let with_d = serde_json::json!({"keys": [key.to_private_jwk()]});
        assert_eq!(
            Jwks::from_json_text(&with_d.to_string()).unwrap_err(),
            KeyError::PrivateKeyInJwks { index: 0 }
        );
    }
}
