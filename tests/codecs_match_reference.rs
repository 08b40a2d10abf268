//! Differential property tests: the hand-written codecs against well-kept reference crates. The codecs are
//! owned to keep the wasm small; these tests are what lets us trust them. None of the reference crates is
//! linked into the package (they are native dev-dependencies only).
//!
//! - JSON reader and writer against `serde_json`: the same texts accepted, the same values read, and what
//!   the writer writes reads back as what was written; an object's members as ranges of the text
//!   (`json::parts`, what listings hand on unread) against the reader's own values.
//! - HTTP dates against `httpdate`, ISO 8601 date-times against `chrono`'s RFC 3339 parser.
//! - base64 against the `base64` crate's standard engine.
//! - URL decisions against the `url` crate (the WHATWG URL Standard that `fetch` follows): wherever our
//!   parser admits a URL, the WHATWG parser sees the same scheme, host and port, so the host we check is
//!   the host `fetch` contacts. (tests/package/urls.test.mjs checks the same against the platform's own
//!   `new URL()`.)

#![cfg(not(target_arch = "wasm32"))]

use base64::Engine as _;
use graph_mailbox_import::codec::{base64 as b64, json, time, url};
use proptest::prelude::*;

const CASES: u32 = 3_000;

// ------------------------------------------------------------------------------------------------------
// JSON

