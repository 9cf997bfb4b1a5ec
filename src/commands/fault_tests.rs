//! The strongest claim a reset tool can make, checked by machine: whatever goes wrong during a
//! reset — a stop refused, hung or slow, a start that fails, a folder that is a link or missing,
//! the process dying after any change it wrote down — an `undo` afterwards leaves:
//! 1. every file outside the two folders (and their backups, and the journal) as it was;
//! 2. every file that was in a folder either back in it or in a wufix backup of it;
//! 3. every service that was running before running, and none that was stopped started.
//!
//! The engine runs against the fake platform and a real temporary folder tree; the journal is
//! real. A "crash" is the run abandoned at its n-th journal entry (a panic, caught), exactly as a
//! killed process leaves its journal.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use proptest::prelude::*;

use super::session::Session;
use crate::catalog::Folder;
use crate::clock::FakeClock;
use crate::engine;
use crate::folders::Layout;
use crate::journal::{self, Op, Recorder};
use crate::machine::{Machine, Mode};
use crate::plan::Plan;
use crate::printer::Printer;
use crate::request::{Location, Method, ResetRequest, UndoRequest};
use crate::sys::fake::{FakePlatform, OnStop, SysKind};
use crate::sys::{ServiceState, StartType};

const SERVICES: [&str; 4] = ["wuauserv", "bits", "cryptsvc", "msiserver"];

#[derive(Clone, Copy, Debug)]
enum StopFault {
    Obey,
    Refuse,
    Slow,
    Hang,
}

#[derive(Clone, Copy, Debug)]
enum FolderState {
    Present,
    Absent,
    /// A symlink standing where the folder should be: never followed, never renamed.
    Link,
}

#[derive(Clone, Debug)]
struct Scenario {
    running: [bool; 4],
    stop: [StopFault; 4],
    start_fails: [bool; 4],
    folders: [FolderState; 2],
    /// Die when writing this journal entry (the change it announces is not made).
    crash_at: Option<usize>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let fault = prop_oneof![
        4 => Just(StopFault::Obey),
        1 => Just(StopFault::Refuse),
        1 => Just(StopFault::Slow),
        1 => Just(StopFault::Hang),
    ];
    let folder = prop_oneof![
        6 => Just(FolderState::Present),
        1 => Just(FolderState::Absent),
        1 => Just(FolderState::Link),
    ];
    (
        any::<[bool; 4]>(),
        [fault.clone(), fault.clone(), fault.clone(), fault],
        any::<[bool; 4]>(),
        [folder.clone(), folder],
        proptest::option::of(0usize..16),
    )
        .prop_map(|(running, stop, start_fails, folders, crash_at)| Scenario {
            running,
            stop,
            start_fails,
            folders,
            crash_at,
        })
}

/// The journal, dying at its n-th entry.
struct Dying<'a> {
    inner: &'a mut journal::Journal,
    left: Option<usize>,
}

impl Recorder for Dying<'_> {
    fn intent(&mut self, change: &Op) -> Result<(), String> {
        match &mut self.left {
            Some(0) => panic!("the process dies here"),
            Some(n) => *n -= 1,
            None => {}
        }
        self.inner.intent(change)
    }
    fn outcome(&mut self, change: &Op, ok: bool, detail: &str) {
        self.inner.outcome(change, ok, detail);
    }
}

/// Every file below `root` with its contents, except below the paths `skip` says.
fn files(root: &Path, skip: &dyn Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if skip(&rel) {
                continue;
            }
            let ft = entry.file_type().unwrap();
            if ft.is_dir() {
                pending.push(path);
            } else if ft.is_file() {
                out.insert(rel, fs::read(&path).unwrap());
            } else {
                out.insert(rel, b"<link>".to_vec());
            }
        }
    }
    out
}

fn is_update_folder(rel: &str) -> bool {
    let lower = rel.replace('\\', "/").to_ascii_lowercase();
    lower.starts_with("windows/softwaredistribution")
        || lower.starts_with("windows/system32/catroot2")
        || lower.starts_with("programdata")
}

/// The files of `folder` and of every wufix backup of it, by their path inside the folder.
fn kept(layout: &Layout, folder: Folder) -> Vec<(String, Vec<u8>)> {
    let path = layout.path(folder);
    let mut dirs = vec![path.to_path_buf()];
    dirs.extend(
        crate::folders::backup::list(path)
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.path),
    );
    dirs.iter()
        .filter(|d| fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()))
        .flat_map(|d| files(d, &|_| false))
        .collect()
}

