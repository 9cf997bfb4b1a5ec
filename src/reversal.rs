//! What `wufix undo` reverses, part by part (each folder, and the settings a repair changed): the
//! newest run in the journal that changed a part asked for and that no undo has put back yet.
//! A run counts as undone only for the parts an undo actually put back: a failed undo, or one
//! limited to another part, leaves the rest to undo. An undo killed half-way is no candidate of
//! its own: the next undo finishes reversing its run. Without a journal, the newest wufix backup
//! of each folder on disk. A clear cannot be undone, and a backup that is gone (or a link wearing
//! a backup's name) cannot be put back: both are refusals that change nothing.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use crate::catalog::Folder;
use crate::folders::Layout;
use crate::folders::backup;
use crate::journal::{JPath, Listing, Op, Part, Run};

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
    /// The machine the run read them on (`MachineGuid`), when its journal says.
    pub machine: Option<String>,
}

impl Selection {
    /// The parts this undo puts back.
    pub fn parts(&self) -> Vec<Part> {
        let mut parts: Vec<Part> = self
            .restores
            .iter()
            .map(|(folder, _)| Part::Folder(*folder))
            .collect();
        if !self.settings.is_empty() {
            parts.push(Part::Settings);
        }
        parts
    }
}

/// Whether a rename sets `folder` aside (its source is the folder) or puts a backup back (its
/// target is the folder): by names, the places themselves are checked before anything moves.
fn sets_aside(folder: Folder, from: &JPath) -> bool {
    from.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case(folder.dir_name()))
}

/// Whether `undo`, an undo of `run`, is known to have put `folder` back: its rename of a backup
/// onto the folder ended well (or, cut short, the disk shows it done: the backup is gone and the
/// folder is there).
fn put_back(undo: &Run, folder: Folder, layout: &Layout) -> bool {
    undo.changes.iter().any(|(op, outcome)| match op {
        Op::Rename {
            folder: f,
            from,
            to,
        } if *f == folder && sets_aside(folder, to) => {
            *outcome == Some(true)
                || (outcome.is_none()
                    && fs::symlink_metadata(from.resolve(layout.root())).is_err()
                    && fs::symlink_metadata(layout.path(folder)).is_ok())
        }
        _ => false,
    })
}

/// The interrupted runs `run` recovered before it acted, and those they recovered: with `run`,
/// one attempt at the same change (a reset killed half-way, then the reset that finished the
/// job). Oldest first. Only older runs are followed, so a planted journal makes no loop.
fn recovered_by<'a>(run: &Run, listing: &'a Listing) -> Vec<&'a Run> {
    let at = |r: &Run| listing.runs.iter().position(|x| std::ptr::eq(x, r));
    let mut chain: Vec<(usize, &'a Run)> = Vec::new();
    let mut queue: Vec<(usize, &String)> = match at(run) {
        Some(i) => run.start.recovers.iter().map(|n| (i, n)).collect(),
        None => Vec::new(),
    };
    while let Some((newer, name)) = queue.pop() {
        let found = listing
            .runs
            .iter()
            .enumerate()
            .skip(newer + 1)
            .find(|(_, r)| r.is_named(name));
        if let Some((i, r)) = found {
            if !chain.iter().any(|(j, _)| *j == i) {
                chain.push((i, r));
                queue.extend(r.start.recovers.iter().map(|n| (i, n)));
            }
        }
    }
    chain.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
    chain.into_iter().map(|(_, r)| r).collect()
}

