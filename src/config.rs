//! `ClientOptions` from JavaScript, validated once into a [`ClientConfig`] before any request.

use crate::codec::text::push_decimal;
use crate::codec::url::{has_dot_segment, parse_target, TrustedHost, UrlProblem};
use crate::error::MailboxError;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The largest delay `setTimeout` honours (2^31 - 1 ms); larger values fire at once in every runtime.
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;
/// Graph's JS SDK caps retries at 10; more than that only hides an outage.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// `graphBaseUrl` when none is given: the global cloud's Graph.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.microsoft.com";
/// `trustedImportHosts` when none is given: the hosts Exchange Online's import URLs name (default port only).
pub const DEFAULT_TRUSTED_IMPORT_HOSTS: [&str; 2] = ["outlook.office365.com", "outlook.office.com"];
/// `timeoutMs` when none is given, per attempt.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// `maxRetries` when none is given.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// `retryBaseDelayMs` when none is given: the first backoff without a `Retry-After`.
pub const DEFAULT_RETRY_BASE_DELAY_MS: u64 = 1_000;
/// `maxRetryDelayMs` when none is given: the longest single wait.
pub const DEFAULT_MAX_RETRY_DELAY_MS: u64 = 60_000;
/// `renewBeforeMs` when none is given: sessions and app-only tokens are replaced 5 minutes before they
/// expire.
pub const DEFAULT_RENEW_BEFORE_MS: u64 = 5 * 60 * 1000;
/// Exchange allows 4 concurrent requests per app and mailbox; a fifth is refused with 429.
pub const DEFAULT_MAILBOX_CONCURRENCY: usize = 4;
/// Largest `mailboxConcurrency` accepted; more posts to one mailbox only earn 429s.
pub const MAX_MAILBOX_CONCURRENCY: usize = 16;

/// The Graph version in every path (`apiVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `v1.0`, the default.
    V1,
    /// `beta`.
    Beta,
}

impl ApiVersion {
    /// The path segment: `v1.0` or `beta`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// Options as they arrive from JavaScript, already checked for type by the binding layer
/// (a number where a number belongs), not yet for meaning.
#[derive(Debug, Clone, Default)]
pub struct RawOptions {
    /// `apiVersion`: `"v1.0"` (also when `None`) or `"beta"`.
    pub api_version: Option<String>,
    /// `graphBaseUrl`; `None`: [`DEFAULT_GRAPH_BASE_URL`].
    pub graph_base_url: Option<String>,
    /// `trustedImportHosts`, entries `host` or `host:port`; `None`: [`DEFAULT_TRUSTED_IMPORT_HOSTS`].
    pub trusted_import_hosts: Option<Vec<String>>,
    /// `timeoutMs`, per attempt, in milliseconds; `None`: [`DEFAULT_TIMEOUT_MS`].
    pub timeout_ms: Option<f64>,
    /// `maxRetries`, a whole number from 0 to [`MAX_RETRIES_LIMIT`]; `None`: [`DEFAULT_MAX_RETRIES`].
    pub max_retries: Option<f64>,
    /// `retryBaseDelayMs`, in milliseconds; `None`: [`DEFAULT_RETRY_BASE_DELAY_MS`].
    pub retry_base_delay_ms: Option<f64>,
    /// `maxRetryDelayMs`, in milliseconds; `None`: [`DEFAULT_MAX_RETRY_DELAY_MS`].
    pub max_retry_delay_ms: Option<f64>,
    /// `scopes` the token provider is asked for; `None`: [`default_scopes`] of the Graph root.
    pub scopes: Option<Vec<String>>,
    /// `renewBeforeMs`, in milliseconds; `None`: [`DEFAULT_RENEW_BEFORE_MS`].
    pub renew_before_ms: Option<f64>,
    /// `mailboxConcurrency`, from 1 to [`MAX_MAILBOX_CONCURRENCY`]; `None`: [`DEFAULT_MAILBOX_CONCURRENCY`].
    pub mailbox_concurrency: Option<f64>,
}

/// How one kind of call is retried: the timeout of each attempt, how many retries, and the waits
/// (what [`crate::wire::retry::decide`] decides by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Per attempt.
    pub timeout_ms: u32,
    /// Retries after the first attempt, for 429/503/504 and for network failures of requests safe to resend.
    pub max_retries: u32,
    /// The first backoff when the service gave no `Retry-After`; it doubles with each retry.
    pub base_delay_ms: u64,
    /// The longest single wait. A longer `Retry-After` is not waited out: the call gives up and says so.
    pub max_delay_ms: u64,
}

