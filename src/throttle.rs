//! `--not-within DURATION`: a fleet tool that runs wufix on a schedule should not reset a
//! machine again and again. A reset or repair that finished and changed something on this
//! installation within the window means this run does nothing (and says so, exit 0: an
//! installer host's "retry later" would count as a failure after its retries). Failed runs and
//! undos do not count; a run stamped in the future (a clock that was wrong) counts only within
//! the window either side, so a clock set back never blocks for good.

use jiff::{SignedDuration, Timestamp};

use crate::journal::{Op, Run};

/// The longest window: a year.
const MAX_HOURS: i64 = 24 * 366;

/// `24h`, `90m`, `2h30m`, `7d` (days of 24 hours), or ISO 8601 (`PT24H`); positive, at most a year.
pub fn parse(text: &str) -> Result<SignedDuration, String> {
    let text = text.trim();
    let duration = match text.strip_suffix('d').map(str::parse::<i64>) {
        Some(Ok(days)) => SignedDuration::from_hours(days.saturating_mul(24)),
        _ => text.parse::<SignedDuration>().map_err(|_| {
            format!("--not-within {text:?}: give a duration such as 24h, 90m or 7d")
        })?,
    };
    if duration <= SignedDuration::ZERO || duration > SignedDuration::from_hours(MAX_HOURS) {
        return Err(format!(
            "--not-within {text:?}: give a duration above zero and at most a year"
        ));
    }
    Ok(duration)
}

/// Whether `run` changed something: a step beyond stopping and starting services that ended well.
fn changed(run: &Run) -> bool {
    run.changes.iter().any(|(op, ok)| {
        *ok == Some(true) && !matches!(op, Op::StopService { .. } | Op::StartService { .. })
    })
}

/// The newest reset or repair within `window` of `now` that finished well and changed
/// something.
pub fn recent(runs: &[Run], now: Timestamp, window: SignedDuration) -> Option<&Run> {
    runs.iter()
        .filter(|r| matches!(r.start.command.as_str(), "reset" | "repair"))
        .filter(|r| r.finished == Some(true) && changed(r))
        .filter(|r| {
            r.start
                .started
                .parse::<Timestamp>()
                .is_ok_and(|at| now.duration_since(at).abs() <= window)
        })
        .max_by(|a, b| a.start.started.cmp(&b.start.started))
}

#[cfg(test)]
mod tests;