/// The parts of `run` that undos have put back: undos of `run` itself, and of any run that
/// recovered it (that undo reversed the whole attempt).
fn undone(run: &Run, listing: &Listing, layout: &Layout) -> HashSet<Part> {
    let attempt: Vec<&Run> = listing
        .runs
        .iter()
        .filter(|r| {
            std::ptr::eq(*r, run)
                || recovered_by(r, listing)
                    .iter()
                    .any(|x| std::ptr::eq(*x, run))
        })
        .collect();
    let mut parts = HashSet::new();
    for undo in listing
        .runs
        .iter()
        .filter(|u| u.start.command == "undo")
        .filter(|u| {
            u.start
                .undoes
                .as_deref()
                .is_some_and(|n| attempt.iter().any(|r| r.is_named(n)))
        })
    {
        parts.extend(undo.undone.iter().copied());
        for folder in Folder::EVERY {
            if put_back(undo, folder, layout) {
                parts.insert(Part::Folder(folder));
            }
        }
        // wufix 0.1 named no parts: a finished undo of its put its settings back.
        if undo.finished.is_some() && undo.start.version < 2 {
            parts.insert(Part::Settings);
        }
    }
    parts
}

/// Choose what to undo for `folders` (and the settings, with `settings`). `Err` says why nothing
/// can be.
pub fn select(
    listing: &Listing,
    layout: &Layout,
    folders: &[Folder],
    settings: bool,
) -> Result<Selection, String> {
    let mut touched = false;
    for run in &listing.runs {
        // An undo cut short is no candidate of its own: the undo of its run goes on.
        if run.start.command == "undo" && run.finished.is_none() {
            continue;
        }
        // The run, with the interrupted runs it recovered: each folder goes back to what the
        // oldest of them set aside (the folder as it was before the attempt), each setting to
        // the value the oldest of them read.
        let mut moved: Vec<(Folder, &JPath)> = Vec::new();
        let mut cleared: Vec<Folder> = Vec::new();
        let mut changed: Vec<Op> = Vec::new();
        let mut attempt = recovered_by(run, listing);
        attempt.push(run);
        for member in attempt {
            let done = undone(member, listing, layout);
            let (m, c, s) = changes_of(member, layout, folders, settings);
            touched |= !m.is_empty() || !c.is_empty() || !s.is_empty();
            let decided = |f: &Folder, moved: &[(Folder, &JPath)], cleared: &[Folder]| {
                done.contains(&Part::Folder(*f))
                    || moved.iter().any(|(g, _)| g == f)
                    || cleared.contains(f)
            };
            for (folder, to) in m {
                if !decided(&folder, &moved, &cleared) {
                    moved.push((folder, to));
                }
            }
            for folder in c {
                if !decided(&folder, &moved, &cleared) {
                    cleared.push(folder);
                }
            }
            if !done.contains(&Part::Settings) {
                for op in s {
                    if !changed.iter().any(|x| same_setting(x, &op)) {
                        changed.push(op);
                    }
                }
            }
        }
        if moved.is_empty() && cleared.is_empty() && changed.is_empty() {
            continue;
        }
        if moved.is_empty() && changed.is_empty() {
            let names: Vec<&str> = cleared.iter().map(|f| f.dir_name()).collect();
            return Err(format!(
                "the last reset ({}) cleared {} instead of renaming: a clear cannot be undone",
                run.start.started,
                names.join(" and ")
            ));
        }
        let mut restores = Vec::new();
        for (folder, to) in moved {
            let backup = to.resolve(layout.root());
            // The journal folder may be writable by others than administrators: a journal is
            // trusted only to name a wufix backup beside the folder, never a folder elsewhere.
            if !backup::is_backup_of(&backup, layout.path(folder)) {
                return Err(format!(
                    "the journal {} names {} as the backup of {}, which is not a wufix backup beside it; it is not trusted",
                    run.path.display(),
                    backup.display(),
                    layout.path(folder).display()
                ));
            }
            match fs::symlink_metadata(&backup) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(format!(
                        "{} is a link (or junction) wearing a backup's name, not the backup wufix made; it is not put back",
                        backup.display()
                    ));
                }
                _ => {
                    return Err(format!(
                        "the backup {} no longer exists (pruned or deleted); there is nothing to put back",
                        backup.display()
                    ));
                }
            }
            restores.push((folder, backup));
        }
        restores.sort();
        // The last change first.
        changed.reverse();
        return Ok(Selection {
            journal: Some(run.path.clone()),
            restores,
            settings: changed,
            machine: run.start.machine.clone(),
        });
    }
    if touched {
        return Err(
            "there is nothing to undo: every change of the runs in the journal is already put back"
                .into(),
        );
    }
    from_disk(layout, folders)
}