impl RetryPolicy {
    /// `api.md`'s defaults: 30 s per attempt, 3 retries, 1 s first backoff, waits of at most a minute.
    pub const DEFAULT: Self = Self {
        timeout_ms: DEFAULT_TIMEOUT_MS,
        max_retries: DEFAULT_MAX_RETRIES,
        base_delay_ms: DEFAULT_RETRY_BASE_DELAY_MS,
        max_delay_ms: DEFAULT_MAX_RETRY_DELAY_MS,
    };
}

/// Validated settings shared by every call of a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// The version segment of every Graph path.
    pub api_version: ApiVersion,
    /// Scheme, host, optional port and optional path prefix, without a trailing slash. The token is only
    /// ever sent to URLs under this root.
    pub graph_root: String,
    /// The hosts an `importUrl` (and an import post's redirect target) may name; anything else is refused.
    pub trusted_import_hosts: Vec<TrustedHost>,
    /// For Graph calls and import posts alike.
    pub retry: RetryPolicy,
    /// What the token provider is asked for.
    pub scopes: Vec<String>,
    /// Import sessions are replaced this long before their `expirationDateTime`.
    pub renew_before_ms: u64,
    /// Import posts in flight at once per target mailbox, across every call of a client.
    pub mailbox_concurrency: usize,
}

pub(crate) fn option_error(name: &str, requirement: &str) -> MailboxError {
    MailboxError::invalid_argument(["options.", name, " ", requirement].concat())
}

/// `value.ceil()` for a finite non-negative value; `f64::ceil` needs `std` (or libm) in a no_std build.
fn round_up(value: f64) -> u64 {
    let whole = value as u64;
    if (whole as f64) < value {
        whole + 1
    } else {
        whole
    }
}

/// A finite number in `[min, MAX_TIMER_MS]`, rounded up to whole milliseconds.
fn milliseconds(
    value: Option<f64>,
    name: &str,
    min: f64,
    default: u64,
) -> Result<u64, MailboxError> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v >= min && v <= MAX_TIMER_MS => Ok(round_up(v)),
        Some(_) => {
            let mut requirement = String::from(if min > 0.0 {
                "must be a positive number of milliseconds"
            } else {
                "must be a number of milliseconds, 0 or more"
            });
            requirement.push_str(" no larger than ");
            push_decimal(&mut requirement, MAX_TIMER_MS as u64);
            Err(option_error(name, &requirement))
        }
    }
}

/// `timeoutMs`, of Graph calls and of the token endpoint alike: at least 1 ms, default 30 s.
pub(crate) fn timeout(value: Option<f64>) -> Result<u32, MailboxError> {
    // At most MAX_TIMER_MS, so it fits a u32.
    milliseconds(value, "timeoutMs", 1.0, u64::from(DEFAULT_TIMEOUT_MS))
        .map(|ms| u32::try_from(ms).unwrap_or(u32::MAX))
}

/// `renewBeforeMs`, of import sessions and of app-only tokens alike: default 5 minutes.
pub(crate) fn renew_before(value: Option<f64>) -> Result<u64, MailboxError> {
    milliseconds(value, "renewBeforeMs", 0.0, DEFAULT_RENEW_BEFORE_MS)
}

