//! A serde [`Deserializer`](de::Deserializer) over the JS values that
//! `JSON.parse` makes, so that the browser reads the browser core's serde
//! types (one definition, read by serde_json natively and by this in the
//! browser).
//!
//! It stands in for serde-wasm-bindgen, which reads the same values but
//! made the package measurably worse (`pkg-config/README.md`, "Design
//! notes": 56,153 bytes of wasm gzip with it, 38,112 with this): its general
//! paths (iterables, `Map`, `BigInt`, bytes) are instantiated for every
//! visitor, and its type errors print the offending number, which links
//! Rust's float formatting. This one knows only JSON's shapes, reads an
//! object through its own keys (`Object.keys`: `deny_unknown_fields` holds
//! as it does natively, and an inherited property is never read), and
//! names an unexpected value's kind, not its value.

use js_sys::{Array, Object, Reflect};
use serde::de::{self, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// A parsed JSON value, as serde reads it.
pub struct Js(pub JsValue);

/// Why a value is not what the type reads.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

/// The kind of an unexpected value, without the value itself.
fn kind(u: &Unexpected<'_>) -> &'static str {
    match u {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Str(_) | Unexpected::Char(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "a list",
        Unexpected::Map => "an object",
        _ => "another value",
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        DeError(format!("{} where {exp} was expected", kind(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        DeError(format!(
            "{} out of range where {exp} was expected",
            kind(&unexp)
        ))
    }
}

type Result<T> = std::result::Result<T, DeError>;

/// The largest integer JavaScript holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A JSON value's shape, read from JS once (not generic, so that each
/// visitor's instantiation stays small).
enum Kind {
    Null,
    Bool(bool),
    /// a number, and whether it is a safe integer
    Num(f64, bool),
    Str(String),
    Seq(Array),
    Map(Object),
}

impl Kind {
    /// One JS call for a number (the most frequent value in a snapshot),
    /// a few for the rest.
    #[inline(never)]
    fn of(v: JsValue) -> Kind {
        if let Some(n) = v.as_f64() {
            Kind::Num(n, n.fract() == 0.0 && n.abs() <= MAX_SAFE)
        } else if Array::is_array(&v) {
            Kind::Seq(v.unchecked_into())
        } else if let Some(s) = v.as_string() {
            Kind::Str(s)
        } else if let Some(b) = v.as_bool() {
            Kind::Bool(b)
        } else if v.is_null() || v.is_undefined() {
            Kind::Null
        } else {
            Kind::Map(v.unchecked_into())
        }
    }

    fn unexpected(&self) -> Unexpected<'static> {
        match self {
            Kind::Null => Unexpected::Unit,
            Kind::Bool(b) => Unexpected::Bool(*b),
            Kind::Num(..) => Unexpected::Float(0.0),
            Kind::Str(_) => Unexpected::Str(""),
            Kind::Seq(_) => Unexpected::Seq,
            Kind::Map(_) => Unexpected::Map,
        }
    }

    fn invalid<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value> {
        Err(de::Error::invalid_type(self.unexpected(), &visitor))
    }
}

impl<'de> de::Deserializer<'de> for Js {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match Kind::of(self.0) {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Num(n, true) if n >= 0.0 => visitor.visit_u64(n as u64),
            Kind::Num(n, true) => visitor.visit_i64(n as i64),
            Kind::Num(n, false) => visitor.visit_f64(n),
            Kind::Str(s) => visitor.visit_string(s),
            Kind::Seq(list) => visitor.visit_seq(Items::new(list)),
            Kind::Map(object) => visitor.visit_map(Members::new(object)),
        }
    }

    // Each typed read asks JS the one question it needs first (a boundary
    // call each), and classifies the value fully only to refuse it.

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.as_bool() {
            Some(b) => visitor.visit_bool(b),
            None => Kind::of(self.0).invalid(visitor),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match Kind::of(self.0) {
            Kind::Num(n, true) if n >= 0.0 => visitor.visit_u64(n as u64),
            k => k.invalid(visitor),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match Kind::of(self.0) {
            Kind::Num(n, true) => visitor.visit_i64(n as i64),
            k => k.invalid(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match Kind::of(self.0) {
            Kind::Num(n, _) => visitor.visit_f64(n),
            k => k.invalid(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.as_string() {
            Some(s) => visitor.visit_string(s),
            None => Kind::of(self.0).invalid(visitor),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.0.loose_eq(&JsValue::NULL) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if Array::is_array(&self.0) {
            visitor.visit_seq(Items::new(self.0.unchecked_into()))
        } else {
            Kind::of(self.0).invalid(visitor)
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.0.is_object() && !Array::is_array(&self.0) {
            visitor.visit_map(Members::new(self.0.unchecked_into()))
        } else {
            Kind::of(self.0).invalid(visitor)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // The enums here are unit variants, written as strings.
        match self.0.as_string() {
            Some(s) => visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(s)),
            None => Kind::of(self.0).invalid(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 u8 u16 u32 f32 char bytes byte_buf unit unit_struct tuple_struct
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }
}

/// A list's items, in order.
struct Items {
    list: Array,
    len: u32,
    next: u32,
}

impl Items {
    fn new(list: Array) -> Items {
        Items {
            len: list.length(),
            list,
            next: 0,
        }
    }

    #[inline(never)]
    fn next_item(&mut self) -> Option<JsValue> {
        (self.next < self.len).then(|| {
            self.next += 1;
            self.list.get(self.next - 1)
        })
    }
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.next_item() {
            Some(item) => seed.deserialize(Js(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.len - self.next) as usize)
    }
}

/// An object's own members, in `Object.keys` order.
struct Members {
    object: Object,
    keys: Array,
    len: u32,
    next: u32,
    value: JsValue,
}

impl Members {
    fn new(object: Object) -> Members {
        let keys = Object::keys(&object);
        Members {
            len: keys.length(),
            keys,
            object,
            next: 0,
            value: JsValue::UNDEFINED,
        }
    }

    /// The next key; its value waits in `value`.
    #[inline(never)]
    fn next_key(&mut self) -> Result<Option<JsValue>> {
        if self.next >= self.len {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = Reflect::get(&self.object, &key)
            .map_err(|_| DeError("an object member cannot be read".to_string()))?;
        Ok(Some(key))
    }
}

impl<'de> de::MapAccess<'de> for Members {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.next_key()? {
            Some(key) => seed.deserialize(Js(key)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Js(std::mem::replace(&mut self.value, JsValue::UNDEFINED)))
    }
}
