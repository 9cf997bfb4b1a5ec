//! What the logs proved: servicing operations and how each ended, folded as they stream past into
//! failures grouped by what failed and why. Memory grows with the number of distinct things that
//! failed or succeeded, never with the length of the logs.

use std::collections::HashMap;

/// What kind of thing an operation worked on; with `key`, what a later success supersedes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An update package installed or removed by CBS.
    Package,
    /// The boot-time (advanced installer) phase of a package, after a restart.
    Startup,
    /// The component store: DISM RestoreHealth / ScanHealth.
    Store,
    /// System File Checker.
    Sfc,
    /// Any other DISM command.
    Dism,
}

/// One servicing operation, as it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub kind: Kind,
    /// Identifies the thing worked on within its kind (a package without its version, a DISM
    /// command); empty when there is nothing more to say than the kind.
    pub key: String,
    /// What to call it in a sentence: `update KB5000802 (Package_for_RollupFix …)`.
    pub subject: String,
    /// `None` while no failure is known: the operation succeeded.
    pub failure: Option<Failure>,
    pub time: String,
    /// Which log said so (an index into the files read).
    pub file: usize,
    /// The update's KB and the package's name, where the log named them.
    pub kb: Option<String>,
    pub package: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The status it ended with; SFC's "cannot repair" has none.
    pub code: Option<u32>,
    /// What else the log said about it: an installer that failed, a rollback, files not repaired.
    pub details: Vec<String>,
    /// The first advanced installer that failed in it, and its code.
    pub installer: Option<(String, Option<u32>)>,
}

/// Failures of one thing with one status, however many attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub kind: Kind,
    pub key: String,
    pub code: Option<u32>,
    pub subject: String,
    pub details: Vec<String>,
    /// Separate failed operations, not lines.
    pub attempts: usize,
    pub first: String,
    pub last: String,
    pub files: Vec<usize>,
    pub kb: Option<String>,
    pub package: Option<String>,
    pub installer: Option<(String, Option<u32>)>,
    /// Recent attempts (file, time, already matched), to recognise one repair that both dism.log
    /// and CBS.log describe.
    stamps: Vec<(usize, String, bool)>,
}

/// Everything the logs said, folded.
#[derive(Debug, Default)]
pub struct Evidence {
    pub operations: usize,
    groups: Vec<Group>,
    /// Where each group is in `groups`: thousands of distinct failing packages are found in
    /// constant time, not by a walk of all of them.
    /// By key, then kind and code (looked up by `&str`, no key copied per operation).
    index: HashMap<String, Vec<(Kind, Option<u32>, usize)>>,
    /// Failure groups let go of (the oldest) to keep memory bounded.
    pub forgotten: usize,
    /// The latest success of each thing.
    successes: HashMap<(Kind, String), String>,
    /// When the logs end, read robustly.
    pub timeline: super::timeline::Timeline,
}

/// How long before the newest log line a standing failure stops being today's problem. Measured
/// against the logs' own clock, not this machine's, so a rescue system's clock does not matter.
const STALE_DAYS: i64 = 30;
const MAX_DETAILS: usize = 6;
/// dism.log and CBS.log stamp one repair within minutes of each other.
const SAME_REPAIR: i64 = 10;
const MAX_STAMPS: usize = 64;
/// Failure groups kept; beyond this the older half is let go (and counted).
const MAX_GROUPS: usize = 4096;
/// Successes kept of things that have not failed (yet): what fails later is superseded only by
/// a later success, so these matter only across files read out of order.
const MAX_LONE_SUCCESSES: usize = 4096;

