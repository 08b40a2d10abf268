//! Just enough URL handling to decide where a request may go: the Graph root, the import hosts the caller
//! trusts, percent-encoding of path segments, and `Location` headers.
//!
//! The checks are deliberately stricter than a browser's URL parser: anything a WHATWG parser would
//! normalise into a different host (userinfo, percent-escapes or backslashes in the authority, control
//! characters, whitespace) is refused rather than interpreted, so the host we check is the host `fetch`
//! contacts.

use alloc::string::String;

use crate::codec::text::{find, head, tail};
/// `https`, or `http` when the host is loopback (local development and the mock tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http:`, admitted only for loopback hosts.
    Http,
    /// `https:`.
    Https,
}

impl Scheme {
    /// The port a URL of this scheme reaches when it names none: 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// The scheme's name as written before `://`, lower-case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// The parts of an absolute http(s) URL that decide where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// Which scheme the URL names (any letter case in the source).
    pub scheme: Scheme,
    /// Lower-cased; IPv6 literals keep their brackets.
    pub host: String,
    /// The effective port (the scheme's default when none is written).
    pub port: u16,
    /// Everything after the authority: path, query and fragment, as written.
    pub rest: &'a str,
}

/// Why a URL was refused; the URL itself is never repeated in messages because it may hold a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute `http://` or `https://` URL, or it holds whitespace, control characters or
    /// backslashes.
    NotAbsoluteHttp,
    /// The host or port is not one this crate can judge: userinfo, escapes, an IPv4 address in a
    /// non-canonical form, a punycode label, an IPv6 literal other than `[::1]`, or a port outside 1-65535.
    BadAuthority,
    /// `http:` to a host that is not loopback.
    InsecureScheme,
}

/// `[::1]`, the only IPv6 literal a URL may name (see [`parse_authority`]).
const IPV6_LOOPBACK: &str = "[::1]";

fn is_host_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.' || byte == b'_'
}

/// Splits `host[:port]` (or `[::1]:port`) into a lower-cased host and an optional port.
pub fn parse_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(after) = authority.strip_prefix(IPV6_LOOPBACK) {
        // The one IPv6 literal admitted: the URL Standard rewrites every other spelling of an IPv6
        // address into its canonical form, and Graph's and Exchange's hosts are names, never literals.
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (IPV6_LOOPBACK, port)
    } else {
        match authority.rfind(':') {
            Some(colon) => (head(authority, colon), Some(tail(authority, colon + 1))),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || (host != IPV6_LOOPBACK
            && (!host.bytes().all(is_host_char)
                || rewritten_as_ipv4(host)
                || has_punycode_label(host)))
    {
        return None;
    }
    let port = match port {
        None => None,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let value: u32 = digits
                .bytes()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'));
            if value == 0 || value > 65_535 {
                return None;
            }
            Some(value as u16)
        }
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Whether the URL Standard (what `fetch` follows) would read `host` as an IPv4 address written in some
/// other form than a canonical dotted quad: its last label "ends in a number" (all digits, or `0x` and hex),
/// so `127.1`, `0x7f000001` and `127.000.0.1` all become `127.0.0.1`, and `a.0xa` is refused. Such a host
/// is refused here, so the host we compare with the trusted ones is the host `fetch` contacts.
fn rewritten_as_ipv4(host: &str) -> bool {
    let labels = host.strip_suffix('.').unwrap_or(host);
    let last = labels.rsplit('.').next().unwrap_or(labels);
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()));
    let ends_in_number = hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()));
    ends_in_number && !is_dotted_quad(host)
}

/// Whether a label is punycode (`xn--...`): the URL Standard decodes and checks it (IDNA), and an invalid one
/// fails there. Graph's and Exchange's hosts are never internationalised, so such hosts are refused rather
/// than judged without an IDNA implementation.
fn has_punycode_label(host: &str) -> bool {
    host.split('.').any(|label| {
        label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
    })
}

/// Four decimal octets of at most 255, written without leading zeros: the form the URL Standard keeps.
fn is_dotted_quad(host: &str) -> bool {
    let mut octets = 0;
    for part in host.split('.') {
        let canonical = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        // At most three digits, so no overflow.
        if !canonical
            || part
                .bytes()
                .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
                > 255
        {
            return false;
        }
        octets += 1;
    }
    octets == 4
}

/// `localhost`, `127.0.0.0/8` written as a dotted quad, or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == IPV6_LOOPBACK
        || (host.starts_with("127.") && is_dotted_quad(host))
}

