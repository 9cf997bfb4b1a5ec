use proptest::prelude::*;

use super::store::line;
use super::*;

fn start(pid: u32) -> Start {
    Start {
        version: VERSION,
        started: "2026-11-26T13:01:45Z".into(),
        command: "reset".into(),
        mode: Mode::Online,
        windows_dir: r"C:\Windows".into(),
        pid,
        services_before: vec![
            ServiceBefore {
                name: "wuauserv".into(),
                state: Some(ServiceState::Running),
                start_type: Some(StartType::Demand),
            },
            ServiceBefore {
                name: "bits".into(),
                state: Some(ServiceState::Stopped),
                start_type: Some(StartType::Demand),
            },
        ],
        undoes: None,
        process_started: Some(42),
        recovers: Vec::new(),
        machine: None,
    }
}

fn bytes(records: &[Record]) -> Vec<u8> {
    records
        .iter()
        .map(|r| line(r).unwrap())
        .collect::<String>()
        .into_bytes()
}

/// A path below the volume root, or outside it, as a run's paths are.
fn jpath(text: &str) -> JPath {
    JPath::of(
        std::path::Path::new("/vol"),
        &std::path::Path::new("/vol").join(text),
    )
}

fn change() -> impl Strategy<Value = Op> {
    let name = "[a-z]{1,8}";
    let path = "[ -~]{0,12}|[^\\x00]{0,6}";
    let folder = prop_oneof![Just(Folder::SoftwareDistribution), Just(Folder::Catroot2)];
    prop_oneof![
        name.prop_map(|name| Op::StopService { name }),
        name.prop_map(|name| Op::StartService { name }),
        (folder.clone(), path, path).prop_map(|(folder, from, to)| Op::Rename {
            folder,
            from: jpath(&from),
            to: jpath(&to)
        }),
        (folder.clone(), path).prop_map(|(folder, path)| Op::Clear {
            folder,
            path: jpath(&path)
        }),
        (folder, proptest::collection::vec(path, 0..3)).prop_map(|(folder, paths)| {
            Op::Prune {
                folder,
                paths: paths.iter().map(|p| jpath(p)).collect(),
            }
        }),
    ]
}

/// A run as a crash could leave it: intents, most with outcomes, maybe a finish.
fn records() -> impl Strategy<Value = Vec<Record>> {
    (
        any::<u32>(),
        proptest::collection::vec((change(), proptest::option::of(any::<bool>())), 0..12),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(pid, changes, finished)| {
            let mut records = vec![Record::Start(start(pid))];
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
            if let Some(ok) = finished {
                records.push(Record::Finished {
                    at: "2026-11-26T13:02:00Z".into(),
                    ok,
                    undone: Vec::new(),
                });
            }
            records
        })
}

