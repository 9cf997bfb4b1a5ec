//! What `wufix undo` reverses: the newest run in the journal that moved a folder aside (a reset,
//! or an undo, which sets aside the folder it replaces) and that no later undo has reversed; for
//! each of its folders, the backup it made. Without a journal, the newest wufix backup of each
//! folder on disk. A clear cannot be undone, and a backup that is gone cannot come back: both are
//! refusals that change nothing.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::Folder;
use crate::folders::Layout;
use crate::folders::backup;
use crate::journal::{Listing, Op};

/// What an undo will put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The journal of the run being reversed; `None` when chosen from the disk.
    pub journal: Option<PathBuf>,
    /// Each folder with the backup to rename back to it.
    pub restores: Vec<(Folder, PathBuf)>,
    /// Settings a `repair` changed (service permissions, registry values), each with the value
    /// it had before, to put back.
    pub settings: Vec<Op>,
}

/// Choose what to undo for `folders`. `Err` says why nothing can be.
pub fn select(listing: &Listing, layout: &Layout, folders: &[Folder]) -> Result<Selection, String> {
    let undone: HashSet<&str> = listing
        .runs
        .iter()
        .filter(|r| r.start.command == "undo" && r.finished.is_some())
        .filter_map(|r| r.start.undoes.as_deref())
        .collect();
    for run in &listing.runs {
        if undone.contains(run.path.display().to_string().as_str()) {
            continue;
        }
        let mut moved: Vec<(Folder, PathBuf)> = Vec::new();
        let mut cleared: Vec<Folder> = Vec::new();
        let mut settings: Vec<Op> = Vec::new();
        for (change, outcome) in &run.changes {
            match change {
                // Announced and not known to have failed: putting the old value back is safe
                // either way. The first change of a setting holds its value before the run.
                Op::ServiceDacl { .. } | Op::RegistryValue { .. }
                    if *outcome != Some(false)
                        && !settings.iter().any(|s| same_setting(s, change)) =>
                {
                    settings.push(change.clone());
                }
                Op::Rename { folder, from, to }
                    if folders.contains(folder)
                        && same_path(from, layout.path(*folder))
                        && *outcome != Some(false)
                        // Announced, outcome unknown (killed mid-rename): the disk says.
                        && (*outcome == Some(true) || to.exists()) =>
                {
                    moved.retain(|(f, _)| f != folder);
                    moved.push((*folder, to.clone()));
                }
                Op::Clear { folder, .. } if folders.contains(folder) => cleared.push(*folder),
                _ => {}
            }
        }
        if moved.is_empty() && cleared.is_empty() && settings.is_empty() {
            continue;
        }
        if moved.is_empty() && settings.is_empty() {
            let names: Vec<&str> = cleared.iter().map(|f| f.dir_name()).collect();
            return Err(format!(
                "the last reset ({}) cleared {} instead of renaming: a clear cannot be undone",
                run.start.started,
                names.join(" and ")
            ));
        }
        for (folder, backup) in &moved {
            // The journal folder may be writable by others than administrators: a journal is
            // trusted only to name a wufix backup beside the folder, never a folder elsewhere.
            if !backup::is_backup_of(backup, layout.path(*folder)) {
                return Err(format!(
                    "the journal {} names {} as the backup of {}, which is not a wufix backup beside it; it is not trusted",
                    run.path.display(),
                    backup.display(),
                    layout.path(*folder).display()
                ));
            }
            if !is_real_dir(backup) {
                return Err(format!(
                    "the backup {} no longer exists (pruned or deleted); there is nothing to put back",
                    backup.display()
                ));
            }
        }
        moved.sort();
        // The last change first.
        settings.reverse();
        return Ok(Selection {
            journal: Some(run.path.clone()),
            restores: moved,
            settings,
        });
    }
    from_disk(layout, folders)
}

/// The settings of `pick` may be put back only from a journal an administrator (or this user)
/// wrote: one planted by an ordinary user in the shared journal folder could otherwise make an
/// administrator's undo set a proxy or a service's permissions. Drops them otherwise, and says
/// why.
pub fn keep_trusted_settings(
    pick: &mut Selection,
    sys: &dyn crate::sys::Platform,
) -> Option<String> {
    let path = pick.journal.as_ref()?;
    if pick.settings.is_empty() || sys.owned_by_admin_or_me(path).unwrap_or(false) {
        return None;
    }
    pick.settings.clear();
    Some(format!(
        "wufix: the journal {} is not owned by an administrator; the settings it names are not put back",
        path.display()
    ))
}

/// No journal to go by: the newest wufix backup of each folder.
fn from_disk(layout: &Layout, folders: &[Folder]) -> Result<Selection, String> {
    let restores: Vec<(Folder, PathBuf)> = folders
        .iter()
        .filter_map(|&folder| {
            let newest = backup::list(layout.path(folder)).ok()?.into_iter().next()?;
            Some((folder, newest.path))
        })
        .collect();
    if restores.is_empty() {
        return Err(
            "there is nothing to undo: no reset in the journal and no wufix backup beside the folders"
                .into(),
        );
    }
    Ok(Selection {
        journal: None,
        restores,
        settings: Vec::new(),
    })
}

