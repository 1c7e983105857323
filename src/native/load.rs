//! Reading the documents the host writes (catalogs, directories, vector
//! files, SSO configs and logins, admin ops): JSON through serde_json, typed
//! through serde, and every refusal as a [`LoadError`] with a stable code,
//! the file, the JSON path and the offending value.
//!
//! Two things serde does not do by itself are done here:
//!
//! * **duplicate keys are refused at every level** (maps included): a
//!   document is first walked once by [`Unique`], which keeps a hash set of
//!   the keys of each object (std's randomly keyed hasher, so that no crafted
//!   set of keys is slower than linear); RFC 8725 section 3.x: two readers
//!   must never disagree on which of two values counts;
//! * **serde's errors become codes**: serde reports shape errors through
//!   the fixed messages of `serde::de::Error` (`missing field`, `unknown
//!   field`, `invalid type` ...); [`classify`] maps those to
//!   `missing_field`, `unknown_field`, `wrong_type` and so on. A test pins
//!   every mapping, so a serde release that rewords one fails it loudly.
//!
//! Everything semantic (ids, references, wildcards, conditions, numbers
//! JavaScript cannot hold) is checked after deserialization by the loaders,
//! which build the JSON path themselves.

use crate::core::error::codes;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

codes! {
    /// What kind of load error; see `docs/rules.md` for when each is raised.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LoadErrorKind {
        /// the text is not JSON
        JsonSyntax = "json_syntax",
        /// an object has the same key twice
        DuplicateKey = "duplicate_key",
        /// a value has the wrong JSON type
        WrongType = "wrong_type",
        /// a required field is absent
        MissingField = "missing_field",
        /// a field the format does not have
        UnknownField = "unknown_field",
        /// a value outside its set, or a number JavaScript cannot hold exactly
        BadValue = "bad_value",
        /// an id breaks the id rules
        BadId = "bad_id",
        /// two entities of one kind share an id
        DuplicateId = "duplicate_id",
        /// no such section
        UnknownSection = "unknown_section",
        /// no such permission
        UnknownPermission = "unknown_permission",
        /// no such role
        UnknownRole = "unknown_role",
        /// no such additional role
        UnknownAdditional = "unknown_additional",
        /// no such restriction role
        UnknownRestriction = "unknown_restriction",
        /// a wildcard that matches no permission
        WildcardMatchesNothing = "wildcard_matches_nothing",
        /// roles inherit in a cycle
        InheritanceCycle = "inheritance_cycle",
        /// a malformed condition
        BadCondition = "bad_condition",
        /// more than one owner
        TwoOwners = "two_owners",
        /// two users hold one SSO identity `(iss, sub)`
        DuplicateIdentity = "duplicate_identity",
        /// more than one role in a `single_role` catalog
        SingleRole = "single_role",
        /// an access entry for a label that does not exist
        UnknownLabel = "unknown_label",
        /// a home label that does not exist
        UnknownHomeLabel = "unknown_home_label",
        /// a time that is not RFC 3339
        BadTimestamp = "bad_timestamp",
        /// a catalog id that is no preset
        UnknownPreset = "unknown_preset",
        /// an input past the documented limits
        TooLarge = "too_large",
        /// a file that cannot be read
        Io = "io",
    }
}

/// A refused input: code, where (file and JSON path) and what.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// the kind, whose [`LoadErrorKind::code`] is stable
    pub kind: LoadErrorKind,
    /// the file (or other source) name, when known
    pub file: Option<String>,
    /// the JSON path inside it, e.g. `roles[2].inherits[0]` (`$` for the
    /// whole document, `line L column C` for a syntax error)
    pub path: String,
    /// what was wrong, naming the offending value in backticks
    pub message: String,
}

impl LoadError {
    /// A new error at `path`.
    pub fn new(kind: LoadErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        LoadError {
            kind,
            file: None,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// Names the file this error came from (kept if already set).
    pub fn in_file(mut self, file: &str) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_string());
        }
        self
    }

    /// Prefixes the path (for a document nested in another, e.g. a vector
    /// file's `directory`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = join(prefix, &self.path);
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        write!(f, "{}: {} [{}]", self.path, self.message, self.kind.code())
    }
}

impl std::error::Error for LoadError {}

/// `prefix` then `path` (`$` is the root): `roles[2]` + `id` = `roles[2].id`.
pub fn join(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("$" | "", p) => p.to_string(),
        (p, "$" | "") => p.to_string(),
        (p, q) if q.starts_with('[') => format!("{p}{q}"),
        (p, q) => format!("{p}.{q}"),
    }
}

/// The deepest nesting accepted (serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 64;

