//! Runs that were killed before they finished (power loss, a killed process, an RMM timeout):
//! found from their journals, shown by `status` and `diagnose`, and put right by the next run
//! that holds the lock, before it does anything else.
//!
//! A reader holds no lock and needs no rights, so it tells a live run from a dead one by the
//! start record: a process with the run's pid that began when the run's did is the run (online);
//! offline, where the writer is on this machine, the installation's lock alone says.

use serde::Serialize;

use crate::catalog::{self, Folder};
use crate::journal::{Listing, Record, Run, SetAside, Stopped, Store};
use crate::machine::{Machine, Mode};
use crate::record::{Action, Outcome, StepRecord};
use crate::services;
use crate::sys::{Platform, ServiceState, SysError};

/// What an interrupted run left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Interrupted {
    pub started: String,
    pub command: String,
    pub journal: String,
    /// Services it stopped that were running before it, and that it did not start again.
    pub services_stopped: Vec<String>,
    /// Folders it renamed (or was renaming when it died: `done` says whether the rename happened,
    /// as the disk shows it).
    pub renamed: Vec<RenamedFolder>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RenamedFolder {
    pub folder: Folder,
    pub from: String,
    pub to: String,
    pub done: bool,
}

/// The journal as `status` and `diagnose` show it (flattened into their reports).
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JournalView {
    /// The newest run: when, which command, and how it ended.
    pub last_run: Option<LastRun>,
    /// `null` when no run was interrupted.
    pub interrupted: Option<Interrupted>,
    /// Journal files that could not be trusted, set aside as `*.corrupt`.
    #[serde(rename = "journal_set_aside")]
    pub set_aside: Vec<SetAside>,
    /// Damaged journal files, left for the next reset, undo or repair to set aside.
    #[serde(rename = "journal_damaged", skip_serializing_if = "Vec::is_empty")]
    pub damaged: Vec<SetAside>,
    /// Journal files a newer wufix wrote, or not wufix's: left as they are.
    #[serde(rename = "journal_skipped", skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SetAside>,
    /// Journal files with no record in them: a run killed before it wrote its first record
    /// (it changed nothing), or one starting at this moment.
    #[serde(rename = "journal_empty", skip_serializing_if = "Vec::is_empty")]
    pub empty: Vec<String>,
    /// Why the journal could not be read, when it could not.
    #[serde(rename = "journal_error", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LastRun {
    pub started: String,
    pub command: String,
    /// `finished`, `finished-with-failures`, `interrupted`, `recovered` or `running`.
    pub outcome: &'static str,
    pub journal: String,
}

/// What an interrupted run left, judged against the disk for renames it announced: a rename
/// happened when its source is gone and its target is there (something else may have made a
/// folder of the target's name since, but not taken the source away).
pub fn left_behind(run: &Run, root: &std::path::Path) -> Interrupted {
    Interrupted {
        started: run.start.started.clone(),
        command: run.start.command.clone(),
        journal: run.path.display().to_string(),
        services_stopped: run.left_stopped().into_iter().map(|s| s.name).collect(),
        renamed: run
            .renames()
            .into_iter()
            .map(|(folder, from, to)| {
                let (from, to) = (from.resolve(root), to.resolve(root));
                let there = |p: &std::path::Path| std::fs::symlink_metadata(p).is_ok();
                RenamedFolder {
                    folder,
                    done: !there(&from) && there(&to),
                    from: from.display().to_string(),
                    to: to.display().to_string(),
                }
            })
            .collect(),
    }
}

/// Whether the run of `run`'s journal may still be going on, as a reader can tell.
fn may_be_running(run: &Run, sys: &dyn Platform, mode: Mode, home: &std::path::Path) -> bool {
    // A run made in the other mode (offline on this disk, from a rescue system) is over.
    if run.start.mode != mode {
        return false;
    }
    match sys.process_started(run.start.pid) {
        Ok(None) => false,
        Ok(Some(began)) => run.start.process_started.is_none_or(|then| then == began),
        // Offline: the installation's lock alone says whether a wufix works on it.
        Err(SysError::Offline) => sys.reset_lock_held(home).unwrap_or(true),
        Err(_) => true,
    }
}

/// Read the journal for `status` and `diagnose`; nothing is written.
pub fn view(store: &Store, sys: &dyn Platform, mode: Mode, root: &std::path::Path) -> JournalView {
    let listing = match store.read() {
        Ok(listing) => listing,
        Err(err) => {
            return JournalView {
                error: Some(format!("{}: {err}", store.dir().display())),
                ..JournalView::default()
            };
        }
    };
    // The lock file is in wufix's folder, the journal folder's parent.
    let home = store.dir().parent().unwrap_or(store.dir());
    let running = |run: &Run| run.interrupted() && may_be_running(run, sys, mode, home);
    let last_run = listing.runs.first().map(|run| LastRun {
        started: run.start.started.clone(),
        command: run.start.command.clone(),
        outcome: match (run.finished, run.recovered) {
            (Some(true), _) => "finished",
            (Some(false), _) => "finished-with-failures",
            (None, true) => "recovered",
            (None, false) if running(run) => "running",
            (None, false) => "interrupted",
        },
        journal: run.path.display().to_string(),
    });
    let interrupted = listing
        .runs
        .iter()
        .find(|run| run.interrupted() && !running(run))
        .map(|run| left_behind(run, root));
    JournalView {
        last_run,
        interrupted,
        set_aside: listing.set_aside,
        damaged: listing.damaged,
        skipped: listing.skipped,
        empty: listing.empty,
        error: None,
    }
}

