//! A small, strict JSON reader and writer.
//!
//! It owns parsing and printing of every JSON text permsnap reads or writes:
//! catalogs, directories, vector files, JWS headers, snapshot claims, JWKS.
//! It is strict where security needs it: an object with the same key twice
//! is refused (RFC 8725 section 3.x: two readers must never disagree on which
//! value counts), nesting is limited, and nothing but RFC 8259 JSON passes.
//! It knows nothing of the model: typed reading with error paths lives in
//! [`Val`] and [`Obj`], which the loaders use.

use crate::error::{LoadError, LoadErrorKind};
use std::fmt::Write as _;

/// Deepest nesting accepted; deeper input is refused rather than risking the stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value. Objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// any number (integers are exact up to 2^53)
    Num(f64),
    /// a string
    Str(String),
    /// an array
    Arr(Vec<Json>),
    /// an object, keys in document order, never duplicated
    Obj(Vec<(String, Json)>),
}

/// Why a text is not accepted as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// `json_syntax`, `duplicate_key` or `too_large` (nesting too deep)
    pub kind: LoadErrorKind,
    /// 1-based line of the problem
    pub line: usize,
    /// 1-based column of the problem
    pub column: usize,
    /// what was wrong
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl Json {
    /// Parses one JSON text (surrounding white space allowed, nothing else).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let (v, dup) = Json::parse_noting_duplicates(text)?;
        match dup {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }

    /// Parses like [`Json::parse`], but a duplicate key does not stop the
    /// parse: the first one is returned beside the value (the later value
    /// wins in the tree). For vector files that must *report* `duplicate_key`.
    pub fn parse_noting_duplicates(text: &str) -> Result<(Json, Option<JsonError>), JsonError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
            dup: None,
        };
        p.ws();
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("unexpected text after the JSON value"));
        }
        Ok((v, p.dup))
    }

    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// The number as an exact non-negative integer up to 2^53.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Num(n) if *n >= 0.0 && *n <= MAX_SAFE && n.fract() == 0.0 => Some(*n as u64),
            _ => None,
        }
    }

    /// The number as an exact integer within ±2^53.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(n) if n.abs() <= MAX_SAFE && n.fract() == 0.0 => Some(*n as i64),
            _ => None,
        }
    }

    /// The elements, when this is an array.
    pub fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// A JSON type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }

    /// Compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends compact JSON text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => write_num(*n, out),
            Json::Str(s) => write_str(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// A short rendering of this value for error messages (at most ~60 chars).
    pub fn snippet(&self) -> String {
        let t = self.to_text();
        if t.chars().count() > 60 {
            let cut: String = t.chars().take(57).collect();
            format!("{cut}...")
        } else {
            t
        }
    }
}

/// 2^53: the largest integer every JSON reader (JavaScript included) keeps exactly.
pub const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

