//! Runs that were killed before they finished (power loss, a killed process, an RMM timeout):
//! found from their journals, shown by `status` and `diagnose`, and put right by the next `reset`
//! or `undo` before it does anything else. A journal counts as interrupted only while no wufix
//! holds the reset lock: a run in progress is not a dead one.

use serde::Serialize;

use crate::catalog::Folder;
use crate::journal::{Listing, Record, Run, SetAside, Store};
use crate::machine::Machine;
use crate::record::{Action, Outcome, StepRecord};
use crate::services;
use crate::sys::{Platform, ServiceState};

/// What an interrupted run left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
pub struct RenamedFolder {
    pub folder: Folder,
    pub from: String,
    pub to: String,
    pub done: bool,
}

/// The journal as `status` and `diagnose` show it (flattened into their reports).
#[derive(Clone, Debug, Default, Serialize)]
pub struct JournalView {
    /// The newest run: when, which command, and how it ended.
    pub last_run: Option<LastRun>,
    /// `null` when no run was interrupted.
    pub interrupted: Option<Interrupted>,
    /// Journal files that could not be trusted, renamed `*.corrupt`.
    #[serde(rename = "journal_set_aside")]
    pub set_aside: Vec<SetAside>,
    /// Journal files a newer wufix wrote: left as they are.
    #[serde(rename = "journal_skipped", skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SetAside>,
    /// Why the journal could not be read, when it could not.
    #[serde(rename = "journal_error", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastRun {
    pub started: String,
    pub command: String,
    /// `finished`, `finished-with-failures`, `interrupted`, `recovered` or `running`.
    pub outcome: &'static str,
    pub journal: String,
}

/// What an interrupted run left, judged against the disk for renames it announced.
pub fn left_behind(run: &Run) -> Interrupted {
    Interrupted {
        started: run.start.started.clone(),
        command: run.start.command.clone(),
        journal: run.path.display().to_string(),
        services_stopped: run.left_stopped(),
        renamed: run
            .renames()
            .into_iter()
            .map(|(folder, from, to)| RenamedFolder {
                folder,
                done: to.exists() || !from.exists(),
                from: from.display().to_string(),
                to: to.display().to_string(),
            })
            .collect(),
    }
}

/// Read the journal for `status` and `diagnose`. An unfinished journal is a dead run only if no
/// wufix holds the reset lock (asked only then, so a status run does not contend with resets).
pub fn view(store: &Store, sys: &dyn Platform) -> JournalView {
    let listing = match store.list() {
        Ok(listing) => listing,
        Err(err) => {
            return JournalView {
                error: Some(format!("{}: {err}", store.dir().display())),
                ..JournalView::default()
            };
        }
    };
    let running = listing.runs.iter().any(Run::interrupted) && matches!(sys.lock_reset(), Ok(None));
    let last_run = listing.runs.first().map(|run| LastRun {
        started: run.start.started.clone(),
        command: run.start.command.clone(),
        outcome: match (run.finished, run.recovered) {
            (Some(true), _) => "finished",
            (Some(false), _) => "finished-with-failures",
            (None, true) => "recovered",
            (None, false) if running => "running",
            (None, false) => "interrupted",
        },
        journal: run.path.display().to_string(),
    });
    JournalView {
        last_run,
        interrupted: interrupted(&listing, running)
            .first()
            .map(|run| left_behind(run)),
        set_aside: listing.set_aside,
        skipped: listing.skipped,
        error: None,
    }
}

/// Interrupted runs, newest first; none while another wufix runs.
pub fn interrupted(listing: &Listing, running: bool) -> Vec<&Run> {
    if running {
        return Vec::new();
    }
    listing.runs.iter().filter(|r| r.interrupted()).collect()
}

/// Put right what interrupted runs left, before this run does anything else: start again the
/// services they stopped (those still stopped now), then mark each journal recovered. Folders
/// are left as they are: a rename is what a reset does anyway, and `undo` puts them back.
/// Call with the reset lock held.
pub fn recover(
    store: &Store,
    listing: &Listing,
    machine: Machine,
    timeout: std::time::Duration,
    by: &str,
) -> Vec<StepRecord> {
    let sys = machine.sys;
    let mut records = Vec::new();
    for run in listing.runs.iter().filter(|r| r.needs_recovery()) {
        // Only the services wufix itself stops: a journal cannot make it start anything else.
        let ours = crate::catalog::all_services();
        let stopped: Vec<String> = run
            .left_stopped()
            .into_iter()
            .filter(|name| ours.iter().any(|o| o.eq_ignore_ascii_case(name)))
            // Stopped, or still stopping (the dead run's request outlives it): started once stopped.
            .filter(|name| {
                sys.service_status(name).is_ok_and(|s| {
                    matches!(s.state, ServiceState::Stopped | ServiceState::StopPending)
                })
            })
            .collect();
        let mut all_back = true;
        let mut results = services::start_all(machine, &stopped, timeout);
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
                Err(why) => {
                    all_back = false;
                    (Outcome::Failed, why)
                }
            };
            records.push(StepRecord::new(
                Action::StartService,
                &driven.name,
                outcome,
                detail,
            ));
        }
        if all_back {
            if let Ok(mut journal) = store.append(run) {
                let _ = journal.write(&Record::Recovered {
                    at: jiff::Timestamp::now().to_string(),
                    by: by.to_string(),
                });
            }
        }
    }
    records
}