/// Parses an absolute `http(s)://authority/rest` URL and applies the loopback-only rule for `http:`.
pub fn parse_target(url: &str) -> Result<Target<'_>, UrlProblem> {
    if url.bytes().any(|b| b <= b' ' || b == 0x7F || b == b'\\') {
        return Err(UrlProblem::NotAbsoluteHttp);
    }
    let (scheme, after_scheme) = match find(url, "://", false) {
        Some(i) if head(url, i).eq_ignore_ascii_case("https") => (Scheme::Https, tail(url, i + 3)),
        Some(i) if head(url, i).eq_ignore_ascii_case("http") => (Scheme::Http, tail(url, i + 3)),
        _ => return Err(UrlProblem::NotAbsoluteHttp),
    };
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = (head(after_scheme, end), tail(after_scheme, end));
    let (host, port) = parse_authority(authority).ok_or(UrlProblem::BadAuthority)?;
    if scheme == Scheme::Http && !is_loopback(&host) {
        return Err(UrlProblem::InsecureScheme);
    }
    Ok(Target {
        scheme,
        port: port.unwrap_or(scheme.default_port()),
        host,
        rest,
    })
}

/// One entry of `trustedImportHosts`: `host` (the scheme's default port only) or `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHost {
    /// Lower-cased, as [`parse_authority`] reads it.
    pub host: String,
    /// `None`: only the scheme's default port is admitted (443 for `https`).
    pub port: Option<u16>,
}

impl TrustedHost {
    /// Reads one entry; `None` when it is not a plain `host` or `host:port`.
    pub fn parse(entry: &str) -> Option<Self> {
        let (host, port) = parse_authority(entry)?;
        Some(Self { host, port })
    }

    /// Whether `target` goes to this host and port (a missing port meaning the target scheme's default).
    pub fn admits(&self, target: &Target) -> bool {
        self.host == target.host && self.port.unwrap_or(target.scheme.default_port()) == target.port
    }
}

/// Whether the path of `rest` (what follows a URL's authority, as in [`Target::rest`]) has a `.` or `..`
/// segment, written plainly or percent-encoded in any letter case (`%2e`, `.%2E`, `%2E%2e`...). `fetch`'s
/// URL parser resolves those, so the path requested would not be the path a prefix check read: such URLs
/// are refused outright rather than resolved here.
pub fn has_dot_segment(rest: &str) -> bool {
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let mut text = segment.as_bytes();
        let mut dots = 0;
        loop {
            if let Some(after) = text.strip_prefix(b".") {
                text = after;
            } else if let Some(after) = text
                .get(..3)
                .filter(|escape| escape.eq_ignore_ascii_case(b"%2e"))
                .and_then(|_| text.get(3..))
            {
                text = after;
            } else {
                break;
            }
            dots += 1;
        }
        text.is_empty() && (dots == 1 || dots == 2)
    })
}

/// Percent-encodes `text`: everything but RFC 3986's unreserved characters is escaped. As a path segment,
/// `/`, `?`, `#`, `%` and spaces cannot change the path (the Graph SDKs encode ids so); as a form value
/// (`application/x-www-form-urlencoded`), `&`, `=` and `+` cannot change the fields.
pub fn percent_encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

