//! Installed-state truth: what servicing (CBS) says of the newest cumulative update
//! (`Package_for_RollupFix~…~19041.5131.1.10`: Staged, Install Pending, Installed, Superseded) set
//! beside the build Windows runs (CurrentBuild.UBR). "Installed" in the history while only staged,
//! or "failed" although it applied, shows here. Windows Update's own history lives in an ESE
//! database (`DataStore.edb`) no permissively licensed reader opens; a reset empties it, and that
//! is said when it is gone.

use super::{Finding, Severity, why_unavailable};
use crate::folders::Layout;
use crate::known_issues::build_of;
use crate::sys::Platform;

const PACKAGES: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages";
const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
const ROLLUP: &str = "package_for_rollupfix~";

/// CBS's `CurrentState` values, as Microsoft's servicing documentation names them.
fn state_name(state: u32) -> &'static str {
    match state {
        0x00 => "Absent",
        0x05 => "Uninstall Pending",
        0x10 => "Resolving",
        0x20 => "Resolved",
        0x30 => "Staging",
        0x40 => "Staged",
        0x50 => "Superseded",
        0x60 => "Install Pending",
        0x65 => "Partially Installed",
        0x70 => "Installed",
        0x80 => "Permanent",
        _ => "an unknown state",
    }
}

/// The version parts of a package name's last field, for ordering: 19041.5131.1.10.
fn version(name: &str) -> Option<Vec<u32>> {
    let last = name.rsplit('~').next()?;
    last.split('.').map(|p| p.parse().ok()).collect()
}

fn dword(sys: &dyn Platform, key: &str, name: &str) -> Option<u32> {
    let value = sys.registry().value(key, name).ok()??;
    value
        .as_dword()
        .or_else(|| value.as_text().and_then(|t| t.trim().parse().ok()))
}

pub fn check(sys: &dyn Platform, layout: &Layout) -> Vec<Finding> {
    let id = "cumulative-update-state";
    let names = match sys.registry().subkeys(PACKAGES) {
        Ok(names) => names,
        Err(err) => {
            return vec![Finding::unavailable(
                id,
                "the servicing state of the newest cumulative update",
                why_unavailable(&err),
            )];
        }
    };
    let history = history_note(layout);
    let newest = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().starts_with(ROLLUP))
        .filter_map(|n| Some((version(n)?, n)))
        .max();
    let Some((_, name)) = newest else {
        return vec![Finding::new(
            id,
            Severity::Info,
            "servicing lists no cumulative update (no Package_for_RollupFix)",
            format!(r"HKLM\{PACKAGES}{history}"),
        )];
    };
    let key = format!(r"{PACKAGES}\{name}");
    let state = dword(sys, &key, "CurrentState");
    let running = (
        dword(sys, CURRENT_VERSION, "CurrentBuild"),
        dword(sys, CURRENT_VERSION, "UBR"),
    );
    let mut finding = judge(name, state, running);
    finding.evidence = format!(r"HKLM\{key} CurrentState{history}");
    finding.facts.package = Some(name.clone());
    vec![finding]
}

/// The verdict for the newest rollup package `name` in `state`, Windows running `running`.
pub fn judge(name: &str, state: Option<u32>, running: (Option<u32>, Option<u32>)) -> Finding {
    let id = "cumulative-update-state";
    let (build, ubr) = build_of(name).unwrap_or((0, 0));
    let label = format!("{build}.{ubr}");
    let Some(state) = state else {
        return Finding::new(
            id,
            Severity::Info,
            format!("the newest cumulative update {label} has no servicing state recorded"),
            "",
        );
    };
    let said = format!("{} (0x{state:02X})", state_name(state));
    // Windows 10 22H2 runs build 19045 on packages versioned 19041: compare the UBR alone.
    let running_ubr = running.1;
    let (severity, summary, remedy) = match state {
        0x70 | 0x80 if running_ubr.is_some_and(|r| r >= ubr) => (
            Severity::Ok,
            format!("the newest cumulative update {label} is {said} and running"),
            None,
        ),
        0x70 | 0x80 => (
            Severity::Warn,
            format!(
                "servicing says the newest cumulative update {label} is {said}, but Windows runs UBR {}",
                running_ubr.map_or("unknown".to_string(), |u| u.to_string())
            ),
            Some(
                "Restart Windows; if the build stays behind, the update did not apply: run Windows Update again and read `wufix diagnose`'s servicing findings",
            ),
        ),
        0x60 | 0x65 => (
            Severity::Warn,
            format!(
                "the newest cumulative update {label} is {said}: it applies at the next restart"
            ),
            Some("Restart Windows to finish installing it"),
        ),
        0x40 | 0x30 => (
            Severity::Warn,
            format!(
                "the newest cumulative update {label} is only {said}: its files are here but it is not installed, whatever the update history says"
            ),
            Some(
                "Run Windows Update again (or install the update from the Microsoft Update Catalog); if it stays staged, the servicing findings above say why it failed",
            ),
        ),
        _ => (
            Severity::Info,
            format!("the newest cumulative update {label} is {said}"),
            None,
        ),
    };
    let mut finding = Finding::new(id, severity, summary, "");
    finding.remedy = remedy.map(str::to_string);
    finding
}

