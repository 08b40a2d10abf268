//! The URL decisions of `codec::url` against the platform's own URL parser (`new URL()`, what `fetch`
//! follows), in wasm: whenever our check admits a URL, the platform must read the same scheme, host and
//! port from it, and no user name or password. Otherwise the host we compare with the trusted ones would
//! not be the host `fetch` contacts. Run in Node and in Chromium by `scripts/test-wasm.sh`.

#![cfg(target_arch = "wasm32")]

use graph_mailbox_import::codec::url::{parse_target, Scheme};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = URL)]
    type PlatformUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(input: &str) -> Result<PlatformUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn protocol(this: &PlatformUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &PlatformUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn port(this: &PlatformUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn username(this: &PlatformUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn password(this: &PlatformUrl) -> String;
}

/// Whether the platform reads `url` as going where our check says it goes; `None` when our check refuses
/// it (nothing to compare: a refused URL is never fetched).
fn disagreement(url: &str) -> Option<String> {
    let ours = parse_target(url).ok()?;
    let theirs = match PlatformUrl::new(url) {
        Ok(parsed) => parsed,
        Err(_) => return Some(format!("{url:?}: admitted by us, refused by the platform")),
    };
    let scheme = match ours.scheme {
        Scheme::Http => "http:",
        Scheme::Https => "https:",
    };
    let port = match theirs.port().as_str() {
        "" => ours.scheme.default_port(),
        digits => digits.parse().unwrap_or(0),
    };
    let same = theirs.protocol() == scheme
        && theirs.hostname() == ours.host
        && port == ours.port
        && theirs.username().is_empty()
        && theirs.password().is_empty();
    (!same).then(|| {
        format!(
            "{url:?}: ours {scheme}//{}:{}, the platform's {}//{}:{} (user {:?})",
            ours.host,
            ours.port,
            theirs.protocol(),
            theirs.hostname(),
            port,
            theirs.username()
        )
    })
}

/// Authorities written to probe the places where URL parsers normalise: IPv4 spellings, IPv6 literals,
/// letter case, trailing dots, punycode, userinfo, escapes, ports with leading zeros or out of range.
const AUTHORITIES: &[&str] = &[
    "graph.microsoft.com",
    "GRAPH.Microsoft.COM",
    "graph.microsoft.com.",
    "outlook.office365.com:443",
    "outlook.office365.com:0443",
    "outlook.office365.com:65535",
    "outlook.office365.com:65536",
    "outlook.office365.com:",
    "localhost",
    "localhost:8080",
    "LOCALHOST:8080",
    "127.0.0.1",
    "127.0.0.1:3000",
    "127.1",
    "127.000.0.1",
    "0x7f000001",
    "0x7F.0.0.1",
    "2130706433",
    "127.0.0.1.",
    "1.2.3.4.5",
    "256.0.0.1",
    "a.0xa",
    "a.1",
    "a.09",
    "[::1]",
    "[::1]:8443",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[aa]",
    "xn--nxasmq6b.example",
    "0.xn--",
    "a_b.example",
    "-lead.example",
    "user@graph.microsoft.com",
    "user:pass@localhost",
    "graph.microsoft.com@evil.example",
    "evil.example%2f.graph.microsoft.com",
    "graph%2Emicrosoft.com",
    "graph.microsoft.com:443@evil.example",
    "",
    ":443",
];

const PREFIXES: &[&str] = &["https://", "http://", "HTTPS://", "hTtP://"];
const SUFFIXES: &[&str] = &["", "/", "/v1.0/admin?x=1", "?q#f", "#frag", "/a/../b"];

#[wasm_bindgen_test]
fn every_url_we_admit_goes_where_the_platform_says_it_goes() {
    let mut admitted = 0;
    let mut problems = Vec::new();
    for prefix in PREFIXES {
        for authority in AUTHORITIES {
            for suffix in SUFFIXES {
                let url = [prefix, *authority, suffix].concat();
                if parse_target(&url).is_ok() {
                    admitted += 1;
                }
                problems.extend(disagreement(&url));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The list is not all refusals: the comparison ran on real cases.
    assert!(admitted > 100, "only {admitted} URLs admitted");
}

/// A small deterministic generator (xorshift), so a failure names a URL that fails again on the next run.
struct Xorshift(u32);

impl Xorshift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() as usize % from.len()]
    }
}

#[wasm_bindgen_test]
fn generated_authorities_agree_with_the_platform() {
    // Hosts made of the characters where parsers differ: digits, hex prefixes, dots, dashes, letters of both
    // cases, and the odd escape or at-sign; most are refused by us, and every one admitted is compared.
    const PIECES: &[&str] = &[
        "0",
        "1",
        "7",
        "9",
        "00",
        "255",
        "256",
        "0x",
        "0X",
        "ff",
        "a",
        "B",
        "z",
        "xn--",
        "-",
        "_",
        ".",
        ".",
        ".",
        "localhost",
        "example",
        "com",
        "%2e",
        "@",
        ":",
        "[",
        "]",
        "::1",
    ];
    let mut random = Xorshift(0x9E37_79B9);
    let mut admitted = 0;
    let mut problems = Vec::new();
    for _ in 0..20_000 {
        let pieces = 1 + random.next() % 6;
        let mut authority = String::new();
        for _ in 0..pieces {
            authority.push_str(random.pick(PIECES));
        }
        if random.next() % 4 == 0 {
            authority.push_str(random.pick(&[":1", ":80", ":443", ":08080", ":65535", ":99999"]));
        }
        let url = [random.pick(PREFIXES), &authority, random.pick(SUFFIXES)].concat();
        if parse_target(&url).is_ok() {
            admitted += 1;
        }
        problems.extend(disagreement(&url));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(admitted > 500, "only {admitted} URLs admitted");
}