/// Interrupted runs, newest first.
pub fn interrupted(listing: &Listing) -> Vec<&Run> {
    listing.runs.iter().filter(|r| r.interrupted()).collect()
}

/// What recovery does with a service a dead run left stopped.
enum Verdict {
    /// Stopped (or still stopping): start it.
    Start,
    /// Running again already, or it never stopped: nothing to do.
    Running,
    /// Not ours to start: gone, disabled, configured otherwise since, or not a service wufix
    /// stops. Said once; the run is still marked recovered.
    NotOurs(String),
}

fn judge(stopped: &Stopped, sys: &dyn Platform) -> Verdict {
    let name = &stopped.name;
    let ours = catalog::all_services()
        .iter()
        .any(|o| o.eq_ignore_ascii_case(name))
        // A dependent the run stopped with its parent: still a dependent of one of wufix's.
        || catalog::all_services().iter().any(|parent| {
            sys.dependents(parent)
                .is_ok_and(|deps| deps.iter().any(|d| d.eq_ignore_ascii_case(name)))
        });
    if !ours {
        return Verdict::NotOurs(
            "not a service wufix stops, nor a dependent of one now: left as it is".to_string(),
        );
    }
    match sys.query_service(name) {
        Ok(None) => Verdict::NotOurs("not installed any more: nothing to start".into()),
        Err(err) => Verdict::NotOurs(format!("cannot query it ({err}): left as it is")),
        Ok(Some(info)) if info.start_type == crate::sys::StartType::Disabled => Verdict::NotOurs(
            "disabled since: not wufix's to start (whoever disabled it meant it)".into(),
        ),
        Ok(Some(info)) if stopped.start_type.is_some_and(|t| t != info.start_type) => {
            Verdict::NotOurs(format!(
                "its start type changed since the run ({} then, {} now): left as it is",
                stopped.start_type.map_or("?", |t| t.as_str()),
                info.start_type.as_str()
            ))
        }
        Ok(Some(info)) => match info.status.state {
            ServiceState::Stopped | ServiceState::StopPending => Verdict::Start,
            _ => Verdict::Running,
        },
    }
}

/// Put right what interrupted runs left, before this run does anything else: start again the
/// services they stopped that are still theirs to start, then mark each journal recovered (a
/// service that would not start is said, once, and not retried for ever). Folders are left as
/// they are: a rename is what a reset does anyway, and `undo` puts them back. Call with the lock
/// held.
pub fn recover(
    store: &Store,
    listing: &Listing,
    machine: Machine,
    mode: Mode,
    timeout: std::time::Duration,
    by: &str,
) -> Vec<StepRecord> {
    let sys = machine.sys;
    let mut records = Vec::new();
    for run in listing.runs.iter().filter(|r| r.needs_recovery()) {
        // wufix 0.1 locked with a mutex, not the lock this run holds: while a process with that
        // pid runs, its run may still be going on.
        if run.start.process_started.is_none()
            && run.start.mode == mode
            && mode == Mode::Online
            && matches!(sys.process_started(run.start.pid), Ok(Some(_)))
            && run.start.pid != std::process::id()
        {
            continue;
        }
        let mut to_start = Vec::new();
        for stopped in run.left_stopped() {
            match judge(&stopped, sys) {
                Verdict::Start => to_start.push(stopped.name),
                Verdict::Running => {}
                Verdict::NotOurs(why) => records.push(StepRecord::new(
                    Action::StartService,
                    &stopped.name,
                    Outcome::Skipped,
                    format!(
                        "left stopped by the run interrupted at {}; {why}",
                        run.start.started
                    ),
                )),
            }
        }
        let mut results = services::start_all(machine, &to_start, timeout);
        // One more try for a service that stopped again at once: after a crash, what it waits
        // on is often just not up yet.
        let failed: Vec<String> = results
            .iter()
            .filter(|d| d.result.is_err())
            .map(|d| d.name.clone())
            .collect();
        if !failed.is_empty() {
            let again = services::start_all(machine, &failed, timeout);
            results.retain(|d| d.result.is_ok());
            results.extend(again);
        }
        for driven in results {
            let (outcome, detail) = match driven.result {
                Ok(_) => (
                    Outcome::Done,
                    format!(
                        "left stopped by the run interrupted at {}; running again",
                        run.start.started
                    ),
                ),
                Err(why) => (
                    Outcome::Failed,
                    format!(
                        "{why}; the interrupted run is marked recovered: start it yourself once its cause is fixed"
                    ),
                ),
            };
            records.push(StepRecord::new(
                Action::StartService,
                &driven.name,
                outcome,
                detail,
            ));
        }
        if let Ok(mut journal) = store.append(run) {
            let _ = journal.write(&Record::Recovered {
                at: jiff::Timestamp::now().to_string(),
                by: by.to_string(),
            });
        }
    }
    records
}
