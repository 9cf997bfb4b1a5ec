//! `repair --windows-dir` as Windows PE runs it, with the hives loaded by a fake loader into a
//! fake live registry (Wine loads no `regf` file): the rung writes the loaded hives under the
//! journal, unloads them before it reports, and `undo` loads them again to put each value back.

use std::fs;
use std::sync::Arc;
use std::time::Duration;

use super::Repair;
use crate::clock::FakeClock;
use crate::commands::session::{self, Session};
use crate::exit::Exit;
use crate::folders::Layout;
use crate::journal::{Op, Store};
use crate::ladder::Rung;
use crate::machine::{Machine, Mode};
use crate::printer::Printer;
use crate::record::Outcome;
use crate::request::{Location, Origin, RepairRequest, UndoRequest};
use crate::sys::fake::FakePlatform;
use crate::sys::fake_hives::{Live, Loader};
use crate::sys::mounted::MountedHives;
use crate::sys::offline::Offline;
use crate::sys::{Platform, RegValue, Registry};

const SERVICE: &str = r"WUFIX_SYSTEM_7\ControlSet001\Services\wuauserv";
const POLICY: &str = r"WUFIX_SOFTWARE_7\Policies\Microsoft\Windows\WindowsUpdate";

/// A mounted disk: its Windows folder and hive files (never read: the fake loader stands in).
fn disk() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("Windows").join("System32").join("config");
    fs::create_dir_all(&config).unwrap();
    for hive in ["SYSTEM", "SOFTWARE"] {
        fs::write(config.join(hive), b"regf").unwrap();
    }
    let layout = Layout::offline(dir.path()).unwrap();
    (dir, layout)
}

/// What the loaded hives hold: a blocker's disabled wuauserv and blank WSUS server.
fn loaded() -> Arc<FakePlatform> {
    Arc::new(
        FakePlatform::new()
            .registry_value(r"WUFIX_SYSTEM_7\Select", "Current", RegValue::dword(1))
            .registry_value(SERVICE, "Start", RegValue::dword(4))
            .registry_value(POLICY, "WUServer", RegValue::string(""))
            .registry_value(&format!(r"{POLICY}\AU"), "UseWUServer", RegValue::dword(1)),
    )
}

fn platform(layout: &Layout, loader: &Loader, live: &Arc<FakePlatform>) -> Offline {
    let (loader, live) = (loader.clone(), live.clone());
    Offline::mounting_with(
        layout.windows_dir.clone(),
        Box::new(move |dir| {
            MountedHives::load(
                Box::new(loader.clone()),
                Box::new(Live(live.clone())),
                dir,
                7,
            )
        }),
    )
    .trusting_journals()
}

fn request(root: &std::path::Path) -> RepairRequest {
    RepairRequest {
        location: Location::Offline(root.to_path_buf()),
        origin: Origin::Rung(Rung::Residue),
        up_to: Rung::Residue,
        up_to_given: true,
        source: None,
        network: false,
        dry_run: false,
        assume_yes: true,
        verify: false,
        timeout: Duration::from_secs(5),
        force: false,
        no_elevate: true,
        elevated_child: false,
    }
}

fn loads_and_unloads(loader: &Loader) -> (usize, usize) {
    let calls = loader.calls();
    let n = |what: &str| calls.iter().filter(|c| c.starts_with(what)).count();
    (n("load "), n("unload "))
}

#[test]
fn the_disks_hives_are_written_under_the_journal_unloaded_and_undo_puts_each_value_back() {
    let (dir, layout) = disk();
    let (loader, live) = (Loader::default(), loaded());
    let (printer, clock) = (Printer::new(true), FakeClock::new());

    let sys = platform(&layout, &loader, &live);
    let s = Session::new(Machine::new(&sys, &clock), &layout, Mode::Offline, &printer);
    let req = request(dir.path());
    let mut repair = Repair::new(&req, &s);
    let exit = session::run(&mut repair, &s);
    let steps: Vec<_> = repair.report.rungs.iter().flat_map(|r| &r.steps).collect();
    assert_eq!(exit, Exit::Ok, "{steps:#?} {}", repair.report.message);
    assert_eq!(
        live.value(SERVICE, "Start").unwrap(),
        Some(RegValue::dword(3))
    );
    assert_eq!(live.value(POLICY, "WUServer").unwrap(), None);
    assert!(
        steps.iter().any(|s| s.target == "wuauserv"
            && s.outcome == Outcome::Done
            && s.detail.contains("that Windows takes it up when it starts")),
        "{steps:#?}"
    );
    assert_eq!(loads_and_unloads(&loader), (2, 2), "{:?}", loader.calls());
    assert!(
        sys.registry()
            .value(r"SYSTEM\CurrentControlSet\Services\wuauserv", "Start")
            .is_err(),
        "after the unload the hive files are read again (here: not hives), never the unloaded names"
    );
    // Journaled as the core names it, so a later load under any name finds it again.
    let listing = Store::for_windows(&layout.windows_dir, Mode::Offline)
        .read()
        .unwrap();
    let ops: Vec<&Op> = listing
        .runs
        .iter()
        .flat_map(|r| &r.changes)
        .map(|(op, _)| op)
        .collect();
    assert!(
        ops.iter()
            .any(|op| matches!(op, Op::RegistryValue { key, name, .. }
            if key == r"SYSTEM\CurrentControlSet\Services\wuauserv" && name == "Start")),
        "{ops:#?}"
    );

    // Undo: a new run, the hives loaded again.
    let sys = platform(&layout, &loader, &live);
    let s = Session::new(Machine::new(&sys, &clock), &layout, Mode::Offline, &printer);
    let undo = UndoRequest {
        location: Location::Offline(dir.path().to_path_buf()),
        folders: Vec::new(),
        settings: true,
        dry_run: false,
        assume_yes: true,
        timeout: Duration::from_secs(5),
        no_elevate: true,
        elevated_child: false,
    };
    assert_eq!(crate::commands::undo::run(&undo, &s), Exit::Ok);
    assert_eq!(
        live.value(SERVICE, "Start").unwrap(),
        Some(RegValue::dword(4))
    );
    assert_eq!(
        live.value(POLICY, "WUServer").unwrap(),
        Some(RegValue::string(""))
    );
    assert_eq!(loads_and_unloads(&loader), (4, 4), "{:?}", loader.calls());
}

#[test]
fn hives_that_will_not_load_change_nothing_and_journal_nothing() {
    let (dir, layout) = disk();
    let loader = Loader {
        refuse_load: Some("SOFTWARE"),
        ..Loader::default()
    };
    let live = loaded();
    let (printer, clock) = (Printer::new(true), FakeClock::new());
    let sys = platform(&layout, &loader, &live);
    let s = Session::new(Machine::new(&sys, &clock), &layout, Mode::Offline, &printer);
    let req = request(dir.path());
    let mut repair = Repair::new(&req, &s);
    assert_eq!(session::run(&mut repair, &s), Exit::Failed);
    assert_eq!(
        live.value(SERVICE, "Start").unwrap(),
        Some(RegValue::dword(4))
    );
    assert_eq!(loads_and_unloads(&loader), (2, 1), "SYSTEM unloaded again");
    let listing = Store::for_windows(&layout.windows_dir, Mode::Offline)
        .read()
        .unwrap_or_default();
    assert!(listing.runs.is_empty(), "no journal: nothing was begun");
}
