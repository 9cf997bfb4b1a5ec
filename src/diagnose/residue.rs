//! What blockers and debloaters left behind (`crate::residue`), as findings: each with Windows'
//! own value, why it blocks updates, the tool whose signature it is when that is certain, and the
//! step that puts it back. A disabled service the `service` findings already cover is not said
//! twice.

use super::{Finding, Severity};
use crate::folders::Layout;
use crate::machine::Mode;
use crate::residue::{self, Put, Residue};
use crate::sys::{Platform, StartType};

pub fn check(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<Finding> {
    let managed = residue::management(sys);
    let control_set = residue::script::control_set(sys);
    let covered = crate::catalog::all_services();
    let found: Vec<Finding> =
        residue::detect(sys, &layout.windows_dir, &managed, jiff::Timestamp::now())
            .into_iter()
            .filter(|r| {
                r.kind != "service-disabled"
                    || !covered.iter().any(|s| {
                        r.target
                            .to_ascii_lowercase()
                            .contains(&format!(r"\{}\", s.to_ascii_lowercase()))
                    })
            })
            .map(|r| finding(&r, mode, &control_set))
            .collect();
    if found.is_empty() {
        let who = if managed.is_managed() {
            format!(
                "; managed by {}: its policies are the organisation's, never residue",
                managed.by.join(", ")
            )
        } else {
            String::new()
        };
        return vec![Finding::new(
            "residue",
            Severity::Ok,
            "nothing an update blocker leaves behind",
            format!(
                "update services' start types and failure actions, Windows Update policies, pauses, the hosts file{who}"
            ),
        )];
    }
    found
}

fn finding(r: &Residue, mode: Mode, control_set: &str) -> Finding {
    let tool = r.tool.map(|t| format!(" ({t})")).unwrap_or_default();
    let usual = r
        .usual
        .as_deref()
        .map(|u| format!("; Windows' own: {u}"))
        .unwrap_or_else(|| "; Windows' own: absent".into());
    let mut f = Finding::new(
        "residue",
        Severity::Warn,
        format!("left by an update blocker{tool}: {}", r.why),
        format!("{} = {}{usual}", r.target, r.found),
    );
    f.remedy = Some(remedy(r, mode, control_set));
    // The residue rung puts it back unattended (online; never an organisation's policy).
    if mode == Mode::Online && !r.fixes.is_empty() {
        f.fixed_by = Some("repair");
    }
    f.facts.rule = Some(r.kind.to_string());
    f.facts.path = Some(r.target.clone());
    f.facts.named = r.tool.map(str::to_string).into_iter().collect();
    f
}

/// The step that puts it back, by hand (the residue rung of `repair` does it journaled).
fn remedy(r: &Residue, mode: Mode, control_set: &str) -> String {
    if mode == Mode::Offline && r.fixes.iter().any(Put::is_registry) {
        return offline_script(r, control_set);
    }
    let (key, value) = r
        .target
        .rsplit_once('\\')
        .unwrap_or((r.target.as_str(), ""));
    let rung = if r.fixes.is_empty() || mode == Mode::Offline {
        ""
    } else {
        "`wufix repair --from residue --up-to residue` puts it back (journaled; `wufix undo` reverses it). By hand: "
    };
    let by_hand = match r.kind {
        "service-disabled" => {
            let name = key.rsplit('\\').next().unwrap_or("");
            let start = match r.fixes.first() {
                Some(Put::Start { start, .. }) => match start {
                    StartType::AutoDelayed => "delayed-auto",
                    StartType::Auto => "auto",
                    _ => "demand",
                },
                _ => "demand",
            };
            format!(
                "As administrator: `sc config {name} start= {start}` (WaaSMedicSvc is launch-protected: if that is refused, it needs SYSTEM, or taking ownership of its key and a restart)"
            )
        }
        "failure-actions-emptied" => {
            let name = key.rsplit('\\').next().unwrap_or("");
            format!(
                "As administrator: `sc failure {name} reset= 86400 actions= restart/60000/restart/120000//`"
            )
        }
        "service-dll-renamed" => format!(
            "Give the DLL its name back as administrator (System32's files belong to TrustedInstaller: `takeown` and `icacls` first, then `ren`), or let `wufix repair --from deep --up-to deep` (DISM, sfc) restore it; {}",
            r.found
        ),
        "update-task-disabled" => {
            let task = r.target.trim_start_matches("task ");
            let when = if mode == Mode::Offline {
                "Once that Windows runs, as SYSTEM"
            } else {
                "As SYSTEM (the UpdateOrchestrator tasks refuse even administrators)"
            };
            format!("{when}: `schtasks /Change /TN \"{task}\" /ENABLE`")
        }
        "update-task-deleted" => "An in-place repair install puts the task back, keeping files and apps (Windows 11: Settings → System → Recovery → Fix problems using Windows Update; Windows 10: Setup from an ISO of the same version)".to_string(),
        "service-key-locked" => format!(
            "As administrator, in regedit: right-click {}, Permissions…, Advanced: make Administrators the owner, remove the Deny entries, and give SYSTEM Full Control",
            r.target
        ),
        "hosts-block" => format!(
            "Put `#` before the lines naming Windows Update's servers in {} (as administrator), then `ipconfig /flushdns`. Security software may flag a changed hosts file",
            r.target
        ),
        _ => format!(
            "As administrator: `reg delete \"{key}\" /v {value} /f`, then restart the Windows Update service (`net stop wuauserv` and `net start wuauserv`)"
        ),
    };
    format!("{rung}{by_hand}")
}

/// The Windows PE commands that put it back on a disk that is not running (`residue::script`).
fn offline_script(r: &Residue, control_set: &str) -> String {
    let commands: Vec<String> = residue::script::commands(&[r], control_set)
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    format!(
        "This Windows is not running. From Windows PE, as administrator, {}: {}. Or start that Windows and run `wufix repair --from residue --up-to residue`; `wufix repair --windows-dir DIR --from residue --up-to residue` prints every item's commands as one script",
        residue::script::LETTER_NOTE,
        commands.join("; ")
    )
}
