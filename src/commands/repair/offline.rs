//! `wufix repair --windows-dir DIR` where it writes nothing: on Linux, and in a dry run. Only
//! the residue rung, as a script: the disk's hives are read, and what a blocker left is put back
//! by the Windows PE commands printed (each hive loaded under a name of wufix's, the values
//! written there, the hive unloaded). On Windows PE, without `--dry-run`, the repair runs as a
//! session instead and loads the hives itself (`sys::mounted`). No scan can run on a Windows that
//! is not running: `--no-verify` is implied and said.

use super::super::target::Target;
use crate::exit::Exit;
use crate::ladder::{Rung, Stage};
use crate::managed;
use crate::printer::Printer;
use crate::record::{Action, Outcome, StepRecord};
use crate::report::{RepairReport, RungReport, StartReport};
use crate::request::RepairRequest;
use crate::residue::{self, Put, Residue};

pub fn run(req: &RepairRequest, printer: &Printer) -> Exit {
    let Some(target) = Target::find(&req.location, "repair", printer) else {
        return Exit::Usage;
    };
    let sys = &*target.sys;
    // Each hive asked through the registry itself: one that could not be read answers with why.
    let unread: Vec<String> = [r"SYSTEM\Select", r"SOFTWARE\Microsoft"]
        .iter()
        .filter_map(|key| sys.registry().key_exists(key).err())
        .map(|err| err.to_string())
        .collect();
    let managed_by = residue::management(sys);
    let found = residue::detect(
        sys,
        &target.layout.windows_dir,
        &managed_by,
        jiff::Timestamp::now(),
    );
    let scripted: Vec<&Residue> = found
        .iter()
        .filter(|r| r.fixes.iter().any(Put::is_registry))
        .collect();
    let script = residue::script::commands(&scripted, &residue::script::control_set(sys));
    let steps: Vec<StepRecord> = found.iter().map(step).collect();
    let stage = Stage {
        rung: Rung::Residue,
        network: false,
        network_only: false,
    };
    let (ok, message) = if !unread.is_empty() {
        (
            false,
            format!(
                "Nothing was written. The disk's registry could not be read, so what a blocker left there is not known: {}",
                unread
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    } else if script.is_empty() {
        (
            true,
            if found.is_empty() {
                "Nothing was written: no blocker residue found in this Windows's registry.".into()
            } else {
                "Nothing was written: what was found cannot be put back from the registry (see each step).".into()
            },
        )
    } else {
        (
            true,
            format!(
                "Nothing was written to the disk. These {} commands put back {} item{}: run them from Windows PE, as administrator, {}. (No scan runs on a Windows that is not running: --no-verify is implied.)",
                script.len(),
                scripted.len(),
                if scripted.len() == 1 { "" } else { "s" },
                residue::script::LETTER_NOTE
            ) + if crate::sys::loads_hives() {
                " Or, from Windows PE, run the same without --dry-run: wufix loads the hives and does it itself, journaled and undoable."
            } else {
                ""
            },
        )
    };
    let report = RepairReport {
        ok,
        command: "repair",
        dry_run: true,
        windows_dir: target.layout.windows_dir.display().to_string(),
        start: StartReport {
            rung: Rung::Residue.as_str(),
            code: None,
            why: "a mounted Windows: the residue rung only, as Windows PE commands".into(),
        },
        up_to: Rung::Residue,
        verify: false,
        recovered: Vec::new(),
        rungs: vec![RungReport::new(&stage, steps, Vec::new())],
        fixed_by: None,
        managed: managed::detect(sys),
        servicing: Vec::new(),
        forced: false,
        refused: None,
        logs: Vec::new(),
        reboot_recommended: false,
        next_step: (!script.is_empty())
            .then(|| "after the commands, start that Windows and run `wufix diagnose`".to_string()),
        message,
        script,
    };
    printer.repair(&report);
    Exit::of(ok)
}

/// One item as a step of the printed plan: in the script, or why not and what to do instead.
fn step(r: &Residue) -> StepRecord {
    let usual = r.usual.as_deref().unwrap_or("absent");
    let (outcome, detail) = if r.fixes.iter().any(Put::is_registry) {
        (
            Outcome::Planned,
            format!("{} → {usual}: in the Windows PE commands", r.found),
        )
    } else if r.kind == "hosts-block" {
        (
            Outcome::Skipped,
            format!(
                "{}: not a registry change; put `#` before those lines in {} (a text editor will do, from here too)",
                r.found, r.target
            ),
        )
    } else {
        (
            Outcome::Skipped,
            format!("{}: not put back from here; {}", r.found, r.why),
        )
    };
    let mut record = StepRecord::new(Action::Residue, r.target.clone(), outcome, detail);
    record.reversible = false;
    record
}

/// Whether the repair of a mounted Windows prints its commands instead of running them: in a
/// dry run, and wherever hives cannot be loaded (any system but Windows).
pub fn prints_script(req: &RepairRequest) -> bool {
    matches!(req.location, crate::request::Location::Offline(_))
        && (req.dry_run || !crate::sys::loads_hives())
}
