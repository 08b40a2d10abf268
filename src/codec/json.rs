//! A small JSON reader and string writer.
//!
//! Why not serde_json: every byte of it ships in the wasm, and this crate reads a handful of documented
//! response shapes and writes one request body. The reader keeps numbers as their source text (no float
//! parsing code is linked) and bounds nesting so hostile bodies cannot exhaust the stack; it never panics,
//! whatever the input (property-tested in `tests/parsers_never_panic.rs`). [`parts`] checks a whole text
//! but builds only its first level, leaving each part as a range of the text: a page of a listing is
//! handed on as Graph wrote it, and an export's 8 MB of base64 is decoded once, not copied through a tree.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;
/// Deepest nesting accepted; Graph's bodies are a few levels deep.
const MAX_DEPTH: usize = 64;

/// A parsed JSON value. Objects keep their members in source order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number's source text, validated against JSON's grammar.
    Number(String),
    /// A string, its escapes decoded.
    String(String),
    /// An array's elements, in order.
    Array(Vec<Self>),
    /// An object's members as (key, value) pairs, in source order; a repeated key appears twice.
    Object(Vec<(String, Self)>),
}

/// Where in `members` the member whose key equals `key` ignoring ASCII case is (Graph spells
/// `innerError` both ways). The first exact match wins over a case-insensitive one.
pub fn member_at<T>(members: &[(String, T)], key: &str) -> Option<usize> {
    members.iter().position(|(k, _)| k == key).or_else(|| {
        members
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))
    })
}

/// The member `key` of `members`, as [`member_at`] finds it.
pub fn member<'a, T>(members: &'a [(String, T)], key: &str) -> Option<&'a T> {
    members.get(member_at(members, key)?).map(|(_, v)| v)
}

/// The member `key` of `members` ([`member_at`]) moved out, `null` left in its place: a large string is
/// taken from a parsed body without a copy.
pub fn take_member(members: &mut [(String, Value)], key: &str) -> Option<Value> {
    let at = member_at(members, key)?;
    members
        .get_mut(at)
        .map(|(_, v)| core::mem::replace(v, Value::Null))
}

impl Value {
    /// The member `key`, as [`member`] finds it.
    pub fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Self::Object(members) => member(members, key),
            _ => None,
        }
    }

    /// The text of a string value; `None` for any other kind (a number is not read as a string).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array value; `None` for any other kind.
    pub fn as_array(&self) -> Option<&[Self]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The string member `key` (case-insensitive), if present and a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Self::as_str)
    }
}

/// Parses a whole JSON text (surrounding whitespace allowed). `None` for anything that is not JSON.
pub fn parse(text: &str) -> Option<Value> {
    let mut reader = Reader::new(text);
    let value = reader.value(0)?;
    reader.end().then_some(value)
}

/// A JSON text's first level, each part left unread as the byte range of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parts {
    /// An object's members in source order, duplicates included: (key, where its value is).
    Object(Vec<(String, Range<usize>)>),
    /// An array, a string, a number, `true`, `false` or `null`.
    Other,
}

/// Checks a whole JSON text as [`parse`] does (the same texts are accepted) and, for an object, gives its
/// members with each value as a range of `text`, checked but not built. `None` for anything that is not
/// JSON.
pub fn parts(text: &str) -> Option<Parts> {
    let mut reader = Reader::new(text);
    let parts = if reader.peek()? == b'{' {
        let mut members = Vec::new();
        reader.members(|reader, key| {
            members.push((key, reader.skip(1)?));
            Some(())
        })?;
        Parts::Object(members)
    } else {
        reader.skip(0)?;
        Parts::Other
    };
    reader.end().then_some(parts)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// False while a value is only checked and stepped over: no string, number or container is built.
    build: bool,
}

impl Reader<'_> {
    /// A reader at the first non-whitespace byte of `text`.
    fn new(text: &str) -> Reader<'_> {
        let mut reader = Reader {
            bytes: text.as_bytes(),
            pos: 0,
            build: true,
        };
        reader.skip_whitespace();
        reader
    }

    /// Whether only whitespace is left.
    fn end(&mut self) -> bool {
        self.skip_whitespace();
        self.pos == self.bytes.len()
    }

    /// Checks the value at the reader without building it; where it was.
    fn skip(&mut self, depth: usize) -> Option<Range<usize>> {
        let start = self.pos;
        self.build = false;
        let checked = self.value(depth);
        self.build = true;
        checked?;
        Some(start..self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        let end = self.pos.checked_add(word.len())?;
        if self.bytes.get(self.pos..end)? == word {
            self.pos = end;
            Some(value)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        let mut members = Vec::new();
        self.members(|reader, key| {
            let value = reader.value(depth + 1)?;
            if reader.build {
                members.push((key, value));
            }
            Some(())
        })?;
        Some(Value::Object(members))
    }

    /// Steps through an object (the reader at its `{`), reading each key and `member` each value.
    fn members(&mut self, mut member: impl FnMut(&mut Self, String) -> Option<()>) -> Option<()> {
        self.pos += 1; // '{'
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            self.skip_whitespace();
            member(self, key)?;
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            if self.build {
                items.push(value);
            }
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b']' => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        if !self.build {
            return Some(Value::Null);
        }
        // The slice is ASCII digits and signs only, so it is valid UTF-8.
        let text = core::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
        Some(Value::Number(String::from(text)))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..4 {
            let digit = char::from(self.next()?).to_digit(16)?;
            value = value * 16 + digit;
        }
        Some(value)
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one step, found in one pass over the slice rather than a
            // checked step per byte (an export's data is megabytes); the input is a &str, so any run that
            // stops at an ASCII quote or backslash ends on a character boundary.
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let run = rest
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .unwrap_or(rest.len());
            if self.build {
                out.push_str(core::str::from_utf8(rest.get(..run)?).ok()?);
            }
            self.pos += run;
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => {}
                _ => return None, // raw control character
            }
            let escaped = match self.next()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => self.unicode_escape()?,
                _ => return None,
            };
            if self.build {
                out.push(escaped);
            }
        }
    }

    /// After `\u`: one code unit, or a surrogate pair written as two escapes. A lone surrogate becomes
    /// U+FFFD, as JavaScript's TextDecoder would make of it, rather than failing the whole body.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            let checkpoint = self.pos;
            if self.next() == Some(b'\\') && self.next() == Some(b'u') {
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return char::from_u32(code);
                }
            }
            self.pos = checkpoint;
            return Some(char::REPLACEMENT_CHARACTER);
        }
        Some(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }
}

