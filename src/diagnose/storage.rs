//! Disk space and the update folders: what they hold, and wufix's backups.

use super::{Finding, Severity};
use crate::folders::Layout;
use crate::folders::inventory::folders_and_backups;
use crate::record::{count, size_text};

/// Feature and cumulative updates need this much room (Microsoft's guidance for 0x8024001E).
const MIN_FREE: u64 = 10 * 1024 * 1024 * 1024;

pub fn check(layout: &Layout) -> Vec<Finding> {
    let (folders, found) = folders_and_backups(layout);
    // A link named like a backup is not one: reported on its own, never measured.
    let (links, backups): (Vec<_>, Vec<_>) = found.into_iter().partition(|b| b.is_link);
    let mut findings = vec![free_space(layout)];
    for folder in &folders {
        let id = format!("folder-{}", folder.folder.id());
        let name = folder.folder.shown();
        findings.push(if !folder.exists {
            Finding::new(
                id,
                Severity::Info,
                format!("{name} is not present (Windows makes it again at its next check)"),
                &folder.path,
            )
            .remedy("None needed: Windows creates it again when its service starts")
        } else if folder.is_link {
            Finding::new(
                id,
                Severity::Info,
                format!("{name} is a link or junction to another place"),
                &folder.path,
            )
        } else {
            let size = folder.size;
            Finding::new(
                id,
                Severity::Info,
                format!("{name} holds {}", size_text(size.files, size.bytes)),
                format!(
                    "{}: {} files, {} bytes",
                    folder.path, size.files, size.bytes
                ),
            )
        });
    }
    for link in &links {
        findings.push(Finding::new(
            "wufix-backup-link",
            Severity::Info,
            "a link or junction is named like a wufix backup; wufix does not enter or delete it",
            &link.path,
        ));
    }
    findings.push(if backups.is_empty() {
        Finding::new(
            "wufix-backups",
            Severity::Ok,
            "no wufix backups",
            "none beside SoftwareDistribution or catroot2",
        )
    } else {
        let sizes = backups.iter().filter_map(|b| b.size);
        let (files, bytes) = sizes.fold((0, 0), |(f, b), s| (f + s.files, b + s.bytes));
        let paths: Vec<&str> = backups.iter().map(|b| b.path.as_str()).collect();
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
