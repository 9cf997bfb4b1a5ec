//! What blockers and debloaters left behind (`crate::residue`), as findings: each with Windows'
//! own value, why it blocks updates, the tool whose signature it is when that is certain, and the
//! step that puts it back. A disabled service the `service` findings already cover is not said
//! twice.

use super::{Finding, Severity};
use crate::folders::Layout;
use crate::machine::Mode;
use crate::residue::{self, Residue};
use crate::sys::Platform;

pub fn check(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<Finding> {
    let managed = residue::management(sys);
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
            .map(|r| finding(&r, mode))
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

fn finding(r: &Residue, mode: Mode) -> Finding {
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
    f.remedy = Some(remedy(r, mode));
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
fn remedy(r: &Residue, mode: Mode) -> String {
    if mode == Mode::Offline && r.kind != "hosts-block" {
        return "This Windows is not running: from Windows PE, `reg load HKLM\\OFF D:\\Windows\\System32\\config\\SOFTWARE` (or SYSTEM), remove or reset the value under HKLM\\OFF, then `reg unload HKLM\\OFF`; or start Windows and fix it there".into();
    }
    let (key, value) = r
        .target
        .rsplit_once('\\')
        .unwrap_or((r.target.as_str(), ""));
    let rung = if r.fixes.is_empty() {
        ""
    } else {
        "`wufix repair --from residue --up-to residue` puts it back (journaled; `wufix undo` reverses it). By hand: "
    };
    let by_hand = match r.kind {
        "service-disabled" => {
            let start = r
                .usual
                .as_deref()
                .and_then(|u| u.split(' ').next())
                .unwrap_or("3");
            format!(
                "As administrator: `reg add \"{key}\" /v Start /t REG_DWORD /d {start} /f`, then restart Windows (WaaSMedicSvc is launch-protected: if that is refused, it needs SYSTEM, or taking ownership of its key)"
            )
        }
        "failure-actions-emptied" => {
            let name = key.rsplit('\\').next().unwrap_or("");
            format!(
                "As administrator: `sc failure {name} reset= 86400 actions= restart/60000/restart/120000//`"
            )
        }
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