/// Any JSON value, walked once to refuse a duplicate key in any object and
/// nesting deeper than [`MAX_DEPTH`].
pub struct Unique;

struct UniqueVisitor(usize);

impl<'de> de::DeserializeSeed<'de> for UniqueVisitor {
    type Value = Unique;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Unique, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let depth = self.deeper()?;
        while seq.next_element_seed(UniqueVisitor(depth))?.is_some() {}
        Ok(Unique)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let depth = self.deeper()?;
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format_args!(
                    "{DUPLICATE_KEY} `{key}`: an object has it twice"
                )));
            }
            map.next_value_seed(UniqueVisitor(depth))?;
            seen.insert(key);
        }
        Ok(Unique)
    }
}

impl UniqueVisitor {
    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        if self.0 >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "{TOO_DEEP} (more than {MAX_DEPTH} levels)"
            )));
        }
        Ok(self.0 + 1)
    }
}

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor(0))
    }
}

const DUPLICATE_KEY: &str = "duplicate key";
const TOO_DEEP: &str = "nested too deep";

/// Maps one of serde's error messages to a code. serde builds shape errors
/// from fixed texts (`serde::de::Error`'s provided methods); the loaders'
/// own checks never go through here.
pub fn classify(message: &str) -> LoadErrorKind {
    use LoadErrorKind as K;
    const PREFIXES: &[(&str, LoadErrorKind)] = &[
        ("missing field", K::MissingField),
        ("unknown field", K::UnknownField),
        ("duplicate field", K::DuplicateKey),
        (DUPLICATE_KEY, K::DuplicateKey),
        (TOO_DEEP, K::TooLarge),
        ("recursion limit exceeded", K::TooLarge),
        ("invalid type", K::WrongType),
        ("invalid length", K::WrongType),
        ("invalid value: integer", K::WrongType),
        ("invalid value", K::BadValue),
        ("unknown variant", K::BadValue),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| message.starts_with(p))
        .map_or(K::BadValue, |(_, k)| *k)
}

/// serde_json's message without its ` at line L column C` suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    }
}

fn syntax_error(e: &serde_json::Error) -> LoadError {
    let message = bare_message(e);
    let kind = match classify(&message) {
        LoadErrorKind::TooLarge => LoadErrorKind::TooLarge,
        _ => LoadErrorKind::JsonSyntax,
    };
    LoadError::new(
        kind,
        format!("line {} column {}", e.line(), e.column()),
        message,
    )
}

/// A serde error with its path as a load error (a document read in
/// pieces, such as a directory streamed from a file, maps its errors as a
/// whole document's).
pub fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> LoadError {
    data_error(e)
}

fn data_error(e: serde_path_to_error::Error<serde_json::Error>) -> LoadError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if matches!(
        inner.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    ) {
        return syntax_error(&inner);
    }
    let message = bare_message(&inner);
    let path = if path == "." { "$".to_string() } else { path };
    LoadError::new(classify(&message), path, message)
}

/// Refuses a text that is not one JSON value with unique keys.
pub fn check_json(text: &str) -> Result<(), LoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, Unique>(&mut de).map_err(data_error)?;
    de.end().map_err(|e| syntax_error(&e))
}

/// Reads a `T` from JSON text: duplicate keys refused, errors with codes and paths.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, LoadError> {
    check_json(text)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(data_error)?;
    de.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

/// [`from_text`], naming `file` in errors.
pub fn from_file_text<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, LoadError> {
    from_text(text).map_err(|e| e.in_file(file))
}

/// Reads a `T` from a JSON value already checked by [`check_json`] (a part
/// of a larger document); paths are relative to the value.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, LoadError> {
    serde_path_to_error::deserialize(value).map_err(data_error)
}

