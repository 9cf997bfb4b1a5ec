//! When the servicing logs end, read so that one wrongly dated line cannot move it: "stale" is
//! measured from here. A log is appended in order, so its end is where its last lines are (the
//! median of their days), not its largest date: a line stamped in 2031 in the middle of CBS.log
//! or at its very end changes nothing. CBS.log is written at every servicing operation and
//! every boot, so it sets the time; a DISM log ending far beyond it (one copied from another
//! machine, a clock once wrong) is not believed. For this machine's own logs its clock is a
//! bound too; a mounted disk's logs are measured against themselves alone (the rescue system's
//! clock says nothing about the installation's).

use std::collections::VecDeque;

/// Lines at the end of a file whose median day is the file's end.
const TAIL: usize = 31;
/// How far a companion log may end beyond CBS.log and still be believed.
const COMPANION_DAYS: i64 = 30;

#[derive(Debug, Default)]
pub struct Timeline {
    files: Vec<FileEnd>,
    today: Option<i64>,
}

#[derive(Debug, Default)]
struct FileEnd {
    cbs: bool,
    tail: VecDeque<i64>,
    /// The last date read and its day number: most lines share their neighbour's date.
    date: String,
    day: Option<i64>,
}

impl Timeline {
    /// This machine's date, for its own logs: nothing ends after tomorrow.
    pub fn today(&mut self, day: Option<i64>) {
        self.today = day;
    }

    /// A dated line of file `file` (a CBS log when `cbs`).
    pub fn saw(&mut self, file: usize, cbs: bool, time: &str) {
        if self.files.len() <= file {
            self.files.resize_with(file + 1, FileEnd::default);
        }
        let f = &mut self.files[file];
        f.cbs = cbs;
        let date = time.get(..10).unwrap_or(time);
        if date != f.date {
            f.date = date.to_string();
            f.day = days(time);
        }
        if let Some(day) = f.day {
            if f.tail.len() == TAIL {
                f.tail.pop_front();
            }
            f.tail.push_back(day);
        }
    }

    /// The day the logs end (days since 2000-01-01), when any line was dated.
    pub fn end(&self) -> Option<i64> {
        let end_of = |cbs: bool| {
            self.files
                .iter()
                .filter(|f| f.cbs == cbs)
                .filter_map(FileEnd::end)
                .max()
        };
        let end = match (end_of(true), end_of(false)) {
            (Some(cbs), Some(other)) if other <= cbs + COMPANION_DAYS => Some(cbs.max(other)),
            (Some(cbs), _) => Some(cbs),
            (None, other) => other,
        }?;
        Some(self.today.map_or(end, |today| end.min(today + 1)))
    }
}

impl FileEnd {
    fn end(&self) -> Option<i64> {
        let mut days: Vec<i64> = self.tail.iter().copied().collect();
        days.sort_unstable();
        days.get(days.len() / 2).copied()
    }
}

/// Days since 2000-01-01 of a `2026-11-20 08:15:00` time, for differences only.
pub fn days(time: &str) -> Option<i64> {
    let date: jiff::civil::Date = time.get(..10)?.parse().ok()?;
    let epoch = jiff::civil::date(2000, 1, 1);
    Some(epoch.until(date).ok()?.get_days() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> i64 {
        days(text).unwrap()
    }

    #[test]
    fn one_wrongly_dated_line_moves_nothing() {
        let mut t = Timeline::default();
        for _ in 0..5 {
            t.saw(0, true, "2026-11-20 03:10:00");
        }
        // At the end of CBS.log itself.
        t.saw(0, true, "2031-01-01 00:00:00");
        assert_eq!(t.end(), Some(day("2026-11-20")));
        // A whole dism.log from elsewhere.
        t.saw(1, false, "2031-01-01 00:00:00");
        assert_eq!(t.end(), Some(day("2026-11-20")));
        // A DISM run a week after CBS.log's last line is believed.
        let mut t = Timeline::default();
        t.saw(0, true, "2026-11-20 03:10:00");
        t.saw(1, false, "2026-11-27 03:10:00");
        assert_eq!(t.end(), Some(day("2026-11-27")));
    }

    #[test]
    fn a_log_ends_where_its_last_lines_are_and_this_machines_clock_bounds_its_own() {
        let mut t = Timeline::default();
        for d in 1..=28 {
            t.saw(0, true, &format!("2026-10-{d:02} 00:00:00"));
        }
        // Later lines move the end on.
        for _ in 0..40 {
            t.saw(0, true, "2026-11-25 00:00:00");
        }
        assert_eq!(t.end(), Some(day("2026-11-25")));
        t.today(Some(day("2026-11-01")));
        assert_eq!(t.end(), Some(day("2026-11-02")));
        assert_eq!(Timeline::default().end(), None);
    }
}
