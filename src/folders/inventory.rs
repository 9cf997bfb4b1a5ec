//! What the update folders hold now, and the wufix backups beside them: what `status` shows and
//! `diagnose` judges.

use std::fs;

use crate::catalog::Folder;
use crate::folders::{Layout, backup, stats};
use crate::report::{BackupEvent, BackupRecord, FolderStatus};

/// Each update folder as it is now, and every wufix backup beside it with its size. Links, and
/// links named like backups, are reported, never entered.
pub fn folders_and_backups(layout: &Layout) -> (Vec<FolderStatus>, Vec<BackupRecord>) {
    let mut folders = Vec::new();
    let mut backups = Vec::new();
    // The BITS queue too: `repair` sets it aside, and its backups are shown like the others.
    for folder in Folder::EVERY {
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
        let found = backup::scan(path).unwrap_or_default();
        for real in found.backups {
            backups.push(BackupRecord {
                folder,
                path: real.path.display().to_string(),
                event: BackupEvent::Present,
                is_link: false,
                size: Some(stats::measure(&real.path)),
            });
        }
        for link in found.links {
            backups.push(BackupRecord {
                folder,
                path: link.display().to_string(),
                event: BackupEvent::Present,
                is_link: true,
                size: None,
            });
        }
    }
    (folders, backups)
}
