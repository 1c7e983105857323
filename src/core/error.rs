//! The browser core's errors: refusing a token ([`VerifyError`]) and
//! refusing a key or key set ([`KeyError`]). Each variant carries the
//! offending values; [`code`](VerifyError::code) is the stable string that
//! Rust, the CLI, HTTP answers and JavaScript errors share, and the message
//! is built from the values in `Display`.
//!
//! This module is browser core: no native module may be imported here.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

/// Declares a fieldless enum whose variants each have a stable code.
macro_rules! codes {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal,)* }) => {
        $(#[$m])*
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The stable code used in Rust, the CLI's JSON, vector files and JavaScript.
            pub const fn code(self) -> &'static str {
                match self { $($name::$v => $code,)* }
            }
            /// The variant whose [`code`](Self::code) is `code`.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$v),)* _ => None }
            }
        }
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.code())
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct CodeVisitor;
                impl serde::de::Visitor<'_> for CodeVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str(concat!("one of: ", $($code, " ",)*))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_code(v).ok_or_else(|| {
                            E::unknown_variant(v, &[$($code,)*])
                        })
                    }
                }
                d.deserialize_str(CodeVisitor)
            }
        }
    };
}
pub(crate) use codes;

/// Implements `Deserialize` for types whose derive says
/// `#[serde(remote = "Self")]`, accepting a JSON object only: serde's derive
/// also reads a struct from an array, in field order, and no permsnap format
/// is ever written that way (a header `["EdDSA", "permsnap+jwt", "k1"]` or a
/// catalog as a list must be refused, not read by position). The derive's
/// own code stays reachable as the inherent `Type::deserialize`: call the
/// trait (`<Type as Deserialize>::deserialize`, or `serde_json::from_str`),
/// never that.
macro_rules! map_only {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct ObjectOnly;
                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $t;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$t, A::Error> {
                        <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(ObjectOnly)
            }
        }
    )*};
}
pub(crate) use map_only;

/// Implements `Serialize` for types whose derive says
/// `#[serde(remote = "Self")]` (see [`map_only`]): the derived code, as is.
macro_rules! serialize_derived {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }
    )*};
}
pub(crate) use serialize_derived;

/// Why a token was refused. Every variant carries what was wrong; the
/// message names it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// not a compact JWS, or a header, payload or snapshot permsnap does not write
    Malformed {
        /// what was wrong, e.g. "the header is not JSON: ..."
        detail: String,
    },
    /// longer than the size limit (checked before anything is parsed)
    TooLarge {
        /// the token's length in bytes
        len: usize,
        /// the limit
        max: usize,
    },
    /// the signature does not verify with the key its `kid` names
    BadSignature {
        /// the key tried
        kid: String,
    },
    /// no key of the JWKS has the token's `kid` (or the header names none)
    UnknownKey {
        /// the `kid` of the header, if any
        kid: Option<String>,
    },
    /// `alg` is not `EdDSA` or `Ed25519`
    AlgNotAllowed {
        /// the header's `alg`, if any
        alg: Option<String>,
    },
    /// `typ` is not `permsnap+jwt`
    TypMismatch {
        /// the header's `typ`, if any
        typ: Option<String>,
    },
    /// the header has `crit`: no critical extension is understood
    CritUnsupported,
    /// the header carries or points to a key (`jwk`, `jku`, `x5u`, `x5c` ...)
    KeyInHeader {
        /// the header parameter
        param: &'static str,
    },
    /// at or after `exp` (plus the leeway)
    Expired {
        /// `exp`, seconds since the epoch
        exp: i64,
    },
    /// before `nbf` or `iat` (less the leeway)
    NotYetValid {
        /// `nbf` or `iat`
        claim: &'static str,
        /// its value, seconds since the epoch
        at: i64,
    },
    /// `aud` does not name the expected audience
    WrongAudience {
        /// the audience expected
        expected: String,
    },
    /// `iss` is not the expected issuer
    WrongIssuer {
        /// the issuer expected
        expected: String,
        /// the token's `iss`, if any
        found: Option<String>,
    },
    /// the snapshot version is not one this build reads
    UnsupportedVersion {
        /// the token's snapshot version
        version: u64,
    },
    /// the token was compiled against another catalog manifest than the one given
    ManifestMismatch {
        /// the hash of the manifest given
        expected: String,
        /// the hash the token names
        found: String,
    },
    /// a tenant is expected and `tid` is absent or another
    WrongTenant {
        /// the tenant expected
        expected: String,
        /// the token's `tid`, if any
        found: Option<String>,
    },
}

