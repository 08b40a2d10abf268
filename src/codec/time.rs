//! Dates as Graph writes them: ISO 8601 in bodies (`expirationDateTime`) and HTTP dates in `Retry-After`.
//! Both become milliseconds since the Unix epoch, the unit of JavaScript's `Date.now()`.

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Milliseconds since the epoch for a validated civil date and time, `None` if any field is out of range.
fn epoch_ms(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 61; // a leap second is tolerated and rolls over
    valid.then(|| {
        let seconds = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        seconds * 1000 + i64::from(millis)
    })
}

/// A cursor over ASCII text; every method fails softly, so no input can panic the parsers.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Exactly `count` decimal digits.
    fn number(&mut self, count: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            let byte = self.peek()?;
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
            self.pos += 1;
        }
        Some(value)
    }

    fn word(&mut self, count: usize) -> Option<&'a str> {
        let end = self.pos.checked_add(count)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        core::str::from_utf8(slice).ok()
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as Graph writes `expirationDateTime`
/// (seven fractional digits in the docs' example). A time without a zone is refused: guessing the zone
/// would move a session's expiry by hours.
pub fn parse_iso_datetime(text: &str) -> Option<i64> {
    let mut c = Cursor::new(text);
    let year = c.number(4)?;
    c.eat(b'-')?;
    let month = c.number(2)?;
    c.eat(b'-')?;
    let day = c.number(2)?;
    if c.eat(b'T').is_none() {
        c.eat(b't')?;
    }
    let hour = c.number(2)?;
    c.eat(b':')?;
    let minute = c.number(2)?;
    c.eat(b':')?;
    let second = c.number(2)?;
    let mut millis = 0;
    if c.eat(b'.').is_some() {
        let mut digits = 0;
        while let Some(byte @ b'0'..=b'9') = c.peek() {
            if digits < 3 {
                millis = millis * 10 + u32::from(byte - b'0');
            }
            digits += 1;
            c.pos += 1;
        }
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_minutes: i64 = match c.peek()? {
        b'Z' | b'z' => {
            c.pos += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            c.pos += 1;
            let hours = c.number(2)?;
            c.eat(b':')?;
            let minutes = c.number(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours * 60 + minutes);
            if sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    if !c.at_end() {
        return None;
    }
    let local = epoch_ms(i64::from(year), month, day, hour, minute, second, millis)?;
    Some(local - offset_minutes * 60_000)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_number(name: &str) -> Option<u32> {
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

fn clock(c: &mut Cursor) -> Option<(u32, u32, u32)> {
    let hour = c.number(2)?;
    c.eat(b':')?;
    let minute = c.number(2)?;
    c.eat(b':')?;
    let second = c.number(2)?;
    Some((hour, minute, second))
}

/// Parses an HTTP date (RFC 9110 §5.6.7): the preferred IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the
/// obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms that
/// recipients must still accept. The weekday is not checked against the date.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let text = text.trim_matches(' ');
    let comma = text.find(',');
    let mut c = Cursor::new(text);
    match comma {
        Some(3) => {
            c.pos = 4;
            c.eat(b' ')?;
            let day = c.number(2)?;
            c.eat(b' ')?;
            let month = month_number(c.word(3)?)?;
            c.eat(b' ')?;
            let year = c.number(4)?;
            c.eat(b' ')?;
            let (hour, minute, second) = clock(&mut c)?;
            (c.word(4)? == " GMT" && c.at_end()).then_some(())?;
            epoch_ms(i64::from(year), month, day, hour, minute, second, 0)
        }
        Some(comma) => {
            c.pos = comma + 1;
            c.eat(b' ')?;
            let day = c.number(2)?;
            c.eat(b'-')?;
            let month = month_number(c.word(3)?)?;
            c.eat(b'-')?;
            let two_digit = c.number(2)?;
            c.eat(b' ')?;
            let (hour, minute, second) = clock(&mut c)?;
            (c.word(4)? == " GMT" && c.at_end()).then_some(())?;
            // RFC 9110: a two-digit year more than 50 years ahead means the past century; with no clock
            // here, 70..99 read as 19xx and the rest as 20xx, as common HTTP libraries do.
            let year = if two_digit >= 70 { 1900 } else { 2000 } + i64::from(two_digit);
            epoch_ms(year, month, day, hour, minute, second, 0)
        }
        None => {
            c.word(3)?; // weekday
            c.eat(b' ')?;
            let month = month_number(c.word(3)?)?;
            c.eat(b' ')?;
            if c.peek()? == b' ' {
                c.pos += 1;
            }
            let day = if c.bytes.get(c.pos + 1) == Some(&b' ') {
                c.number(1)?
            } else {
                c.number(2)?
            };
            c.eat(b' ')?;
            let (hour, minute, second) = clock(&mut c)?;
            c.eat(b' ')?;
            let year = c.number(4)?;
            c.at_end().then_some(())?;
            epoch_ms(i64::from(year), month, day, hour, minute, second, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn iso_as_graph_writes_it() {
        // 2024-10-17T19:00:48Z is 1729191648 seconds after the epoch.
        assert_eq!(
            parse_iso_datetime("2024-10-17T19:00:48.1052906Z"),
            Some(1_729_191_648_105)
        );
        assert_eq!(
            parse_iso_datetime("2024-10-17T19:00:48Z"),
            Some(1_729_191_648_000)
        );
        assert_eq!(
            parse_iso_datetime("2024-10-17T21:00:48.5+02:00"),
            Some(1_729_191_648_500)
        );
        assert_eq!(parse_iso_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso_datetime("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn iso_refuses_the_malformed() {
        for bad in [
            "",
            "2024-10-17",
            "2024-10-17T19:00:48",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-10-17T24:00:00Z",
            "2024-10-17T19:00:48.Z",
            "2024-10-17T19:00:48Zjunk",
            "2024-10-17 19:00:48Z",
            "２０２４-10-17T19:00:48Z",
        ] {
            assert_eq!(parse_iso_datetime(bad), None, "{bad:?}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn http_dates_in_all_three_forms() {
        let expected = Some(784_111_777_000); // 1994-11-06T08:49:37Z
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT"),
            Some(1_792_567_680_000)
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn http_dates_refuse_the_malformed() {
        for bad in [
            "",
            "120",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            ",",
            "Sunday,",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }
}
