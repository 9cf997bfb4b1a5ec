//! The engine's folder steps: a folder touched only once its hard guards are really stopped,
//! renamed aside or cleared (written down first, its outcome after), a backup put back by undo
//! once the place is free, and old backups pruned.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::{Run, entry_error, failed};
use crate::catalog::Folder;
use crate::folders::backup;
use crate::folders::inventory::{BackupEvent, BackupRecord};
use crate::folders::prune::Pruning;
use crate::folders::remove;
use crate::journal::{JPath, Op};
use crate::plan::{FolderChange, FolderStep};
use crate::record::{Action, Outcome, StepRecord, count};

impl Run<'_> {
    pub(super) fn folder(&mut self, step: &FolderStep) {
        let not_ready = step.not_ready(&self.plan.layout);
        // An undo restores into an absent folder too (Windows has not made it again yet).
        let absent = not_ready
            .as_ref()
            .is_some_and(|r| r.outcome == Outcome::Skipped);
        if let Some(record) = not_ready {
            self.push(record);
            if !absent {
                return self.skip_restore(step, "its place is not safe to act on");
            }
            if step.restore.is_none() {
                return;
            }
        }
        let target = step.path.display().to_string();
        let action = step.action();
        let blockers = self.ensure_guards_stopped(step);
        if !blockers.is_empty() {
            let detail = format!("left untouched: {} not stopped", blockers.join(", "));
            if !absent {
                self.push(StepRecord::new(action, target, Outcome::Skipped, &detail));
            }
            return self.skip_restore(step, &detail);
        }
        if !absent {
            let record = match &step.change {
                FolderChange::RenameTo(to) => self.rename(step.folder, &step.path, to),
                FolderChange::Clear => self.clear(step.folder, &step.path),
            };
            let moved = record.outcome == Outcome::Done;
            self.push(record);
            if !moved {
                return self.skip_restore(step, "the folder could not be set aside");
            }
        }
        if let Some(backup) = &step.restore {
            let record = self.restore(step.folder, backup, &step.path);
            self.push(record);
        }
    }

    fn skip_restore(&mut self, step: &FolderStep, why: &str) {
        if let Some(backup) = &step.restore {
            self.push(StepRecord::new(
                Action::RestoreFolder,
                backup.display().to_string(),
                Outcome::Skipped,
                format!("{why}; the backup is left as it is"),
            ));
        }
    }

    /// `undo`: rename `backup` back to `path`, which must be free.
    fn restore(&mut self, folder: Folder, backup: &Path, path: &Path) -> StepRecord {
        let target = backup.display().to_string();
        if fs::symlink_metadata(path).is_ok() {
            return StepRecord::new(
                Action::RestoreFolder,
                target,
                Outcome::Failed,
                format!(
                    "{} is there again; the backup is left as it is",
                    path.display()
                ),
            );
        }
        if let Err(record) = self.move_folder(Action::RestoreFolder, folder, backup, path) {
            return record;
        }
        self.backups.push(BackupRecord {
            folder,
            path: target.clone(),
            event: BackupEvent::Restored,
            is_link: false,
            size: None,
        });
        StepRecord::new(
            Action::RestoreFolder,
            target,
            Outcome::Done,
            format!("renamed back to {}", path.display()),
        )
    }

    /// Rename `from` to `to`, written down first and its outcome after; `Err` is the failed step.
    // The error is the step's whole record, made once per folder: its size costs nothing here.
    #[allow(clippy::result_large_err)]
    fn move_folder(
        &mut self,
        action: Action,
        folder: Folder,
        from: &Path,
        to: &Path,
    ) -> Result<(), StepRecord> {
        let target = from.display().to_string();
        let root = self.plan.layout.root();
        let entry = Op::Rename {
            folder,
            from: JPath::of(root, from),
            to: JPath::of(root, to),
        };
        if let Err(why) = self.journal.intent(&entry) {
            return Err(StepRecord::new(action, target, Outcome::Failed, why));
        }
        let result = backup::rename_aside(from, to, self.machine.clock, self.plan.retry_for);
        let detail = result
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        self.journal.outcome(&entry, result.is_ok(), &detail);
        result.map_err(|err| failed(action, target, from, err))
    }

    fn rename(&mut self, folder: Folder, from: &Path, to: &Path) -> StepRecord {
        if let Err(record) = self.move_folder(Action::RenameFolder, folder, from, to) {
            return record;
        }
        self.renamed.push(folder);
        self.backups.push(BackupRecord {
            folder,
            path: to.display().to_string(),
            event: BackupEvent::Created,
            is_link: false,
            size: None,
        });
        StepRecord::new(
            Action::RenameFolder,
            from.display().to_string(),
            Outcome::Done,
            format!("renamed to {}", to.display()),
        )
    }

    fn clear(&mut self, folder: Folder, path: &Path) -> StepRecord {
        let entry = Op::Clear {
            folder,
            path: JPath::of(self.plan.layout.root(), path),
        };
        if let Err(why) = self.journal.intent(&entry) {
            let target = path.display().to_string();
            return StepRecord::new(Action::ClearFolder, target, Outcome::Failed, why);
        }
        let record = self.clear_now(path);
        self.journal
            .outcome(&entry, record.outcome == Outcome::Done, &record.detail);
        record
    }

    fn clear_now(&mut self, path: &Path) -> StepRecord {
        // A bar with a total needs the entries counted first: a quick read-only walk, done only
        // when someone watches.
        let counter = self.meter.watching().then(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let total = crate::folders::stats::entries(path);
            self.meter.clearing(path, total, Arc::clone(&counter));
            counter
        });
        let watched = counter.is_some();
        let removal =
            remove::clear_contents_counted(path, self.machine.clock, self.plan.retry_for, counter);
        if watched {
            self.meter.done();
        }
        let target = path.display().to_string();
        if removal.failures.is_empty() {
            let detail = format!(
                "removed {}; the folder stays",
                count(removal.removed, "entry", "entries")
            );
            return StepRecord::new(Action::ClearFolder, target, Outcome::Done, detail)
                .irreversible();
        }
        let detail = format!(
            "removed {}; {} could not be removed",
            count(removal.removed, "entry", "entries"),
            removal.failures.len()
        );
        let mut record =
            StepRecord::new(Action::ClearFolder, target, Outcome::Failed, detail).irreversible();
        record.errors = removal.failures.iter().map(entry_error).collect();
        record
    }

    pub(super) fn prune(&mut self, folder: Folder, path: &Path, created: &Path, keep: usize) {
        let target = path.display().to_string();
        if !self.renamed.contains(&folder) {
            let record = StepRecord::new(
                Action::PruneBackups,
                target,
                Outcome::Skipped,
                "no new backup was made",
            );
            return self.push(record.irreversible());
        }
        let pruning = match Pruning::decide(path, created, keep) {
            Ok(pruning) => pruning,
            Err(err) => {
                return self.push(failed(Action::PruneBackups, target, path, err).irreversible());
            }
        };
        let doomed = pruning.all();
        let root = self.plan.layout.root();
        let op = Op::Prune {
            folder,
            paths: doomed.iter().map(|p| JPath::of(root, p)).collect(),
        };
        // Nothing to delete: nothing to write down.
        if !doomed.is_empty() {
            if let Err(why) = self.journal.intent(&op) {
                let record = StepRecord::new(Action::PruneBackups, target, Outcome::Failed, why);
                return self.push(record.irreversible());
            }
        }
        let pruned = pruning.carry_out(folder, created, self.machine.clock, self.plan.retry_for);
        if !doomed.is_empty() {
            self.journal.outcome(&op, pruned.failures.is_empty(), "");
        }
        let (outcome, detail) = pruning.verdict(&pruned, keep);
        self.backups.extend(pruned.records);
        let mut record =
            StepRecord::new(Action::PruneBackups, target, outcome, detail).irreversible();
        record.errors = pruned.failures.iter().map(entry_error).collect();
        self.push(record);
    }
}
