//! A service DLL a blocker renamed (`wuaueng.dll` → `wuaueng_BAK.dll`, `Wu10Man_wuaueng.dll`):
//! `ServiceDll` names a file that is gone, and a file beside it carries the name. A renamed file
//! that is still a hard link of another copy (WinSxS's: Windows' own System32 files are) is
//! Microsoft's, told by its link count — no signature API needed, and it works on a mounted disk
//! too.

use std::path::{Path, PathBuf};

use super::{Put, Residue};
use crate::sys::Platform;

/// The services whose DLL blockers rename.
const DLL_SERVICES: [&str; 4] = ["wuauserv", "UsoSvc", "WaaSMedicSvc", "DoSvc"];

/// The DLL names a renamed file may be given back (undo's catalogue).
pub const DLL_NAMES: [&str; 5] = [
    "wuaueng.dll",
    "usosvc.dll",
    "usocore.dll",
    "WaaSMedicSvc.dll",
    "dosvc.dll",
];

/// `%SystemRoot%\system32\wuaueng.dll` on `windows_dir`.
pub fn resolve(value: &str, windows_dir: &Path) -> Option<PathBuf> {
    let lower = value.to_ascii_lowercase();
    let rest = ["%systemroot%\\", "%windir%\\", "c:\\windows\\"]
        .iter()
        .find_map(|prefix| lower.starts_with(prefix).then(|| &value[prefix.len()..]))?;
    Some(rest.split('\\').filter(|p| !p.is_empty()).fold(
        windows_dir.to_path_buf(),
        |path, part| {
            // Each part found ignoring case, as on NTFS.
            crate::folders::layout::find_children(&path, part)
                .into_iter()
                .next()
                .unwrap_or_else(|| path.join(part))
        },
    ))
}

/// Links to the file beyond this name (WinSxS's): the link count, on Linux and Windows alike.
fn other_links(path: &Path) -> Option<u64> {
    crate::sys::hard_links(path)
        .ok()
        .map(|n| n.saturating_sub(1))
}

pub fn check(sys: &dyn Platform, windows_dir: &Path, out: &mut Vec<Residue>) {
    for name in DLL_SERVICES {
        let key = format!(r"SYSTEM\CurrentControlSet\Services\{name}\Parameters");
        let Some(value) = sys
            .registry()
            .value(&key, "ServiceDll")
            .ok()
            .flatten()
            .and_then(|v| v.as_text())
        else {
            continue;
        };
        let Some(path) = resolve(&value, windows_dir) else {
            continue;
        };
        if path.exists() {
            continue;
        }
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = file
            .rsplit_once('.')
            .map_or(file.as_str(), |(s, _)| s)
            .to_ascii_lowercase();
        let renamed: Vec<PathBuf> = path
            .parent()
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p
                    .file_name()
                    .map(|f| f.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                n != file.to_ascii_lowercase()
                    && n.contains(&stem)
                    && std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
            })
            .collect();
        let names: Vec<String> = renamed
            .iter()
            .map(|p| {
                let shown = p
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match other_links(p) {
                    Some(n) if n > 0 => format!("{shown} (a hard link of Windows' own copy)"),
                    _ => shown,
                }
            })
            .collect();
        let tool = renamed
            .iter()
            .any(|p| {
                p.file_name().is_some_and(|f| {
                    f.to_string_lossy()
                        .to_ascii_lowercase()
                        .starts_with("wu10man_")
                })
            })
            .then_some("Wu10Man");
        out.push(Residue {
            kind: "service-dll-renamed",
            target: format!(r"HKLM\{key}\ServiceDll"),
            found: if names.is_empty() {
                format!("{} is missing", path.display())
            } else {
                format!(
                    "{} is missing; beside it: {}",
                    path.display(),
                    names.join(", ")
                )
            },
            usual: Some(value.clone()),
            why: format!("{name} cannot start without its DLL"),
            tool,
            // Given its name back only when there is one candidate and it is Windows' own copy
            // (a second name, WinSxS's); anything else is the deep rung's (DISM, sfc).
            fixes: match renamed.as_slice() {
                [one] if other_links(one).is_some_and(|n| n > 0) => vec![Put::Rename {
                    from: one.clone(),
                    to: path.clone(),
                }],
                _ => Vec::new(),
            },
        });
    }
}