/// A whole number in `[min, max]`.
fn whole_number(
    value: Option<f64>,
    name: &str,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32, MailboxError> {
    match value {
        None => Ok(default),
        Some(n) if (f64::from(min)..=f64::from(max)).contains(&n) && n == f64::from(n as u32) => {
            Ok(n as u32)
        }
        Some(_) => {
            let mut requirement = String::from("must be a whole number from ");
            push_decimal(&mut requirement, u64::from(min));
            requirement.push_str(" to ");
            push_decimal(&mut requirement, u64::from(max));
            Err(option_error(name, &requirement))
        }
    }
}

/// The Graph root: `https://host[:port][/prefix]`, or loopback `http:`; no query, fragment or userinfo.
fn graph_root(url: &str) -> Result<String, MailboxError> {
    base_url("graphBaseUrl", url)
}

/// A service root given as option `name`: `https://host[:port][/prefix]`, or `http:` on loopback only; no
/// query or fragment. Returned without a trailing slash.
pub(crate) fn base_url(name: &str, url: &str) -> Result<String, MailboxError> {
    let target = parse_target(url).map_err(|problem| {
        option_error(
            name,
            match problem {
                UrlProblem::InsecureScheme => {
                    "must use https: (http: is accepted for localhost, 127.0.0.0/8 and [::1] only)"
                }
                _ => "must be an absolute https: URL such as https://graph.microsoft.com",
            },
        )
    })?;
    if target.rest.contains(['?', '#']) {
        return Err(option_error(name, "must not have a query or fragment"));
    }
    if has_dot_segment(target.rest) {
        return Err(option_error(
            name,
            "must not have \".\" or \"..\" path segments",
        ));
    }
    Ok(url.trim_end_matches('/').into())
}

/// Default scopes: the delegated import permission on the Graph resource in use (MSAL's
/// `acquireTokenSilent` accepts these). A loopback root (the mock tenant) stands for the global cloud.
pub fn default_scopes(graph_root: &str) -> Vec<String> {
    let resource = match parse_target(graph_root) {
        Ok(t) if !crate::codec::url::is_loopback(&t.host) => {
            crate::codec::text::head(graph_root, graph_root.len() - t.rest.len())
        }
        _ => DEFAULT_GRAPH_BASE_URL,
    };
    vec![[resource, "/MailboxItem.ImportExport"].concat()]
}

impl ClientConfig {
    /// Checks every option and fills in the defaults; the first bad option is an `invalidArgument` naming it.
    pub fn from_raw(raw: RawOptions) -> Result<Self, MailboxError> {
        let api_version = match raw.api_version.as_deref() {
            None | Some("v1.0") => ApiVersion::V1,
            Some("beta") => ApiVersion::Beta,
            Some(_) => return Err(option_error("apiVersion", "must be \"v1.0\" or \"beta\"")),
        };
        let graph_root = graph_root(
            raw.graph_base_url
                .as_deref()
                .unwrap_or(DEFAULT_GRAPH_BASE_URL),
        )?;
        let trusted_import_hosts = match raw.trusted_import_hosts {
            None => DEFAULT_TRUSTED_IMPORT_HOSTS
                .iter()
                .filter_map(|h| TrustedHost::parse(h))
                .collect(),
            Some(entries) if entries.is_empty() => {
                return Err(option_error(
                    "trustedImportHosts",
                    "must list at least one host",
                ))
            }
            Some(entries) => entries
                .iter()
                .map(|entry| {
                    TrustedHost::parse(entry).ok_or_else(|| {
                        option_error(
                            "trustedImportHosts",
                            "entries must be \"host\" or \"host:port\", without scheme or path",
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let timeout_ms = timeout(raw.timeout_ms)?;
        let max_retries = whole_number(
            raw.max_retries,
            "maxRetries",
            0,
            MAX_RETRIES_LIMIT,
            DEFAULT_MAX_RETRIES,
        )?;
        let retry_base_delay_ms = milliseconds(
            raw.retry_base_delay_ms,
            "retryBaseDelayMs",
            0.0,
            DEFAULT_RETRY_BASE_DELAY_MS,
        )?;
        let max_retry_delay_ms = milliseconds(
            raw.max_retry_delay_ms,
            "maxRetryDelayMs",
            0.0,
            DEFAULT_MAX_RETRY_DELAY_MS,
        )?;
        let renew_before_ms = renew_before(raw.renew_before_ms)?;
        let mailbox_concurrency = whole_number(
            raw.mailbox_concurrency,
            "mailboxConcurrency",
            1,
            MAX_MAILBOX_CONCURRENCY as u32,
            DEFAULT_MAILBOX_CONCURRENCY as u32,
        )? as usize;
        let scopes = match raw.scopes {
            None => default_scopes(&graph_root),
            Some(scopes) if !scopes.is_empty() && scopes.iter().all(|s| !s.trim().is_empty()) => {
                scopes
            }
            Some(_) => {
                return Err(option_error(
                    "scopes",
                    "must be a non-empty array of non-empty strings",
                ))
            }
        };
        Ok(Self {
            api_version,
            graph_root,
            trusted_import_hosts,
            retry: RetryPolicy {
                timeout_ms,
                max_retries,
                base_delay_ms: retry_base_delay_ms,
                max_delay_ms: max_retry_delay_ms,
            },
            scopes,
            renew_before_ms,
            mailbox_concurrency,
        })
    }

    /// `{root}/{version}`, the base of every Graph path.
    pub fn versioned_root(&self) -> String {
        [self.graph_root.as_str(), "/", self.api_version.as_str()].concat()
    }

    /// Whether `url` lies under the Graph root (same scheme, host and port, and under its path prefix,
    /// with no `.` or `..` segment that `fetch` would resolve to climb out of it), so that a bearer token
    /// may be sent to it.
    pub fn is_under_graph_root(&self, url: &str) -> bool {
        let (Ok(root), Ok(target)) = (parse_target(&self.graph_root), parse_target(url)) else {
            return false;
        };
        let path_ok = target
            .rest
            .strip_prefix(root.rest)
            .is_some_and(|after| after.starts_with('/'))
            && !has_dot_segment(target.rest);
        root.scheme == target.scheme
            && root.host == target.host
            && root.port == target.port
            && path_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn raw() -> RawOptions {
        RawOptions::default()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn nothing_with_dot_segments_is_under_a_root_with_a_path() {
        let config = ClientConfig::from_raw(RawOptions {
            graph_base_url: Some("https://gw.example.net/graph".into()),
            ..raw()
        })
        .unwrap();
        for url in [
            "https://gw.example.net/graph/../other-service/x",
            "https://gw.example.net/graph/v1.0/../../other-service/x",
            "https://gw.example.net/graph/%2e%2e/other-service/x",
            "https://gw.example.net/graph/%2E%2e/other-service/x",
            "https://gw.example.net/graph/.%2E/x",
            "https://gw.example.net/graph/%2e./x",
            "https://gw.example.net/graph/./x",
            "https://gw.example.net/graph/%2e/x",
            "https://gw.example.net/graph/v1.0/x/..",
            "https://gw.example.net/graph/v1.0/x/.?y",
        ] {
            assert!(!config.is_under_graph_root(url), "{url}");
        }
        for url in [
            "https://gw.example.net/graph/v1.0/x",
            "https://gw.example.net/graph/v1.0/a..b/.../x",
            "https://gw.example.net/graph/v1.0/x?$skiptoken=../y#..",
        ] {
            assert!(config.is_under_graph_root(url), "{url}");
        }
        // The root itself may not have them either: fetch would send to the resolved path.
        for root in [
            "https://gw.example.net/a/../graph",
            "https://gw.example.net/graph/%2E",
        ] {
            let refused = ClientConfig::from_raw(RawOptions {
                graph_base_url: Some(root.into()),
                ..raw()
            });
            assert_eq!(
                refused.unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{root}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn defaults_match_the_contract() {
        let config = ClientConfig::from_raw(raw()).unwrap();
        assert_eq!(config.api_version, ApiVersion::V1);
        assert_eq!(config.graph_root, "https://graph.microsoft.com");
        assert_eq!(
            config.trusted_import_hosts,
            vec![
                TrustedHost::parse("outlook.office365.com").unwrap(),
                TrustedHost::parse("outlook.office.com").unwrap()
            ]
        );
        assert_eq!(
            config.retry,
            RetryPolicy {
                timeout_ms: 30_000,
                max_retries: 3,
                base_delay_ms: 1_000,
                max_delay_ms: 60_000
            }
        );
        assert_eq!(config.retry, RetryPolicy::DEFAULT);
        assert_eq!(
            config.scopes,
            vec!["https://graph.microsoft.com/MailboxItem.ImportExport".to_string()]
        );
        assert_eq!(config.versioned_root(), "https://graph.microsoft.com/v1.0");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn national_clouds_and_loopback_roots() {
        let config = ClientConfig::from_raw(RawOptions {
            graph_base_url: Some("https://graph.microsoft.us/".into()),
            api_version: Some("beta".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(config.versioned_root(), "https://graph.microsoft.us/beta");
        assert_eq!(
            config.scopes,
            vec!["https://graph.microsoft.us/MailboxItem.ImportExport".to_string()]
        );
        let local = ClientConfig::from_raw(RawOptions {
            graph_base_url: Some("http://127.0.0.1:7000".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(
            local.scopes,
            vec!["https://graph.microsoft.com/MailboxItem.ImportExport".to_string()]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn bad_options_are_refused_with_the_option_named() {
        let cases: Vec<(RawOptions, &str)> = vec![
            (
                RawOptions {
                    api_version: Some("v2".into()),
                    ..raw()
                },
                "options.apiVersion",
            ),
            (
                RawOptions {
                    graph_base_url: Some("http://graph.microsoft.com".into()),
                    ..raw()
                },
                "options.graphBaseUrl must use https:",
            ),
            (
                RawOptions {
                    graph_base_url: Some("graph.microsoft.com".into()),
                    ..raw()
                },
                "options.graphBaseUrl",
            ),
            (
                RawOptions {
                    graph_base_url: Some("https://graph.microsoft.com/?x".into()),
                    ..raw()
                },
                "options.graphBaseUrl",
            ),
            (
                RawOptions {
                    trusted_import_hosts: Some(vec![]),
                    ..raw()
                },
                "options.trustedImportHosts",
            ),
            (
                RawOptions {
                    trusted_import_hosts: Some(vec!["https://x.com".into()]),
                    ..raw()
                },
                "options.trustedImportHosts",
            ),
            (
                RawOptions {
                    timeout_ms: Some(0.0),
                    ..raw()
                },
                "options.timeoutMs",
            ),
            (
                RawOptions {
                    timeout_ms: Some(f64::NAN),
                    ..raw()
                },
                "options.timeoutMs",
            ),
            (
                RawOptions {
                    timeout_ms: Some(3e9),
                    ..raw()
                },
                "options.timeoutMs",
            ),
            (
                RawOptions {
                    max_retries: Some(11.0),
                    ..raw()
                },
                "options.maxRetries",
            ),
            (
                RawOptions {
                    max_retries: Some(1.5),
                    ..raw()
                },
                "options.maxRetries",
            ),
            (
                RawOptions {
                    max_retries: Some(-1.0),
                    ..raw()
                },
                "options.maxRetries",
            ),
            (
                RawOptions {
                    retry_base_delay_ms: Some(-1.0),
                    ..raw()
                },
                "options.retryBaseDelayMs",
            ),
            (
                RawOptions {
                    max_retry_delay_ms: Some(f64::INFINITY),
                    ..raw()
                },
                "options.maxRetryDelayMs",
            ),
            (
                RawOptions {
                    scopes: Some(vec![" ".into()]),
                    ..raw()
                },
                "options.scopes",
            ),
        ];
        for (options, prefix) in cases {
            let error = ClientConfig::from_raw(options.clone()).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument);
            assert!(
                error.message.starts_with(prefix),
                "{options:?}: {}",
                error.message
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn graph_root_containment() {
        let config = ClientConfig::from_raw(RawOptions {
            graph_base_url: Some("https://proxy.example/graph".into()),
            ..raw()
        })
        .unwrap();
        assert!(config.is_under_graph_root("https://proxy.example/graph/v1.0/x"));
        assert!(config.is_under_graph_root("https://PROXY.example:443/graph/beta"));
        assert!(!config.is_under_graph_root("https://proxy.example/graphs/v1.0"));
        assert!(!config.is_under_graph_root("https://proxy.example/other"));
        assert!(!config.is_under_graph_root("https://proxy.example:8443/graph/v1.0"));
        assert!(!config.is_under_graph_root("https://evil.example/graph/v1.0"));
        assert!(!config.is_under_graph_root("https://proxy.example@evil.example/graph/v1.0"));
        assert!(ClientConfig::from_raw(raw())
            .unwrap()
            .is_under_graph_root("https://graph.microsoft.com/v1.0/admin"));
    }
}
