//! The evaluator against AWS's documented examples (the EventBridge and Systems
//! Manager cron references), month ends, leap years, `L`, `W`, `#`, daylight-saving
//! transitions, and a property: every time yielded matches the expression field by
//! field.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::cron::{AwsCron, CronError};
use super::{Expression, Timing};

fn wall(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&wall(s))
}

/// The first `n` wall-clock times of `expr` at or after `from`.
fn next(expr: &str, from: &str, n: usize) -> Vec<String> {
    let cron: AwsCron = expr.parse().unwrap_or_else(|e| panic!("{expr}: {e}"));
    cron.wall_times_from(wall(from))
        .take(n)
        .map(|t| t.format("%Y-%m-%d %a %H:%M").to_string())
        .collect()
}

#[test]
fn eventbridge_reference_examples() {
    let from = "2026-01-01 00:00"; // a Thursday
    let table: &[(&str, &[&str])] = &[
        // 10:15 UTC every day
        (
            "15 10 * * ? *",
            &["2026-01-01 Thu 10:15", "2026-01-02 Fri 10:15"],
        ),
        // 18:00 Monday to Friday
        (
            "0 18 ? * MON-FRI *",
            &[
                "2026-01-01 Thu 18:00",
                "2026-01-02 Fri 18:00",
                "2026-01-05 Mon 18:00",
            ],
        ),
        // 08:00 on the first day of the month
        (
            "0 8 1 * ? *",
            &["2026-01-01 Thu 08:00", "2026-02-01 Sun 08:00"],
        ),
        // every 10 minutes on weekdays
        (
            "0/10 * ? * MON-FRI *",
            &["2026-01-01 Thu 00:00", "2026-01-01 Thu 00:10"],
        ),
        // every 5 minutes between 08:00 and 17:55 on weekdays
        (
            "0/5 8-17 ? * MON-FRI *",
            &["2026-01-01 Thu 08:00", "2026-01-01 Thu 08:05"],
        ),
        // 09:00 on the first Monday of each month
        (
            "0 9 ? * 2#1 *",
            &[
                "2026-01-05 Mon 09:00",
                "2026-02-02 Mon 09:00",
                "2026-03-02 Mon 09:00",
            ],
        ),
        // every 15 minutes
        (
            "0/15 * * * ? *",
            &["2026-01-01 Thu 00:00", "2026-01-01 Thu 00:15"],
        ),
        // 12:00 on the last Friday of every month of 2026
        (
            "0 12 ? * 6L 2026",
            &[
                "2026-01-30 Fri 12:00",
                "2026-02-27 Fri 12:00",
                "2026-03-27 Fri 12:00",
            ],
        ),
    ];
    for (expr, want) in table {
        assert_eq!(next(expr, from, want.len()), *want, "{expr}");
    }
}

