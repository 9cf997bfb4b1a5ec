//! A mounted Windows's scheduled tasks, read from their XML files in `System32\Tasks` (the
//! Task Scheduler's registry cache is not read offline: the file's own `<Settings><Enabled>` is
//! what a disk says without its service).

use std::path::{Path, PathBuf};

/// Task files larger than this are not task files.
const MAX_TASK_FILE: u64 = 1 << 20;

/// The task file of `task` (`\Microsoft\Windows\…\Name`) below `windows_dir`.
pub fn path(windows_dir: &Path, task: &str) -> PathBuf {
    task.split('\\')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .fold(windows_dir.join("System32").join("Tasks"), |dir, part| {
            dir.join(part)
        })
}

/// Whether the task is enabled, as its file says; `None` when there is no such file (a link
/// is not followed: it is no task file).
pub fn enabled(windows_dir: &Path, task: &str) -> std::io::Result<Option<bool>> {
    let file = path(windows_dir, task);
    match std::fs::symlink_metadata(&file) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_TASK_FILE => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(super::names::open_regular(&file)?, MAX_TASK_FILE),
                &mut bytes,
            )?;
            Ok(Some(enabled_in_xml(&bytes)))
        }
        Ok(_) => Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// A task file's own verdict (`<Settings><Enabled>`): `false` only when it says so. The files
/// are UTF-16 with a byte-order mark, or UTF-8.
pub fn enabled_in_xml(bytes: &[u8]) -> bool {
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => String::from_utf16_lossy(
            &rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        ),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    };
    let settings = text
        .split_once("<Settings>")
        .and_then(|(_, rest)| rest.split_once("</Settings>"))
        .map(|(inside, _)| inside)
        .unwrap_or("");
    let flat: String = settings.split_whitespace().collect();
    !flat.contains("<Enabled>false</Enabled>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_file_says_disabled_only_in_its_settings() {
        let disabled = "<Task><Triggers><TimeTrigger><Enabled>true</Enabled></TimeTrigger></Triggers><Settings>\r\n  <Enabled>false</Enabled>\r\n</Settings></Task>";
        assert!(!enabled_in_xml(disabled.as_bytes()));
        // A trigger disabled is not the task disabled.
        let trigger_off = "<Task><Triggers><TimeTrigger><Enabled>false</Enabled></TimeTrigger></Triggers><Settings><Hidden>true</Hidden></Settings></Task>";
        assert!(enabled_in_xml(trigger_off.as_bytes()));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(disabled.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(!enabled_in_xml(&utf16));
        assert_eq!(
            path(
                Path::new("/w"),
                r"\Microsoft\Windows\..\WindowsUpdate\Scheduled Start"
            ),
            Path::new("/w/System32/Tasks/Microsoft/Windows/WindowsUpdate/Scheduled Start")
        );
    }
}