impl Evidence {
    pub fn record(&mut self, op: Operation) {
        self.operations += 1;
        let Some(failure) = op.failure else {
            let key = (op.kind, op.key);
            if let Some(latest) = self.successes.get_mut(&key) {
                if op.time > *latest {
                    *latest = op.time;
                }
            } else if self.successes.len() < MAX_LONE_SUCCESSES
                || self
                    .index
                    .get(&key.1)
                    .is_some_and(|v| v.iter().any(|(k, _, _)| *k == key.0))
            {
                self.successes.insert(key, op.time);
            }
            return;
        };
        let known = self.index.get(&op.key).and_then(|v| {
            v.iter()
                .find(|(k, c, _)| *k == op.kind && *c == failure.code)
                .map(|(_, _, at)| *at)
        });
        let at = match known {
            Some(at) => at,
            None => {
                if self.groups.len() >= MAX_GROUPS {
                    self.forget_older_half();
                }
                let at = self.groups.len();
                self.index
                    .entry(op.key.clone())
                    .or_default()
                    .push((op.kind, failure.code, at));
                self.groups.push(Group {
                    kind: op.kind,
                    key: op.key.clone(),
                    code: failure.code,
                    subject: String::new(),
                    details: Vec::new(),
                    attempts: 0,
                    first: op.time.clone(),
                    last: String::new(),
                    files: Vec::new(),
                    kb: None,
                    package: None,
                    installer: None,
                    stamps: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[at];
        let echo = (op.kind == Kind::Store)
            .then(|| {
                group.stamps.iter_mut().find(|(file, time, matched)| {
                    !*matched && *file != op.file && minutes_apart(time, &op.time) <= SAME_REPAIR
                })
            })
            .flatten();
        match echo {
            Some(stamp) => stamp.2 = true,
            None => {
                group.attempts += 1;
                if group.stamps.len() >= MAX_STAMPS {
                    group.stamps.remove(0);
                }
                group.stamps.push((op.file, op.time.clone(), false));
            }
        }
        if op.time < group.first {
            group.first.clone_from(&op.time);
        }
        if group.installer.is_none() {
            group.installer = failure.installer.clone();
        }
        if op.time >= group.last {
            group.last = op.time;
            // The newest attempt names it best (its version, its KB).
            group.subject = op.subject;
            if op.kb.is_some() {
                group.kb = op.kb;
            }
            if op.package.is_some() {
                group.package = op.package;
            }
        }
        for detail in failure.details {
            if !group.details.contains(&detail) && group.details.len() < MAX_DETAILS {
                group.details.push(detail);
            }
        }
        if !group.files.contains(&op.file) {
            group.files.push(op.file);
        }
    }

    /// Let go of the older half of the failure groups (by their last attempt), counted: a log
    /// with tens of thousands of distinct failing packages is read in bounded memory, and the
    /// failures that matter now are the newest.
    fn forget_older_half(&mut self) {
        self.groups.sort_by(|a, b| b.last.cmp(&a.last));
        let keep = MAX_GROUPS / 2;
        self.forgotten += self.groups.len().saturating_sub(keep);
        self.groups.truncate(keep);
        self.index.clear();
        for (at, g) in self.groups.iter().enumerate() {
            self.index
                .entry(g.key.clone())
                .or_default()
                .push((g.kind, g.code, at));
        }
    }

    /// Every failure group with its standing, newest first.
    pub fn verdicts(&self) -> Vec<(Standing, &Group)> {
        let mut out: Vec<(Standing, &Group)> =
            self.groups.iter().map(|g| (self.standing(g), g)).collect();
        out.sort_by(|a, b| b.1.last.cmp(&a.1.last));
        out
    }

    fn standing(&self, group: &Group) -> Standing {
        let success = self.successes.get(&(group.kind, group.key.clone()));
        if let Some(success) = success.filter(|s| **s > group.last) {
            return Standing::Superseded(success.clone());
        }
        match (super::timeline::days(&group.last), self.timeline.end()) {
            (Some(then), Some(end)) if end - then > STALE_DAYS => Standing::Stale,
            _ => Standing::Stands,
        }
    }
}

/// Whether a failure is today's problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Nothing has fixed it since.
    Stands,
    /// The same operation later succeeded, at this time.
    Superseded(String),
    /// More than [`STALE_DAYS`] before the newest log line.
    Stale,
}

/// Minutes between two log times; unreadable times are far apart.
fn minutes_apart(a: &str, b: &str) -> i64 {
    let parse = |t: &str| {
        t.replacen(' ', "T", 1)
            .parse::<jiff::civil::DateTime>()
            .ok()
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => (a.duration_until(b).as_secs() / 60).abs(),
        _ => i64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(key: &str, code: Option<u32>, time: &str) -> Operation {
        Operation {
            kind: Kind::Package,
            key: key.into(),
            subject: format!("update {key} at {time}"),
            failure: code.map(|c| Failure {
                code: Some(c),
                details: vec![format!("detail {c:x}")],
                installer: None,
            }),
            time: time.into(),
            file: 0,
            kb: None,
            package: None,
        }
    }

    #[test]
    fn attempts_group_and_a_later_success_of_the_same_thing_supersedes() {
        let mut e = Evidence::default();
        e.record(op("KB1", Some(0x800F0922), "2026-11-01 10:00:00"));
        e.record(op("KB1", Some(0x800F0922), "2026-11-02 10:00:00"));
        e.record(op("KB2", Some(0x800F0922), "2026-11-02 11:00:00"));
        e.record(op("KB1", None, "2026-11-03 10:00:00"));
        // A success of something else supersedes nothing.
        e.record(op("KB3", None, "2026-11-04 10:00:00"));
        let v = e.verdicts();
        assert_eq!(e.operations, 5);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, Standing::Stands);
        assert_eq!(v[0].1.key, "KB2");
        assert_eq!(v[1].0, Standing::Superseded("2026-11-03 10:00:00".into()));
        assert_eq!(v[1].1.attempts, 2);
        assert_eq!(v[1].1.subject, "update KB1 at 2026-11-02 10:00:00");
    }

    #[test]
    fn a_success_before_the_last_failure_does_not_supersede_and_old_failures_go_stale() {
        let mut e = Evidence::default();
        e.record(op("KB1", None, "2026-09-01 10:00:00"));
        e.record(op("KB1", Some(1), "2026-09-02 10:00:00"));
        assert_eq!(e.verdicts()[0].0, Standing::Stands);
        e.timeline.saw(0, true, "2026-10-02 10:00:00");
        assert_eq!(e.verdicts()[0].0, Standing::Stands, "30 days is not stale");
        e.timeline.saw(0, true, "2026-10-03 10:00:00");
        assert_eq!(e.verdicts()[0].0, Standing::Stale);
    }
}