#[test]
fn systems_manager_reference_examples() {
    let from = "2026-01-01 00:00";
    let table: &[(&str, &[&str])] = &[
        // 23:30 on the third Tuesday (the scheduleOffset example)
        (
            "30 23 ? * TUE#3 *",
            &["2026-01-20 Tue 23:30", "2026-02-17 Tue 23:30"],
        ),
        // the second Thursday (the association offset example)
        (
            "0 0 ? * THU#2 *",
            &["2026-01-08 Thu 00:00", "2026-02-12 Thu 00:00"],
        ),
        // 04:00 every Sunday; SUN is 1, not 0 or 7
        (
            "0 4 ? * SUN *",
            &["2026-01-04 Sun 04:00", "2026-01-11 Sun 04:00"],
        ),
        (
            "0 4 ? * 1 *",
            &["2026-01-04 Sun 04:00", "2026-01-11 Sun 04:00"],
        ),
        // 7 is Saturday
        (
            "0 4 ? * 7 *",
            &["2026-01-03 Sat 04:00", "2026-01-10 Sat 04:00"],
        ),
        // Patch Tuesday: the second Tuesday, and `TUE#2` is not the 2nd of the month
        (
            "0 3 ? * TUE#2 *",
            &["2026-01-13 Tue 03:00", "2026-02-10 Tue 03:00"],
        ),
        (
            "0 3 2 * ? *",
            &["2026-01-02 Fri 03:00", "2026-02-02 Mon 03:00"],
        ),
        // a list and a range of hours
        (
            "0 1,13 ? * WED *",
            &["2026-01-07 Wed 01:00", "2026-01-07 Wed 13:00"],
        ),
        // a range that wraps past Saturday
        (
            "0 6 ? * FRI-MON *",
            &[
                "2026-01-02 Fri 06:00",
                "2026-01-03 Sat 06:00",
                "2026-01-04 Sun 06:00",
                "2026-01-05 Mon 06:00",
                "2026-01-09 Fri 06:00",
            ],
        ),
        // a month range that wraps past December
        (
            "0 0 1 NOV-FEB ? *",
            &[
                "2026-01-01 Thu 00:00",
                "2026-02-01 Sun 00:00",
                "2026-11-01 Sun 00:00",
            ],
        ),
        // the year field
        (
            "0 0 1 1 ? 2027,2029",
            &["2027-01-01 Fri 00:00", "2029-01-01 Mon 00:00"],
        ),
    ];
    for (expr, want) in table {
        assert_eq!(next(expr, from, want.len()), *want, "{expr}");
    }
}

#[test]
fn month_ends_leap_years_l_w_and_hash() {
    let table: &[(&str, &str, &[&str])] = &[
        // L: the last day, 28 or 29 in February
        (
            "0 12 L * ? *",
            "2028-01-15 00:00",
            &[
                "2028-01-31 Mon 12:00",
                "2028-02-29 Tue 12:00",
                "2028-03-31 Fri 12:00",
                "2028-04-30 Sun 12:00",
            ],
        ),
        (
            "0 12 L 2 ? *",
            "2026-01-01 00:00",
            &[
                "2026-02-28 Sat 12:00",
                "2027-02-28 Sun 12:00",
                "2028-02-29 Tue 12:00",
            ],
        ),
        // 29 February only in leap years; 2100 is not one
        (
            "0 0 29 2 ? *",
            "2096-03-01 00:00",
            &["2104-02-29 Fri 00:00"],
        ),
        // the 31st skips short months
        (
            "0 0 31 * ? *",
            "2026-04-01 00:00",
            &["2026-05-31 Sun 00:00", "2026-07-31 Fri 00:00"],
        ),
        // LW: the last weekday (31 January 2026 is a Saturday)
        (
            "0 12 LW * ? *",
            "2026-01-01 00:00",
            &[
                "2026-01-30 Fri 12:00",
                "2026-02-27 Fri 12:00",
                "2026-03-31 Tue 12:00",
            ],
        ),
        // 1W never leaves the month: 1 February 2026 is a Sunday → Monday the 2nd;
        // 1 August 2026 is a Saturday → Monday the 3rd, not Friday 31 July
        (
            "0 12 1W * ? *",
            "2026-02-01 00:00",
            &["2026-02-02 Mon 12:00", "2026-03-02 Mon 12:00"],
        ),
        (
            "0 12 1W 8 ? *",
            "2026-01-01 00:00",
            &["2026-08-03 Mon 12:00"],
        ),
        // 15W on a Saturday → Friday the 14th, on a Sunday → Monday the 16th
        (
            "0 9 15W * ? *",
            "2026-08-01 00:00",
            &["2026-08-14 Fri 09:00", "2026-09-15 Tue 09:00"],
        ),
        (
            "0 9 15W 3 ? *",
            "2026-01-01 00:00",
            &["2026-03-16 Mon 09:00"],
        ),
        // L alone in day-of-week is Saturday (Quartz)
        (
            "0 10 ? * L *",
            "2026-01-01 00:00",
            &["2026-01-03 Sat 10:00", "2026-01-10 Sat 10:00"],
        ),
        // the fifth Monday exists only in some months
        (
            "0 10 ? * MON#5 *",
            "2026-01-01 00:00",
            &["2026-03-30 Mon 10:00", "2026-06-29 Mon 10:00"],
        ),
        // the last Sunday of March and October (Europe's clock changes)
        (
            "0 1 ? 3,10 1L *",
            "2026-01-01 00:00",
            &["2026-03-29 Sun 01:00", "2026-10-25 Sun 01:00"],
        ),
    ];
    for (expr, from, want) in table {
        assert_eq!(next(expr, from, want.len()), *want, "{expr}");
    }
}

