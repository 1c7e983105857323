//! Compact JWS with Ed25519 (RFC 7515, RFC 8037): signing snapshots, and
//! verifying tokens against a JWKS.
//!
//! Verification follows RFC 8725 and refuses before it trusts: the size is
//! bounded first; the header is read only to pick the key (`alg` must be
//! `Ed25519` or `EdDSA`, never `none` or an HMAC; a key carried in the token
//! itself, `jwk`/`jku`/`x5u`/`x5c`, is refused; any `crit` is refused); the
//! signature is verified with `verify_strict` over the exact bytes received;
//! only then is the payload parsed, with duplicate keys refused.

use super::{Snapshot, CLAIM};
use crate::b64;
use crate::engine::Model;
use crate::error::codes;
use crate::json::Json;
use crate::time::Millis;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The `typ` header of a permsnap token.
pub const TYP: &str = "permsnap+jwt";

/// The largest token accepted unless [`VerifyOptions::max_len`] says otherwise.
pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

codes! {
    /// Why a token, key or JWKS was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TokenErrorKind {
        /// not a compact JWS, or its header, payload or snapshot is not what permsnap writes
        Malformed = "malformed",
        /// longer than the size limit
        TooLarge = "too_large",
        /// the signature does not verify with the key its `kid` names
        BadSignature = "bad_signature",
        /// no key of the JWKS has the token's `kid`
        UnknownKey = "unknown_key",
        /// `alg` is not `Ed25519` or `EdDSA`
        AlgNotAllowed = "alg_not_allowed",
        /// `typ` is not `permsnap+jwt`
        TypMismatch = "typ_mismatch",
        /// the header has `crit`
        CritUnsupported = "crit_unsupported",
        /// the header carries or points to a key (`jwk`, `jku`, `x5u`, `x5c`)
        KeyInHeader = "key_in_header",
        /// at or after `exp`
        Expired = "expired",
        /// before `nbf` or `iat`
        NotYetValid = "not_yet_valid",
        /// `aud` does not name the expected audience
        WrongAudience = "wrong_audience",
        /// `iss` is not the expected issuer
        WrongIssuer = "wrong_issuer",
        /// the snapshot version is not one this build reads
        UnsupportedVersion = "unsupported_version",
        /// the JWKS is not a JWKS of Ed25519 public keys
        BadJwks = "bad_jwks",
        /// a key is not an Ed25519 JWK
        BadKey = "bad_key",
        /// the directory has no such user (issuing)
        UnknownUser = "unknown_user",
    }
}

/// A refused token, key or JWKS: a stable code and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// the kind, whose code is stable
    pub kind: TokenErrorKind,
    /// what was wrong
    pub message: String,
}

impl TokenError {
    /// A new error.
    pub fn new(kind: TokenErrorKind, message: impl Into<String>) -> Self {
        TokenError {
            kind,
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.kind.code())
    }
}

impl std::error::Error for TokenError {}

use TokenErrorKind as T;

fn err<X>(kind: TokenErrorKind, message: impl Into<String>) -> Result<X, TokenError> {
    Err(TokenError::new(kind, message))
}

/// Verifies an Ed25519 signature strictly (RFC 8032 with canonical `S`, and
/// no small-order `R` or key): `verify_strict`, so that a signature cannot be
/// re-spelled into a second valid one (malleability) and a weak key cannot
/// make one signature valid for many messages.
pub fn verify_ed25519(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (
        <[u8; 32]>::try_from(public_key),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    match VerifyingKey::from_bytes(&pk) {
        Ok(key) => key
            .verify_strict(message, &Signature::from_bytes(&sig))
            .is_ok(),
        Err(_) => false,
    }
}

/// A JWKS of Ed25519 public keys, looked up by `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<(String, VerifyingKey)>,
}

fn b64_field<const N: usize>(
    key: &Json,
    name: &str,
    kind: TokenErrorKind,
) -> Result<[u8; N], TokenError> {
    let text = key.get(name).and_then(Json::as_str).ok_or_else(|| {
        TokenError::new(kind, crate::text::cat(&["the key has no `", &*name, "`"]))
    })?;
    b64::decode(text)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| {
            TokenError::new(
                kind,
                crate::text::cat(&["`", name, "` is not the right number of bytes of base64url"]),
            )
        })
}

