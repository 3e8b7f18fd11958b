//! A window's `startDate` / `endDate`: ISO 8601 extended date-times
//! (`2026-01-31T09:00:00+09:00`), as CreateMaintenanceWindow takes them. Pure: the
//! parse, a canonical spelling for the plan's comparison, and an order.

/// A parsed date-time: the fields as written, plus the UTC offset in minutes when a
/// zone was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    date: (u32, u32, u32),
    time: (u32, u32, u32),
    /// Fraction of a second as written, digits only, trailing zeros dropped.
    nanos: u32,
    offset: Option<i32>,
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]`, optionally `Z` or `±HH:MM`.
pub fn parse(value: &str) -> Option<DateTime> {
    let (date, rest) = value.split_at_checked(10)?;
    let mut d = date.split('-');
    let (y, m, day) = (
        digits(d.next()?, 4)?,
        digits(d.next()?, 2)?,
        digits(d.next()?, 2)?,
    );
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) {
        return None;
    }
    let mut out = DateTime {
        date: (y, m, day),
        time: (0, 0, 0),
        nanos: 0,
        offset: None,
    };
    if rest.is_empty() {
        return Some(out);
    }
    let rest = rest.strip_prefix('T')?;
    let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let (clock, fraction) = match clock.split_once('.') {
        Some((c, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (c, Some(f))
        }
        Some(_) => return None,
        None => (clock, None),
    };
    let mut parts = clock.split(':');
    let h = digits(parts.next()?, 2)?;
    let min = digits(parts.next()?, 2)?;
    let s = match parts.next() {
        Some(s) => digits(s, 2)?,
        None if fraction.is_none() => 0,
        None => return None,
    };
    if parts.next().is_some() || h > 23 || min > 59 || s > 59 {
        return None;
    }
    out.time = (h, min, s);
    if let Some(f) = fraction {
        out.nanos = format!("{f:0<9}").parse().ok()?;
    }
    out.offset = match zone {
        "" => None,
        "Z" => Some(0),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (oh, om) = z[1..].split_once(':')?;
            let (oh, om) = (digits(oh, 2)?, digits(om, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            Some(sign * (oh * 60 + om) as i32)
        }
    };
    Some(out)
}

impl DateTime {
    /// One spelling per instant as written: seconds always, `Z` for a zero offset,
    /// the fraction without trailing zeros.
    pub fn canonical(&self) -> String {
        let (y, m, d) = self.date;
        let (h, min, s) = self.time;
        let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}");
        if self.nanos != 0 {
            let f = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(f.trim_end_matches('0'));
        }
        match self.offset {
            None => {}
            Some(0) => out.push('Z'),
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                out.push_str(&format!("{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60));
            }
        }
        out
    }

    /// Seconds since 0000-03-01 in UTC (local time when no zone was given), and the
    /// fraction: enough to order two date-times.
    fn key(&self) -> (i64, u32) {
        let (y, m, d) = self.date;
        let (y, m) = if m <= 2 {
            (i64::from(y) - 1, m + 9)
        } else {
            (i64::from(y), m - 3)
        };
        let days = 365 * y + y / 4 - y / 100 + y / 400 + i64::from((153 * m + 2) / 5 + d - 1);
        let (h, min, s) = self.time;
        let secs = days * 86_400 + i64::from(h * 3600 + min * 60 + s)
            - i64::from(self.offset.unwrap_or(0)) * 60;
        (secs, self.nanos)
    }

    /// Whether `self` is strictly before `other`.
    pub fn before(&self, other: &DateTime) -> bool {
        self.key() < other.key()
    }
}

/// The canonical spelling of a date-time, or the text itself when it does not parse.
pub fn canonical(value: &str) -> String {
    parse(value).map_or_else(|| value.to_string(), |d| d.canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_iso_8601_extended_forms() {
        for ok in [
            "2026-01-31",
            "2026-01-31T09:00",
            "2026-01-31T09:00:00Z",
            "2026-01-31T09:00:00.250+09:00",
            "2024-02-29T00:00:00-05:30",
        ] {
            assert!(parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "2026-1-31",
            "2026-02-30",
            "2025-02-29",
            "2026-01-31 09:00",
            "2026-01-31T24:00",
            "2026-01-31T09:00:00+9",
            "2026-01-31T09",
            "tomorrow",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn canonical_spelling_and_order() {
        assert_eq!(canonical("2026-01-31"), "2026-01-31T00:00:00");
        assert_eq!(canonical("2026-01-31T09:00+00:00"), "2026-01-31T09:00:00Z");
        assert_eq!(
            canonical("2026-01-31T09:00:00.500-03:00"),
            "2026-01-31T09:00:00.5-03:00"
        );
        let a = parse("2026-01-31T09:00:00+09:00").unwrap();
        let b = parse("2026-01-31T01:00:00Z").unwrap();
        assert!(a.before(&b), "00:00Z is before 01:00Z");
        assert!(!b.before(&a));
        let c = parse("2026-03-01").unwrap();
        let d = parse("2026-02-28T23:59:59").unwrap();
        assert!(d.before(&c) && !c.before(&c));
    }
}
