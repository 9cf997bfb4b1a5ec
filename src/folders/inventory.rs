//! What the update folders hold now, and the wufix backups beside them: what `status` shows and
//! `diagnose` judges.

use std::fs;

use crate::catalog::Folder;
use crate::folders::{Layout, backup, stats};
use serde::Serialize;

use super::stats::Size;

/// What happened to a backup during this run (or, for `status`, that it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum BackupEvent {
    Created,
    /// `undo` renamed it back to its folder.
    Restored,
    Planned,
    Kept,
    Pruned,
    Present,
    /// A backup whose deletion was cut short (`….bak.pruning`): not a backup any more; the next
    /// prune of its folder finishes it.
    Incomplete,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BackupRecord {
    pub folder: Folder,
    pub path: String,
    pub event: BackupEvent,
    /// A link (or junction) named like a backup: not a backup, never entered nor pruned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_link: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FolderStatus {
    pub folder: Folder,
    pub path: String,
    pub exists: bool,
    /// True when the folder is itself a link or junction (wufix will not reset it).
    pub is_link: bool,
    /// Its size: `{files, bytes, unreadable}`, the same shape as a backup's.
    pub size: Size,
}

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
        for left in found.incomplete {
            backups.push(BackupRecord {
                folder,
                path: left.display().to_string(),
                event: BackupEvent::Incomplete,
                is_link: false,
                size: Some(stats::measure(&left)),
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
