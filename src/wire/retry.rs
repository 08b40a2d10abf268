//! Retry policy as pure functions: which failures may be tried again, how long to wait first, and when
//! to give up. [`decide`] is the one decision every loop (Graph calls, import posts, Entra tokens) takes;
//! the randomness for jitter is passed in, so tests assert exact schedules.

use crate::codec::time::parse_http_date;
use crate::config::RetryPolicy;
use crate::error::MailboxError;
use crate::transport::HttpResponse;

/// How an answer or a failure is treated by the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 2xx.
    Success,
    /// 429: throttled by Graph or Exchange.
    Throttled,
    /// 503 or 504: transiently unavailable. (A 502 is not: Graph's guidance names 429, 503 and 504 only.)
    Unavailable,
    /// No answer (a timeout or a network failure) to a request that is safe to send twice.
    Transport,
    /// 401: the token may be stale; one forced refresh is worth a try.
    Unauthorized,
    /// 301, 302, 303, 307 or 308 with a destination to check.
    Redirect,
    /// Any other status: final.
    Final,
}

/// Which class an HTTP status falls in, for Graph and the token endpoint alike.
pub fn classify_status(status: u16) -> Class {
    match status {
        200..=299 => Class::Success,
        429 => Class::Throttled,
        503 | 504 => Class::Unavailable,
        401 => Class::Unauthorized,
        301 | 302 | 303 | 307 | 308 => Class::Redirect,
        _ => Class::Final,
    }
}

/// What to do after an attempt that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this many milliseconds, then try again.
    Wait(u64),
    /// Do not try again, for this reason.
    GiveUp(GiveUp),
}

/// Why a failed call is not tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The failure is not one that retrying can mend.
    Final,
    /// Every retry the policy allows was used.
    RetriesSpent,
    /// The service asked for a longer wait than the policy's cap: the caller may schedule the work again
    /// after it.
    TooLong {
        /// The wait asked for, in milliseconds, at most [`MAX_RETRY_AFTER_MS`].
        retry_after_ms: u64,
    },
}

/// The longest `retryAfterMs` ever reported: a day. Beyond it a server's figure is no plan a caller can
/// act on, and a safe integer in JavaScript is guaranteed (never `1.8e19 s * 1000`).
pub const MAX_RETRY_AFTER_MS: u64 = 24 * 60 * 60 * 1000;

/// A `Retry-After` as a caller may be told it: at most [`MAX_RETRY_AFTER_MS`].
pub fn reportable_retry_after(ms: Option<u64>) -> Option<u64> {
    ms.map(|ms| ms.min(MAX_RETRY_AFTER_MS))
}

impl GiveUp {
    /// Tells the caller what it may act on in `error`, the failure given up on: the service's
    /// `retry_after` when the call was throttled or unavailable, and `too_long_note` appended when that
    /// wait was longer than the policy would wait.
    pub fn annotate(self, error: &mut MailboxError, retry_after: Option<u64>, too_long_note: &str) {
        match self {
            Self::Final => {}
            Self::RetriesSpent => error.retry_after_ms = reportable_retry_after(retry_after),
            Self::TooLong { retry_after_ms } => {
                error.retry_after_ms = reportable_retry_after(Some(retry_after_ms));
                error.message.push_str(too_long_note);
            }
        }
    }
}

/// The answer's `Retry-After`, as milliseconds to wait from `now_ms`.
pub fn retry_after_of(response: &HttpResponse, now_ms: f64) -> Option<u64> {
    response
        .header("retry-after")
        .and_then(|value| parse_retry_after(value, now_ms))
}

/// The one retry decision: after a failure of `class`, with the service's `retry_after` (ms, if it sent
/// one) and `retries_done` retries already made, wait (the `Retry-After`, else the jittered backoff drawn
/// from `unit_random`, called only then) or give up.
pub fn decide(
    class: Class,
    retry_after: Option<u64>,
    policy: &RetryPolicy,
    retries_done: u32,
    unit_random: impl FnOnce() -> f64,
) -> Decision {
    if !matches!(
        class,
        Class::Throttled | Class::Unavailable | Class::Transport
    ) {
        return Decision::GiveUp(GiveUp::Final);
    }
    if let Some(ms) = retry_after.filter(|&ms| ms > policy.max_delay_ms) {
        return Decision::GiveUp(GiveUp::TooLong {
            retry_after_ms: ms.min(MAX_RETRY_AFTER_MS),
        });
    }
    if retries_done >= policy.max_retries {
        return Decision::GiveUp(GiveUp::RetriesSpent);
    }
    Decision::Wait(retry_after.unwrap_or_else(|| {
        backoff_ms(
            retries_done.saturating_add(1),
            policy.base_delay_ms,
            policy.max_delay_ms,
            unit_random(),
        )
    }))
}

