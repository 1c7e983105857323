//! The parts of a token both verifiers read: the JWS header and the JWT
//! claims, with the rules each must pass (RFC 7515, RFC 7519, RFC 8725).
//! The native verifier and the browser package call these same checks; how
//! the bytes are split, decoded and signature-checked is each room's own.

use super::claim::VersionProbe;
use crate::core::error::VerifyError;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The `typ` of a permsnap token.
pub const TYP: &str = "permsnap+jwt";

/// The `alg` the issuer writes by default (RFC 8037; every JWT library reads it).
pub const ALG_EDDSA: &str = "EdDSA";

/// The `alg` of RFC 9864, written on request and accepted.
pub const ALG_ED25519: &str = "Ed25519";

/// Whether a header parameter is present, whatever its value (even `null`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// A JWS header, as far as permsnap reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct Header {
    /// `alg`
    #[serde(default)]
    pub alg: Option<String>,
    /// `typ`
    #[serde(default)]
    pub typ: Option<String>,
    /// `kid`
    #[serde(default)]
    pub kid: Option<String>,
    /// `crit`
    #[serde(default)]
    pub crit: Present,
    /// `jwk`
    #[serde(default)]
    pub jwk: Present,
    /// `jku`
    #[serde(default)]
    pub jku: Present,
    /// `x5u`
    #[serde(default)]
    pub x5u: Present,
    /// `x5c`
    #[serde(default)]
    pub x5c: Present,
    /// `x5t`
    #[serde(default)]
    pub x5t: Present,
    /// `x5t#S256`
    #[serde(default, rename = "x5t#S256")]
    pub x5t_s256: Present,
}

impl Header {
    /// The header rules, in order; the `kid` to look the key up by.
    ///
    /// 1. no key in the header (`jwk`, `jku`, `x5u`, `x5c`, `x5t`,
    ///    `x5t#S256`): RFC 8725 section 3.1 says never trust a key the token
    ///    brings; keys come only from the verifier's JWKS;
    /// 2. `alg` is `EdDSA` or `Ed25519`: the algorithm is fixed by the
    ///    verifier, never chosen by the token (RFC 8725 section 3.1: no
    ///    `none`, no HMAC keyed with a public key);
    /// 3. no `crit`: an extension the verifier does not know must fail
    ///    (RFC 7515 section 4.1.11), and none is known;
    /// 4. `typ` is `permsnap+jwt` (RFC 8725 section 3.11: explicit typing,
    ///    so another kind of JWT signed by the same key is not taken for a
    ///    snapshot); media types compare case-insensitively and
    ///    `application/` may be left out (RFC 7515 section 4.1.9);
    /// 5. a `kid`.
    pub fn check(&self) -> Result<&str, VerifyError> {
        let carried = [
            ("jwk", self.jwk),
            ("jku", self.jku),
            ("x5u", self.x5u),
            ("x5c", self.x5c),
            ("x5t", self.x5t),
            ("x5t#S256", self.x5t_s256),
        ];
        if let Some((param, _)) = carried.iter().find(|(_, p)| p.0) {
            return Err(VerifyError::KeyInHeader { param });
        }
        match self.alg.as_deref() {
            Some(ALG_EDDSA | ALG_ED25519) => {}
            _ => {
                return Err(VerifyError::AlgNotAllowed {
                    alg: self.alg.clone(),
                })
            }
        }
        if self.crit.0 {
            return Err(VerifyError::CritUnsupported);
        }
        match self.typ.as_deref() {
            Some(t)
                if t.eq_ignore_ascii_case(TYP)
                    || t.eq_ignore_ascii_case("application/permsnap+jwt") => {}
            _ => {
                return Err(VerifyError::TypMismatch {
                    typ: self.typ.clone(),
                })
            }
        }
        self.kid
            .as_deref()
            .ok_or(VerifyError::UnknownKey { kid: None })
    }
}

/// A NumericDate (RFC 7519 section 2): seconds since the epoch, possibly
/// fractional when another issuer wrote it; kept in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NumericDate(pub i64);

impl NumericDate {
    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded down).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NumericDate;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of seconds since the epoch")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
        if v.is_finite() && v.abs() < 1e12 {
            // rounded half away from zero (`f64::round`, which needs std):
            // exact, as milliseconds below 10^15 are far below 2^52
            let ms = (v.abs() * 1000.0 + 0.5) as i64;
            Ok(NumericDate(if v < 0.0 { -ms } else { ms }))
        } else {
            Err(E::custom("a date out of range"))
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
        self.visit_f64(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
        self.visit_f64(v as f64)
    }
}

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DateVisitor)
    }
}

