//! A moment as a person reads it: "today 05:50", "yesterday 22:10", or a date — in this
//! machine's time zone. Reports keep UTC; a mounted disk's times are said in UTC (its own zone
//! is not this machine's).

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// `at` (RFC 3339, as journals write it) as a person reads it; the text as it is when it does
/// not parse. A time ahead of `now` (a wrong clock) gets its date, never "today".
pub fn local(at: &str, now: Timestamp, zone: &TimeZone) -> String {
    let Ok(when) = at.parse::<Timestamp>() else {
        return at.to_string();
    };
    let (day, today) = (when.to_zoned(zone.clone()), now.to_zoned(zone.clone()));
    let time = day.strftime("%H:%M").to_string();
    if when <= now && day.date() == today.date() {
        format!("today {time}")
    } else if when <= now && today.date().yesterday().ok() == Some(day.date()) {
        format!("yesterday {time}")
    } else {
        format!("{} {time}", day.strftime("%Y-%m-%d"))
    }
}

/// For a run on this machine: its own zone; for a mounted disk: UTC, said.
pub fn shown(at: &str, offline: bool) -> String {
    if offline {
        return local(at, Timestamp::now(), &TimeZone::UTC) + " UTC";
    }
    local(at, Timestamp::now(), &crate::sys::local_zone())
}

#[cfg(test)]
mod tests {
    use super::local;
    use jiff::tz::TimeZone;

    #[test]
    fn today_yesterday_or_a_date_in_the_machine_s_zone() {
        let now: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let paris = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::fixed(jiff::tz::offset(1)));
        assert_eq!(
            local("2026-12-02T04:50:57.0884369Z", now, &paris),
            "today 05:50"
        );
        assert_eq!(
            local("2026-12-01T22:30:00Z", now, &paris),
            "today 23:30".replace("today 23:30", "yesterday 23:30")
        );
        assert_eq!(
            local("2026-11-20T08:00:00Z", now, &paris),
            "2026-11-20 09:00"
        );
        // Late in the day in UTC is already tomorrow in Paris.
        assert_eq!(local("2026-12-01T23:30:00Z", now, &paris), "today 00:30");
        // A clock that was wrong: a date, never "today".
        assert_eq!(
            local("2026-12-02T12:00:00Z", now, &paris),
            "2026-12-02 13:00"
        );
        assert_eq!(local("not a time", now, &paris), "not a time");
    }
}
