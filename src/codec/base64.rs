//! Standard base64 (RFC 4648 §4, with padding), the encoding of an import body's `Data`.
//! Items can be tens of megabytes, so encoding appends straight into the body being built (one pass, no
//! intermediate string), and a caller's ready-made base64 is only checked, never decoded.

#[cfg(test)]
use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The length of the base64 text for `len` bytes; `usize::MAX` when that would not fit a `usize` (a
/// length no memory holds, refused when the body is reserved).
pub fn encoded_len(len: usize) -> usize {
    len.div_ceil(3).saturating_mul(4)
}

/// Appends the base64 of `bytes` to `out`, in one pass. The text is written into room made at once (`=`
/// where padding goes), not pushed four bytes at a time: a push per group costs a call and a capacity
/// check, which made encoding the largest cost of a small item.
pub fn encode_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), b'=');
    let symbol = |n: u32, shift: u32| ALPHABET[(n >> shift) as usize & 63];
    let groups = bytes.chunks_exact(3);
    let tail = groups.remainder();
    let mut texts = out[start..].chunks_exact_mut(4);
    for (group, text) in groups.zip(&mut texts) {
        let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
        // As one 4-byte store: `copy_from_slice` would be a call per group.
        if let Ok(text) = <&mut [u8; 4]>::try_from(text) {
            *text = [symbol(n, 18), symbol(n, 12), symbol(n, 6), symbol(n, 0)];
        }
    }
    if let (Some(text), [first, rest @ ..]) = (texts.next(), tail) {
        // One byte makes two symbols, two bytes three; the rest stay `=`.
        let second = rest.first().copied().unwrap_or(0);
        let n = (u32::from(*first) << 16) | (u32::from(second) << 8);
        text[0] = symbol(n, 18);
        text[1] = symbol(n, 12);
        if !rest.is_empty() {
            text[2] = symbol(n, 6);
        }
    }
}

/// Whether `text` is well-formed standard base64: a multiple of four characters from the alphabet, with
/// at most two `=` at the very end. Whitespace is not accepted (Exchange's tolerance for it is unknown).
/// Two choices differ from a strict decoder (the `base64` crate's, which the tests compare with): empty
/// text is refused, since an item has at least one byte, and unused bits in the last symbol before `=`
/// need not be zero, as .NET's `Convert.FromBase64String`, Exchange's decoder, accepts them.
pub fn is_valid(text: &str) -> bool {
    is_valid_bytes(text.as_bytes())
}

/// [`is_valid`] over bytes (base64 written straight into a body buffer).
pub fn is_valid_bytes(bytes: &[u8]) -> bool {
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    padding <= 2
        && bytes[..bytes.len() - padding]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        let mut out = b">".to_vec();
        encode_into(&mut out, bytes);
        String::from_utf8(out).unwrap()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ">"),
            ("f", ">Zg=="),
            ("fo", ">Zm8="),
            ("foo", ">Zm9v"),
            ("foob", ">Zm9vYg=="),
            ("fooba", ">Zm9vYmE="),
            ("foobar", ">Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), encoded);
        }
        assert_eq!(encode(&[0xFB, 0xFF, 0xBF]), ">+/+/");
        assert_eq!(encoded_len(0), 0);
        assert_eq!(encoded_len(4), 8);
        assert_eq!(encoded_len(usize::MAX), usize::MAX);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn validity() {
        for good in ["Zg==", "Zm8=", "Zm9v", "+/+/", "AAEAAAD/////AQAAAAAAAAA="] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "", "Zg=", "Z===", "Zm9v\n", "Zm 9", "Zm9-", "Zg==Zg==", "=Zg=",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
