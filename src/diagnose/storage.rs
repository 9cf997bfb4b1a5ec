//! Disk space and the update folders: what they hold, and wufix's backups.

use std::fs;

use super::{Finding, Severity};
use crate::catalog::Folder;
use crate::folders::{Layout, backup, stats};
use crate::printer::size_text;
use crate::report::count;

/// Feature and cumulative updates need this much room (Microsoft's guidance for 0x8024001E).
const MIN_FREE: u64 = 10 * 1024 * 1024 * 1024;

pub fn check(layout: &Layout) -> Vec<Finding> {
    let mut findings = vec![free_space(layout)];
    let mut backups = Vec::new();
    for folder in Folder::ALL {
        let path = layout.path(folder);
        let id = format!("folder-{}", folder.id());
        let finding = match fs::symlink_metadata(path) {
            Err(_) => Finding::new(
                id,
                Severity::Info,
                format!("{} is not present", folder.dir_name()),
                path.display().to_string(),
            )
            .remedy("None needed: Windows creates it again when its service starts"),
            Ok(meta) if meta.file_type().is_symlink() => Finding::new(
                id,
                Severity::Info,
                format!(
                    "{} is a link or junction to another place",
                    folder.dir_name()
                ),
                path.display().to_string(),
            ),
            Ok(_) => {
                let size = stats::measure(path);
                Finding::new(
                    id,
                    Severity::Info,
                    format!(
                        "{} holds {}",
                        folder.dir_name(),
                        size_text(size.files, size.bytes)
                    ),
                    format!(
                        "{}: {} files, {} bytes",
                        path.display(),
                        size.files,
                        size.bytes
                    ),
                )
            }
        };
        findings.push(finding);
        for found in backup::list(path).unwrap_or_default() {
            backups.push((found.path.clone(), stats::measure(&found.path)));
        }
    }
    findings.push(if backups.is_empty() {
        Finding::new(
            "wufix-backups",
            Severity::Ok,
            "no wufix backups",
            "none beside SoftwareDistribution or catroot2",
        )
    } else {
        let files: u64 = backups.iter().map(|(_, s)| s.files).sum();
        let bytes: u64 = backups.iter().map(|(_, s)| s.bytes).sum();
        let paths: Vec<String> = backups
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        Finding::new(
            "wufix-backups",
            Severity::Info,
            format!(
                "{} {} {}",
                count(backups.len() as u64, "wufix backup", "wufix backups"),
                if backups.len() == 1 { "holds" } else { "hold" },
                size_text(files, bytes)
            ),
            paths.join("; "),
        )
        .remedy(
            "Once updates work again, delete them: `rd /s /q <backup folder>` for each one listed",
        )
    });
    findings
}

fn free_space(layout: &Layout) -> Finding {
    let dir = &layout.windows_dir;
    match crate::sys::free_space(dir) {
        Err(err) => Finding::unavailable("free-space", "free disk space", err),
        Ok(free) if free < MIN_FREE => Finding::new(
            "free-space",
            Severity::Warn,
            format!("only {} free on the Windows volume; updates need about 10 GB", gib(free)),
            format!("{free} bytes available on the volume of {}", dir.display()),
        )
        .remedy("Free at least 10 GB: run Disk Cleanup as administrator (`cleanmgr /sageset:1`, then `cleanmgr /sagerun:1`) and delete old wufix backups"),
        Ok(free) => Finding::new(
            "free-space",
            Severity::Ok,
            format!("{} free on the Windows volume", gib(free)),
            format!("{free} bytes available on the volume of {}", dir.display()),
        ),
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}