fn okp_ed25519(key: &Json, kind: TokenErrorKind) -> Result<(String, VerifyingKey), TokenError> {
    if key.get("kty").and_then(Json::as_str) != Some("OKP")
        || key.get("crv").and_then(Json::as_str) != Some("Ed25519")
    {
        return err(kind, "not an Ed25519 key (`kty` `OKP`, `crv` `Ed25519`)");
    }
    if let Some(alg) = key.get("alg") {
        if !matches!(alg.as_str(), Some("EdDSA" | "Ed25519")) {
            return err(kind, "key `alg` is not `EdDSA` or `Ed25519`");
        }
    }
    if let Some(u) = key.get("use") {
        if u.as_str() != Some("sig") {
            return err(kind, "key `use` is not `sig`");
        }
    }
    let kid = key
        .get("kid")
        .and_then(Json::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| TokenError::new(kind, "the key has no `kid`"))?;
    let x: [u8; 32] = b64_field(key, "x", kind)?;
    let vk = VerifyingKey::from_bytes(&x).map_err(|_| {
        TokenError::new(
            kind,
            crate::text::cat(&["key `", &*kid, "`: `x` is not an Ed25519 point"]),
        )
    })?;
    if vk.is_weak() {
        return err(
            kind,
            crate::text::cat(&["key `", kid, "` is a small-order point"]),
        );
    }
    Ok((kid.to_string(), vk))
}

