//! `wufix undo`, the journal and recovery, with the real binary on real temporary folders in
//! offline mode (natively, and under Wine for the Windows build).

mod common;

use std::fs;
use std::path::PathBuf;

use common::volume::{Volume, wufix_backups};
use common::{digest, json, populate, text, wufix};

fn journal_dir(vol: &Volume) -> PathBuf {
    vol.root.path().join("ProgramData/wufix/journal")
}

fn journals(vol: &Volume) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(journal_dir(vol))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn undo_puts_back_exactly_what_the_reset_moved_and_can_itself_be_undone() {
    let vol = Volume::new(30);
    let (sd_before, cat_before) = (digest(&vol.sd()), digest(&vol.catroot2()));
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Windows makes the folder again before the undo.
    populate(&vol.sd(), 3);
    let made_since = digest(&vol.sd());

    let out = wufix(&["undo", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["command"], "undo");
    assert_eq!(
        digest(&vol.sd()),
        sd_before,
        "SoftwareDistribution as before the reset"
    );
    assert_eq!(
        digest(&vol.catroot2()),
        cat_before,
        "catroot2 as before the reset"
    );
    // What Windows made since is a normal wufix backup.
    let aside = wufix_backups(&vol.windows(), "SoftwareDistribution");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(digest(&vol.windows().join(&aside[0])), made_since);

    // An undo is in the journal like a reset: undoing it brings back what it set aside.
    let out = wufix(&[
        "undo",
        "--yes",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(digest(&vol.sd()), made_since);
    assert_eq!(
        digest(&vol.catroot2()),
        cat_before,
        "--only: catroot2 untouched"
    );

    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_eq!(status["last_run"]["command"], "undo");
    assert_eq!(status["last_run"]["outcome"], "finished");
    assert!(status["interrupted"].is_null());
}

#[test]
fn undo_refuses_a_clear_a_vanished_backup_and_nothing_at_all_changing_nothing() {
    let vol = Volume::new(5);
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nothing to undo"), "{}", text(&out));

    let out = wufix(&[
        "reset",
        "--yes",
        "--method",
        "clear",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = digest(vol.root.path());
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("a clear cannot be undone"),
        "{}",
        text(&out)
    );
    assert_eq!(digest(vol.root.path()), before, "nothing changed");

    let vol = Volume::new(5);
    assert_eq!(
        wufix(&["reset", "--yes", "--windows-dir", vol.arg()])
            .status
            .code(),
        Some(0)
    );
    for backup in wufix_backups(&vol.windows(), "SoftwareDistribution") {
        fs::remove_dir_all(vol.windows().join(backup)).unwrap();
    }
    let out = wufix(&["undo", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let error = json(&out)["error"].as_str().unwrap().to_string();
    assert!(error.contains("no longer exists"), "{error}");
}

#[test]
fn a_run_killed_after_a_rename_is_shown_and_undone_from_its_journal() {
    let vol = Volume::new(12);
    let before = digest(&vol.sd());
    assert_eq!(
        wufix(&["reset", "--yes", "--windows-dir", vol.arg()])
            .status
            .code(),
        Some(0)
    );
    // As if killed right after the rename of SoftwareDistribution: everything after it is lost.
    let journal = journals(&vol).pop().unwrap();
    let kept: Vec<String> = fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&journal, kept.concat()).unwrap();

    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    let interrupted = &status["interrupted"];
    assert_eq!(interrupted["command"], "reset", "{status:#}");
    assert_eq!(interrupted["renamed"][0]["folder"], "software-distribution");
    assert_eq!(interrupted["renamed"][0]["done"], true);
    let diagnose = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    assert!(
        diagnose["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "interrupted-run" && f["severity"] == "warn"),
        "{diagnose:#}"
    );

    let out = wufix(&[
        "undo",
        "--yes",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(digest(&vol.sd()), before);
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert!(status["interrupted"].is_null(), "recovered: {status:#}");
}

/// A damaged journal (a bad line with more after it) is named by a reader and left where it is;
/// the next run that holds the lock sets it aside, and it is named from then on too. A file
/// whose only line is bad is a run that wrote nothing yet: no damage, nothing set aside.
#[test]
fn a_damaged_journal_is_set_aside_and_named_and_every_command_still_works() {
    let vol = Volume::new(3);
    let dir = journal_dir(&vol);
    fs::create_dir_all(&dir).unwrap();
    let damaged = dir.join("000007-20261126T000000Z.jsonl");
    fs::write(&damaged, "\u{0}garbage\n00000000 {}\n").unwrap();
    fs::write(dir.join("000006-20261125T000000Z.jsonl"), "\u{0}garbage\n").unwrap();
    let status = wufix(&["status", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(status.status.code(), Some(0));
    let named = &json(&status)["journal_damaged"];
    assert!(
        named[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("000007-20261126T000000Z.jsonl"),
        "{named:#}"
    );
    assert!(damaged.exists(), "a reader never writes");
    let out = wufix(&["reset", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!damaged.exists());
    assert!(dir.join("000007-20261126T000000Z.corrupt").exists());
    assert!(
        dir.join("000006-20261125T000000Z.jsonl").exists(),
        "not damage"
    );
    for _ in 0..2 {
        let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
        let set_aside = &status["journal_set_aside"];
        assert!(
            set_aside[0]["path"].as_str().unwrap().ends_with(".corrupt"),
            "named by every command that meets it: {set_aside:#}"
        );
    }
    for args in [
        &["diagnose", "--json"][..],
        &["reset", "--yes", "--json"][..],
        &["undo", "--yes", "--json"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--windows-dir", vol.arg()]);
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
}

#[test]
fn undo_says_which_pruned_backups_cannot_come_back() {
    let vol = Volume::new(3);
    for stamp in ["20200101T000000Z", "20210101T000000Z", "20220101T000000Z"] {
        fs::create_dir(
            vol.windows()
                .join(format!("SoftwareDistribution.wufix-{stamp}.bak")),
        )
        .unwrap();
    }
    let out = wufix(&[
        "reset",
        "--yes",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("deleted 1 folder of older wufix backups; those cannot come back"),
        "{}",
        text(&out)
    );
}

/// A run left to recover never lets an undo skip its question.
#[test]
fn undo_asks_first_even_when_a_dead_run_waits_for_recovery() {
    let vol = Volume::new(4);
    assert_eq!(
        wufix(&["reset", "--yes", "--windows-dir", vol.arg()])
            .status
            .code(),
        Some(0)
    );
    let journal = journals(&vol).pop().unwrap();
    let kept: String = fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&journal, kept).unwrap();
    // No --yes and nobody to answer: refused (exit 2), nothing put back.
    let out = wufix(&["undo", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !vol.sd().exists(),
        "the folder stays where the reset put it"
    );
}

/// One journal line as wufix 0.1 wrote it: `<crc32> <json>`.
fn v1_line(json: &serde_json::Value) -> String {
    let text = json.to_string();
    format!("{:08x} {text}\n", crc32fast::hash(text.as_bytes()))
}

/// wufix 0.1 wrote `*.jsonl` journals (format 1). A reset it left half done, killed right after
/// renaming SoftwareDistribution, is still recovered and undone by today's wufix, and its file
/// is read where it lies, never set aside; today's own journal is a `*.journal` beside it.
#[test]
fn a_run_wufix_0_1_left_half_done_is_shown_and_undone_from_its_jsonl_journal() {
    let vol = Volume::new(9);
    let before = digest(&vol.sd());
    let backup = vol
        .windows()
        .join("SoftwareDistribution.wufix-20261126T100000Z.bak");
    fs::rename(vol.sd(), &backup).unwrap();
    let rename = serde_json::json!({
        "op": "rename",
        "folder": "software-distribution",
        "from": vol.sd(),
        "to": backup,
    });
    let dir = journal_dir(&vol);
    fs::create_dir_all(&dir).unwrap();
    let old = dir.join("000003-20261126T100000123456789Z.jsonl");
    let lines = [
        serde_json::json!({
            "record": "start", "version": 1, "started": "2026-11-26T10:00:00.123456789Z",
            "command": "reset", "mode": "offline", "windows_dir": vol.windows(),
            "pid": 4242, "services_before": [],
        }),
        serde_json::json!({ "record": "intent", "change": rename }),
        serde_json::json!({ "record": "outcome", "change": rename, "ok": true }),
    ];
    fs::write(&old, lines.iter().map(v1_line).collect::<String>()).unwrap();

    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_eq!(status["interrupted"]["command"], "reset", "{status:#}");
    assert_eq!(
        status["interrupted"]["renamed"][0]["done"], true,
        "{status:#}"
    );
    assert!(old.exists(), "read where it lies: {status:#}");

    let out = wufix(&["undo", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(digest(&vol.sd()), before, "SoftwareDistribution is back");
    assert!(old.exists(), "the old journal stays as it was");
    let new: Vec<String> = journals(&vol)
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(String::from))
        .filter(|n| n.ends_with(".journal"))
        .collect();
    assert_eq!(new.len(), 1, "today's undo wrote its own journal: {new:?}");
    assert!(
        new[0].starts_with("000004-"),
        "numbered after the old ones: {new:?}"
    );
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert!(status["interrupted"].is_null(), "recovered: {status:#}");
}