fn check(s: &Scenario) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let windows = dir.path().join("Windows");
    let layout = Layout::online(windows.clone());
    fs::create_dir_all(windows.join("System32")).unwrap();
    fs::write(windows.join("System32/kernel32.dll"), "not ours").unwrap();
    fs::write(windows.join("notes.txt"), "not ours either").unwrap();
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("precious"), "a link must never lead here").unwrap();
    for (folder, state) in Folder::ALL.iter().zip(s.folders) {
        let path = layout.path(*folder);
        match state {
            FolderState::Present => {
                fs::create_dir_all(path.join("sub")).unwrap();
                fs::write(path.join("a.dat"), format!("{folder:?} a")).unwrap();
                fs::write(path.join("sub/b.dat"), format!("{folder:?} b")).unwrap();
            }
            FolderState::Absent => {}
            FolderState::Link => {
                #[cfg(unix)]
                std::os::unix::fs::symlink(&elsewhere, path).unwrap();
            }
        }
    }

    let mut sys = FakePlatform::new();
    for (i, name) in SERVICES.iter().enumerate() {
        let state = if s.running[i] {
            ServiceState::Running
        } else {
            ServiceState::Stopped
        };
        sys = sys.service(name, state, StartType::Demand);
        sys = match s.stop[i] {
            StopFault::Obey => sys,
            StopFault::Refuse => sys.refuse_stop(name, SysKind::AccessDenied),
            StopFault::Slow => sys.on_stop(
                name,
                OnStop::Pending {
                    polls: 3,
                    wait_hint: Duration::from_millis(100),
                },
            ),
            StopFault::Hang => sys.hang_on_stop(name),
        };
        if s.start_fails[i] {
            sys = sys.fails_to_start_times(name, 1);
        }
    }
    let outside_before = files(dir.path(), &is_update_folder);
    let inside_before: Vec<Vec<(String, Vec<u8>)>> =
        Folder::ALL.iter().map(|f| kept(&layout, *f)).collect();

    // The reset, dying where the scenario says.
    let req = ResetRequest {
        location: Location::Online,
        method: Method::Rename,
        folders: Folder::ALL.to_vec(),
        dry_run: false,
        assume_yes: true,
        timeout: Duration::from_secs(5),
        keep: 3,
        reboot: false,
        force: false,
        no_elevate: false,
        elevated_child: false,
    };
    let clock = FakeClock::new();
    let plan = Plan::build(&req, &layout, &sys, jiff::Timestamp::now());
    let store = journal::Store::for_windows(&layout.windows_dir, Mode::Online);
    let mut journal = store.create(plan.start_record("reset", None)).unwrap();
    let finished = catch_unwind(AssertUnwindSafe(|| {
        engine::run_hooked(
            &plan,
            Machine::new(&sys, &clock),
            &AtomicBool::new(false),
            engine::Hooks {
                progress: &mut |_| {},
                meter: &crate::progress::Quiet,
                journal: &mut Dying {
                    inner: &mut journal,
                    left: s.crash_at,
                },
            },
        )
    }));
    if let Ok(report) = &finished {
        journal
            .write(&journal::Record::Finished {
                at: "done".into(),
                ok: report.ok,
                undone: Vec::new(),
            })
            .unwrap();
    }
    drop(journal);

    // The faults pass (a refusal or a hang is what it is; the next start works), then: undo.
    let undo = UndoRequest {
        location: Location::Online,
        folders: Folder::ALL.to_vec(),
        settings: true,
        dry_run: false,
        assume_yes: true,
        timeout: Duration::from_secs(5),
        no_elevate: false,
        elevated_child: false,
    };
    let printer = Printer::new(true);
    super::undo::run(
        &undo,
        &Session::new(Machine::new(&sys, &clock), &layout, Mode::Online, &printer),
    );

    // 1. Nothing outside the folders changed.
    prop_assert_eq!(files(dir.path(), &is_update_folder), outside_before);
    // 2. Every file of a folder is in it or in one of its backups.
    for (folder, before) in Folder::ALL.iter().zip(&inside_before) {
        let now = kept(&layout, *folder);
        for file in before {
            prop_assert!(now.contains(file), "{folder:?} lost {:?}", file.0);
        }
    }
    // 3. Services as before: running ones running, stopped ones never started.
    for (i, name) in SERVICES.iter().enumerate() {
        let state = sys.state(name);
        if s.running[i] {
            prop_assert_eq!(state, ServiceState::Running, "{} after {:?}", name, s);
        } else {
            prop_assert!(
                !sys.requests().contains(&format!("start {name}")),
                "{} was stopped before and was started: {:?}",
                name,
                sys.requests()
            );
        }
    }
    Ok(())
}

proptest! {
    // Thousands natively; a sample under Wine, whose file system is slower (the same code).
    #![proptest_config(ProptestConfig {
        cases: if cfg!(windows) { 50 } else { 2000 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn whatever_fails_and_wherever_it_dies_undo_puts_everything_back(s in scenario()) {
        check(&s)?;
    }
}