/// A required field that may be `null` (serde lets an `Option` field be
/// left out; `#[serde(deserialize_with = "required")]` makes it required).
pub fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// A JSON object read as its entries in written order (keys are unique:
/// documents pass [`check_json`] first).
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<V>(pub Vec<(String, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// Whether `n` is a number JavaScript holds exactly: not an integer beyond
/// ±(2^53 − 1) (a larger integer would be another number in the browser).
pub fn js_exact(n: f64) -> bool {
    n.is_finite() && (n.fract() != 0.0 || n.abs() <= crate::core::rules::MAX_SAFE_INTEGER)
}

/// A label id JavaScript holds exactly, or `bad_value` at `path`.
pub fn label_id(id: u64, path: &str) -> Result<u64, LoadError> {
    if id < 1 << 53 {
        Ok(id)
    } else {
        Err(LoadError::new(
            LoadErrorKind::BadValue,
            path,
            format!(
                "label id `{id}` is beyond 2^53 - 1, the largest integer JavaScript holds exactly"
            ),
        ))
    }
}

/// A resource from a JSON object: strings, booleans and numbers JavaScript
/// holds exactly count (`bad_value` for a larger integer); any other value
/// is as if absent (conditions on it cannot be evaluated).
pub fn resource(value: &serde_json::Value, path: &str) -> Result<crate::Resource, LoadError> {
    use crate::core::rules::Value as V;
    use serde_json::Value as J;
    let Some(fields) = value.as_object() else {
        return Err(LoadError::new(
            LoadErrorKind::WrongType,
            path,
            format!("a resource is an object, not `{value}`"),
        ));
    };
    let mut r = crate::Resource::new();
    for (k, v) in fields {
        let value = match v {
            J::String(s) => V::Str(s.clone()),
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => match n.as_f64().filter(|f| js_exact(*f) && !big_int(n, *f)) {
                Some(f) => V::Num(f),
                None => {
                    return Err(LoadError::new(
                        LoadErrorKind::BadValue,
                        join(path, k),
                        format!("`{n}` is beyond 2^53 - 1: JavaScript would hold another number"),
                    ))
                }
            },
            _ => continue,
        };
        r.insert(k.clone(), value);
    }
    Ok(r)
}

/// Whether `n` is an integer that its `f64` does not hold exactly.
pub fn big_int(n: &serde_json::Number, f: f64) -> bool {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i as f64 != f || i.unsigned_abs() > (1 << 53) - 1,
        (None, Some(u)) => u > (1 << 53) - 1,
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "the fields are read by serde only")]
    struct Doc {
        name: String,
        count: u64,
        #[serde(default)]
        kind: Option<Kind>,
        #[serde(default)]
        list: Vec<Doc>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
    }

    fn err(text: &str) -> (String, String) {
        let e = from_text::<Doc>(text).unwrap_err();
        (e.code().to_string(), e.path)
    }

    #[test]
    fn every_serde_error_class_maps_to_its_code_and_path() {
        let cases = [
            (r#"{"name":"a"}"#, "missing_field", "$"),
            (
                r#"{"name":"a","count":1,"nmae":2}"#,
                "unknown_field",
                "nmae",
            ),
            (r#"{"name":"a","count":"1"}"#, "wrong_type", "count"),
            (r#"{"name":"a","count":-1}"#, "wrong_type", "count"),
            (
                r#"{"name":"a","count":1,"kind":"fancy"}"#,
                "bad_value",
                "kind",
            ),
            (
                r#"{"name":"a","count":1,"list":[{"name":"b","count":true}]}"#,
                "wrong_type",
                "list[0].count",
            ),
            (r#"{"name":"a","count":1,"name":"b"}"#, "duplicate_key", "$"),
            (
                r#"{"name":"a","count":1,"list":[{"name":"b","count":2,"x":{"k":1,"k":2}}]}"#,
                "duplicate_key",
                "list[0].x",
            ),
            (
                r#"{"name":"a","count":1"#,
                "json_syntax",
                "line 1 column 21",
            ),
            (
                r#"{"name":"a","count":1} x"#,
                "json_syntax",
                "line 1 column 24",
            ),
        ];
        for (text, code, path) in cases {
            assert_eq!(err(text), (code.to_string(), path.to_string()), "{text}");
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_too_large() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = check_json(&deep).unwrap_err();
        assert_eq!(e.code(), "too_large", "{e}");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        check_json(&ok).unwrap();
    }

    #[test]
    fn a_duplicate_key_message_names_the_key() {
        let e = check_json(r#"{"a":{"kid":1,"kid":2}}"#).unwrap_err();
        assert_eq!((e.code(), e.path.as_str()), ("duplicate_key", "a"));
        assert!(e.message.contains("`kid`"), "{e}");
    }

    #[test]
    fn paths_join_fields_and_indices() {
        assert_eq!(join("$", "roles[0]"), "roles[0]");
        assert_eq!(join("catalog", "roles[0].id"), "catalog.roles[0].id");
        assert_eq!(join("users", "[3]"), "users[3]");
        assert_eq!(join("directory", "$"), "directory");
    }

    #[test]
    fn numbers_javascript_cannot_hold_are_not_exact() {
        assert!(js_exact(9_007_199_254_740_991.0));
        assert!(!js_exact(9_007_199_254_740_992.0));
        assert!(!js_exact(1e16));
        assert!(js_exact(2.5));
        assert!(js_exact(-9_007_199_254_740_991.0));
        assert!(label_id(1 << 53, "x").is_err());
        assert_eq!(label_id((1 << 53) - 1, "x").unwrap(), (1 << 53) - 1);
    }
}