fn push_u64(mut v: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

/// Writes a number as the shortest decimal `m / 10^k` (m up to 2^53, k up
/// to 22) that reads back to the same value: exactly the numbers the reader
/// accepts, so every number permsnap reads it can write, without the
/// general float formatter (several KB of wasm).
fn write_num(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    let a = n.abs();
    if a.fract() == 0.0 && a <= MAX_SAFE {
        push_u64(a as u64, out);
        return;
    }
    for (k, p) in POW10.iter().enumerate().skip(1) {
        let scaled = (a * p).round();
        if scaled > MAX_SAFE {
            break;
        }
        if scaled / p == a {
            let (m, unit) = (scaled as u64, 10u64.saturating_pow(k as u32));
            push_u64(m / unit, out);
            out.push('.');
            let frac = m % unit;
            let mut digits = String::new();
            push_u64(frac, &mut digits);
            out.extend(std::iter::repeat_n('0', k - digits.len()));
            out.push_str(digits.trim_end_matches('0'));
            return;
        }
    }
    // Not reachable for numbers the reader produced; the nearest 15-digit decimal.
    let p = POW10[15];
    let scaled = (a * p).round().min(MAX_SAFE);
    push_u64(scaled as u64 / 1_000_000_000_000_000, out);
    out.push('.');
    let frac = format!("{:015}", scaled as u64 % 1_000_000_000_000_000);
    out.push_str(frac.trim_end_matches('0'));
}

/// Appends `s` as a JSON string literal.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Finds keys in an object being parsed: a linear scan while it is small, a
/// hash table (FNV-1a, open addressing) once it has more than 16 keys, so a
/// hostile object with thousands of keys costs linear, not quadratic, time.
#[derive(Default)]
struct KeyIndex {
    // 0: empty; otherwise field index + 1; the length is a power of two
    slots: Vec<u32>,
}

impl KeyIndex {
    const LINEAR: usize = 16;

    fn hash(key: &str) -> usize {
        key.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        }) as usize
    }

    fn find(&self, fields: &[(String, Json)], key: &str) -> Option<usize> {
        if self.slots.is_empty() {
            return fields.iter().position(|(k, _)| k == key);
        }
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(key) & mask;
        loop {
            let slot = self.slots[i] as usize;
            if slot == 0 {
                return None;
            }
            if fields[slot - 1].0 == key {
                return Some(slot - 1);
            }
            i = (i + 1) & mask;
        }
    }

    fn insert(&mut self, key: &str, at: usize) {
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(key) & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = at as u32 + 1;
    }

    /// Called after a new key was pushed to `fields`.
    fn added(&mut self, fields: &[(String, Json)]) {
        let n = fields.len();
        if n <= Self::LINEAR {
            return;
        }
        if self.slots.len() < n * 2 {
            self.slots = vec![0; (n * 4).next_power_of_two()];
            for (i, (k, _)) in fields.iter().enumerate() {
                self.insert(k, i);
            }
        } else {
            self.insert(&fields[n - 1].0, n - 1);
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    dup: Option<JsonError>,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> JsonError {
        self.err_kind(LoadErrorKind::JsonSyntax, message.to_string())
    }

    fn err_kind(&self, kind: LoadErrorKind, message: String) -> JsonError {
        let upto = &self.s[..self.i.min(self.s.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        // characters, not bytes: count the bytes that start a UTF-8 sequence
        let column = upto[start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        JsonError {
            kind,
            line,
            column,
            message,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &[u8], v: Json) -> Result<Json, JsonError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("not a JSON value"))
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        match self.s.get(self.i) {
            None => Err(self.err("the text ends where a value should be")),
            Some(b'n') => self.lit(b"null", Json::Null),
            Some(b't') => self.lit(b"true", Json::Bool(true)),
            Some(b'f') => self.lit(b"false", Json::Bool(false)),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("not a JSON value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json, JsonError>) -> Result<Json, JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_kind(
                LoadErrorKind::TooLarge,
                "nesting deeper than 64 levels".to_string(),
            ));
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Json::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                _ => return Err(self.err("expected `,` or `]` in an array")),
            }
        }
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        self.i += 1;
        let mut fields: Vec<(String, Json)> = Vec::new();
        let mut index = KeyIndex::default();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Json::Obj(fields));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string key in an object"));
            }
            let key_at = self.i;
            let key = self.string()?;
            let existing = index.find(&fields, &key);
            if existing.is_some() && self.dup.is_none() {
                let after = self.i;
                self.i = key_at;
                self.dup = Some(self.err_kind(
                    LoadErrorKind::DuplicateKey,
                    crate::text::cat(&["the key `", &key, "` appears twice in one object"]),
                ));
                self.i = after;
            }
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.err("expected `:` after an object key"));
            }
            self.i += 1;
            self.ws();
            let v = self.value()?;
            match existing {
                Some(i) => fields[i].1 = v,
                None => {
                    fields.push((key, v));
                    index.added(&fields);
                }
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Obj(fields));
                }
                _ => return Err(self.err("expected `,` or `}` in an object")),
            }
        }
    }

    /// Numbers are read exactly when the decimal has at most 19 significant
    /// digits, a mantissa up to 2^53 and a power of ten within ±22 (the
    /// cases where one multiplication or division is correctly rounded);
    /// anything finer is refused rather than rounded. This keeps the
    /// general float parser (several KB) out of the browser build.
    fn number(&mut self) -> Result<Json, JsonError> {
        let negative = self.s.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let mut mantissa: u64 = 0;
        let mut exp10: i64 = 0;
        let mut precise = true;
        let mut digit = |d: u8, fraction: bool, m: &mut u64, e: &mut i64| {
            if *m <= (u64::MAX - 9) / 10 {
                *m = *m * 10 + u64::from(d);
                if fraction {
                    *e -= 1;
                }
            } else if d == 0 {
                if !fraction {
                    *e += 1;
                }
            } else {
                precise = false;
            }
        };
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while let Some(&c @ b'0'..=b'9') = self.s.get(self.i) {
                    digit(c - b'0', false, &mut mantissa, &mut exp10);
                    self.i += 1;
                }
            }
            _ => return Err(self.err("a number needs digits")),
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
                return Err(self.err("a number needs digits after `.`"));
            }
            while let Some(&c @ b'0'..=b'9') = self.s.get(self.i) {
                digit(c - b'0', true, &mut mantissa, &mut exp10);
                self.i += 1;
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            let neg_exp = match self.s.get(self.i) {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            if !matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
                return Err(self.err("a number needs digits in its exponent"));
            }
            let mut e: i64 = 0;
            while let Some(&c @ b'0'..=b'9') = self.s.get(self.i) {
                e = (e * 10 + i64::from(c - b'0')).min(100_000);
                self.i += 1;
            }
            exp10 += if neg_exp { -e } else { e };
        }
        while mantissa != 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            exp10 += 1;
        }
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let value = if mantissa == 0 && precise {
            0.0
        } else if precise && mantissa <= 1 << 53 && exp10.unsigned_abs() <= 22 {
            let m = mantissa as f64;
            let p = POW10[exp10.unsigned_abs() as usize];
            if exp10 < 0 {
                m / p
            } else {
                m * p
            }
        } else {
            return Err(self.err_kind(
                LoadErrorKind::WrongType,
                "a number with more precision or range than permsnap reads exactly (at most 15 significant digits, powers of ten within ±22)".to_string(),
            ));
        };
        Ok(Json::Num(if negative { -value } else { value }))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.s.get(self.i) {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("bad `\\u` escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let run = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            let chunk = std::str::from_utf8(&self.s[run..self.i])
                .map_err(|_| self.err("a string is not valid UTF-8"))?;
            out.push_str(chunk);
            match self.s.get(self.i) {
                None => return Err(self.err("a string is not closed")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.s.get(self.i) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("a lone surrogate in a `\\u` escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("a lone surrogate in a `\\u` escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.err("a lone surrogate in a `\\u` escape"))?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.err("bad escape in a string")),
                    };
                    out.push(c);
                    self.i += 1;
                }
                Some(_) => return Err(self.err("a control character inside a string")),
            }
        }
    }
}