impl Jwks {
    /// Reads a JWKS (`{"keys": [...]}`) of Ed25519 public keys. Keys of other
    /// types are left out (they could never verify a permsnap token); a
    /// private key (`d`) in a public JWKS, a duplicate `kid`, or no Ed25519
    /// key at all is refused.
    pub fn from_json_text(text: &str) -> Result<Jwks, TokenError> {
        let json = Json::parse(text).map_err(|e| {
            TokenError::new(
                T::BadJwks,
                crate::text::cat(&["the JWKS is not JSON: ", &e.message]),
            )
        })?;
        let list = json
            .get("keys")
            .and_then(Json::as_arr)
            .ok_or_else(|| TokenError::new(T::BadJwks, "a JWKS is `{\"keys\": [...]}`"))?;
        let mut keys: Vec<(String, VerifyingKey)> = Vec::new();
        for k in list {
            if k.get("d").is_some() {
                return err(
                    T::BadJwks,
                    "the JWKS holds a private key (`d`): publish only public keys",
                );
            }
            if k.get("kty").and_then(Json::as_str) != Some("OKP")
                || k.get("crv").and_then(Json::as_str) != Some("Ed25519")
            {
                continue;
            }
            let (kid, vk) = okp_ed25519(k, T::BadJwks)?;
            if keys.iter().any(|(k, _)| *k == kid) {
                return err(
                    T::BadJwks,
                    crate::text::cat(&["the JWKS has two keys with `kid` `", &*kid, "`"]),
                );
            }
            keys.push((kid, vk));
        }
        if keys.is_empty() {
            return err(T::BadJwks, "the JWKS has no Ed25519 key");
        }
        Ok(Jwks { keys })
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

/// An Ed25519 signing key with its `kid`.
pub struct PrivateKey {
    kid: String,
    key: SigningKey,
}

impl PrivateKey {
    /// A key from a 32-byte seed; `kid` defaults to the RFC 7638 thumbprint.
    pub fn from_seed(seed: &[u8; 32], kid: Option<&str>) -> PrivateKey {
        let key = SigningKey::from_bytes(seed);
        let kid = kid.map_or_else(|| thumbprint(&key.verifying_key()), str::to_string);
        PrivateKey { kid, key }
    }

    /// Reads a private JWK (`kty` `OKP`, `crv` `Ed25519`, `x`, `d`, `kid`).
    pub fn from_json_text(text: &str) -> Result<PrivateKey, TokenError> {
        let json = Json::parse(text).map_err(|e| {
            TokenError::new(
                T::BadKey,
                crate::text::cat(&["the key is not JSON: ", &e.message]),
            )
        })?;
        let (kid, public) = okp_ed25519(&json, T::BadKey)?;
        let d: [u8; 32] = b64_field(&json, "d", T::BadKey)?;
        let key = SigningKey::from_bytes(&d);
        if key.verifying_key() != public {
            return err(
                T::BadKey,
                crate::text::cat(&["key `", &*kid, "`: `x` is not the public key of `d`"]),
            );
        }
        Ok(PrivateKey { kid, key })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn public_fields(&self) -> Vec<(String, Json)> {
        let s = |v: &str| Json::Str(v.to_string());
        vec![
            ("kty".into(), s("OKP")),
            ("crv".into(), s("Ed25519")),
            (
                "x".into(),
                Json::Str(b64::encode(self.key.verifying_key().as_bytes())),
            ),
            ("kid".into(), s(&self.kid)),
            ("alg".into(), s("Ed25519")),
            ("use".into(), s("sig")),
        ]
    }

    /// The private JWK (keep it secret).
    pub fn to_private_jwk(&self) -> Json {
        let mut f = self.public_fields();
        f.insert(3, ("d".into(), Json::Str(b64::encode(self.key.as_bytes()))));
        Json::Obj(f)
    }

    /// A JWKS holding the public half.
    pub fn to_jwks(&self) -> Json {
        Json::Obj(vec![(
            "keys".into(),
            Json::Arr(vec![Json::Obj(self.public_fields())]),
        )])
    }

    /// Signs `claims` as a compact JWS with `alg` `Ed25519` and `typ` `permsnap+jwt`.
    pub fn sign(&self, claims: &Json) -> String {
        let header = Json::Obj(vec![
            ("alg".into(), Json::Str("Ed25519".into())),
            ("typ".into(), Json::Str(TYP.into())),
            ("kid".into(), Json::Str(self.kid.clone())),
        ]);
        let mut token = b64::encode(header.to_text().as_bytes());
        token.push('.');
        token.push_str(&b64::encode(claims.to_text().as_bytes()));
        let sig = self.key.sign(token.as_bytes());
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

/// Issues the signed snapshot of `user` at `now`.
pub fn issue(
    model: &Model,
    user: &str,
    now: Millis,
    opts: &super::IssueOptions,
    key: &PrivateKey,
) -> Result<String, TokenError> {
    let snap = super::compile(model, user, now, opts.ttl_secs).ok_or_else(|| {
        TokenError::new(
            T::UnknownUser,
            crate::text::cat(&["user `", &*user, "` is not in the directory"]),
        )
    })?;
    Ok(key.sign(&claims_for(&snap, now, opts)))
}

/// The JWT claims around a snapshot: `iss`, `sub`, `aud`, `iat`, `exp`, `jti`, `psnap`.
pub fn claims_for(snap: &Snapshot, now: Millis, opts: &super::IssueOptions) -> Json {
    let claim = snap.to_claim();
    let iat = now.div_euclid(1000);
    // NumericDate may be fractional (RFC 7519 section 2): keep milliseconds.
    let exp = Json::Num(snap.expires_at as f64 / 1000.0);
    let digest = Sha256::digest(
        format!(
            "{}|{iat}|{}|{}",
            snap.subject,
            snap.expires_at,
            claim.to_text()
        )
        .as_bytes(),
    );
    let n = |x: i64| Json::Num(x as f64);
    Json::Obj(vec![
        ("iss".into(), Json::Str(opts.issuer.clone())),
        ("sub".into(), Json::Str(snap.subject.clone())),
        ("aud".into(), Json::Str(opts.audience.clone())),
        ("iat".into(), n(iat)),
        ("exp".into(), exp),
        ("jti".into(), Json::Str(b64::encode(&digest[..12]))),
        (CLAIM.into(), claim),
    ])
}

/// What a verifier expects of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// the audience that `aud` must name
    pub audience: String,
    /// the issuer `iss` must be, if set
    pub issuer: Option<String>,
    /// clock skew allowed on `exp`, `nbf` and `iat`, in seconds
    pub leeway_secs: i64,
    /// the verifier's time, milliseconds since the epoch
    pub now: Millis,
    /// the longest token accepted, in bytes
    pub max_len: usize,
}

impl VerifyOptions {
    /// Options for `audience` at `now`, no issuer check, no leeway, the default size limit.
    pub fn new(audience: &str, now: Millis) -> Self {
        VerifyOptions {
            audience: audience.to_string(),
            issuer: None,
            leeway_secs: 0,
            now,
            max_len: DEFAULT_MAX_LEN,
        }
    }
}

/// The registered claims of a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `iss`
    pub iss: Option<String>,
    /// `sub`: the user the snapshot is for
    pub sub: String,
    /// `aud`
    pub aud: Vec<String>,
    /// `iat`, whole seconds
    pub iat: Option<i64>,
    /// `exp`, whole seconds (the snapshot keeps milliseconds)
    pub exp: i64,
    /// `nbf`, seconds
    pub nbf: Option<i64>,
    /// `jti`
    pub jti: Option<String>,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// the key that signed it
    pub kid: String,
    /// its claims
    pub claims: Claims,
    /// the snapshot, ready to answer checks
    pub snapshot: Snapshot,
}

fn part(text: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    b64::decode(text).ok_or_else(|| {
        TokenError::new(
            T::Malformed,
            crate::text::cat(&["the ", &*what, " is not base64url without padding"]),
        )
    })
}

/// A NumericDate claim in milliseconds.
fn millis(v: Option<&Json>, name: &str) -> Result<Option<i64>, TokenError> {
    match v {
        None => Ok(None),
        Some(Json::Num(n)) if n.is_finite() && n.abs() < 1e12 => {
            Ok(Some((n * 1000.0).round() as i64))
        }
        Some(_) => err(
            T::Malformed,
            crate::text::cat(&["`", name, "` is not a number of seconds"]),
        ),
    }
}

/// Verifies `token` against `jwks` and `opts` and reads its snapshot.
pub fn verify(token: &str, jwks: &Jwks, opts: &VerifyOptions) -> Result<Verified, TokenError> {
    if token.len() > opts.max_len {
        return err(T::TooLarge, "the token is longer than the size limit");
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return err(
            T::Malformed,
            "a compact JWS has three parts separated by `.`",
        );
    };
    let header_bytes = part(h, "header")?;
    let header_text = std::str::from_utf8(&header_bytes)
        .map_err(|_| TokenError::new(T::Malformed, "the header is not UTF-8"))?;
    let header = Json::parse(header_text).map_err(|e| {
        TokenError::new(
            T::Malformed,
            crate::text::cat(&["the header is not JSON: ", &e.message]),
        )
    })?;
    if !matches!(header, Json::Obj(_)) {
        return err(T::Malformed, "the header is not a JSON object");
    }
    for k in ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"] {
        if header.get(k).is_some() {
            return err(
                T::KeyInHeader,
                crate::text::cat(&["the header carries `", k, "`; keys come only from the JWKS"]),
            );
        }
    }
    match header.get("alg").and_then(Json::as_str) {
        Some("Ed25519" | "EdDSA") => {}
        Some(alg) => {
            return err(
                T::AlgNotAllowed,
                crate::text::cat(&[
                    "`alg` `",
                    alg,
                    "` is not allowed; only `Ed25519` (or `EdDSA`)",
                ]),
            )
        }
        None => return err(T::AlgNotAllowed, "the header has no `alg`"),
    }
    if header.get("crit").is_some() {
        return err(
            T::CritUnsupported,
            "the header has `crit`; permsnap understands no critical extension",
        );
    }
    match header.get("typ").and_then(Json::as_str) {
        // RFC 7515 section 4.1.9: media types compare case-insensitively and
        // `application/` may be left out.
        Some(t)
            if t.eq_ignore_ascii_case(TYP)
                || t.eq_ignore_ascii_case("application/permsnap+jwt") => {}
        Some(t) => {
            return err(
                T::TypMismatch,
                crate::text::cat(&["`typ` `", t, "` is not `", TYP, "`"]),
            )
        }
        None => {
            return err(
                T::TypMismatch,
                crate::text::cat(&["the header has no `typ` (`", TYP, "`)"]),
            )
        }
    }
    let kid = header
        .get("kid")
        .and_then(Json::as_str)
        .ok_or_else(|| TokenError::new(T::UnknownKey, "the header has no `kid`"))?;
    let key = jwks.get(kid).ok_or_else(|| {
        TokenError::new(
            T::UnknownKey,
            crate::text::cat(&["no key `", &*kid, "` in the JWKS"]),
        )
    })?;
    let sig = part(s, "signature")?;
    let sig: [u8; 64] = sig
        .try_into()
        .map_err(|_| TokenError::new(T::BadSignature, "the signature is not 64 bytes"))?;
    let signed = &token.as_bytes()[..h.len() + 1 + p.len()];
    if key
        .verify_strict(signed, &Signature::from_bytes(&sig))
        .is_err()
    {
        return err(
            T::BadSignature,
            crate::text::cat(&["the signature does not verify with key `", kid, "`"]),
        );
    }
    // Only now is the payload read.
    let payload_bytes = part(p, "payload")?;
    let payload_text = std::str::from_utf8(&payload_bytes)
        .map_err(|_| TokenError::new(T::Malformed, "the payload is not UTF-8"))?;
    let payload = Json::parse(payload_text).map_err(|e| {
        TokenError::new(
            T::Malformed,
            crate::text::cat(&["the payload is not JSON: ", &e.message]),
        )
    })?;
    if !matches!(payload, Json::Obj(_)) {
        return err(T::Malformed, "the payload is not a JSON object");
    }
    let text_claim = |name: &str| match payload.get(name) {
        None => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s.clone())),
        Some(_) => err(
            T::Malformed,
            crate::text::cat(&["`", name, "` is not a string"]),
        ),
    };
    let iss = text_claim("iss")?;
    let sub = text_claim("sub")?
        .ok_or_else(|| TokenError::new(T::Malformed, "the token has no `sub`"))?;
    let jti = text_claim("jti")?;
    let aud = match payload.get("aud") {
        Some(Json::Str(a)) => vec![a.clone()],
        Some(Json::Arr(list)) => list
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| TokenError::new(T::Malformed, "`aud` holds a non-string"))
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(_) => return err(T::Malformed, "`aud` is not a string or a list"),
    };
    let exp = millis(payload.get("exp"), "exp")?
        .ok_or_else(|| TokenError::new(T::Malformed, "the token has no `exp`"))?;
    let iat = millis(payload.get("iat"), "iat")?;
    let nbf = millis(payload.get("nbf"), "nbf")?;
    let now = opts.now;
    let leeway = opts.leeway_secs.clamp(0, 86_400) * 1000;
    if let Some(want) = &opts.issuer {
        if iss.as_deref() != Some(want.as_str()) {
            return err(
                T::WrongIssuer,
                crate::text::cat(&[
                    "`iss` is `",
                    iss.as_deref().unwrap_or(""),
                    "`, not `",
                    want,
                    "`",
                ]),
            );
        }
    }
    if !aud.contains(&opts.audience) {
        return err(
            T::WrongAudience,
            crate::text::cat(&["`aud` does not name `", &opts.audience, "`"]),
        );
    }
    if now >= exp.saturating_add(leeway) {
        return err(T::Expired, "the token has expired");
    }
    for (name, t) in [("nbf", nbf), ("iat", iat)] {
        if let Some(t) = t {
            if t > now.saturating_add(leeway) {
                return err(
                    T::NotYetValid,
                    crate::text::cat(&["`", name, "` is in the future"]),
                );
            }
        }
    }
    let claim = payload.get(CLAIM).ok_or_else(|| {
        TokenError::new(
            T::Malformed,
            crate::text::cat(&["the token has no `", CLAIM, "` claim"]),
        )
    })?;
    // The leeway only lets a token be accepted despite clock skew; checks
    // still deny from `exp` on, as the server does once `expires_at` passes.
    let snapshot =
        Snapshot::from_claim(claim, &sub, exp).map_err(|e| TokenError::new(e.kind, e.message))?;
    let secs = |ms: i64| ms.div_euclid(1000);
    let claims = Claims {
        iss,
        sub,
        aud,
        iat: iat.map(secs),
        exp: secs(exp),
        nbf: nbf.map(secs),
        jti,
    };
    Ok(Verified {
        kid: kid.to_string(),
        claims,
        snapshot,
    })
}
