//! The residue rung's hosts-file change: each line that sends a Windows Update name nowhere gets
//! a comment mark in front (never deleted), journaled with the lines as they were; `undo` takes
//! the marks off while the file is still exactly as the repair left it.
//!
//! The file is replaced whole: the new text is written beside it and renamed over it, so a
//! power cut leaves the old file or the new one, never half of one. Windows' DNS client notices
//! the change by itself. Security software may flag a changed hosts file (a cleaned one rarely;
//! blocking lines put back by `undo`, sometimes): the steps say so.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Context, Fix};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::residue::hosts;

#[derive(Clone, Debug)]
pub struct HostsBlock {
    pub path: PathBuf,
    pub why: String,
}

impl Fix for HostsBlock {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "comment out the lines sending Windows Update's names nowhere (`{}` before each, none deleted; {}); undo takes the marks off",
                hosts::MARK.trim_end(),
                self.why
            ),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let bytes = match hosts::read(&self.path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return self.record(
                    Outcome::Skipped,
                    "no hosts file to change (absent, a link or too large)".into(),
                );
            }
            Err(err) => return self.record(Outcome::Failed, format!("cannot read it: {err}")),
        };
        let (indexes, names) = hosts::blocking(&bytes);
        if indexes.is_empty() {
            return self.record(Outcome::Skipped, "no line blocks updates now".into());
        }
        let all = hosts::lines(&bytes);
        // Only lines that are text are ever found blocking (`hosts::blocking`).
        let saved: Vec<(usize, String)> = indexes
            .iter()
            .map(|&i| (i, String::from_utf8_lossy(all[i]).into_owned()))
            .collect();
        let after = hosts::commented(&bytes, &indexes);
        let op = Op::HostsLines {
            path: self.target(),
            lines: saved,
            after_crc: crc32fast::hash(&after),
            after_len: after.len() as u64,
            unmark: false,
        };
        let path = self.path.clone();
        match cx.change(op, |_, _| replace(&path, &after).map_err(|e| e.to_string())) {
            Ok(()) => self.record(
                Outcome::Done,
                format!(
                    "{} line{} commented out ({} names reachable again); undo takes the marks off",
                    indexes.len(),
                    if indexes.len() == 1 { "" } else { "s" },
                    names.len()
                ),
            ),
            Err(err) => self.record(
                Outcome::Failed,
                format!("{err}; put `#` before those lines by hand (as administrator)"),
            ),
        }
    }
}

/// `undo` of [`HostsBlock`]: the marks taken off `lines`, only while the file is byte for byte
/// what the repair wrote. `Ok(None)` when it already is as before.
pub fn unmark(
    path: &str,
    lines: &[(usize, String)],
    after_crc: u32,
    after_len: u64,
) -> Result<Option<(Vec<u8>, Op)>, String> {
    let bytes = hosts::read(Path::new(path))
        .map_err(|e| format!("cannot read it: {e}"))?
        .ok_or("the hosts file is gone, a link or too large")?;
    let now = hosts::lines(&bytes);
    if lines
        .iter()
        .all(|(i, text)| now.get(*i).is_some_and(|l| *l == text.as_bytes()))
    {
        return Ok(None);
    }
    if bytes.len() as u64 != after_len || crc32fast::hash(&bytes) != after_crc {
        return Err("changed since the repair; left as it is".into());
    }
    let before = hosts::uncommented(&bytes, lines)
        .ok_or("its marked lines changed since the repair; left as it is")?;
    let op = Op::HostsLines {
        path: path.to_string(),
        lines: lines.to_vec(),
        after_crc: crc32fast::hash(&before),
        after_len: before.len() as u64,
        unmark: true,
    };
    Ok(Some((before, op)))
}