/// Whether two changes are to the same setting.
fn same_setting(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (Op::ServiceDacl { name: x, .. }, Op::ServiceDacl { name: y, .. }) => {
            x.eq_ignore_ascii_case(y)
        }
        (
            Op::RegistryValue {
                key: k1, name: n1, ..
            },
            Op::RegistryValue {
                key: k2, name: n2, ..
            },
        ) => k1.eq_ignore_ascii_case(k2) && n1.eq_ignore_ascii_case(n2),
        _ => false,
    }
}

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Paths as Windows compares them: ignoring case.
fn same_path(a: &Path, b: &Path) -> bool {
    a == b
        || a.to_string_lossy()
            .eq_ignore_ascii_case(&b.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Record, Run, Start, VERSION};
    use crate::machine::Mode;

    fn run(path: &str, command: &str, undoes: Option<&str>, changes: Vec<Op>) -> Run {
        let mut records = vec![Record::Start(Start {
            version: VERSION,
            started: format!("start of {path}"),
            command: command.into(),
            mode: Mode::Offline,
            windows_dir: "w".into(),
            pid: 1,
            services_before: Vec::new(),
            undoes: undoes.map(str::to_string),
        })];
        for change in changes {
            records.push(Record::Intent {
                change: change.clone(),
            });
            records.push(Record::Outcome {
                change,
                ok: true,
                detail: String::new(),
            });
        }
        records.push(Record::Finished {
            at: "t".into(),
            ok: true,
        });
        Run::from_records(path.into(), records).unwrap()
    }

    struct Disk {
        _dir: tempfile::TempDir,
        layout: Layout,
    }

    fn disk() -> Disk {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("System32")).unwrap();
        let layout = Layout::offline(dir.path()).unwrap();
        Disk { _dir: dir, layout }
    }

    fn moved(d: &Disk, folder: Folder, backup: &str) -> (Op, PathBuf) {
        let from = d.layout.path(folder).to_path_buf();
        let to = from.with_file_name(backup);
        fs::create_dir_all(&to).unwrap();
        (
            Op::Rename {
                folder,
                from,
                to: to.clone(),
            },
            to,
        )
    }

    #[test]
    fn the_newest_run_not_yet_undone_is_reversed_and_an_undo_can_itself_be_undone() {
        let d = disk();
        let sd = Folder::SoftwareDistribution;
        let (first, b1) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (second, b2) = moved(&d, sd, "SoftwareDistribution.wufix-20261102T000000Z.bak");
        let mut listing = Listing {
            runs: vec![
                run("r2", "reset", None, vec![second.clone()]),
                run("r1", "reset", None, vec![first]),
            ],
            ..Listing::default()
        };
        let pick = select(&listing, &d.layout, &[sd]).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("r2")));
        assert_eq!(pick.restores, [(sd, b2.clone())]);

        // An undo of r2 set the new folder aside as b3 and put b2 back: undoing again reverses
        // that undo (b3 comes back), never r2 a second time.
        let (aside, b3) = moved(&d, sd, "SoftwareDistribution.wufix-20261103T000000Z.bak");
        let back = Op::Rename {
            folder: sd,
            from: b2.clone(),
            to: d.layout.path(sd).to_path_buf(),
        };
        listing
            .runs
            .insert(0, run("u1", "undo", Some("r2"), vec![aside, back]));
        let pick = select(&listing, &d.layout, &[sd]).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("u1")));
        assert_eq!(pick.restores, [(sd, b3)]);
        let _ = b1;
    }

    #[test]
    fn a_journal_naming_a_folder_elsewhere_is_not_trusted() {
        let d = disk();
        let sd = Folder::SoftwareDistribution;
        let planted = d.layout.windows_dir.parent().unwrap().join("attacker");
        fs::create_dir_all(&planted).unwrap();
        let listing = Listing {
            runs: vec![run(
                "r1",
                "reset",
                None,
                vec![Op::Rename {
                    folder: sd,
                    from: d.layout.path(sd).to_path_buf(),
                    to: planted,
                }],
            )],
            ..Listing::default()
        };
        let why = select(&listing, &d.layout, &[sd]).unwrap_err();
        assert!(why.contains("not trusted"), "{why}");
    }

    #[test]
    fn a_clear_or_a_vanished_backup_is_refused_and_no_journal_falls_back_to_the_disk() {
        let d = disk();
        let sd = Folder::SoftwareDistribution;
        let mut listing = Listing {
            runs: vec![run(
                "r1",
                "reset",
                None,
                vec![Op::Clear {
                    folder: sd,
                    path: d.layout.path(sd).to_path_buf(),
                }],
            )],
            ..Listing::default()
        };
        let why = select(&listing, &d.layout, &[sd]).unwrap_err();
        assert!(why.contains("cannot be undone"), "{why}");

        let (change, backup) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        fs::remove_dir(&backup).unwrap();
        listing.runs = vec![run("r1", "reset", None, vec![change])];
        let why = select(&listing, &d.layout, &[sd]).unwrap_err();
        assert!(why.contains("no longer exists"), "{why}");

        // No journal: the newest backup on disk.
        let (_, old) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (_, new) = moved(&d, sd, "SoftwareDistribution.wufix-20261105T000000Z.bak");
        let pick = select(&Listing::default(), &d.layout, &[sd]).unwrap();
        assert_eq!((pick.journal, pick.restores), (None, vec![(sd, new)]));
        let _ = old;
        let why = select(&Listing::default(), &d.layout, &[Folder::Catroot2]).unwrap_err();
        assert!(why.contains("nothing to undo"), "{why}");
    }
}
