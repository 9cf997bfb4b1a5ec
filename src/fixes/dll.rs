//! The residue rung's file change: a service DLL a blocker renamed (`wuaueng_BAK.dll`,
//! `Wu10Man_wuaueng.dll`) given its name back — only when its own name is free and the file is
//! Windows' own copy (a second name, WinSxS's; `residue::dll`). The rename never replaces a
//! file, is journaled first, and `undo` gives the blocker's name back while the file is still
//! where this put it. System32's files belong to TrustedInstaller: a refused rename names the
//! manual steps, and a file a blocker took ownership of is said to need its owner back.

use std::path::{Path, PathBuf};

use super::{Context, Fix};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};

#[derive(Clone, Debug)]
pub struct DllRename {
    pub from: PathBuf,
    pub to: PathBuf,
    pub why: String,
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The steps a person takes where Windows refuses the rename (System32's files are
/// TrustedInstaller's).
fn by_hand(from: &Path, to: &Path) -> String {
    format!(
        "as administrator: `takeown /f \"{}\"`, `icacls \"{}\" /grant Administrators:F`, `ren \"{}\" {}`, then `icacls \"{}\" /setowner \"NT SERVICE\\TrustedInstaller\"`; or let `wufix repair --from deep --up-to deep` (DISM, sfc) restore it",
        from.display(),
        from.display(),
        from.display(),
        name(to),
        to.display()
    )
}

impl Fix for DllRename {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        self.from.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "rename it back to {} ({}); undo renames it again",
                name(&self.to),
                self.why
            ),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        if std::fs::symlink_metadata(&self.to).is_ok() {
            return self.record(
                Outcome::Skipped,
                format!("{} is there again; left as it is", name(&self.to)),
            );
        }
        if !crate::sys::hard_links(&self.from).is_ok_and(|n| n > 1) {
            return self.record(
                Outcome::Skipped,
                "no longer Windows' own copy (or gone); left to the deep rung".into(),
            );
        }
        let op = Op::FileRename {
            from: self.from.display().to_string(),
            to: self.to.display().to_string(),
        };
        let (from, to) = (&self.from, &self.to);
        match cx.change(op, |_, _| {
            crate::sys::rename_noreplace(from, to).map_err(|e| e.to_string())
        }) {
            Ok(()) => self.record(
                Outcome::Done,
                format!(
                    "renamed back to {}; undo renames it again. If a blocker took ownership of it: `icacls \"{}\" /setowner \"NT SERVICE\\TrustedInstaller\"`",
                    name(to),
                    to.display()
                ),
            ),
            Err(err) => self.record(Outcome::Failed, format!("{err}; {}", by_hand(from, to))),
        }
    }
}

/// A journal's path as folder and name, whichever system wrote it (`\` or `/`).
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once(['\\', '/']).unwrap_or(("", path))
}

/// Whether a journal's rename may be undone: within one folder, back to a name a blocker gives
/// a service DLL, from one of the service DLLs' own names (`residue::dll::DLL_NAMES`).
pub fn allowed(from: &str, to: &str) -> Result<(), String> {
    let ((from_dir, from_name), (to_dir, to_name)) = (split(from), split(to));
    let own = crate::residue::dll::DLL_NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(to_name));
    let stem = to_name.to_ascii_lowercase();
    let stem = stem.trim_end_matches(".dll");
    let blockers = from_name.to_ascii_lowercase().contains(stem);
    if own && blockers && from_dir.eq_ignore_ascii_case(to_dir) && !from_dir.is_empty() {
        Ok(())
    } else {
        Err(format!("{to} is not a service DLL wufix renames"))
    }
}

/// `undo` of [`DllRename`]: the blocker's name again, only while the DLL is where the repair
/// put it and that name is free. `Ok(None)` when it already has that name.
pub fn undo(from: &str, to: &str) -> Result<Option<Op>, String> {
    let (blocked, own) = (Path::new(from), Path::new(to));
    if std::fs::symlink_metadata(blocked).is_ok() && std::fs::symlink_metadata(own).is_err() {
        return Ok(None);
    }
    if std::fs::symlink_metadata(blocked).is_ok() {
        return Err(format!("{} exists; left as it is", blocked.display()));
    }
    if !crate::sys::hard_links(own).is_ok_and(|n| n > 1) {
        return Err("not the file the repair renamed any more; left as it is".into());
    }
    Ok(Some(Op::FileRename {
        from: to.to_string(),
        to: from.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_may_rename_only_a_service_dll_within_its_folder() {
        let dir = r"C:\Windows\System32";
        let ok = |from: &str, to: &str| allowed(&format!("{dir}\\{from}"), &format!("{dir}\\{to}"));
        assert!(ok("wuaueng_BAK.dll", "wuaueng.dll").is_ok());
        assert!(ok("Wu10Man_WaaSMedicSvc.dll", "WaaSMedicSvc.dll").is_ok());
        // Not a service DLL's name, not the same file's other name, another folder.
        assert!(ok("kernel32_BAK.dll", "kernel32.dll").is_err());
        assert!(ok("evil.dll", "wuaueng.dll").is_err());
        assert!(
            allowed(
                r"C:\Temp\wuaueng_BAK.dll",
                r"C:\Windows\System32\wuaueng.dll"
            )
            .is_err()
        );
    }
}
