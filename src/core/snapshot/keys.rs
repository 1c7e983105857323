//! Public keys as both verifiers take them: the JWK rules (RFC 8037 `OKP`
//! / `Ed25519`) and the byte checks that make an Ed25519 verification
//! strict. How base64url is decoded and how the curve arithmetic is done is
//! each room's own (ed25519-dalek natively, WebCrypto in the browser).

use super::token::Present;
use crate::core::error::KeyError;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Deserialize;

/// A JWK, as far as permsnap reads it (any other member is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct Jwk {
    /// `kty`
    #[serde(default)]
    pub kty: Option<String>,
    /// `crv`
    #[serde(default)]
    pub crv: Option<String>,
    /// `alg`
    #[serde(default)]
    pub alg: Option<String>,
    /// `use`
    #[serde(default, rename = "use")]
    pub key_use: Option<String>,
    /// `kid`
    #[serde(default)]
    pub kid: Option<String>,
    /// `x`: the public key, base64url
    #[serde(default)]
    pub x: Option<String>,
    /// `d`: the private key; never allowed in a JWKS
    #[serde(default)]
    pub d: Present,
}

/// A JWK Set: `{"keys": [...]}` (RFC 7517 section 5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct JwkSet {
    /// the keys
    pub keys: Vec<Jwk>,
}

impl Jwk {
    /// Whether it says it is an Ed25519 key (`kty` `OKP`, `crv` `Ed25519`).
    pub fn is_ed25519(&self) -> bool {
        self.kty.as_deref() == Some("OKP") && self.crv.as_deref() == Some("Ed25519")
    }

    /// The rules of an Ed25519 public JWK, and the key's `kid` and public
    /// bytes. `x` is the key's `x` decoded by the caller (`None` when it is
    /// absent or not base64url).
    ///
    /// * `kty` `OKP` and `crv` `Ed25519` (RFC 8037 section 2);
    /// * `alg`, when present, `EdDSA` or `Ed25519`; `use`, when present,
    ///   `sig`: a key published for something else is not used to verify;
    /// * a non-empty `kid`: tokens pick their key by it;
    /// * `x` is 32 bytes and not a small-order point: a small-order key makes
    ///   one signature valid for many messages.
    pub fn public_key(&self, x: Option<&[u8]>) -> Result<(String, [u8; 32]), KeyError> {
        if !self.is_ed25519() {
            return Err(KeyError::NotEd25519);
        }
        if let Some(alg) = self
            .alg
            .as_deref()
            .filter(|a| !matches!(*a, "EdDSA" | "Ed25519"))
        {
            return Err(KeyError::AlgNotEdDsa {
                alg: alg.to_string(),
            });
        }
        if let Some(u) = self.key_use.as_deref().filter(|u| *u != "sig") {
            return Err(KeyError::UseNotSig {
                key_use: u.to_string(),
            });
        }
        let kid = self
            .kid
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or(KeyError::NoKid)?;
        let Some(bytes) = x.and_then(|x| <[u8; 32]>::try_from(x).ok()) else {
            return Err(KeyError::BadBytes { kid, field: "x" });
        };
        if is_small_order(&bytes) {
            return Err(KeyError::WeakKey { kid });
        }
        Ok((kid, bytes))
    }
}

impl JwkSet {
    /// The Ed25519 keys of the set, `(kid, public bytes)`, in order. Keys of
    /// other types are left out (they could never verify a permsnap token);
    /// a private key, a refused Ed25519 key, a duplicate `kid`, or no
    /// Ed25519 key at all refuses the set. `decode` is the caller's strict
    /// base64url decoder.
    pub fn ed25519_keys(
        &self,
        decode: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Vec<(String, [u8; 32])>, KeyError> {
        let mut out: Vec<(String, [u8; 32])> = Vec::new();
        for (index, key) in self.keys.iter().enumerate() {
            if key.d.0 {
                return Err(KeyError::PrivateKeyInJwks { index });
            }
            if !key.is_ed25519() {
                continue;
            }
            let x = key.x.as_deref().and_then(&decode);
            let (kid, bytes) = key.public_key(x.as_deref()).map_err(|e| KeyError::InJwks {
                index,
                error: Box::new(e),
            })?;
            if out.iter().any(|(k, _)| *k == kid) {
                return Err(KeyError::DuplicateKid { kid });
            }
            out.push((kid, bytes));
        }
        if out.is_empty() {
            return Err(KeyError::NoEd25519Key);
        }
        Ok(out)
    }
}

/// Encodings of the points of small order (1, 2, 4 and 8), with the sign
/// bit masked: the list libsodium's `ge25519_has_small_order` compares
/// with, canonical and non-canonical (`p`, `p + 1`) spellings included.
const SMALL_ORDER: [[u8; 32]; 7] = [
    // 0 (order 4)
    [0; 32],
    // 1 (order 1)
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // 2707385501144840649318225287225658788936804267575313519463743609750303402022 (order 8)
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // 55188659117513257062467267217118295137698188065244968500265048394206261417927 (order 8)
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // p - 1 (order 2)
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p (= 0, order 4)
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p + 1 (= 1, order 1)
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether `point` encodes a point of small order (any sign bit). A
/// verifier that lets such a key or such an `R` through accepts
/// signatures that hold for many messages or keys; `verify_strict` refuses
/// them, and so does the browser before it asks WebCrypto.
pub fn is_small_order(point: &[u8; 32]) -> bool {
    SMALL_ORDER
        .iter()
        .any(|s| s[..31] == point[..31] && s[31] == point[31] & 0x7f)
}

/// The order `L` of the Ed25519 base point, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Whether the scalar `s` (little-endian) is below `L`: a signature's `S`
/// must be, or `S + L` would be a second valid signature for the same
/// message (malleability; RFC 8032 section 5.1.7 requires the check).
pub fn is_canonical_scalar(s: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        match s[i].cmp(&L[i]) {
            core::cmp::Ordering::Less => return true,
            core::cmp::Ordering::Greater => return false,
            core::cmp::Ordering::Equal => {}
        }
    }
    false
}

/// The checks that make a verification strict beyond what a plain RFC 8032
/// verifier (WebCrypto) does: `S` canonical, and neither the key nor `R`
/// of small order. With these, the browser refuses what `verify_strict`
/// refuses; the package's tests run the Wycheproof and CCTV vectors to show it.
pub fn strict_signature_prechecks(public_key: &[u8; 32], signature: &[u8; 64]) -> bool {
    let (mut r, mut s) = ([0u8; 32], [0u8; 32]);
    let (r_bytes, s_bytes) = signature.split_at(32);
    r.iter_mut().zip(r_bytes).for_each(|(d, b)| *d = *b);
    s.iter_mut().zip(s_bytes).for_each(|(d, b)| *d = *b);
    is_canonical_scalar(&s) && !is_small_order(&r) && !is_small_order(public_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l_itself_and_above_are_not_canonical_and_l_minus_one_is() {
        assert!(!is_canonical_scalar(&L));
        let mut below = L;
        below[0] -= 1;
        assert!(is_canonical_scalar(&below));
        assert!(is_canonical_scalar(&[0; 32]));
        assert!(!is_canonical_scalar(&[0xff; 32]));
    }

    #[test]
    fn small_order_points_are_found_with_either_sign_bit() {
        for p in SMALL_ORDER {
            assert!(is_small_order(&p));
            let mut signed = p;
            signed[31] |= 0x80;
            assert!(is_small_order(&signed));
        }
        let mut two = [0u8; 32];
        two[0] = 2;
        assert!(!is_small_order(&two));
    }
}

crate::core::error::map_only!(Jwk, JwkSet);
