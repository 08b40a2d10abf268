//! Formatting helpers that avoid `core::fmt`, whose machinery would otherwise be linked into the wasm
//! for the sake of a few numbers in messages.

use alloc::string::String;
/// Appends `value` in decimal.
pub fn push_decimal(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = value;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in digits[..len].iter().rev() {
        out.push(char::from(digit));
    }
}

/// `text[..end]`, or all of `text` when `end` is past it or not at a character boundary. Indexing a `str`
/// would link the panic path of slicing and its formatting (`char`'s `Debug`, ranges'), over a kilobyte
/// of wasm; the offsets passed here come from searches of the same text, so the fallback never applies.
pub fn head(text: &str, end: usize) -> &str {
    text.get(..end).unwrap_or(text)
}

/// `text[start..]`, or `""` when `start` is past the end or not at a character boundary (see `head`).
pub fn tail(text: &str, start: usize) -> &str {
    text.get(start..).unwrap_or_default()
}

/// Byte offset of the first occurrence of `needle` in `haystack`, optionally ignoring ASCII case.
/// A plain scan: the texts searched here are short, and `str::find` with a `&str` pattern links the
/// Two-Way searcher, a few kilobytes of wasm.
pub fn find(haystack: &str, needle: &str, ignore_ascii_case: bool) -> Option<usize> {
    let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
    if pin.is_empty() {
        return Some(0);
    }
    hay.windows(pin.len()).position(|window| {
        if ignore_ascii_case {
            window.eq_ignore_ascii_case(pin)
        } else {
            window == pin
        }
    })
}

/// Formats 16 random bytes as a version 4 UUID (RFC 9562), lower-case hex with hyphens.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xF)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn decimals() {
        for value in [0, 7, 10, 429, 30_000, u64::MAX] {
            let mut out = String::from("n=");
            push_decimal(&mut out, value);
            assert_eq!(out, format!("n={value}"));
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn finds_substrings() {
        assert_eq!(find("https://x", "://", false), Some(5));
        assert_eq!(find("a?AuthToken=1", "authtoken=", true), Some(2));
        assert_eq!(find("a?AuthToken=1", "authtoken=", false), None);
        assert_eq!(find("ab", "abc", false), None);
        assert_eq!(find("ab", "", false), Some(0));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn uuids_are_version_4() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xFF; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