/// `aud`: one audience or a list (RFC 7519 section 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// one audience
    One(String),
    /// several
    Many(Vec<String>),
}

struct AudienceVisitor;

impl<'de> Visitor<'de> for AudienceVisitor {
    type Value = Audience;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
        Ok(Audience::One(v.to_string()))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
        let mut list = Vec::new();
        while let Some(a) = seq.next_element::<String>()? {
            list.push(a);
        }
        Ok(Audience::Many(list))
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AudienceVisitor)
    }
}

impl Audience {
    /// Whether it names `audience`.
    pub fn names(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(list) => list.iter().any(|a| a == audience),
        }
    }

    /// The audiences, as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Audience::One(a) => vec![a.clone()],
            Audience::Many(list) => list.clone(),
        }
    }
}

/// The registered claims of a token, and the version of its snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct Claims {
    /// `iss`
    #[serde(default)]
    pub iss: Option<String>,
    /// `sub`: the user the snapshot is for
    pub sub: String,
    /// `aud`
    #[serde(default)]
    pub aud: Option<Audience>,
    /// `iat`
    #[serde(default)]
    pub iat: Option<NumericDate>,
    /// `exp`
    pub exp: NumericDate,
    /// `nbf`
    #[serde(default)]
    pub nbf: Option<NumericDate>,
    /// `jti`
    #[serde(default)]
    pub jti: Option<String>,
    /// `tid`: the tenant the token was issued in (a server with tenants writes it)
    #[serde(default)]
    pub tid: Option<String>,
    /// the snapshot claim's version (the claim itself is read after the checks)
    pub psnap: VersionProbe,
}

/// What a verifier expects of a token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// the audience that `aud` must name
    pub audience: String,
    /// the issuer `iss` must be, if set
    pub issuer: Option<String>,
    /// the tenant `tid` must be, if set
    pub tenant: Option<String>,
    /// the verifier's time, milliseconds since the epoch
    pub now: i64,
    /// seconds by which `exp` may be passed and `nbf`/`iat` be ahead
    /// (clamped to one day); checks still deny from `exp` on
    pub leeway_secs: i64,
    /// seconds by which only `nbf`/`iat` may be ahead: the issuer's clock
    /// may run ahead of the verifier's (clamped to one day); `exp` is never
    /// extended by it
    pub max_clock_skew_secs: i64,
}

/// The longest leeway or clock skew accepted: one day.
pub const MAX_LEEWAY_SECS: i64 = 86_400;