/// Resolves a `Location` header against the URL that answered with it. Only absolute URLs,
/// scheme-relative (`//host/...`) and absolute-path (`/...`) references are resolved; a relative path is
/// refused (`None`) rather than guessed, since Graph writes absolute URLs.
pub fn resolve_location(base: &str, location: &str) -> Option<String> {
    if location.starts_with("//") {
        let scheme_end = find(base, "://", false)?;
        return Some([head(base, scheme_end + 1), location].concat());
    }
    if location.starts_with('/') {
        let target = parse_target(base).ok()?;
        let origin_len = base.len() - target.rest.len();
        return Some([head(base, origin_len), location].concat());
    }
    let lower = location
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Some(location.into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn targets() {
        let t = parse_target("https://Outlook.Office365.com/api/gv1.0/x?authtoken=abc").unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port, t.rest),
            (
                Scheme::Https,
                "outlook.office365.com",
                443,
                "/api/gv1.0/x?authtoken=abc"
            )
        );
        let t = parse_target("http://127.0.0.1:8080").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.rest), ("127.0.0.1", 8080, ""));
        let t = parse_target("http://[::1]:9/x").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("[::1]", 9));
        assert!(parse_target("http://localhost/x").is_ok());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn refused_targets() {
        use UrlProblem::*;
        for (url, problem) in [
            ("ftp://outlook.office365.com/", NotAbsoluteHttp),
            ("outlook.office365.com/x", NotAbsoluteHttp),
            ("https://outlook.office365.com\\@evil.com/", NotAbsoluteHttp),
            ("https://outlook.office\t365.com/", NotAbsoluteHttp),
            (" https://outlook.office365.com/", NotAbsoluteHttp),
            ("https://outlook.office365.com@evil.com/", BadAuthority),
            ("https://user:pw@outlook.office365.com/", BadAuthority),
            ("https://outlook.office365.com%2eevil.com/", BadAuthority),
            ("https://outlook.office365.com:0/", BadAuthority),
            ("https://outlook.office365.com:65536/", BadAuthority),
            ("https://outlook.office365.com:/", BadAuthority),
            ("https:///x", BadAuthority),
            ("https://[zz]/", BadAuthority),
            ("http://outlook.office365.com/", InsecureScheme),
            ("http://127.0.0.1.evil.com/", InsecureScheme),
            ("http://128.0.0.1/", InsecureScheme),
            // Hosts the URL Standard would rewrite (to 127.0.0.1, to a canonical IPv6 form) or refuse.
            ("http://127.0.0.256/", BadAuthority),
            ("https://127.1/", BadAuthority),
            ("https://0x7f000001/", BadAuthority),
            ("https://127.000.0.1/", BadAuthority),
            ("https://outlook.0xa/", BadAuthority),
            ("https://outlook.office365.09/", BadAuthority),
            ("http://[::2]/", BadAuthority),
            ("http://[0:0::1]/", BadAuthority),
            ("https://0.xn--/", BadAuthority),
            ("https://XN--bcher-kva.example/", BadAuthority),
        ] {
            assert_eq!(parse_target(url).err(), Some(problem), "{url}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn trusted_hosts_match_host_and_port() {
        let plain = TrustedHost::parse("outlook.office365.com").unwrap();
        let with_port = TrustedHost::parse("127.0.0.1:7001").unwrap();
        let t = |u| parse_target(u).unwrap();
        assert!(plain.admits(&t("https://OUTLOOK.office365.com/x")));
        assert!(plain.admits(&t("https://outlook.office365.com:443/x")));
        assert!(!plain.admits(&t("https://outlook.office365.com:8443/x")));
        assert!(!plain.admits(&t("https://outlook.office365.com.evil.com/x")));
        assert!(!plain.admits(&t("https://evil-outlook.office365.com/x")));
        assert!(with_port.admits(&t("http://127.0.0.1:7001/x")));
        assert!(!with_port.admits(&t("http://127.0.0.1:7002/x")));
        assert_eq!(TrustedHost::parse("https://outlook.office365.com"), None);
        assert_eq!(TrustedHost::parse("outlook.office365.com/x"), None);
        assert_eq!(TrustedHost::parse(""), None);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn path_segments_stay_one_segment() {
        let encode = |s: &str| {
            let mut out = String::new();
            percent_encode(&mut out, s);
            out
        };
        assert_eq!(encode("MBX:e0643f21@a7809c93"), "MBX%3Ae0643f21%40a7809c93");
        assert_eq!(encode("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("A-z_0.9~"), "A-z_0.9~");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn dot_segments_cannot_be_encoded_away_so_they_are_found() {
        // Escaping would not help: URL parsers resolve `%2E%2E` as they resolve `..`. Ids `.` and `..` are
        // refused before they reach a path, and URLs holding such segments are refused whole.
        let encode = |s: &str| {
            let mut out = String::new();
            percent_encode(&mut out, s);
            out
        };
        assert!(has_dot_segment(&["/v1.0/", &encode(".."), "/x"].concat()));
        for path in [
            "/..",
            "/.",
            "/a/../b",
            "/a/./b",
            "/%2e%2e/b",
            "/%2E%2e/b",
            "/.%2E/b",
            "/%2e./b",
            "/%2e",
            "..",
            "/a/..?q",
            "/a/.#f",
        ] {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in [
            "",
            "/",
            "/a..b",
            "/...",
            "/.a",
            "/%2e%2e%2e",
            "/%2ex",
            "/a?x=/../",
            "/a#/../",
            "/%2",
            "/é/..é",
        ] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn locations() {
        let base = "https://graph.microsoft.com/v1.0/admin/x?y";
        assert_eq!(
            resolve_location(base, "/beta/z").as_deref(),
            Some("https://graph.microsoft.com/beta/z")
        );
        assert_eq!(
            resolve_location(base, "//evil.com/z").as_deref(),
            Some("https://evil.com/z")
        );
        assert_eq!(
            resolve_location(base, "HTTPS://a.b/c").as_deref(),
            Some("HTTPS://a.b/c")
        );
        assert_eq!(resolve_location(base, "relative/path"), None);
    }
}