impl VerifyError {
    /// Every code a [`VerifyError`] can have, in declaration order.
    pub const CODES: &'static [&'static str] = &[
        "malformed",
        "too_large",
        "bad_signature",
        "unknown_key",
        "alg_not_allowed",
        "typ_mismatch",
        "crit_unsupported",
        "key_in_header",
        "expired",
        "not_yet_valid",
        "wrong_audience",
        "wrong_issuer",
        "unsupported_version",
        "manifest_mismatch",
        "wrong_tenant",
    ];

    /// A `malformed` error.
    pub fn malformed(detail: impl Into<String>) -> Self {
        VerifyError::Malformed {
            detail: detail.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        Self::CODES.get(self.index()).copied().unwrap_or_default()
    }

    /// The index of its code in [`CODES`](Self::CODES) (the browser build
    /// passes refusals to JS as this number).
    pub fn index(&self) -> usize {
        match self {
            VerifyError::Malformed { .. } => 0,
            VerifyError::TooLarge { .. } => 1,
            VerifyError::BadSignature { .. } => 2,
            VerifyError::UnknownKey { .. } => 3,
            VerifyError::AlgNotAllowed { .. } => 4,
            VerifyError::TypMismatch { .. } => 5,
            VerifyError::CritUnsupported => 6,
            VerifyError::KeyInHeader { .. } => 7,
            VerifyError::Expired { .. } => 8,
            VerifyError::NotYetValid { .. } => 9,
            VerifyError::WrongAudience { .. } => 10,
            VerifyError::WrongIssuer { .. } => 11,
            VerifyError::UnsupportedVersion { .. } => 12,
            VerifyError::ManifestMismatch { .. } => 13,
            VerifyError::WrongTenant { .. } => 14,
        }
    }
}

fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed { detail } => f.write_str(detail),
            VerifyError::TooLarge { len, max } => {
                write!(f, "the token has {len} bytes, more than the limit of {max}")
            }
            VerifyError::BadSignature { kid } => {
                write!(f, "the signature does not verify with key `{kid}`")
            }
            VerifyError::UnknownKey { kid: None } => f.write_str("the header has no `kid`"),
            VerifyError::UnknownKey { kid: Some(kid) } => {
                write!(f, "no key `{kid}` in the JWKS")
            }
            VerifyError::AlgNotAllowed { alg: None } => f.write_str("the header has no `alg`"),
            VerifyError::AlgNotAllowed { alg: Some(alg) } => write!(
                f,
                "`alg` `{alg}` is not allowed; only `EdDSA` (or `Ed25519`)"
            ),
            VerifyError::TypMismatch { typ } => match typ {
                None => f.write_str("the header has no `typ` (`permsnap+jwt`)"),
                Some(t) => write!(f, "`typ` `{t}` is not `permsnap+jwt`"),
            },
            VerifyError::CritUnsupported => {
                f.write_str("the header has `crit`; permsnap understands no critical extension")
            }
            VerifyError::KeyInHeader { param } => write!(
                f,
                "the header carries `{param}`; keys come only from the JWKS"
            ),
            VerifyError::Expired { exp } => write!(f, "the token expired at {exp} (`exp`)"),
            VerifyError::NotYetValid { claim, at } => {
                write!(f, "`{claim}` {at} is in the future")
            }
            VerifyError::WrongAudience { expected } => {
                write!(f, "`aud` does not name `{expected}`")
            }
            VerifyError::WrongIssuer { expected, found } => {
                write!(f, "`iss` is `{}`, not `{expected}`", or_none(found))
            }
            VerifyError::UnsupportedVersion { version } => write!(
                f,
                "snapshot version {version} is not supported (this build reads version {})",
                super::SNAPSHOT_VERSION
            ),
            VerifyError::ManifestMismatch { expected, found } => write!(
                f,
                "the token was compiled against catalog manifest `{found}`, not the one given (`{expected}`)"
            ),
            VerifyError::WrongTenant {
                expected,
                found: None,
            } => write!(f, "the token names no tenant (`tid`); expected `{expected}`"),
            VerifyError::WrongTenant {
                expected,
                found: Some(found),
            } => write!(f, "`tid` is `{found}`, not `{expected}`"),
        }
    }
}