/// Windows Update's history database, said when it is gone: a reset empties it.
fn history_note(layout: &Layout) -> String {
    let edb = layout
        .windows_dir
        .join("SoftwareDistribution")
        .join("DataStore")
        .join("DataStore.edb");
    if edb.is_file() {
        String::new()
    } else {
        "; Windows Update's own history (SoftwareDistribution\\DataStore\\DataStore.edb) is gone, as after a reset: Settings' update history starts again, and servicing's state is the record".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10";

    #[test]
    fn each_state_of_the_newest_rollup_against_the_running_build() {
        let running = (Some(19045), Some(5131));
        let ok = judge(NAME, Some(0x70), running);
        assert_eq!(ok.severity, Severity::Ok, "{}", ok.summary);
        let behind = judge(NAME, Some(0x70), (Some(19045), Some(5011)));
        assert_eq!(behind.severity, Severity::Warn);
        assert!(
            behind.summary.contains("Windows runs UBR 5011"),
            "{}",
            behind.summary
        );
        let staged = judge(NAME, Some(0x40), running);
        assert_eq!(staged.severity, Severity::Warn);
        assert!(
            staged.summary.contains("only Staged (0x40)"),
            "{}",
            staged.summary
        );
        let pending = judge(NAME, Some(0x60), running);
        assert!(pending.remedy.unwrap().starts_with("Restart"));
        assert_eq!(judge(NAME, Some(0x50), running).severity, Severity::Info);
        assert_eq!(judge(NAME, None, running).severity, Severity::Info);
    }

    #[test]
    fn the_newest_rollup_is_chosen_by_version_not_by_name() {
        use crate::sys::fake::FakePlatform;
        use crate::sys::registry::RegValue;
        let older = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.999.1.3";
        let newer = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10";
        let sys = FakePlatform::new()
            .registry_value(
                &format!(r"{PACKAGES}\{older}"),
                "CurrentState",
                RegValue::dword(0x70),
            )
            .registry_value(
                &format!(r"{PACKAGES}\{newer}"),
                "CurrentState",
                RegValue::dword(0x40),
            )
            .registry_value(
                &format!(r"{PACKAGES}\Package_for_KB5011048~31bf3856ad364e35~amd64~~10.0.1.0"),
                "CurrentState",
                RegValue::dword(0x70),
            )
            .registry_value(CURRENT_VERSION, "UBR", RegValue::dword(999));
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("Windows/System32")).unwrap();
        let layout = Layout::offline(&tmp.path().join("Windows")).unwrap();
        let [f] = &check(&sys, &layout)[..] else {
            panic!()
        };
        assert_eq!(f.severity, Severity::Warn, "{}", f.summary);
        assert!(
            f.summary.contains("19041.5131 is only Staged"),
            "{}",
            f.summary
        );
        // The fake registry keeps key names in lower case, as lookups ignore case.
        assert!(
            f.facts
                .package
                .as_deref()
                .unwrap()
                .eq_ignore_ascii_case(newer)
        );
        assert!(
            f.evidence.contains("DataStore.edb) is gone"),
            "{}",
            f.evidence
        );
    }
}