/// A value being read by a loader, with its JSON path for error messages.
#[derive(Clone, Copy)]
pub struct Val<'a> {
    /// the value
    pub v: &'a Json,
    path: &'a Path<'a>,
}

/// A JSON path, built without allocation while reading and rendered only for errors.
pub enum Path<'a> {
    /// the document itself
    Root,
    /// `parent.key`
    Key(&'a Path<'a>, &'a str),
    /// `parent[i]`
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// `roles[2].inherits[0]`; `$` for the document itself.
    pub fn render(&self) -> String {
        match self {
            Path::Root => "$".to_string(),
            Path::Key(Path::Root, k) => (*k).to_string(),
            Path::Key(p, k) => format!("{}.{k}", p.render()),
            Path::Index(p, i) => format!("{}[{i}]", p.render()),
        }
    }
}

impl<'a> Val<'a> {
    /// The document root.
    pub fn root(v: &'a Json) -> Val<'a> {
        Val {
            v,
            path: &Path::Root,
        }
    }

    /// The path of this value, rendered.
    pub fn path(&self) -> String {
        self.path.render()
    }

    /// An error at this value.
    pub fn error(&self, kind: LoadErrorKind, message: impl Into<String>) -> LoadError {
        LoadError::new(kind, self.path(), message)
    }

    fn wrong(&self, expected: &str) -> LoadError {
        self.error(
            LoadErrorKind::WrongType,
            format!(
                "expected {expected}, found {} `{}`",
                self.v.type_name(),
                self.v.snippet()
            ),
        )
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str, LoadError> {
        self.v.as_str().ok_or_else(|| self.wrong("a string"))
    }

    /// A boolean.
    pub fn bool(&self) -> Result<bool, LoadError> {
        match self.v {
            Json::Bool(b) => Ok(*b),
            _ => Err(self.wrong("a boolean")),
        }
    }

    /// A non-negative integer up to 2^53.
    pub fn u64(&self) -> Result<u64, LoadError> {
        self.v
            .as_u64()
            .ok_or_else(|| self.wrong("a non-negative integer"))
    }

    /// An integer within ±2^53.
    pub fn i64(&self) -> Result<i64, LoadError> {
        self.v.as_i64().ok_or_else(|| self.wrong("an integer"))
    }

    /// Calls `f` on each element of an array, with its path.
    pub fn each<T>(
        &self,
        mut f: impl FnMut(Val<'_>) -> Result<T, LoadError>,
    ) -> Result<Vec<T>, LoadError> {
        let items = self.v.as_arr().ok_or_else(|| self.wrong("an array"))?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = Path::Index(self.path, i);
            out.push(f(Val {
                v: item,
                path: &path,
            })?);
        }
        Ok(out)
    }

    /// Calls `f` on each `(key, value)` of an object, with its path.
    pub fn each_entry<T>(
        &self,
        mut f: impl FnMut(&str, Val<'_>) -> Result<T, LoadError>,
    ) -> Result<Vec<T>, LoadError> {
        let Json::Obj(fields) = self.v else {
            return Err(self.wrong("an object"));
        };
        let mut out = Vec::with_capacity(fields.len());
        for (k, v) in fields {
            let path = Path::Key(self.path, k);
            out.push(f(k, Val { v, path: &path })?);
        }
        Ok(out)
    }

    /// Reads this value as an object with known fields: `f` takes what it
    /// needs from the [`Obj`]; any field left over is `unknown_field`.
    pub fn object<T>(
        &self,
        f: impl FnOnce(&mut Obj<'_>) -> Result<T, LoadError>,
    ) -> Result<T, LoadError> {
        let Json::Obj(fields) = self.v else {
            return Err(self.wrong("an object"));
        };
        let mut obj = Obj {
            fields,
            path: self.path,
            taken: vec![false; fields.len()],
            known: Vec::new(),
        };
        let out = f(&mut obj)?;
        if let Some(i) = obj.taken.iter().position(|t| !t) {
            let (k, _) = &fields[i];
            let path = Path::Key(self.path, k);
            let known = obj.known.join("`, `");
            return Err(LoadError::new(
                LoadErrorKind::UnknownField,
                path.render(),
                format!("unknown field `{k}`; expected one of `{known}`"),
            ));
        }
        Ok(out)
    }
}

/// An object being read field by field; see [`Val::object`].
pub struct Obj<'a> {
    fields: &'a [(String, Json)],
    path: &'a Path<'a>,
    taken: Vec<bool>,
    known: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    /// Reads the field `key` with `f` when present.
    pub fn opt<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(Val<'_>) -> Result<T, LoadError>,
    ) -> Result<Option<T>, LoadError> {
        self.known.push(key);
        match self.fields.iter().position(|(k, _)| k == key) {
            None => Ok(None),
            Some(i) => {
                self.taken[i] = true;
                let path = Path::Key(self.path, key);
                f(Val {
                    v: &self.fields[i].1,
                    path: &path,
                })
                .map(Some)
            }
        }
    }

    /// Reads the required field `key` with `f`; `missing_field` when absent.
    pub fn req<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(Val<'_>) -> Result<T, LoadError>,
    ) -> Result<T, LoadError> {
        match self.opt(key, f)? {
            Some(v) => Ok(v),
            None => Err(LoadError::new(
                LoadErrorKind::MissingField,
                self.path.render(),
                format!("missing field `{key}`"),
            )),
        }
    }

    /// Reads an optional field, `null` counting as absent.
    pub fn opt_nullable<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(Val<'_>) -> Result<T, LoadError>,
    ) -> Result<Option<T>, LoadError> {
        Ok(self
            .opt(key, |v| {
                if v.v == &Json::Null {
                    Ok(None)
                } else {
                    f(v).map(Some)
                }
            })?
            .flatten())
    }

    /// The raw value of a field, marking it read.
    pub fn raw(&mut self, key: &'static str) -> Option<&'a Json> {
        self.known.push(key);
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        self.taken[i] = true;
        Some(&self.fields[i].1)
    }

    /// The path of this object, rendered.
    pub fn path(&self) -> String {
        self.path.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        let text = r#"{"a":[1,-2.5,true,false,null,"x\"y\u00e9\ud83d\ude00"],"b":{}}"#;
        let v = Json::parse(text).unwrap();
        assert_eq!(Json::parse(&v.to_text()).unwrap(), v);
        assert_eq!(
            v.get("a").unwrap().as_arr().unwrap()[5].as_str().unwrap(),
            "x\"yé😀"
        );
    }

    #[test]
    fn refuses_duplicate_keys_with_their_name() {
        let e = Json::parse(r#"{"alg":"Ed25519","alg":"none"}"#).unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::DuplicateKey);
        assert!(e.message.contains("`alg`"));
    }

    #[test]
    fn refuses_what_rfc_8259_refuses() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "'a'",
            "\"\t\"",
            "[1 2]",
            "tru",
            "\"\\ud800\"",
            "{1:2}",
            "1 2",
            "NaN",
            "\"\\x\"",
        ] {
            let e = Json::parse(bad).unwrap_err();
            assert_eq!(e.kind, LoadErrorKind::JsonSyntax, "{bad:?}");
        }
    }

    #[test]
    fn writes_numbers_that_read_back_to_the_same_value() {
        for n in [
            0.0,
            -0.5,
            0.1,
            1.5,
            1_795_435_200.001,
            12.25,
            -2500.0,
            1e-7,
            123_456.789_012_3,
            4444.0,
        ] {
            let text = Json::Num(n).to_text();
            assert_eq!(Json::parse(&text).unwrap(), Json::Num(n), "{n} -> {text}");
        }
        assert_eq!(Json::Num(0.1).to_text(), "0.1");
        assert_eq!(Json::Num(1_795_435_200.001).to_text(), "1795435200.001");
    }

    #[test]
    fn reads_numbers_exactly_or_refuses_them() {
        for (text, n) in [
            ("0", 0.0),
            ("-0", 0.0),
            ("4444", 4444.0),
            ("1.5", 1.5),
            ("0.1", 0.1),
            ("-2.5e3", -2500.0),
            ("1795435200.001", 1_795_435_200.001),
            ("1e22", 1e22),
            ("9007199254740992", 9_007_199_254_740_992.0),
            ("100000000000000000000", 1e20),
            ("12.50", 12.5),
            ("5E-3", 0.005),
        ] {
            assert_eq!(Json::parse(text).unwrap(), Json::Num(n), "{text}");
        }
        for text in [
            "1e999",
            "0.1234567890123456789",
            "9007199254740993",
            "1e-30",
        ] {
            assert_eq!(
                Json::parse(text).unwrap_err().kind,
                LoadErrorKind::WrongType,
                "{text}"
            );
        }
    }

    #[test]
    fn finds_duplicate_keys_in_large_objects_too() {
        let keys: Vec<String> = (0..5000).map(|i| format!("\"k{i}\":{i}")).collect();
        let ok = format!("{{{}}}", keys.join(","));
        let v = Json::parse(&ok).unwrap();
        assert_eq!(v.get("k4999"), Some(&Json::Num(4999.0)));
        let dup = format!("{{{},\"k17\":0}}", keys.join(","));
        let e = Json::parse(&dup).unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::DuplicateKey);
        assert!(e.message.contains("`k17`"));
        let (v, first) = Json::parse_noting_duplicates(&dup).unwrap();
        assert!(first.is_some());
        assert_eq!(v.get("k17"), Some(&Json::Num(0.0)), "the later value wins");
    }

    #[test]
    fn refuses_deep_nesting_without_recursing_further() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            Json::parse(&deep).unwrap_err().kind,
            LoadErrorKind::TooLarge
        );
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_ok());
    }

    #[test]
    fn reports_line_and_column() {
        let e = Json::parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
    }

    #[test]
    fn object_reader_names_unknown_and_missing_fields_with_paths() {
        let v = Json::parse(r#"{"roles":[{"id":"a","inherit":[]}]}"#).unwrap();
        let e = Val::root(&v)
            .object(|o| {
                o.req("roles", |r| {
                    r.each(|x| x.object(|o| o.req("id", |v| v.str().map(str::to_string))))
                })
            })
            .unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::UnknownField);
        assert_eq!(e.path, "roles[0].inherit");
        let e = Val::root(&v)
            .object(|o| o.req("sections", |_| Ok(())))
            .unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::MissingField);
    }
}