#[test]
fn a_schedule_that_never_fires_is_an_error() {
    for never in [
        "0 0 30 2 ? *",
        "0 0 31 4 ? *",
        "0 0 31 6,9,11 ? *",
        "0 0 29 2 ? 2100",
    ] {
        assert_eq!(
            never.parse::<AwsCron>().err(),
            Some(CronError::Never),
            "{never}"
        );
    }
    assert_eq!(
        "0 0 * * * *".parse::<AwsCron>().err(),
        Some(CronError::DayFields)
    );
    assert_eq!(
        "0 0 * * ?".parse::<AwsCron>().err(),
        Some(CronError::FieldCount(5))
    );
}

fn timing(expr: &str, zone: &str) -> Timing {
    Timing {
        expression: expr.parse::<Expression>().unwrap(),
        zone: zone.parse::<Tz>().unwrap(),
        offset_days: 0,
        not_before: None,
        not_after: None,
        created: None,
    }
}

fn starts(t: &Timing, from: &str, until: &str) -> Vec<String> {
    t.starts(utc(from), utc(until), 100)
        .iter()
        .map(|s| s.at.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

#[test]
fn a_time_skipped_by_daylight_saving_does_not_run() {
    // London, 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:30 does not exist.
    let t = timing("cron(30 1 * * ? *)", "Europe/London");
    assert_eq!(
        starts(&t, "2026-03-28 00:00", "2026-03-31 00:00"),
        ["2026-03-28T01:30Z", "2026-03-30T00:30Z"]
    );
    // New York, 8 March 2026: 02:00 EST becomes 03:00 EDT.
    let t = timing("cron(30 2 ? * SUN *)", "America/New_York");
    assert_eq!(
        starts(&t, "2026-03-01 00:00", "2026-03-16 00:00"),
        ["2026-03-01T07:30Z", "2026-03-15T06:30Z"]
    );
    // Sydney, 4 October 2026: 02:00 AEST becomes 03:00 AEDT.
    let t = timing("cron(15 2 * * ? *)", "Australia/Sydney");
    assert_eq!(
        starts(&t, "2026-10-02 00:00", "2026-10-05 00:00"),
        ["2026-10-02T16:15Z", "2026-10-04T15:15Z"]
    );
}

#[test]
fn a_time_repeated_by_daylight_saving_runs_once_at_its_first_occurrence() {
    // London, 25 October 2026: 01:00-01:59 happens in BST, then again in GMT.
    let t = timing("cron(30 1 * * ? *)", "Europe/London");
    assert_eq!(
        starts(&t, "2026-10-24 00:00", "2026-10-27 00:00"),
        [
            "2026-10-24T00:30Z",
            "2026-10-25T00:30Z",
            "2026-10-26T01:30Z"
        ]
    );
    // New York, 1 November 2026: 01:xx twice; every 30 minutes runs 01:00 and 01:30
    // once each (EDT), then 02:00 EST.
    let t = timing("cron(0/30 1-2 1 11 ? *)", "America/New_York");
    assert_eq!(
        starts(&t, "2026-11-01 00:00", "2026-11-02 00:00"),
        [
            "2026-11-01T05:00Z",
            "2026-11-01T05:30Z",
            "2026-11-01T07:00Z",
            "2026-11-01T07:30Z"
        ]
    );
    // Sydney, 5 April 2026: 02:00-02:59 twice (AEDT, then AEST).
    let t = timing("cron(30 2 5 4 ? *)", "Australia/Sydney");
    assert_eq!(
        starts(&t, "2026-04-01 00:00", "2026-04-10 00:00"),
        ["2026-04-04T15:30Z"]
    );
}

#[test]
fn a_zone_moves_the_utc_time_with_the_seasons() {
    let t = timing("cron(0 9 ? * MON *)", "America/New_York");
    assert_eq!(
        starts(&t, "2026-03-01 00:00", "2026-03-10 00:00"),
        ["2026-03-02T14:00Z", "2026-03-09T13:00Z"]
    );
}

#[test]
fn offsets_dates_rates_and_at() {
    // Third Tuesday 23:30, offset 2: the Thursday after.
    let mut t = timing("cron(30 23 ? * TUE#3 *)", "Etc/UTC");
    t.offset_days = 2;
    assert_eq!(
        starts(&t, "2026-01-01 00:00", "2026-03-01 00:00"),
        ["2026-01-22T23:30Z", "2026-02-19T23:30Z"]
    );
    // Created after this month's cron date: the offset day does not run (SSM).
    t.created = Some(utc("2026-01-21 00:00"));
    assert_eq!(
        starts(&t, "2026-01-21 00:00", "2026-03-01 00:00"),
        ["2026-02-19T23:30Z"]
    );
    // startDate / endDate bound the runs.
    let mut t = timing("cron(0 9 ? * WED *)", "America/Los_Angeles");
    t.not_before = Some(utc("2021-01-01 08:00"));
    t.not_after = Some(utc("2021-01-14 00:00"));
    assert_eq!(
        starts(&t, "2020-12-01 00:00", "2021-02-01 00:00"),
        ["2021-01-06T17:00Z", "2021-01-13T17:00Z"]
    );
    // A rate counts from startDate.
    let mut t = timing("rate(12 hours)", "Etc/UTC");
    t.not_before = Some(utc("2026-01-01 06:00"));
    assert_eq!(
        starts(&t, "2026-01-01 12:00", "2026-01-02 12:00"),
        ["2026-01-01T18:00Z", "2026-01-02T06:00Z"]
    );
    // A rate in minutes (the AWS CLI reference's window example).
    let mut t = timing("rate(5 minutes)", "Etc/UTC");
    t.not_before = Some(utc("2026-01-01 06:00"));
    assert_eq!(
        starts(&t, "2026-01-01 06:07", "2026-01-01 06:20"),
        ["2026-01-01T06:10Z", "2026-01-01T06:15Z"]
    );
    // at() is UTC, whatever the zone.
    let t = timing("at(2026-03-29T01:30:00)", "Europe/London");
    assert_eq!(
        starts(&t, "2026-03-01 00:00", "2026-04-01 00:00"),
        ["2026-03-29T01:30Z"]
    );
}

/// An independent reading of one AWS cron field, for the property below: the values
/// a plain field (numbers, names, ranges, steps, lists) names.
fn field_values(field: &str, min: u32, max: u32, names: &[&str]) -> Vec<u32> {
    let num = |s: &str| -> u32 {
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .map_or_else(|| s.parse().unwrap(), |i| i as u32 + min)
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        let stepped = item.contains('/');
        let (range, step) = item
            .split_once('/')
            .map_or((item, 1), |(r, s)| (r, s.parse().unwrap()));
        let (a, b) = match range {
            "*" | "?" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (num(a), num(b)),
                None if stepped => (num(r), max),
                None => (num(r), num(r)),
            },
        };
        if a <= b {
            out.extend((a..=b).step_by(step as usize));
        } else {
            out.extend((a..=max).chain(min..=b).step_by(step as usize));
        }
    }
    out
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Whether `t` meets the day field's special form (`L`, `LW`, `nW`, `n#k`, `nL`).
fn special_day(t: NaiveDateTime, dom: &str, dow: &str) -> Option<bool> {
    let last = (28..=31).rev().find(|d| t.with_day(*d).is_some()).unwrap();
    let weekday = |d: u32| {
        !matches!(
            t.with_day(d).unwrap().weekday(),
            Weekday::Sat | Weekday::Sun
        )
    };
    let nearest = |d: u32| -> u32 {
        let d = d.min(last);
        if weekday(d) {
            d
        } else if d > 1
            && weekday(d - 1)
            && (d == last || !weekday(d + 1) || t.with_day(d).unwrap().weekday() == Weekday::Sat)
        {
            d - 1
        } else if d < last && weekday(d + 1) {
            d + 1
        } else if d + 2 <= last {
            d + 2
        } else {
            d - 2
        }
    };
    let quartz = t.weekday().num_days_from_sunday() + 1;
    if dom == "L" {
        return Some(t.day() == last);
    }
    if dom == "LW" {
        return Some(t.day() == nearest(last));
    }
    if let Some(d) = dom.strip_suffix('W') {
        return Some(t.day() == nearest(d.parse().unwrap()));
    }
    if let Some((d, k)) = dow.split_once('#') {
        let k: u32 = k.parse().unwrap();
        return Some(quartz == field_values(d, 1, 7, DAYS)[0] && (t.day() - 1) / 7 + 1 == k);
    }
    if let Some(d) = dow.strip_suffix('L').filter(|d| !d.is_empty()) {
        return Some(quartz == field_values(d, 1, 7, DAYS)[0] && t.day() + 7 > last);
    }
    None
}

fn matches_field_by_field(expr: &str, t: NaiveDateTime) -> bool {
    let f: Vec<&str> = expr.split_whitespace().collect();
    let quartz = t.weekday().num_days_from_sunday() + 1;
    let day = special_day(t, f[2], f[4]).unwrap_or_else(|| {
        if f[2] == "?" {
            field_values(f[4], 1, 7, DAYS).contains(&quartz)
        } else {
            field_values(f[2], 1, 31, &[]).contains(&t.day())
        }
    });
    t.second() == 0
        && field_values(f[0], 0, 59, &[]).contains(&t.minute())
        && field_values(f[1], 0, 23, &[]).contains(&t.hour())
        && day
        && field_values(f[3], 1, 12, MONTHS).contains(&t.month())
        && field_values(f[5], 1970, 2199, &[]).contains(&(t.year() as u32))
}

fn plain(min: u32, max: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        (min..=max).prop_map(|v| v.to_string()),
        (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
        (min..=max, 1..=max.min(12)).prop_map(|(a, s)| format!("{a}/{s}")),
        (min..=max, min..=max).prop_map(|(a, b)| format!("{a},{b}")),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    let dom = prop_oneof![
        plain(1, 28),
        Just("L".to_string()),
        Just("LW".to_string()),
        (1u32..=28).prop_map(|d| format!("{d}W")),
    ];
    let dow = prop_oneof![
        plain(1, 7),
        prop::sample::select(DAYS).prop_map(str::to_string),
        (1u32..=7, 1u32..=4).prop_map(|(d, k)| format!("{d}#{k}")),
        (1u32..=7).prop_map(|d| format!("{d}L")),
    ];
    let days = prop_oneof![
        dom.prop_map(|d| (d, "?".to_string())),
        dow.prop_map(|w| ("?".to_string(), w)),
    ];
    (
        plain(0, 59),
        plain(0, 23),
        days,
        plain(1, 12),
        prop_oneof![
            Just("*".to_string()),
            (2026u32..2030).prop_map(|y| format!("{y}-2199"))
        ],
    )
        .prop_map(|(m, h, (dom, dow), mo, y)| format!("{m} {h} {dom} {mo} {dow} {y}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_time_yielded_matches_the_expression_field_by_field(expr in expression()) {
        let Ok(cron) = expr.parse::<AwsCron>() else { return Ok(()) };
        for t in cron.wall_times_from(wall("2026-01-01 00:00")).take(20) {
            prop_assert!(matches_field_by_field(&expr, t), "{expr} yielded {t}");
        }
    }
}