proptest! {
    #[test]
    fn a_journal_reads_back_as_written(records in records()) {
        let run = parse(PathBuf::from("j"), &bytes(&records)).unwrap();
        let again = Run::from_records(PathBuf::from("j"), records).unwrap();
        prop_assert_eq!(run, again);
    }

    #[test]
    fn a_cut_or_a_flipped_bit_is_the_unwritten_record_at_the_end_and_damage_elsewhere(
        records in records(),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let whole = bytes(&records);
        let lines: Vec<usize> = whole.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
        // Cut anywhere (a power cut mid-write): the whole records before the cut read back, and
        // nothing is called damage; before the start record there is no run yet.
        let at = cut.index(whole.len());
        match parse(PathBuf::from("j"), &whole[..at]) {
            Ok(run) => {
                prop_assert!(at > lines[0]);
                let whole_lines = lines.iter().filter(|&&i| i < at).count();
                prop_assert_eq!(run.torn, at > 0 && whole[at - 1] != b'\n');
                prop_assert!(run.changes.len() <= whole_lines);
            }
            Err(why) => prop_assert_eq!(why, Unreadable::NoStart, "cut at {}", at),
        }
        // One flipped bit: in the last two lines it may read as a cut end; before them it is
        // always damage, never a run.
        let mut damaged = whole.clone();
        let (index, bit) = flip;
        let i = index.index(damaged.len());
        damaged[i] ^= 1 << (bit % 8);
        let line_of = lines.iter().filter(|&&n| n < i).count();
        match parse(PathBuf::from("j"), &damaged) {
            Ok(run) => {
                prop_assert!(line_of + 2 >= lines.len(), "a flip in line {} read as a run", line_of);
                prop_assert!(run.torn);
            }
            Err(Unreadable::Damaged(_)) | Err(Unreadable::NoStart) => {}
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn a_newer_format_or_a_missing_start_is_refused() {
    let mut newer = start(1);
    newer.version = VERSION + 1;
    let why = parse("j".into(), &bytes(&[Record::Start(newer)])).unwrap_err();
    assert!(why.to_string().contains("newer wufix"), "{why}");
    let why = parse(
        "j".into(),
        &bytes(&[Record::Finished {
            at: "x".into(),
            ok: true,
            undone: Vec::new(),
        }]),
    )
    .unwrap_err();
    assert!(why.to_string().contains("start record"), "{why}");
}

#[test]
fn an_interrupted_run_names_what_it_left_stopped_and_renamed() {
    let from = jpath("Windows/SoftwareDistribution");
    let to = jpath("Windows/SoftwareDistribution.wufix-x.bak");
    let rename = Op::Rename {
        folder: Folder::SoftwareDistribution,
        from: from.clone(),
        to: to.clone(),
    };
    let stop = |name: &str| Op::StopService { name: name.into() };
    let records = vec![
        Record::Start(start(7)),
        Record::Intent {
            change: stop("wuauserv"),
        },
        Record::Outcome {
            change: stop("wuauserv"),
            ok: true,
            detail: String::new(),
        },
        // bits was stopped before the run: stopping it again leaves nothing to put back.
        Record::Intent {
            change: stop("bits"),
        },
        Record::Intent {
            change: rename.clone(),
        },
    ];
    let run = Run::from_records("j".into(), records).unwrap();
    assert!(run.interrupted());
    let stopped: Vec<String> = run.left_stopped().into_iter().map(|s| s.name).collect();
    assert_eq!(stopped, ["wuauserv"]);
    // Announced without an outcome: it may have happened; the caller looks at the disk.
    assert_eq!(run.renames(), [(Folder::SoftwareDistribution, &from, &to)]);
}

#[test]
fn the_store_numbers_keeps_twenty_and_sets_a_damaged_file_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("journal"));
    for pid in 0..25 {
        let mut journal = store.create(start(pid)).unwrap();
        journal
            .write(&Record::Finished {
                at: "t".into(),
                ok: true,
                undone: Vec::new(),
            })
            .unwrap();
    }
    let listing = store.read_locked().unwrap();
    assert_eq!(listing.runs.len(), store::KEEP);
    assert_eq!(listing.runs[0].start.pid, 24, "newest first, by number");
    assert!(listing.set_aside.is_empty());

    // Damage the newest: it is set aside and named; the others still read.
    let newest = listing.runs[0].path.clone();
    let mut bytes = std::fs::read(&newest).unwrap();
    bytes[12] ^= 0x20;
    std::fs::write(&newest, bytes).unwrap();
    // A reader names it and leaves it; a run holding the lock sets it aside.
    let listing = store.read().unwrap();
    assert_eq!(listing.damaged.len(), 1);
    assert!(newest.exists());
    let listing = store.read_locked().unwrap();
    assert_eq!(listing.runs.len(), store::KEEP - 1);
    assert_eq!(listing.set_aside.len(), 1);
    assert!(listing.set_aside[0].path.ends_with(".corrupt"));
    assert!(!newest.exists() && newest.with_extension("corrupt").exists());
    // Set aside, it is still named by every command that meets it.
    assert_eq!(store.read().unwrap().set_aside.len(), 1);
}

#[test]
fn a_file_a_newer_wufix_wrote_is_skipped_and_named_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("journal"));
    store.create(start(1)).unwrap();
    // Format 3 may hold records this wufix cannot even parse: the version decides first.
    let json = format!(
        r#"{{"record":"start","version":{},"something":"new"}}"#,
        VERSION + 1
    );
    let newer = store.dir().join("000009-20270101T000000Z.journal");
    let text = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
    std::fs::write(&newer, &text).unwrap();
    let listing = store.read().unwrap();
    assert_eq!(listing.runs.len(), 1);
    assert!(listing.set_aside.is_empty(), "{:?}", listing.set_aside);
    assert_eq!(listing.skipped.len(), 1);
    assert!(listing.skipped[0].why.contains("newer wufix"));
    assert_eq!(std::fs::read_to_string(&newer).unwrap(), text, "untouched");
    // And numbering goes on above it.
    let next = store.create(start(2)).unwrap();
    assert!(
        next.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("000010-")
    );
}

