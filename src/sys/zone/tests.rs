use jiff::civil::date;

use super::*;

fn last_sunday(month: u16, hour: u16) -> Transition {
    Transition {
        month,
        week: 5,
        weekday: 0,
        hour,
        minute: 0,
    }
}

/// Local wall-clock time of the UTC instant `y-m-d h:00` in `zone`.
fn local_hour(zone: &TimeZone, y: i16, m: i8, d: i8, h: i8) -> (i8, i8) {
    let utc = date(y, m, d)
        .at(h, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .unwrap();
    let here = utc.timestamp().to_zoned(zone.clone());
    (here.day(), here.hour())
}

#[test]
fn central_europe_as_windows_gives_it_switches_on_the_last_sundays() {
    // "W. Europe Standard Time": bias -60, daylight -60 more, 02:00 in March, 03:00 in October.
    let text = posix(
        -60,
        0,
        -60,
        Some(last_sunday(3, 2)),
        Some(last_sunday(10, 3)),
    );
    assert_eq!(text, "<STD>-1<DST>-2,M3.5.0/2:00,M10.5.0/3:00");
    let zone = from_posix(&text, -60);
    assert_eq!(
        local_hour(&zone, 2026, 1, 15, 12),
        (15, 13),
        "winter: UTC+1"
    );
    assert_eq!(
        local_hour(&zone, 2026, 7, 15, 12),
        (15, 14),
        "summer: UTC+2"
    );
    // 2026-03-29 is the last Sunday of March: 00:59 UTC is still winter, 01:00 UTC is summer.
    assert_eq!(local_hour(&zone, 2026, 3, 29, 0), (29, 1));
    assert_eq!(local_hour(&zone, 2026, 3, 29, 1), (29, 3));
}

#[test]
fn zones_without_daylight_saving_and_with_half_hours_are_fixed() {
    // India: UTC+5:30, no transitions (wMonth 0).
    let text = posix(-330, 0, 0, None, None);
    assert_eq!(text, "<STD>-5:30");
    let zone = from_posix(&text, -330);
    assert_eq!(local_hour(&zone, 2026, 6, 1, 20), (2, 1));
    // Transitions Windows fills with zeros are no rule.
    let zero = Transition {
        month: 0,
        week: 0,
        weekday: 0,
        hour: 0,
        minute: 0,
    };
    assert_eq!(posix(300, 0, -60, Some(zero), Some(zero)), "<STD>5");
}

#[test]
fn the_southern_hemisphere_and_the_americas_come_out_right() {
    // Sydney: UTC+10, daylight from the first Sunday of October to the first Sunday of April.
    let first_sunday = |month| Transition {
        month,
        week: 1,
        weekday: 0,
        hour: if month == 10 { 2 } else { 3 },
        minute: 0,
    };
    let text = posix(-600, 0, -60, Some(first_sunday(10)), Some(first_sunday(4)));
    let zone = from_posix(&text, -600);
    assert_eq!(
        local_hour(&zone, 2026, 1, 10, 0),
        (10, 11),
        "January: daylight"
    );
    assert_eq!(
        local_hour(&zone, 2026, 7, 10, 0),
        (10, 10),
        "July: standard"
    );
    // New York: UTC-5, second Sunday of March to first Sunday of November.
    let text = posix(
        300,
        0,
        -60,
        Some(Transition {
            month: 3,
            week: 2,
            weekday: 0,
            hour: 2,
            minute: 0,
        }),
        Some(Transition {
            month: 11,
            week: 1,
            weekday: 0,
            hour: 2,
            minute: 0,
        }),
    );
    assert_eq!(text, "<STD>5<DST>4,M3.2.0/2:00,M11.1.0/2:00");
    let zone = from_posix(&text, 300);
    assert_eq!(local_hour(&zone, 2026, 7, 4, 16), (4, 12));
    assert_eq!(local_hour(&zone, 2026, 12, 25, 17), (25, 12));
}

#[test]
fn a_rule_jiff_refuses_falls_back_to_the_standard_offset() {
    let zone = from_posix("not a rule", -120);
    assert_eq!(local_hour(&zone, 2026, 7, 1, 10), (1, 12));
}