impl core::error::Error for VerifyError {}

/// Why a key or a key set (JWKS) was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// the JWKS is not JSON, or not `{"keys": [...]}`
    NotAJwks {
        /// what was wrong
        detail: String,
    },
    /// the JWKS has no Ed25519 key
    NoEd25519Key,
    /// the JWKS holds a private key (`d`)
    PrivateKeyInJwks {
        /// the key's position in `keys`
        index: usize,
    },
    /// two keys of the JWKS share a `kid`
    DuplicateKid {
        /// the `kid`
        kid: String,
    },
    /// a key of the JWKS is refused
    InJwks {
        /// the key's position in `keys`
        index: usize,
        /// why
        error: Box<KeyError>,
    },
    /// not JSON, or not a JWK object
    NotAKey {
        /// what was wrong
        detail: String,
    },
    /// `kty` is not `OKP` or `crv` not `Ed25519`
    NotEd25519,
    /// `alg` is present and not `EdDSA` or `Ed25519`
    AlgNotEdDsa {
        /// the key's `alg`
        alg: String,
    },
    /// `use` is present and not `sig`
    UseNotSig {
        /// the key's `use`
        key_use: String,
    },
    /// `kid` is absent or empty
    NoKid,
    /// `x` (or `d`) is not 32 bytes of base64url without padding
    BadBytes {
        /// the key's `kid`
        kid: String,
        /// `x` or `d`
        field: &'static str,
    },
    /// `x` is not an Ed25519 point, or a small-order one
    WeakKey {
        /// the key's `kid`
        kid: String,
    },
    /// a private key's `x` is not the public key of its `d`
    MismatchedPrivateKey {
        /// the key's `kid`
        kid: String,
    },
    /// a private key has no `d`
    NoPrivatePart {
        /// the key's `kid`
        kid: String,
    },
}

impl KeyError {
    /// Every code a [`KeyError`] can have.
    pub const CODES: &'static [&'static str] = &["bad_jwks", "bad_key"];

    /// `bad_jwks` for a key set, `bad_key` for a single key.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::NotAJwks { .. }
            | KeyError::NoEd25519Key
            | KeyError::PrivateKeyInJwks { .. }
            | KeyError::DuplicateKid { .. }
            | KeyError::InJwks { .. } => "bad_jwks",
            _ => "bad_key",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NotAJwks { detail } => {
                write!(f, "not a JWKS (`{{\"keys\": [...]}}`): {detail}")
            }
            KeyError::NoEd25519Key => f.write_str("the JWKS has no Ed25519 key"),
            KeyError::PrivateKeyInJwks { index } => write!(
                f,
                "keys[{index}] is a private key (`d`): publish only public keys"
            ),
            KeyError::DuplicateKid { kid } => write!(f, "the JWKS has two keys with `kid` `{kid}`"),
            KeyError::InJwks { index, error } => write!(f, "keys[{index}]: {error}"),
            KeyError::NotAKey { detail } => write!(f, "not a JWK: {detail}"),
            KeyError::NotEd25519 => {
                f.write_str("not an Ed25519 key (`kty` `OKP`, `crv` `Ed25519`)")
            }
            KeyError::AlgNotEdDsa { alg } => {
                write!(f, "key `alg` `{alg}` is not `EdDSA` or `Ed25519`")
            }
            KeyError::UseNotSig { key_use } => write!(f, "key `use` `{key_use}` is not `sig`"),
            KeyError::NoKid => f.write_str("the key has no `kid`"),
            KeyError::BadBytes { kid, field } => write!(
                f,
                "key `{kid}`: `{field}` is not 32 bytes of base64url without padding"
            ),
            KeyError::WeakKey { kid } => {
                write!(f, "key `{kid}`: `x` is not an Ed25519 point of large order")
            }
            KeyError::MismatchedPrivateKey { kid } => {
                write!(f, "key `{kid}`: `x` is not the public key of `d`")
            }
            KeyError::NoPrivatePart { kid } => {
                write!(f, "key `{kid}` has no private part `d`")
            }
        }
    }
}

impl core::error::Error for KeyError {}