/// Appends `value` to `out` as JSON text; numbers are written as they were read.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(text) => out.push_str(text),
        Value::String(text) => write_string(out, text),
        Value::Array(values) => {
            out.push('[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, value);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, value);
            }
            out.push('}');
        }
    }
}

/// Appends `text` to `out` as a JSON string literal, quotes included.
pub fn write_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let code = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[code >> 4]));
                out.push(char::from(HEX[code & 0xF]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn parses_the_documented_session_body() {
        let body = r#"{
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.mailboxItemImportSession",
    "importUrl": "https://outlook.office365.com/api/gbeta/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b",
    "expirationDateTime": "2024-10-17T19:00:48.1052906Z"
}"#;
        let value = parse(body).unwrap();
        assert_eq!(
            value.get_str("expirationDateTime"),
            Some("2024-10-17T19:00:48.1052906Z")
        );
        assert!(value
            .get_str("importUrl")
            .unwrap()
            .ends_with("authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn scalars_arrays_and_escapes() {
        assert_eq!(parse(" null "), Some(Value::Null));
        assert_eq!(parse("true"), Some(Value::Bool(true)));
        assert_eq!(parse("-12.5e+3"), Some(Value::Number("-12.5e+3".into())));
        assert_eq!(
            parse(r#""a\"b\\c\/\n\u00e9\ud83d\ude00""#),
            Some(s("a\"b\\c/\né😀"))
        );
        assert_eq!(parse(r#""\ud800x""#), Some(s("\u{FFFD}x")));
        assert_eq!(
            parse(r#"[1, "x", {}]"#),
            Some(Value::Array(vec![
                Value::Number("1".into()),
                s("x"),
                Value::Object(vec![])
            ]))
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn rejects_what_is_not_json() {
        for bad in [
            "",
            "{",
            r#"{"importUrl": "http://"#,
            "<html><body>Bad gateway</body></html>",
            "01",
            "1.",
            "-",
            "[1,]",
            "{\"a\" 1}",
            "\"raw\ncontrol\"",
            "\"\\x\"",
            "nul",
            "{} x",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn nesting_is_bounded() {
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&deep), None);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn keys_match_exactly_first_then_ignoring_case() {
        let value = parse(r#"{"innererror": 1, "innerError": 2}"#).unwrap();
        assert_eq!(value.get("innerError"), Some(&Value::Number("2".into())));
        assert_eq!(value.get("INNERERROR"), Some(&Value::Number("1".into())));
        assert_eq!(value.get("missing"), None);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn parts_are_ranges_of_the_text_checked_but_not_built() {
        let text = r#" {"value": [ {"id":"a\"1"}, 2.5e1 ,"x"] , "n":null, "value":{} } "#;
        let Some(Parts::Object(members)) = parts(text) else {
            panic!("an object");
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["value", "n", "value"]);
        assert_eq!(
            &text[members[0].1.clone()],
            r#"[ {"id":"a\"1"}, 2.5e1 ,"x"]"#
        );
        assert_eq!(&text[members[1].1.clone()], "null");
        assert_eq!(&text[members[2].1.clone()], "{}");
        assert_eq!(member(&members, "VALUE"), Some(&members[0].1));
        for other in [" \"s\" ", "[]", "[{}, 1]", "-0.5", "null"] {
            assert_eq!(parts(other), Some(Parts::Other), "{other}");
        }
        assert_eq!(parts("{}"), Some(Parts::Object(vec![])));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn parts_refuse_what_parse_refuses_inside_the_parts_too() {
        for bad in [
            "",
            "{",
            r#"{"value":[1,]}"#,
            r#"{"value":["raw
control"]}"#,
            r#"{"value":["\x"]}"#,
            r#"{"value":[01]}"#,
            r#"[{"a" 1}]"#,
            "[1] x",
            "nul",
        ] {
            assert_eq!(parts(bad), None, "{bad:?}");
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        // Nesting is bounded at the same depth, inside a part as in the whole.
        for levels in MAX_DEPTH..MAX_DEPTH + 3 {
            let nested = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            assert_eq!(
                parts(&nested).is_some(),
                parse(&nested).is_some(),
                "{levels}"
            );
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(parts(&deep), None);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn writes_strings_that_parse_back() {
        let text = "quote\" back\\ nl\n ctl\u{1} é 😀";
        let mut out = String::new();
        write_string(&mut out, text);
        assert_eq!(out, "\"quote\\\" back\\\\ nl\\n ctl\\u0001 é 😀\"");
        assert_eq!(parse(&out), Some(s(text)));
    }
}