/// What `run` changed that an undo of `folders` (and the settings, with `settings`) would put
/// back: each folder's backup (a folder renamed twice in one run: the last), the folders it
/// cleared, and each setting's first change (it holds the value before the run).
fn changes_of<'a>(
    run: &'a Run,
    layout: &Layout,
    folders: &[Folder],
    settings: bool,
) -> (Vec<(Folder, &'a JPath)>, Vec<Folder>, Vec<Op>) {
    let mut moved: Vec<(Folder, &JPath)> = Vec::new();
    let mut cleared: Vec<Folder> = Vec::new();
    let mut changed: Vec<Op> = Vec::new();
    for (op, outcome) in &run.changes {
        match op {
            // Announced and not known to have failed: putting the old value back is safe
            // either way.
            Op::ServiceDacl { .. }
            | Op::RegistryValue { .. }
            | Op::ServiceStart { .. }
            | Op::HostsLines { unmark: false, .. }
            | Op::KeySecurity { .. }
            | Op::TaskEnabled { .. }
            | Op::FileRename { .. }
                if settings
                    && *outcome != Some(false)
                    && !changed.iter().any(|s| same_setting(s, op)) =>
            {
                changed.push(op.clone());
            }
            Op::Rename { folder, from, to }
                if folders.contains(folder)
                    && sets_aside(*folder, from)
                    && *outcome != Some(false)
                    // Announced, outcome unknown (killed mid-rename): the disk says.
                    && (*outcome == Some(true)
                        || fs::symlink_metadata(to.resolve(layout.root())).is_ok()) =>
            {
                moved.retain(|(f, _)| f != folder);
                moved.push((*folder, to));
            }
            Op::Clear { folder, .. } if folders.contains(folder) => cleared.push(*folder),
            _ => {}
        }
    }
    (moved, cleared, changed)
}

/// The settings of `pick` may be put back only from a journal SYSTEM, Administrators or
/// TrustedInstaller own (in wufix's protected folder, only an elevated wufix makes one): one an
/// ordinary user planted — this user included, whose unelevated programs could — could
/// otherwise make an administrator's undo set a proxy or a service's permissions. Drops them
/// otherwise, and says why.
pub fn keep_trusted_settings(
    pick: &mut Selection,
    sys: &dyn crate::sys::Platform,
) -> Option<String> {
    let path = pick.journal.clone()?;
    if pick.settings.is_empty() {
        return None;
    }
    if !sys.owned_by_trusted(&path).unwrap_or(false) {
        pick.settings.clear();
        return Some(format!(
            "wufix: the journal {} is not owned by SYSTEM, Administrators or TrustedInstaller; the settings it names are not put back",
            path.display()
        ));
    }
    // A proxy is put back only on the machine it was read from: a journal carried to another
    // (an image, a copied ProgramData) would send this machine's traffic elsewhere.
    let here = crate::managed::machine_guid(sys);
    let proxy = |op: &Op| matches!(op, Op::RegistryValue { name, .. } if name.eq_ignore_ascii_case(crate::catalog::PROXY_VALUE));
    if pick.settings.iter().any(proxy) && (here.is_none() || pick.machine != here) {
        pick.settings.retain(|op| !proxy(op));
        return Some(
            "wufix: the WinHTTP proxy in the journal was not read on this machine (or this machine's identity cannot be read); it is not put back".to_string(),
        );
    }
    None
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
        machine: None,
    })
}