/// A JSON text built by serde_json from a random value, so it is valid, with numbers written in every
/// form the grammar allows (the value's own serialisation would only ever write canonical numbers).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let number = proptest::string::string_regex(
        r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?",
    )
    .unwrap()
    .prop_map(|text| serde_json::Value::Number(serde_json::from_str(&text).unwrap()));
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        number,
        any::<String>().prop_map(serde_json::Value::String),
        proptest::string::string_regex(r#"[\\"/\x00-\x1f a-z\u{e9}\u{1F600}]{0,12}"#)
            .unwrap()
            .prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-zA-Z@.]{0,6}", inner), 0..8)
                .prop_map(|members| serde_json::Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Valid texts, the same texts with whitespace and escapes serde_json never writes, damaged texts, and
/// soup made of the grammar's own characters.
fn json_text() -> impl Strategy<Value = String> {
    let valid = json_value().prop_map(|v| serde_json::to_string(&v).unwrap());
    let pretty = json_value().prop_map(|v| serde_json::to_string_pretty(&v).unwrap());
    let escaped = any::<String>().prop_map(|s| {
        let mut text = String::from("\"");
        for unit in s.encode_utf16() {
            text.push_str(&format!("\\u{unit:04X}"));
        }
        text.push('"');
        text
    });
    let damaged = (
        json_value(),
        any::<prop::sample::Index>(),
        "[\\]\\[{}\":,\\\\a-z0-9.eE+\\- ]{0,4}",
    )
        .prop_map(|(v, at, splice)| {
            let text = serde_json::to_string(&v).unwrap();
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            [&text[..cut], &splice, &text[cut..]].concat()
        });
    // Escapes of any UTF-16 unit, lone surrogates and reversed pairs included.
    let units = prop::collection::vec(prop_oneof![any::<u16>(), 0xD800u16..0xE000], 0..4).prop_map(
        |units| {
            let escapes: String = units.iter().map(|u| format!("\\u{u:04x}")).collect();
            format!("\"{escapes}\"")
        },
    );
    let soup = proptest::string::string_regex(r#"[{}\[\]":,\\/0-9a-z .+\-eEu\t\n]{0,60}"#).unwrap();
    prop_oneof![valid, pretty, escaped, units, damaged, soup]
}

/// Our value as serde_json's: members inserted in source order, so a repeated key keeps its last value
/// as serde_json's map does.
fn as_serde(value: &json::Value) -> serde_json::Value {
    match value {
        json::Value::Null => serde_json::Value::Null,
        json::Value::Bool(b) => serde_json::Value::Bool(*b),
        json::Value::Number(text) => serde_json::Value::Number(
            serde_json::from_str(text).expect("a number our reader accepted is a JSON number"),
        ),
        json::Value::String(s) => serde_json::Value::String(s.clone()),
        json::Value::Array(items) => serde_json::Value::Array(items.iter().map(as_serde).collect()),
        json::Value::Object(members) => {
            let mut map = serde_json::Map::new();
            for (key, value) in members {
                map.insert(key.clone(), as_serde(value));
            }
            serde_json::Value::Object(map)
        }
    }
}

/// The text with each lone surrogate escape (`\ud800` not followed by a low one, or a low one alone)
/// written as `\ufffd`: the one deliberate difference of our reader, which reads a lone surrogate as
/// U+FFFD (as JavaScript's TextDecoder would) where serde_json refuses the whole text.
fn lone_surrogates_replaced(text: &str) -> String {
    let bytes = text.as_bytes();
    let unit_at = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?;
        if &hex[..2] != b"\\u" {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let (mut out, mut at, mut in_string) = (String::new(), 0, false);
    while at < bytes.len() {
        match (in_string, bytes[at]) {
            (_, b'"') => in_string = !in_string,
            (true, b'\\') => match unit_at(at) {
                Some(0xD800..=0xDBFF) if matches!(unit_at(at + 6), Some(0xDC00..=0xDFFF)) => {
                    out.push_str(&text[at..at + 12]);
                    at += 12;
                    continue;
                }
                Some(0xD800..=0xDFFF) => {
                    out.push_str("\\ufffd");
                    at += 6;
                    continue;
                }
                _ => {
                    // Any other escape: copy the backslash and the character it escapes.
                    let len = text[at + 1..].chars().next().map_or(0, char::len_utf8);
                    out.push_str(&text[at..at + 1 + len]);
                    at += 1 + len;
                    continue;
                }
            },
            _ => {}
        }
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[at..at + len]);
        at += len;
    }
    out
}

fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn json_reads_what_serde_json_reads(text in json_text()) {
        // Our reader stops at 64 levels on purpose (hostile bodies); serde_json at 128.
        prop_assume!(nesting(&text) < 60);
        let ours = json::parse(&text);
        let reference = serde_json::from_str::<serde_json::Value>(&lone_surrogates_replaced(&text));
        match (&ours, &reference) {
            (Some(value), Ok(expected)) => prop_assert_eq!(&as_serde(value), expected),
            (None, Err(_)) => {}
            _ => prop_assert!(false, "acceptance differs on {:?}: ours {:?}, serde_json {:?}", text, ours.is_some(), reference.map(|_| ())),
        }
    }

    #[test]
    fn json_parts_accept_what_the_reader_accepts_and_hold_its_values(text in json_text()) {
        prop_assume!(nesting(&text) < 60);
        let whole = json::parse(&text);
        let parts = json::parts(&text);
        prop_assert_eq!(whole.is_some(), parts.is_some(), "acceptance differs on {:?}", text);
        let part = |at: std::ops::Range<usize>| json::parse(&text[at]).expect("a part of an accepted text reads alone");
        match (whole, parts) {
            (Some(json::Value::Object(members)), Some(json::Parts::Object(spans))) => {
                prop_assert_eq!(members.len(), spans.len());
                for ((key, value), (span_key, at)) in members.into_iter().zip(spans) {
                    prop_assert_eq!(key, span_key);
                    prop_assert_eq!(value, part(at));
                }
            }
            (Some(whole), Some(json::Parts::Other)) => prop_assert!(!matches!(whole, json::Value::Object(_))),
            (None, None) => {}
            (whole, parts) => prop_assert!(false, "shapes differ on {:?}: {:?} and {:?}", text, whole, parts),
        }
    }

    #[test]
    fn json_writes_what_serde_json_reads_back(text in json_text()) {
        prop_assume!(nesting(&text) < 60);
        if let Some(value) = json::parse(&text) {
            let mut written = String::new();
            json::write_value(&mut written, &value);
            let reread: serde_json::Value = serde_json::from_str(&written).unwrap();
            prop_assert_eq!(reread, as_serde(&value));
        }
    }

    #[test]
    fn json_string_writer_round_trips_any_string(s in any::<String>()) {
        let mut written = String::new();
        json::write_string(&mut written, &s);
        prop_assert_eq!(serde_json::from_str::<String>(&written).unwrap(), s);
    }
}

// ------------------------------------------------------------------------------------------------------
// Dates

/// Seconds from 0001-01-01 to 9999-12-31, the range both date grammars can write.
const FIRST_SECOND: i64 = -62_135_596_800;
const LAST_SECOND: i64 = 253_402_300_799;

fn utc(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn imf_fixdates_read_as_httpdate_reads_them(seconds in 0i64..LAST_SECOND) {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds as u64);
        let text = httpdate::fmt_http_date(when);
        prop_assert_eq!(time::parse_http_date(&text), Some(seconds * 1000));
    }

    #[test]
    fn obsolete_http_dates_read_as_httpdate_reads_them(seconds in 0i64..LAST_SECOND, form in 0..2) {
        let date = utc(seconds);
        let text = match form {
            // RFC 850: a two-digit year is read as 1970..2069 by both, so only those years can round-trip.
            0 => utc(seconds % 3_155_760_000).format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
            _ => date.format("%a %b %e %H:%M:%S %Y").to_string(),
        };
        let reference = httpdate::parse_http_date(&text)
            .ok()
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64);
        prop_assert_eq!(time::parse_http_date(&text), reference, "{}", text);
    }

    #[test]
    fn http_dates_agree_where_both_accept(text in r"[A-Za-z]{3,9},? [0-9 ]{1,2}[ -][A-Za-z]{3}[ -][0-9]{2,4} [0-9]{2}:[0-9]{2}:[0-9]{2}( GMT| [0-9]{4})?") {
        let ours = time::parse_http_date(&text);
        let reference = httpdate::parse_http_date(&text)
            .ok()
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64);
        // httpdate also refuses a weekday that does not match the date; ours reads the date and ignores
        // the weekday (a wrong weekday in a Retry-After still says when to come back). Where both read a
        // date, it is the same date.
        if let (Some(ours), Some(reference)) = (ours, reference) {
            prop_assert_eq!(ours, reference, "{}", text);
        }
        if reference.is_some() {
            prop_assert_eq!(ours, reference, "{}", text);
        }
    }

    #[test]
    fn iso_date_times_read_as_rfc3339_reads_them(
        seconds in FIRST_SECOND..LAST_SECOND,
        digits in 0usize..10,
        fraction in 0u64..1_000_000_000,
        offset_minutes in -(23 * 60 + 59)..(23 * 60 + 59i32),
        zulu in any::<bool>(),
        lower in any::<bool>(),
    ) {
        let date = utc(seconds);
        let mut text = date.format("%Y-%m-%dT%H:%M:%S").to_string();
        if digits > 0 {
            text.push('.');
            text.push_str(&format!("{fraction:09}")[..digits.min(9)]);
        }
        if zulu {
            text.push('Z');
        } else {
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let minutes = offset_minutes.unsigned_abs();
            text.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
        }
        if lower {
            text = text.to_lowercase();
        }
        let reference = chrono::DateTime::parse_from_rfc3339(&text).ok().map(|d| d.timestamp_millis());
        prop_assert_eq!(time::parse_iso_datetime(&text), reference, "{}", text);
    }

    #[test]
    fn iso_date_times_agree_where_both_accept(text in r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?") {
        let ours = time::parse_iso_datetime(&text);
        let reference = chrono::DateTime::parse_from_rfc3339(&text).ok().map(|d| d.timestamp_millis());
        if let Some(ours) = ours {
            prop_assert_eq!(Some(ours), reference, "{}", text);
        }
    }
}