impl Claims {
    /// The claim rules, in order:
    ///
    /// 1. `iss` when an issuer is expected (RFC 8725 section 3.8: a key may
    ///    serve several issuers);
    /// 2. `tid` when a tenant is expected: one issuer (one key) signs for
    ///    every tenant of a server, so a token of another tenant must not be
    ///    taken here;
    /// 3. `aud` names the audience (RFC 8725 section 3.9: a token for
    ///    another service must not be replayed here);
    /// 4. before `exp` (plus the leeway);
    /// 5. not before `nbf` or `iat` (less the leeway and the clock skew);
    /// 6. a snapshot version this build reads.
    pub fn check(&self, rules: &ClaimRules) -> Result<(), VerifyError> {
        if let Some(expected) = &rules.issuer {
            if self.iss.as_deref() != Some(expected.as_str()) {
                return Err(VerifyError::WrongIssuer {
                    expected: expected.clone(),
                    found: self.iss.clone(),
                });
            }
        }
        if let Some(expected) = &rules.tenant {
            if self.tid.as_deref() != Some(expected.as_str()) {
                return Err(VerifyError::WrongTenant {
                    expected: expected.clone(),
                    found: self.tid.clone(),
                });
            }
        }
        if !self.aud.as_ref().is_some_and(|a| a.names(&rules.audience)) {
            return Err(VerifyError::WrongAudience {
                expected: rules.audience.clone(),
            });
        }
        let ms = |secs: i64| secs.clamp(0, MAX_LEEWAY_SECS) * 1000;
        let leeway = ms(rules.leeway_secs);
        if rules.now >= self.exp.millis().saturating_add(leeway) {
            return Err(VerifyError::Expired {
                exp: self.exp.secs(),
            });
        }
        let ahead = leeway.max(ms(rules.max_clock_skew_secs));
        for (claim, date) in [("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(t) = date {
                if t.millis() > rules.now.saturating_add(ahead) {
                    return Err(VerifyError::NotYetValid {
                        claim,
                        at: t.secs(),
                    });
                }
            }
        }
        if self.psnap.v != super::VERSION {
            return Err(VerifyError::UnsupportedVersion {
                version: self.psnap.v,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(alg: &str, typ: Option<&str>, kid: Option<&str>) -> Header {
        Header {
            alg: Some(alg.into()),
            typ: typ.map(str::to_string),
            kid: kid.map(str::to_string),
            ..Header::default()
        }
    }

    #[test]
    fn the_header_rules_refuse_in_order_and_return_the_kid() {
        assert_eq!(header("EdDSA", Some(TYP), Some("k")).check(), Ok("k"));
        assert_eq!(
            header("Ed25519", Some("Application/Permsnap+JWT"), Some("k")).check(),
            Ok("k")
        );
        let code = |h: Header| h.check().unwrap_err().code();
        assert_eq!(
            code(header("none", Some(TYP), Some("k"))),
            "alg_not_allowed"
        );
        assert_eq!(
            code(header("HS256", Some(TYP), Some("k"))),
            "alg_not_allowed"
        );
        assert_eq!(
            code(header("EdDSA", Some("JWT"), Some("k"))),
            "typ_mismatch"
        );
        assert_eq!(code(header("EdDSA", None, Some("k"))), "typ_mismatch");
        assert_eq!(code(header("EdDSA", Some(TYP), None)), "unknown_key");
        let mut h = header("none", None, None);
        h.jku = Present(true);
        assert_eq!(code(h.clone()), "key_in_header");
        let mut h = header("EdDSA", Some(TYP), Some("k"));
        h.crit = Present(true);
        assert_eq!(code(h), "crit_unsupported");
    }

    fn claims(exp_secs: i64) -> Claims {
        Claims {
            iss: Some("permsnap".into()),
            sub: "u1".into(),
            aud: Some(Audience::Many(vec!["other".into(), "backoffice".into()])),
            iat: Some(NumericDate(1_000_000)),
            exp: NumericDate(exp_secs * 1000),
            nbf: None,
            jti: None,
            tid: Some("acme".into()),
            psnap: VersionProbe {
                v: super::super::VERSION,
            },
        }
    }

    fn rules(now: i64) -> ClaimRules {
        ClaimRules {
            audience: "backoffice".into(),
            issuer: Some("permsnap".into()),
            tenant: None,
            now,
            leeway_secs: 0,
            max_clock_skew_secs: 0,
        }
    }

    #[test]
    fn the_claim_rules_check_issuer_audience_expiry_and_times_ahead() {
        let c = claims(2_000);
        assert!(c.check(&rules(1_000_000)).is_ok());
        assert_eq!(c.check(&rules(2_000_000)).unwrap_err().code(), "expired");
        let mut leeway = rules(2_000_000);
        leeway.leeway_secs = 5;
        assert!(c.check(&leeway).is_ok());
        let mut other = rules(1_000_000);
        other.audience = "shop".into();
        assert_eq!(c.check(&other).unwrap_err().code(), "wrong_audience");
        let mut other = rules(1_000_000);
        other.issuer = Some("someone".into());
        assert_eq!(c.check(&other).unwrap_err().code(), "wrong_issuer");
        // issued 3 s ahead of the verifier's clock: refused without skew,
        // accepted with it; the skew never extends `exp`
        assert_eq!(
            c.check(&rules(997_000)).unwrap_err().code(),
            "not_yet_valid"
        );
        let mut skew = rules(997_000);
        skew.max_clock_skew_secs = 60;
        assert!(c.check(&skew).is_ok());
        let mut skew = rules(2_000_000);
        skew.max_clock_skew_secs = 60;
        assert_eq!(c.check(&skew).unwrap_err().code(), "expired");
        let mut tenant = rules(1_000_000);
        tenant.tenant = Some("acme".into());
        assert!(c.check(&tenant).is_ok());
        tenant.tenant = Some("globex".into());
        assert_eq!(c.check(&tenant).unwrap_err().code(), "wrong_tenant");
        let mut no_tid = claims(2_000);
        no_tid.tid = None;
        assert!(
            no_tid.check(&rules(1_000_000)).is_ok(),
            "unchecked when no tenant is expected"
        );
        assert_eq!(no_tid.check(&tenant).unwrap_err().code(), "wrong_tenant");
        let mut v1 = claims(2_000);
        v1.psnap.v = 1;
        assert_eq!(
            v1.check(&rules(1_000_000)).unwrap_err().code(),
            "unsupported_version"
        );
    }
}

crate::core::error::map_only!(Header, Claims);