/// Whether two changes are to the same setting.
fn same_setting(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (Op::ServiceDacl { name: x, .. }, Op::ServiceDacl { name: y, .. })
        | (Op::ServiceStart { name: x, .. }, Op::ServiceStart { name: y, .. })
        | (Op::HostsLines { path: x, .. }, Op::HostsLines { path: y, .. })
        | (Op::KeySecurity { key: x, .. }, Op::KeySecurity { key: y, .. })
        | (Op::TaskEnabled { path: x, .. }, Op::TaskEnabled { path: y, .. })
        | (Op::FileRename { to: x, .. }, Op::FileRename { to: y, .. }) => x.eq_ignore_ascii_case(y),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::journal::{Record, Run, Start, VERSION};
    use crate::machine::Mode;

    fn run(path: &str, command: &str, undoes: Option<&str>, changes: Vec<Op>) -> Run {
        finished_run(
            path,
            command,
            undoes,
            changes.into_iter().map(|c| (c, Some(true))).collect(),
            Some(Vec::new()),
        )
    }

    /// A run with each change's outcome as given, finished (naming the parts it undid) or not.
    fn finished_run(
        path: &str,
        command: &str,
        undoes: Option<&str>,
        changes: Vec<(Op, Option<bool>)>,
        finished: Option<Vec<Part>>,
    ) -> Run {
        let mut records = vec![Record::Start(Start {
            version: VERSION,
            started: format!("start of {path}"),
            command: command.into(),
            mode: Mode::Offline,
            windows_dir: "w".into(),
            pid: 1,
            services_before: Vec::new(),
            undoes: undoes.map(str::to_string),
            process_started: None,
            recovers: Vec::new(),
            machine: None,
        })];
        for (change, outcome) in changes {
            records.push(Record::Intent {
                change: change.clone(),
            });
            if let Some(ok) = outcome {
                records.push(Record::Outcome {
                    change,
                    ok,
                    detail: String::new(),
                });
            }
        }
        if let Some(undone) = finished {
            records.push(Record::Finished {
                at: "t".into(),
                ok: true,
                undone,
            });
        }
        Run::from_records(path.into(), records).unwrap()
    }

    struct Disk {
        _dir: tempfile::TempDir,
        layout: Layout,
    }

    fn disk() -> Disk {
        let dir = tempfile::tempdir().unwrap();
        // The volume is the temporary folder: nothing of a test lands beside it.
        fs::create_dir_all(dir.path().join("Windows").join("System32")).unwrap();
        let layout = Layout::offline(dir.path()).unwrap();
        Disk { _dir: dir, layout }
    }

    fn at(d: &Disk, path: &Path) -> JPath {
        JPath::of(d.layout.root(), path)
    }

    fn moved(d: &Disk, folder: Folder, backup: &str) -> (Op, PathBuf) {
        let from = d.layout.path(folder).to_path_buf();
        let to = from.with_file_name(backup);
        fs::create_dir_all(&to).unwrap();
        (
            Op::Rename {
                folder,
                from: at(d, &from),
                to: at(d, &to),
            },
            to,
        )
    }

    /// An undo's rename of `backup` back onto `folder`.
    fn back(d: &Disk, folder: Folder, backup: &Path) -> Op {
        Op::Rename {
            folder,
            from: at(d, backup),
            to: at(d, d.layout.path(folder)),
        }
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
        let pick = select(&listing, &d.layout, &[sd], true).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("r2")));
        assert_eq!(pick.restores, [(sd, b2.clone())]);

        // An undo of r2 set the new folder aside as b3 and put b2 back: undoing again reverses
        // that undo (b3 comes back), never r2 a second time.
        let (aside, b3) = moved(&d, sd, "SoftwareDistribution.wufix-20261103T000000Z.bak");
        let back = back(&d, sd, &b2);
        listing
            .runs
            .insert(0, run("u1", "undo", Some("r2"), vec![aside, back]));
        let pick = select(&listing, &d.layout, &[sd], true).unwrap();
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
                    from: at(&d, d.layout.path(sd)),
                    to: at(
                        &d,
                        &planted.join("SoftwareDistribution.wufix-20261101T000000Z.bak"),
                    ),
                }],
            )],
            ..Listing::default()
        };
        let why = select(&listing, &d.layout, &[sd], true).unwrap_err();
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
                    path: at(&d, d.layout.path(sd)),
                }],
            )],
            ..Listing::default()
        };
        let why = select(&listing, &d.layout, &[sd], true).unwrap_err();
        assert!(why.contains("cannot be undone"), "{why}");

        let (change, backup) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        fs::remove_dir(&backup).unwrap();
        listing.runs = vec![run("r1", "reset", None, vec![change])];
        let why = select(&listing, &d.layout, &[sd], true).unwrap_err();
        assert!(why.contains("no longer exists"), "{why}");

        // No journal: the newest backup on disk.
        let (_, old) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (_, new) = moved(&d, sd, "SoftwareDistribution.wufix-20261105T000000Z.bak");
        let pick = select(&Listing::default(), &d.layout, &[sd], true).unwrap();
        assert_eq!((pick.journal, pick.restores), (None, vec![(sd, new)]));
        let _ = old;
        let why = select(&Listing::default(), &d.layout, &[Folder::Catroot2], true).unwrap_err();
        assert!(why.contains("nothing to undo"), "{why}");
    }

    #[test]
    fn a_run_is_undone_only_for_the_parts_an_undo_put_back() {
        let d = disk();
        let (sd, cat) = (Folder::SoftwareDistribution, Folder::Catroot2);
        fs::create_dir_all(d.layout.path(cat).parent().unwrap()).unwrap();
        let (old_sd, _) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (sd2, b_sd) = moved(&d, sd, "SoftwareDistribution.wufix-20261102T000000Z.bak");
        let (cat2, b_cat) = moved(&d, cat, "catroot2.wufix-20261102T000000Z.bak");
        let r1 = run("r1", "reset", None, vec![old_sd]);
        let r2 = run("r2", "reset", None, vec![sd2, cat2]);
        // An undo that failed and changed nothing: r2 is still the one to undo, whole.
        let failed = finished_run(
            "u1",
            "undo",
            Some("r2"),
            vec![(back(&d, sd, &b_sd), Some(false))],
            Some(Vec::new()),
        );
        let mut listing = Listing {
            runs: vec![failed, r2.clone(), r1.clone()],
            ..Listing::default()
        };
        let pick = select(&listing, &d.layout, &[sd, cat], true).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("r2")));
        assert_eq!(pick.restores.len(), 2);
        // An undo limited to catroot2 put back catroot2 alone: software-distribution is next, from
        // r2, not from the reset before it.
        listing.runs[0] = finished_run(
            "u1",
            "undo",
            Some("r2"),
            vec![(back(&d, cat, &b_cat), Some(true))],
            Some(vec![Part::Folder(cat)]),
        );
        let pick = select(&listing, &d.layout, &[sd], true).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("r2")));
        assert_eq!(pick.restores, [(sd, b_sd.clone())]);
        let _ = r1;
    }

    #[test]
    fn an_undo_cut_short_is_finished_by_the_next_one_never_reversed() {
        let d = disk();
        let (sd, cat) = (Folder::SoftwareDistribution, Folder::Catroot2);
        fs::create_dir_all(d.layout.path(cat).parent().unwrap()).unwrap();
        let (sd1, b_sd) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (cat1, b_cat) = moved(&d, cat, "catroot2.wufix-20261101T000000Z.bak");
        // The undo set aside what Windows had made and put SoftwareDistribution back, then died
        // before catroot2.
        let (new_aside, _) = moved(&d, sd, "SoftwareDistribution.wufix-20261102T000000Z.bak");
        fs::remove_dir(&b_sd).unwrap();
        fs::create_dir_all(d.layout.path(sd)).unwrap();
        let killed = finished_run(
            "u1",
            "undo",
            Some("r1"),
            vec![(new_aside, Some(true)), (back(&d, sd, &b_sd), None)],
            None,
        );
        let listing = Listing {
            runs: vec![killed, run("r1", "reset", None, vec![sd1, cat1])],
            ..Listing::default()
        };
        let pick = select(&listing, &d.layout, &[sd, cat], true).unwrap();
        assert_eq!(
            pick.journal.as_deref(),
            Some(Path::new("r1")),
            "the reset, not the undo"
        );
        assert_eq!(
            pick.restores,
            [(cat, b_cat)],
            "only what is left to put back"
        );
    }

    #[test]
    fn settings_are_put_back_only_when_asked_for() {
        let d = disk();
        let proxy = Op::RegistryValue {
            key: crate::catalog::CONNECTIONS.into(),
            name: crate::catalog::PROXY_VALUE.into(),
            before: Some(crate::sys::RegValue::binary([1])),
            after: Some(crate::sys::RegValue::binary([2])),
        };
        let (queue, b) = moved(
            &d,
            Folder::BitsQueue,
            "Downloader.wufix-20261101T000000Z.bak",
        );
        let listing = Listing {
            runs: vec![run("r1", "repair", None, vec![queue, proxy.clone()])],
            ..Listing::default()
        };
        let pick = select(&listing, &d.layout, &[Folder::BitsQueue], false).unwrap();
        assert_eq!(pick.restores, [(Folder::BitsQueue, b)]);
        assert!(
            pick.settings.is_empty(),
            "--only bits-queue leaves the settings alone"
        );
        let pick = select(&listing, &d.layout, &[], true).unwrap();
        assert!(pick.restores.is_empty());
        assert_eq!(pick.settings, [proxy]);
        assert_eq!(pick.parts(), [Part::Settings]);
    }

    #[test]
    fn an_undo_after_a_reset_that_recovered_a_killed_one_brings_back_the_folders_before_both() {
        let d = disk();
        let (sd, cat) = (Folder::SoftwareDistribution, Folder::Catroot2);
        fs::create_dir_all(d.layout.path(cat).parent().unwrap()).unwrap();
        // r1 set SoftwareDistribution aside and was killed; Windows made the folder again; r2
        // recovered r1, then set both folders aside.
        let (sd1, original) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        let (sd2, _remade) = moved(&d, sd, "SoftwareDistribution.wufix-20261102T000000Z.bak");
        let (cat2, b_cat) = moved(&d, cat, "catroot2.wufix-20261102T000000Z.bak");
        let r1 = finished_run("r1", "reset", None, vec![(sd1, Some(true))], None);
        let mut r2 = run("r2", "reset", None, vec![sd2, cat2]);
        r2.start.recovers = vec!["r1".into()];
        let mut listing = Listing {
            runs: vec![r2, r1],
            ..Listing::default()
        };
        let pick = select(&listing, &d.layout, &[sd, cat], true).unwrap();
        assert_eq!(pick.journal.as_deref(), Some(Path::new("r2")));
        assert_eq!(
            pick.restores,
            [(sd, original.clone()), (cat, b_cat.clone())]
        );

        // Once that undo is done, r1 is undone with it: nothing is left to undo.
        listing.runs.insert(
            0,
            finished_run(
                "u1",
                "undo",
                Some("r2"),
                vec![
                    (back(&d, sd, &original), Some(true)),
                    (back(&d, cat, &b_cat), Some(true)),
                ],
                Some(vec![Part::Folder(sd), Part::Folder(cat)]),
            ),
        );
        let why = select(&listing, &d.layout, &[sd, cat], true).unwrap_err();
        assert!(why.contains("already put back"), "{why}");

        // A planted journal naming a newer run as recovered is not followed.
        let mut r0 = run("r0", "reset", None, Vec::new());
        r0.start.recovers = vec!["u1".into()];
        listing.runs.push(r0);
        assert!(recovered_by(listing.runs.last().unwrap(), &listing).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_wearing_a_backups_name_is_named_as_such() {
        let d = disk();
        let sd = Folder::SoftwareDistribution;
        let (change, backup) = moved(&d, sd, "SoftwareDistribution.wufix-20261101T000000Z.bak");
        fs::remove_dir(&backup).unwrap();
        std::os::unix::fs::symlink(d.layout.root(), &backup).unwrap();
        let listing = Listing {
            runs: vec![run("r1", "reset", None, vec![change])],
            ..Listing::default()
        };
        let why = select(&listing, &d.layout, &[sd], true).unwrap_err();
        assert!(why.contains("is a link"), "{why}");
    }
}