// ------------------------------------------------------------------------------------------------------
// base64

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn base64_encodes_as_the_base64_crate(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        let mut ours = Vec::new();
        b64::encode_into(&mut ours, &bytes);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), base64::engine::general_purpose::STANDARD.encode(&bytes));
        prop_assert_eq!(b64::encoded_len(bytes.len()), base64::engine::general_purpose::STANDARD.encode(&bytes).len());
    }

    #[test]
    fn base64_validity_is_the_base64_crates(text in prop_oneof![
        r"[A-Za-z0-9+/=]{0,24}",
        r"[A-Za-z0-9+/]{0,20}={0,3}",
        r"[A-Za-z0-9+/=\-_ .\n]{0,12}",
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
    ]) {
        // Our two deliberate differences (see `is_valid`): empty text is refused, and unused trailing bits
        // are not checked, as .NET's decoder does not check them.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let reference = !text.is_empty() && lenient.decode(&text).is_ok();
        prop_assert_eq!(b64::is_valid(&text), reference, "{:?}", text);
    }
}

// ------------------------------------------------------------------------------------------------------
// URLs

fn url_text() -> impl Strategy<Value = String> {
    let scheme = prop_oneof!["https", "http", "HTTPS", "HtTp", "ftp", "https:", ""];
    let host = prop_oneof![
        r"[a-z0-9\-_]{1,10}(\.[a-z0-9\-_]{1,10}){0,3}\.?",
        r"[A-Z0-9.]{1,20}",
        r"(0x)?[0-9a-f]{1,8}(\.(0x)?[0-9a-f]{1,3}){0,3}",
        r"127(\.[0-9]{1,3}){0,3}",
        r"\[[0-9a-f:.]{2,20}\]",
        "localhost",
        "outlook.office365.com",
        r"[a-z@:%.\[\]\\ ]{0,12}",
        any::<String>(),
    ];
    let port = prop_oneof![Just(String::new()), r":[0-9]{0,6}", r":[a-z]{1,3}"];
    let rest = prop_oneof![
        Just(String::new()),
        r"[/?#][a-zA-Z0-9/%.?=&#'()@:]{0,20}",
        r"[\\ ][a-z]{0,3}"
    ];
    (
        scheme,
        prop_oneof![Just("://"), Just(":/"), Just(":///")],
        host,
        port,
        rest,
    )
        .prop_map(|(scheme, sep, host, port, rest)| {
            [scheme.as_str(), sep, &host, &port, &rest].concat()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn an_admitted_url_goes_where_whatwg_says(text in url_text()) {
        if let Ok(target) = url::parse_target(&text) {
            let whatwg = ::url::Url::parse(&text);
            prop_assert!(whatwg.is_ok(), "we admit {:?}, the URL Standard refuses it", text);
            let whatwg = whatwg.unwrap();
            prop_assert_eq!(whatwg.scheme(), target.scheme.as_str(), "{}", text);
            prop_assert_eq!(whatwg.host_str(), Some(target.host.as_str()), "{}", text);
            prop_assert_eq!(whatwg.port_or_known_default(), Some(target.port), "{}", text);
        }
    }
}
