//! Pruning after a rename: which old wufix backups go ([`backup::to_prune`]: the oldest beyond
//! `keep`, never the one the run just made, whatever the clock says), deleting them without
//! following links, and what that amounts to. The engine only sequences it and journals it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::backup::{self, Backup};
use super::inventory::{BackupEvent, BackupRecord};
use super::remove::{self, Failure};
use crate::catalog::Folder;
use crate::clock::Clock;
use crate::record::{Outcome, count};

/// The wufix backups of one folder, and those a prune deletes.
pub struct Pruning {
    pub existing: Vec<Backup>,
    pub doomed: Vec<PathBuf>,
}

/// What deleting the doomed backups did.
pub struct Pruned {
    /// Each backup's fate: deleted, or kept.
    pub records: Vec<BackupRecord>,
    pub deleted: usize,
    pub failures: Vec<Failure>,
}

impl Pruning {
    /// The prune of the folder at `path` after its rename to `created`, keeping `keep`.
    pub fn decide(path: &Path, created: &Path, keep: usize) -> io::Result<Pruning> {
        let existing = backup::list(path)?;
        let doomed = backup::to_prune(&existing, created, keep)
            .into_iter()
            .map(|b| b.path.clone())
            .collect();
        Ok(Pruning { existing, doomed })
    }

    /// Delete the doomed backups, each relative to its open parents (links are deleted as links).
    pub fn carry_out(
        &self,
        folder: Folder,
        created: &Path,
        clock: &dyn Clock,
        retry_for: Duration,
    ) -> Pruned {
        let record = |path: &Path, event| BackupRecord {
            folder,
            path: path.display().to_string(),
            event,
            is_link: false,
            size: None,
        };
        let mut out = Pruned {
            records: Vec::new(),
            deleted: 0,
            failures: Vec::new(),
        };
        for old in &self.doomed {
            let removal = remove::remove_tree(old, clock, retry_for);
            if removal.failures.is_empty() {
                out.deleted += 1;
                out.records.push(record(old, BackupEvent::Pruned));
            } else {
                out.failures.extend(removal.failures);
            }
        }
        for kept in self
            .existing
            .iter()
            .filter(|b| b.path != created && !self.doomed.contains(&b.path))
        {
            out.records.push(record(&kept.path, BackupEvent::Kept));
        }
        out
    }

    /// The step's outcome and words once it is done.
    pub fn verdict(&self, pruned: &Pruned, keep: usize) -> (Outcome, String) {
        let doomed = self.doomed.len() as u64;
        match pruned {
            _ if doomed == 0 => (
                Outcome::Skipped,
                format!(
                    "{}, keeping up to {keep}; none to delete",
                    count(self.existing.len() as u64, "wufix backup", "wufix backups")
                ),
            ),
            p if p.failures.is_empty() => (
                Outcome::Done,
                format!(
                    "deleted {}; kept the newest {keep}",
                    count(p.deleted as u64, "old wufix backup", "old wufix backups")
                ),
            ),
            p => (
                Outcome::Failed,
                format!(
                    "deleted {} of {}",
                    p.deleted,
                    count(doomed, "old wufix backup", "old wufix backups")
                ),
            ),
        }
    }
}
