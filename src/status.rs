//! `wufix status`: the update services and folders as they are now, and wufix's backups.

use std::fs;

use crate::catalog::{self, Folder};
use crate::folders::{Layout, backup, stats};
use crate::report::{BackupEvent, BackupRecord, FolderStatus, StatusReport};
use crate::services;
use crate::sys::Platform;

/// Take the snapshot. Read-only; needs no administrator rights.
pub fn snapshot(layout: &Layout, sys: &dyn Platform, online: bool) -> StatusReport {
    let services = if online {
        let names: Vec<String> = catalog::all_services()
            .into_iter()
            .map(String::from)
            .collect();
        services::snapshot(sys, &names)
    } else {
        Vec::new()
    };
    let (folders, backups) = folders_and_backups(layout);
    StatusReport {
        ok: true,
        command: "status",
        mode: if online { "online" } else { "offline" },
        windows_dir: layout.windows_dir.display().to_string(),
        services,
        folders,
        backups,
    }
}

/// Each update folder as it is now, and every wufix backup beside it with its size. Links are
/// reported, never entered. Shared by `status` and `diagnose`.
pub fn folders_and_backups(layout: &Layout) -> (Vec<FolderStatus>, Vec<BackupRecord>) {
    let mut folders = Vec::new();
    let mut backups = Vec::new();
    for folder in Folder::ALL {
        let path = layout.path(folder);
        let meta = fs::symlink_metadata(path).ok();
        let is_link = meta.as_ref().is_some_and(|m| m.file_type().is_symlink());
        let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
        folders.push(FolderStatus {
            folder,
            path: path.display().to_string(),
            exists: meta.is_some(),
            is_link,
            size: if is_dir && !is_link {
                stats::measure(path)
            } else {
                stats::Size::default()
            },
        });
        for found in backup::list(path).unwrap_or_default() {
            backups.push(BackupRecord {
                folder,
                path: found.path.display().to_string(),
                event: BackupEvent::Present,
                size: Some(stats::measure(&found.path)),
            });
        }
    }
    (folders, backups)
}
