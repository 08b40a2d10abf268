//! Retry policy as pure functions: which failures may be tried again, and how long to wait first.
//! The randomness for jitter is passed in, so tests assert exact schedules.

use crate::codec::time::parse_http_date;

/// How an answer or a failure is treated by the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 2xx.
    Success,
    /// 429: throttled by Graph or Exchange.
    Throttled,
    /// 503 or 504: transiently unavailable. (A 502 is not: Graph's guidance names 429, 503 and 504 only.)
    Unavailable,
    /// 401: the token may be stale; one forced refresh is worth a try.
    Unauthorized,
    /// 301, 302, 303, 307 or 308 with a destination to check.
    Redirect,
    /// Any other status: final.
    Final,
}

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

    #[test]
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

    #[test]
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

    #[test]
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
