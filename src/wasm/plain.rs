//! serde-wasm-bindgen's JSON-compatible serializer, with each struct written as one of its maps: the same
//! plain object (serde-wasm-bindgen writes maps as objects when JSON-compatible), each field name made a
//! JavaScript string where it is written. serde-wasm-bindgen's own struct writer looks every name up in a
//! cache (a `HashMap` behind a thread-local) whose code was 1.0 KB of the gzipped wasm; the names here are a
//! few ASCII bytes each, a copy of which costs less than a microsecond per item result.
//!
//! Everything else (strings, numbers, `None`, arrays, JavaScript values passed through) is serde-wasm-
//! bindgen's as it is; values inside a struct, an option or an array come back here, so a nested struct is
//! written the same way.

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq};
use serde_wasm_bindgen::{Error, Serializer as JsSerializer};
use wasm_bindgen::JsValue;

/// The serializer every value going out is written by: plain objects, an absent field left out.
const JS: &JsSerializer = &JsSerializer::json_compatible();

/// `value` as a JavaScript value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    value.serialize(Plain)
}

/// serde-wasm-bindgen's serializer with structs written as maps.
#[derive(Debug, Clone, Copy)]
struct Plain;

/// A value inside a struct, an option or an array: written by [`Plain`], then handed to the serializer
/// serde-wasm-bindgen's map or array asks with (its own) as the finished JavaScript value.
struct Nested<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Nested<'_, T> {
    fn serialize<S: ser::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        // Strings, numbers and JavaScript values cannot fail to serialize.
        let value = self.0.serialize(Plain).unwrap_or(JsValue::UNDEFINED);
        serde_wasm_bindgen::preserve::serialize(&value, out)
    }
}

/// Forwards each named method to serde-wasm-bindgen's serializer unchanged.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<$out, Error> {
            JS.$method($($arg),*)
        })*
    };
}

/// serde-wasm-bindgen's own writer of a compound value of kind `$kind`, which [`Plain`] forwards to.
macro_rules! inner {
    ($kind:ident) => {
        <&'static JsSerializer as ser::Serializer>::$kind
    };
}

impl ser::Serializer for Plain {
    type Ok = JsValue;
    type Error = Error;
    type SerializeSeq = Array;
    type SerializeTuple = inner!(SerializeTuple);
    type SerializeTupleStruct = inner!(SerializeTupleStruct);
    type SerializeTupleVariant = inner!(SerializeTupleVariant);
    type SerializeMap = inner!(SerializeMap);
    type SerializeStruct = Struct;
    type SerializeStructVariant = inner!(SerializeStructVariant);

    forward! {
        serialize_bool(v: bool) -> JsValue;
        serialize_i8(v: i8) -> JsValue;
        serialize_i16(v: i16) -> JsValue;
        serialize_i32(v: i32) -> JsValue;
        serialize_i64(v: i64) -> JsValue;
        serialize_u8(v: u8) -> JsValue;
        serialize_u16(v: u16) -> JsValue;
        serialize_u32(v: u32) -> JsValue;
        serialize_u64(v: u64) -> JsValue;
        serialize_f32(v: f32) -> JsValue;
        serialize_f64(v: f64) -> JsValue;
        serialize_char(v: char) -> JsValue;
        serialize_str(v: &str) -> JsValue;
        serialize_bytes(v: &[u8]) -> JsValue;
        serialize_none() -> JsValue;
        serialize_unit() -> JsValue;
        serialize_unit_struct(name: &'static str) -> JsValue;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> JsValue;
        // Kinds none of the views has: serde-wasm-bindgen's as they are.
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, Error> {
        value.serialize(self)
    }

    // serde-wasm-bindgen's own: a JavaScript value passed through (`preserve`) is one of these.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<JsValue, Error> {
        JS.serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsValue, Error> {
        JS.serialize_newtype_variant(name, index, variant, &Nested(value))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Array, Error> {
        Ok(Array(JS.serialize_seq(len)?))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Struct, Error> {
        Ok(Struct(JS.serialize_map(Some(len))?))
    }
}

/// A struct, written as serde-wasm-bindgen writes a map: a plain object.
struct Struct(inner!(SerializeMap));

impl ser::SerializeStruct for Struct {
    type Ok = JsValue;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.0.serialize_entry(key, &Nested(value))
    }

    fn end(self) -> Result<JsValue, Error> {
        self.0.end()
    }
}

/// An array, its elements written by [`Plain`].
struct Array(inner!(SerializeSeq));

impl SerializeSeq for Array {
    type Ok = JsValue;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.serialize_element(&Nested(value))
    }

    fn end(self) -> Result<JsValue, Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use js_sys::{Array, Object, Reflect};
    use serde::Serialize;
    use wasm_bindgen::{JsCast, JsValue};

    use super::to_js;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner<'a> {
        item_id: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer<'a> {
        display_name: &'a str,
        count: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        present: Option<Inner<'a>>,
        list: Vec<Inner<'a>>,
        #[serde(with = "serde_wasm_bindgen::preserve")]
        error: JsValue,
    }

    fn keys(value: &JsValue) -> Vec<String> {
        Object::keys::<JsValue>(value.unchecked_ref())
            .iter()
            .filter_map(|key| key.as_string())
            .collect()
    }

    fn is_plain_object(value: &JsValue) -> bool {
        let plain_prototype = Object::get_prototype_of(&Object::new());
        value.is_object() && Object::is(&Object::get_prototype_of(value), &plain_prototype)
    }

    fn get(value: &JsValue, key: &str) -> JsValue {
        Reflect::get(value, &JsValue::from_str(key)).unwrap_or_default()
    }

    // What a user gets back from every call: plain objects all the way down (nested structs too, and those
    // in arrays), camelCase keys in declaration order, an absent field absent, a JavaScript value as it was.
    #[wasm_bindgen_test::wasm_bindgen_test]
    fn structs_nested_or_in_arrays_are_plain_objects_with_absent_fields_left_out() {
        let error: JsValue = js_sys::Error::new("kept as it is").into();
        let value = Outer {
            display_name: "Inbox",
            count: 3.0,
            absent: None,
            present: Some(Inner { item_id: "AAMk1" }),
            list: vec![Inner { item_id: "AAMk2" }, Inner { item_id: "AAMk3" }],
            error: error.clone(),
        };
        let out = to_js(&value).unwrap_or_default();
        assert!(is_plain_object(&out));
        assert_eq!(
            keys(&out),
            ["displayName", "count", "present", "list", "error"]
        );
        assert_eq!(
            get(&out, "displayName").as_string().as_deref(),
            Some("Inbox")
        );
        assert_eq!(get(&out, "count").as_f64(), Some(3.0));
        let present = get(&out, "present");
        assert!(is_plain_object(&present));
        assert_eq!(keys(&present), ["itemId"]);
        assert_eq!(
            get(&present, "itemId").as_string().as_deref(),
            Some("AAMk1")
        );
        let list = get(&out, "list");
        assert!(Array::is_array(&list));
        let list: Array = list.unchecked_into();
        assert_eq!(list.length(), 2);
        for (i, id) in ["AAMk2", "AAMk3"].into_iter().enumerate() {
            let element = list.get(i as u32);
            assert!(is_plain_object(&element));
            assert_eq!(get(&element, "itemId").as_string().as_deref(), Some(id));
        }
        assert!(Object::is(&get(&out, "error"), &error));
    }
}
