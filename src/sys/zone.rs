//! This machine's time zone for the times a person reads. Windows keeps its zone as a bias and
//! two yearly transitions (`TIME_ZONE_INFORMATION`), which are exactly a POSIX TZ rule: jiff reads
//! that, so no copy of the IANA database ships in the exe (it was a tenth of it). The rule is
//! this year's; a time from a year whose rules differed may be an hour off, which the screens
//! (never the reports: they keep UTC) can bear.

use jiff::tz::TimeZone;

/// A yearly transition as Windows gives it: the `week`-th (1–4, 5 = last) `weekday` (0 = Sunday)
/// of `month`, at `hour:minute` local time as it was before the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub month: u16,
    pub week: u16,
    pub weekday: u16,
    pub hour: u16,
    pub minute: u16,
}

/// Minutes as a POSIX offset (hours west of UTC: the sign of Windows' bias).
fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    match m % 60 {
        0 => format!("{sign}{}", m / 60),
        rest => format!("{sign}{}:{rest:02}", m / 60),
    }
}

fn rule(t: &Transition) -> String {
    format!(
        "M{}.{}.{}/{}:{:02}",
        t.month, t.week, t.weekday, t.hour, t.minute
    )
}

fn valid(t: &Transition) -> bool {
    (1..=12).contains(&t.month) && (1..=5).contains(&t.week) && t.weekday <= 6 && t.hour <= 23
}

/// The POSIX TZ string of a Windows zone: `bias` (UTC = local + bias, minutes), the standard and
/// daylight biases, and the transitions into daylight and back (none: no daylight saving).
pub fn posix(
    bias: i32,
    standard_bias: i32,
    daylight_bias: i32,
    to_daylight: Option<Transition>,
    to_standard: Option<Transition>,
) -> String {
    let standard = format!("<STD>{}", offset(bias + standard_bias));
    match (to_daylight, to_standard) {
        (Some(on), Some(off)) if valid(&on) && valid(&off) && daylight_bias != standard_bias => {
            format!(
                "{standard}<DST>{},{},{}",
                offset(bias + daylight_bias),
                rule(&on),
                rule(&off)
            )
        }
        _ => standard,
    }
}

/// The zone for a POSIX string, or the fixed standard offset if jiff will not take it.
pub fn from_posix(text: &str, bias: i32) -> TimeZone {
    TimeZone::posix(text).unwrap_or_else(|_| {
        jiff::tz::Offset::from_seconds(-bias.saturating_mul(60))
            .map(TimeZone::fixed)
            .unwrap_or(TimeZone::UTC)
    })
}

#[cfg(test)]
mod tests;