/// A `Retry-After` value as milliseconds to wait from `now_ms`: delay-seconds (`120`) or an HTTP date.
/// A date in the past means "now" (0). Garbage is `None`, and the caller falls back to backoff.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values rather than overflow; the caller compares against its cap anyway.
        let seconds = value.bytes().try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        });
        return Some(seconds.map_or(u64::MAX, |s| s.saturating_mul(1000)));
    }
    let at = parse_http_date(value)?;
    let wait = at as f64 - now_ms;
    Some(if wait > 0.0 { wait as u64 } else { 0 })
}

/// The backoff before retry number `retry` (1 for the first retry) when the service gave no `Retry-After`:
/// `base * 2^(retry-1)`, capped at `cap`, then scaled into `[1/2, 1]` of itself by `unit_random` in `[0, 1)`
/// ("equal jitter": never less than half the schedule, so clients spread out without hammering).
pub fn backoff_ms(retry: u32, base_ms: u64, cap_ms: u64, unit_random: f64) -> u64 {
    let exponent = retry.saturating_sub(1).min(40);
    let scheduled = base_ms.saturating_mul(1u64 << exponent).min(cap_ms);
    let random = if unit_random.is_finite() {
        unit_random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = scheduled / 2;
    half + ((scheduled - half) as f64 * random) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn classification_follows_graph_guidance() {
        assert_eq!(classify_status(200), Class::Success);
        assert_eq!(classify_status(201), Class::Success);
        assert_eq!(classify_status(429), Class::Throttled);
        assert_eq!(classify_status(503), Class::Unavailable);
        assert_eq!(classify_status(504), Class::Unavailable);
        assert_eq!(classify_status(502), Class::Final);
        assert_eq!(classify_status(500), Class::Final);
        assert_eq!(classify_status(401), Class::Unauthorized);
        assert_eq!(classify_status(308), Class::Redirect);
        assert_eq!(classify_status(304), Class::Final);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn retry_after_in_seconds_and_dates() {
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("2", now), Some(2000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(10_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", now),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(u64::MAX)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    const POLICY: RetryPolicy = RetryPolicy {
        timeout_ms: 30_000,
        max_retries: 2,
        base_delay_ms: 1000,
        max_delay_ms: 60_000,
    };

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn one_decision_for_every_loop() {
        let never = || -> f64 { unreachable!("no jitter is drawn when the service said how long") };
        assert_eq!(
            decide(Class::Throttled, Some(3000), &POLICY, 0, never),
            Decision::Wait(3000)
        );
        assert_eq!(
            decide(Class::Unavailable, None, &POLICY, 1, || 0.0),
            Decision::Wait(1000)
        );
        assert_eq!(
            decide(Class::Transport, None, &POLICY, 0, || 1.0),
            Decision::Wait(1000)
        );
        assert_eq!(
            decide(Class::Throttled, Some(1000), &POLICY, 2, never),
            Decision::GiveUp(GiveUp::RetriesSpent)
        );
        // Too long is said whatever retries are left, so the caller can schedule it.
        assert_eq!(
            decide(Class::Throttled, Some(60_001), &POLICY, 0, never),
            Decision::GiveUp(GiveUp::TooLong {
                retry_after_ms: 60_001
            })
        );
        assert_eq!(
            decide(Class::Throttled, Some(60_000), &POLICY, 0, never),
            Decision::Wait(60_000)
        );
        for class in [
            Class::Success,
            Class::Unauthorized,
            Class::Redirect,
            Class::Final,
        ] {
            assert_eq!(
                decide(class, Some(1), &POLICY, 0, never),
                Decision::GiveUp(GiveUp::Final)
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn retry_after_is_reported_within_a_day() {
        assert_eq!(
            decide(Class::Throttled, Some(u64::MAX), &POLICY, 0, || 0.0),
            Decision::GiveUp(GiveUp::TooLong {
                retry_after_ms: MAX_RETRY_AFTER_MS
            })
        );
        assert_eq!(reportable_retry_after(Some(u64::MAX)), Some(86_400_000));
        assert_eq!(reportable_retry_after(Some(5)), Some(5));
        assert_eq!(reportable_retry_after(None), None);
        assert!(MAX_RETRY_AFTER_MS as f64 <= 9_007_199_254_740_991.0);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn backoff_doubles_with_equal_jitter_and_a_cap() {
        assert_eq!(backoff_ms(1, 1000, 60_000, 0.0), 500);
        assert_eq!(backoff_ms(1, 1000, 60_000, 0.999_999), 999);
        assert_eq!(backoff_ms(2, 1000, 60_000, 0.5), 1500);
        assert_eq!(backoff_ms(3, 1000, 60_000, 1.0), 4000);
        assert_eq!(backoff_ms(10, 1000, 60_000, 1.0), 60_000);
        assert_eq!(backoff_ms(99, 1000, 60_000, 0.0), 30_000);
        assert_eq!(backoff_ms(1, 0, 60_000, 0.7), 0);
        assert_eq!(backoff_ms(1, 1000, 60_000, f64::NAN), 500);
    }
}
