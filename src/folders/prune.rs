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

/// The wufix backups of one folder, and those a prune deletes: the oldest beyond `keep`, and
/// any whose deletion an earlier run began and did not finish (`….bak.pruning`).
pub struct Pruning {
    pub existing: Vec<Backup>,
    pub doomed: Vec<PathBuf>,
    pub unfinished: Vec<PathBuf>,
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
        let found = backup::scan(path)?;
        let doomed = backup::to_prune(&found.backups, created, keep)
            .into_iter()
            .map(|b| b.path.clone())
            .collect();
        Ok(Pruning {
            existing: found.backups,
            doomed,
            unfinished: found.incomplete,
        })
    }

    /// Everything this prune deletes, as the journal names it first.
    pub fn all(&self) -> Vec<PathBuf> {
        self.doomed
            .iter()
            .chain(&self.unfinished)
            .cloned()
            .collect()
    }

    /// Delete the doomed backups: each is first renamed `….bak.pruning` (so one cut short is never
    /// taken for a backup again), then deleted relative to its open parents (links as links);
    /// the deletions an earlier run left unfinished are finished.
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
            let pruning = backup::pruning_name(old);
            if let Err(error) = crate::sys::rename_noreplace(old, &pruning) {
                out.failures.push(Failure {
                    path: old.clone(),
                    error,
                });
                continue;
            }
            let removal = remove::remove_tree(&pruning, clock, retry_for);
            if removal.failures.is_empty() {
                out.deleted += 1;
                out.records.push(record(old, BackupEvent::Pruned));
            } else {
                out.failures.extend(removal.failures);
            }
        }
        for left in &self.unfinished {
            let removal = remove::remove_tree(left, clock, retry_for);
            if removal.failures.is_empty() {
                out.records.push(record(left, BackupEvent::Pruned));
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