#[test]
fn a_record_that_would_not_read_back_exactly_is_refused_before_the_change() {
    // Too large for a journal: refused, so the change it announces is not made.
    let huge = Op::Program {
        exe: "x".into(),
        args: vec!["a".repeat(2 << 20)],
        saved: Vec::new(),
    };
    assert!(line(&Record::Intent { change: huge }).is_err());
    // A volume mounted at a path that is not Unicode is journaled exactly, like any other.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let root = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/mnt/disque\xe9"));
        let clear = Op::Clear {
            folder: Folder::Catroot2,
            path: JPath::of(root, &root.join("Windows/System32/catroot2")),
        };
        let text = line(&Record::Intent {
            change: clear.clone(),
        })
        .unwrap();
        let json = text.split_once(' ').unwrap().1;
        assert_eq!(
            serde_json::from_str::<Record>(json).unwrap(),
            Record::Intent { change: clear }
        );
    }
    // Every registry value kind is carried exactly.
    let value = |kind: u32, data: &[u8]| Some(crate::sys::RegValue::new(kind, data));
    for (kind, data) in [(2, &b"%\0x\0%"[..]), (7, b"a\0\0\0b\0\0\0\0\0"), (42, b"")] {
        let op = Op::RegistryValue {
            key: "K".into(),
            name: "n".into(),
            before: value(kind, data),
            after: None,
        };
        let text = line(&Record::Intent { change: op.clone() }).unwrap();
        let json = text.split_once(' ').unwrap().1;
        assert_eq!(
            serde_json::from_str::<Record>(json).unwrap(),
            Record::Intent { change: op }
        );
    }
}

#[test]
fn planted_files_cost_their_names_only_too_large_is_skipped_and_only_the_newest_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("journal"));
    store.create(start(1)).unwrap();
    // Larger than any journal: named, never read into memory.
    let big = store.dir().join("000500-20270101T000000Z.journal");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(super::read::MAX_SIZE + 1).unwrap();
    // Many planted files with wufix's names: only the newest KEEP are opened at all.
    for n in 0..40 {
        let path = store
            .dir()
            .join(format!("{:06}-20270101T000000Z.journal", 100 + n));
        std::fs::write(&path, "junk\njunk\n").unwrap();
    }
    let listing = store.read().unwrap();
    let seen =
        listing.runs.len() + listing.damaged.len() + listing.skipped.len() + listing.empty.len();
    assert_eq!(
        seen,
        store::KEEP,
        "only the newest {} looked at",
        store::KEEP
    );
    assert!(
        listing
            .skipped
            .iter()
            .any(|s| s.path.ends_with("000500-20270101T000000Z.journal")
                && s.why.contains("too large")),
        "{:?}",
        listing.skipped
    );
    assert!(big.exists(), "a reader changes nothing");
}