/// Whether a journal's hosts change may be undone: a hosts file, and only lines that block an
/// update name (what the repair marks) — a planted journal can make undo do no more than that.
pub fn allowed(path: &str, lines: &[(usize, String)]) -> Result<(), String> {
    let normal = path.replace('/', "\\").to_ascii_lowercase();
    if !normal.ends_with(r"\system32\drivers\etc\hosts") {
        return Err(format!("{path} is not a hosts file"));
    }
    let each_blocks = lines.iter().all(|(_, text)| {
        text.lines().count() == 1 && !hosts::blocking(text.as_bytes()).0.is_empty()
    });
    if !each_blocks {
        return Err("the saved lines are not ones the repair comments out".into());
    }
    Ok(())
}

/// Write `bytes` as the file at `path`: beside it first, synced, then renamed over it.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let new = path.with_file_name("hosts.wufix-new");
    // Left by a run cut short (the folder is administrators' only): never written through.
    if std::fs::symlink_metadata(&new).is_ok() {
        std::fs::remove_file(&new)?;
    }
    let mut file = std::fs::File::create_new(&new)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(err) = written.and_then(|()| std::fs::rename(&new, path)) {
        let _ = std::fs::remove_file(&new);
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_takes_the_marks_off_only_from_the_file_the_repair_left() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("System32").join("drivers").join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let file = etc.join("hosts");
        let before = b"0.0.0.0 fe2.update.microsoft.com\n# mine\n";
        let (indexes, _) = hosts::blocking(before);
        let saved = vec![(0, "0.0.0.0 fe2.update.microsoft.com\n".to_string())];
        let after = hosts::commented(before, &indexes);
        replace(&file, &after).unwrap();
        let path = file.to_str().unwrap();
        let (crc, len) = (crc32fast::hash(&after), after.len() as u64);
        assert!(allowed(path, &saved).is_ok());

        // Someone added a line since: theirs stands, nothing is written.
        let mut theirs = after.clone();
        theirs.extend_from_slice(b"10.0.0.5 intranet\n");
        std::fs::write(&file, &theirs).unwrap();
        let err = unmark(path, &saved, crc, len).unwrap_err();
        assert!(err.contains("changed since"), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), theirs);

        std::fs::write(&file, &after).unwrap();
        let (restored, op) = unmark(path, &saved, crc, len).unwrap().unwrap();
        assert_eq!(restored, before);
        assert!(matches!(op, Op::HostsLines { unmark: true, .. }));
        replace(&file, &restored).unwrap();
        assert_eq!(
            unmark(path, &saved, crc, len).unwrap(),
            None,
            "already as before"
        );
        assert!(!etc.join("hosts.wufix-new").exists());
    }

    #[test]
    fn a_journal_may_only_put_back_blocking_lines_in_a_hosts_file() {
        let line = vec![(0, "0.0.0.0 fe2.update.microsoft.com\r\n".to_string())];
        assert!(allowed(r"C:\Windows\System32\drivers\etc\hosts", &line).is_ok());
        assert!(allowed(r"C:\Windows\System32\config\SYSTEM", &line).is_err());
        let other = vec![(0, "10.1.1.1 fe2.update.microsoft.com\n".to_string())];
        assert!(allowed(r"C:\Windows\System32\drivers\etc\hosts", &other).is_err());
        let two = vec![(
            0,
            "0.0.0.0 a.update.microsoft.com\n10.0.0.1 x\n".to_string(),
        )];
        assert!(allowed(r"C:\Windows\System32\drivers\etc\hosts", &two).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_place_of_the_hosts_file_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "0.0.0.0 fe2.update.microsoft.com\n").unwrap();
        let link = dir.path().join("hosts");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert_eq!(hosts::read(&link).unwrap(), None);
        // A planted link where the new file is made: removed, not followed.
        let planted = dir.path().join("victim");
        std::fs::write(&planted, "keep").unwrap();
        std::fs::write(dir.path().join("real"), "x").unwrap();
        std::os::unix::fs::symlink(&planted, dir.path().join("hosts.wufix-new")).unwrap();
        replace(&dir.path().join("real"), b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&planted).unwrap(), "keep");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("real")).unwrap(),
            "new"
        );
    }
}
