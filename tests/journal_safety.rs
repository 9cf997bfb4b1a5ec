//! The journal as a ledger a SYSTEM-run tool can trust, with the real binary on fake mounted
//! volumes (natively, and under Wine for the Windows build): each test is one of the defects an
//! adversarial run found, built as the state the attack or the crash leaves, and what must hold.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

#[cfg(unix)]
use common::digest;
use common::volume::{Volume, wufix_backups};
use common::{json, text, wufix};

fn journal_dir(vol: &Volume) -> PathBuf {
    vol.root.path().join("ProgramData/wufix/journal")
}

/// Journal file names, sorted.
fn journal_names(vol: &Volume) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(journal_dir(vol))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// One journal line: `<crc32> <json>`.
fn line(record: &serde_json::Value) -> String {
    let text = record.to_string();
    format!("{:08x} {text}\n", crc32fast::hash(text.as_bytes()))
}

fn start(command: &str, undoes: Option<&str>) -> serde_json::Value {
    let mut start = serde_json::json!({
        "record": "start", "version": 2, "started": "2026-11-26T10:00:00Z", "command": command,
        "mode": "offline", "windows_dir": "w", "pid": 4242, "services_before": [],
    });
    if let Some(undoes) = undoes {
        start["undoes"] = undoes.into();
    }
    start
}

/// A rename as format 2 journals it: paths below the volume root.
fn rename(folder: &str, from: &[&str], to: &[&str]) -> serde_json::Value {
    serde_json::json!({ "op": "rename", "folder": folder, "from": from, "to": to })
}

fn intent(op: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "record": "intent", "change": op })
}

fn outcome(op: &serde_json::Value, ok: bool) -> serde_json::Value {
    serde_json::json!({ "record": "outcome", "change": op, "ok": ok })
}

fn write_journal(vol: &Volume, name: &str, records: &[serde_json::Value]) -> PathBuf {
    let dir = journal_dir(vol);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, records.iter().map(line).collect::<String>()).unwrap();
    path
}

fn generation_file(dir: &Path, what: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("gen"), what).unwrap();
}

fn read_gen(dir: &Path) -> String {
    fs::read_to_string(dir.join("gen")).unwrap_or_default()
}

#[test]
fn a_planted_file_numbered_to_wrap_is_not_wufixs_and_steers_nothing() {
    let vol = Volume::new(2);
    write_journal(
        &vol,
        "18446744073709551615-planted.jsonl",
        &[
            serde_json::json!({"record":"start","version":1,"started":"2020-01-01T00:00:00Z","command":"reset","mode":"offline","windows_dir":"x","pid":1,"services_before":[]}),
            serde_json::json!({"record":"finished","at":"2020-01-01T00:00:01Z","ok":true}),
        ],
    );
    for generation in ["one", "two", "three"] {
        generation_file(&vol.sd(), generation);
        let out = wufix(&[
            "reset",
            "--yes",
            "--keep",
            "10",
            "--only",
            "software-distribution",
            "--windows-dir",
            vol.arg(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    generation_file(&vol.sd(), "now");
    let names = journal_names(&vol);
    assert!(
        names.iter().any(|n| n.starts_with("000003-")),
        "numbered on from wufix's own: {names:?}"
    );
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_ne!(
        status["last_run"]["started"], "2020-01-01T00:00:00Z",
        "{status:#}"
    );
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        read_gen(&vol.sd()),
        "three",
        "the last reset is the one undone"
    );
}

#[cfg(unix)]
#[test]
fn a_journal_folder_that_is_a_link_is_never_followed_and_is_set_aside_by_a_reset() {
    let vol = Volume::new(2);
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("000042-notes.jsonl"), "keep\n").unwrap();
    fs::write(outside.path().join("2.corrupt"), "precious, not a journal").unwrap();
    fs::create_dir_all(vol.root.path().join("ProgramData/wufix")).unwrap();
    std::os::unix::fs::symlink(outside.path(), journal_dir(&vol)).unwrap();
    let before = digest(outside.path());
    let status = wufix(&["status", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(status.status.code(), Some(0));
    assert!(
        json(&status)["journal_error"]
            .as_str()
            .unwrap()
            .contains("link"),
        "{}",
        text(&status)
    );
    // A reset sets the link aside by name, says so, and keeps its journal in a real folder.
    let reset = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset));
    assert!(
        text(&reset).contains("journal.untrusted-1"),
        "{}",
        text(&reset)
    );
    let aside = vol
        .root
        .path()
        .join("ProgramData/wufix/journal.untrusted-1");
    assert!(aside.is_symlink());
    assert!(fs::symlink_metadata(journal_dir(&vol)).unwrap().is_dir());
    assert_eq!(journal_names(&vol).len(), 1, "{:?}", journal_names(&vol));
    assert_eq!(
        digest(outside.path()),
        before,
        "nothing outside was touched"
    );
}

#[cfg(unix)]
#[test]
fn a_planted_case_variant_of_the_windows_folder_cannot_bring_a_folder_in() {
    let vol = Volume::new(2);
    let outside = tempfile::tempdir().unwrap();
    let payload = outside
        .path()
        .join("SoftwareDistribution.wufix-20260101T000000Z.bak");
    fs::create_dir_all(&payload).unwrap();
    fs::write(payload.join("payload.dll"), "attacker's").unwrap();
    std::os::unix::fs::symlink(outside.path(), vol.root.path().join("WINDOWS")).unwrap();
    let op = rename(
        "software-distribution",
        &["Windows", "SoftwareDistribution"],
        &["WINDOWS", "SoftwareDistribution.wufix-20260101T000000Z.bak"],
    );
    write_journal(
        &vol,
        "000001-20260101T000000Z.journal",
        &[
            start("reset", None),
            intent(&op),
            outcome(&op, true),
            serde_json::json!({"record":"finished","at":"t","ok":true}),
        ],
    );
    let windows = vol.windows();
    let out = wufix(&["undo", "--yes", "--windows-dir", windows.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(payload.join("payload.dll").exists(), "left where it was");
    assert!(!vol.sd().join("payload.dll").exists());
}

#[test]
fn a_relative_windows_dir_is_the_same_installation_and_dot_never_moves_the_journal() {
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "A");
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    generation_file(&vol.sd(), "B");
    generation_file(&vol.catroot2(), "b");
    // The second reset, typed relative to the folder above the volume.
    let parent = vol.root.path().parent().unwrap();
    let relative = vol.root.path().file_name().unwrap().to_str().unwrap();
    let out = common::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args([
                "reset",
                "--yes",
                "--only",
                "software-distribution",
                "--windows-dir",
                relative,
            ])
            .current_dir(parent),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    generation_file(&vol.sd(), "C");
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        read_gen(&vol.sd()),
        "B",
        "the last reset, typed relative, is undone"
    );
    assert_eq!(
        read_gen(&vol.catroot2()),
        "b",
        "which never touched catroot2"
    );

    // `.` inside the Windows folder: the same volume, the same journal.
    let out = common::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args(["status", "--json", "--windows-dir", "."])
            .current_dir(vol.windows()),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!vol.windows().join("ProgramData").exists());
    assert_eq!(json(&out)["last_run"]["command"], "undo", "{}", text(&out));
}

#[test]
fn a_cut_last_line_loses_that_record_only_and_undo_reverses_the_right_run() {
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "A");
    generation_file(&vol.catroot2(), "a");
    assert_eq!(
        wufix(&["reset", "--yes", "--windows-dir", vol.arg()])
            .status
            .code(),
        Some(0)
    );
    generation_file(&vol.sd(), "B");
    generation_file(&vol.catroot2(), "b");
    let out = wufix(&[
        "reset",
        "--yes",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    generation_file(&vol.sd(), "C");
    // The power went while `finished` was written.
    let second = journal_dir(&vol).join(
        journal_names(&vol)
            .into_iter()
            .find(|n| n.starts_with("000002-"))
            .unwrap(),
    );
    let bytes = fs::read(&second).unwrap();
    fs::write(&second, &bytes[..bytes.len() - 5]).unwrap();
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_eq!(status["last_run"]["outcome"], "interrupted", "{status:#}");
    assert!(
        status["journal_damaged"].is_null() && status["journal_set_aside"] == serde_json::json!([]),
        "a cut end is no damage: {status:#}"
    );
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_gen(&vol.sd()), "B");
    assert_eq!(read_gen(&vol.catroot2()), "b");
}

#[test]
fn offline_an_undo_after_a_run_killed_while_clearing_says_what_is_true() {
    let vol = Volume::new(20);
    let op = serde_json::json!({"op": "clear", "folder": "software-distribution", "path": ["Windows", "SoftwareDistribution"]});
    write_journal(
        &vol,
        "000001-20261126T100000Z.journal",
        &[start("reset", None), intent(&op)],
    );
    let status = text(&wufix(&["status", "--windows-dir", vol.arg()]));
    assert!(status.contains("INTERRUPTED"), "{status}");
    assert!(
        !status.contains("wufix reset"),
        "one fix is named: {status}"
    );
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("cannot be undone"), "{said}");
    assert!(
        !said.contains("running again"),
        "offline there are no services: {said}"
    );
}

#[test]
fn an_undo_killed_half_way_is_finished_by_the_next_undo() {
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "ORIG");
    generation_file(&vol.catroot2(), "orig");
    assert_eq!(
        wufix(&["reset", "--yes", "--windows-dir", vol.arg()])
            .status
            .code(),
        Some(0)
    );
    let reset = journal_names(&vol).pop().unwrap();
    let sd_backup = wufix_backups(&vol.windows(), "SoftwareDistribution").remove(0);
    // Windows made both again; an undo set the new SoftwareDistribution aside, put the old one
    // back, and died before catroot2.
    generation_file(&vol.sd(), "NEW");
    generation_file(&vol.catroot2(), "new");
    let aside = "SoftwareDistribution.wufix-20991231T000000Z.bak";
    fs::rename(vol.sd(), vol.windows().join(aside)).unwrap();
    fs::rename(vol.windows().join(&sd_backup), vol.sd()).unwrap();
    let set_aside = rename(
        "software-distribution",
        &["Windows", "SoftwareDistribution"],
        &["Windows", aside],
    );
    let put_back = rename(
        "software-distribution",
        &["Windows", &sd_backup],
        &["Windows", "SoftwareDistribution"],
    );
    write_journal(
        &vol,
        "000002-20991231T000000Z.journal",
        &[
            start("undo", Some(&reset)),
            intent(&set_aside),
            outcome(&set_aside, true),
            intent(&put_back),
            outcome(&put_back, true),
        ],
    );
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_gen(&vol.sd()), "ORIG", "left as the first undo put it");
    assert_eq!(
        read_gen(&vol.catroot2()),
        "orig",
        "and catroot2 is back too"
    );
}

#[test]
fn a_run_counts_as_undone_only_for_the_parts_an_undo_put_back() {
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "A");
    generation_file(&vol.catroot2(), "a");
    let reset = |vol: &Volume| {
        let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    reset(&vol);
    generation_file(&vol.sd(), "B");
    generation_file(&vol.catroot2(), "b");
    reset(&vol);
    generation_file(&vol.sd(), "C");
    generation_file(&vol.catroot2(), "c");
    for only in ["catroot2", "software-distribution"] {
        let out = wufix(&["undo", "--yes", "--only", only, "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    assert_eq!(
        read_gen(&vol.sd()),
        "B",
        "from the last reset, not the one before"
    );
    assert_eq!(read_gen(&vol.catroot2()), "b");
}

#[test]
fn a_reader_never_sets_aside_the_journal_of_a_run_that_has_written_nothing_yet() {
    let vol = Volume::new(2);
    let dir = journal_dir(&vol);
    fs::create_dir_all(&dir).unwrap();
    // A reset's journal between its creation and its first record.
    let fresh = dir.join("000001-20261202T000000Z.journal");
    fs::write(&fresh, "").unwrap();
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert!(fresh.exists(), "{status:#}");
    assert_eq!(status["journal_set_aside"], serde_json::json!([]));
    assert!(status["journal_damaged"].is_null(), "{status:#}");
}

#[cfg(unix)]
#[test]
fn a_volume_mounted_at_a_path_that_is_not_unicode_is_reset_and_undone() {
    use std::os::unix::ffi::OsStrExt;
    let parent = tempfile::tempdir().unwrap();
    let root = parent
        .path()
        .join(std::ffi::OsStr::from_bytes(b"disque\xe9"));
    let sd = root.join("Windows/SoftwareDistribution");
    fs::create_dir_all(root.join("Windows/System32/catroot2")).unwrap();
    generation_file(&sd, "A");
    let run = |args: &[&str]| {
        common::output(
            std::process::Command::new(env!("CARGO_BIN_EXE_wufix"))
                .args(args)
                .arg("--windows-dir")
                .arg(&root),
        )
        .unwrap()
    };
    let out = run(&["reset", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!sd.exists());
    let out = run(&["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_gen(&sd), "A");
}

#[test]
fn a_prune_cut_short_leaves_no_backup_that_looks_whole() {
    let vol = Volume::new(2);
    let half = vol
        .windows()
        .join("SoftwareDistribution.wufix-20200101T000000Z.bak.pruning");
    fs::create_dir_all(&half).unwrap();
    fs::write(half.join("f1"), "1").unwrap();
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    let shown = status["backups"].as_array().unwrap();
    assert!(
        shown.iter().any(
            |b| b["event"] == "incomplete" && b["path"].as_str().unwrap().ends_with(".pruning")
        ),
        "{status:#}"
    );
    // Not a backup undo could take: nothing to undo.
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The next reset finishes deleting it.
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!half.exists());
}

#[test]
fn what_a_journal_says_is_escaped_and_a_link_backup_is_named_as_a_link() {
    let vol = Volume::new(2);
    let mut started = start("reset", None);
    started["started"] = "2026-01-01 \u{202e}evol  :detrats".into();
    write_journal(&vol, "000001-20260101T000000Z.journal", &[started]);
    let status = wufix(&["status", "--windows-dir", vol.arg()]);
    let shown = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(!shown.contains('\u{202e}'), "{shown}");
    assert!(shown.contains("\\u{202e}"), "{shown}");
    // Without a terminal, undo refuses in its own name.
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = wufix(&["undo", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("refusing to undo"), "{}", text(&out));
}

#[test]
fn a_run_killed_between_its_folders_is_led_back_to_the_originals_by_the_fix_status_names() {
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "A");
    generation_file(&vol.catroot2(), "a");
    // Killed right after it set SoftwareDistribution aside.
    let backup = "SoftwareDistribution.wufix-20261126T100000Z.bak";
    fs::rename(vol.sd(), vol.windows().join(backup)).unwrap();
    let op = rename(
        "software-distribution",
        &["Windows", "SoftwareDistribution"],
        &["Windows", backup],
    );
    write_journal(
        &vol,
        "000001-20261126T100000Z.journal",
        &[start("reset", None), intent(&op), outcome(&op, true)],
    );
    generation_file(&vol.sd(), "B");
    let status = text(&wufix(&["status", "--windows-dir", vol.arg()]));
    let fix = status
        .lines()
        .find(|l| l.contains("fix:"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        fix.contains("wufix undo") && !fix.contains("wufix reset"),
        "{fix}"
    );
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_gen(&vol.sd()), "A");
    assert_eq!(read_gen(&vol.catroot2()), "a", "never touched");
}

#[test]
fn a_reset_run_after_a_killed_one_is_undone_back_to_the_folders_before_both() {
    // What a fleet's detect-and-remediate pair does after a run killed between its folders:
    // another reset (it recovers the killed one first), later an undo.
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "A");
    generation_file(&vol.catroot2(), "a");
    let backup = "SoftwareDistribution.wufix-20261126T100000Z.bak";
    fs::rename(vol.sd(), vol.windows().join(backup)).unwrap();
    let op = rename(
        "software-distribution",
        &["Windows", "SoftwareDistribution"],
        &["Windows", backup],
    );
    write_journal(
        &vol,
        "000001-20261126T100000Z.journal",
        &[start("reset", None), intent(&op), outcome(&op, true)],
    );
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Windows makes both folders again.
    generation_file(&vol.sd(), "B");
    generation_file(&vol.catroot2(), "b");
    let out = wufix(&["undo", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(read_gen(&vol.sd()), "A", "{}", text(&out));
    assert_eq!(read_gen(&vol.catroot2()), "a");
}

#[test]
fn detect_and_remediate_settle_after_one_reset_when_a_planted_unfinished_journal_cannot_be_written()
{
    // An unfinished journal wufix will not append to (a second name of it elsewhere: an append
    // would write there; on Windows also one held open without write sharing): recovery is
    // recorded in the next run's own journal, so the finding is gone after one reset.
    let vol = Volume::new(2);
    generation_file(&vol.sd(), "ORIGINAL");
    let planted = write_journal(
        &vol,
        "000900-20260101T000000Z.journal",
        &[start("reset", None)],
    );
    let elsewhere = vol.windows().join("elsewhere.txt");
    fs::hard_link(&planted, &elsewhere).unwrap();
    let before = fs::read(&elsewhere).unwrap();
    let mut detected = Vec::new();
    for _ in 0..4 {
        let code = wufix(&["diagnose", "--exit-code", "--windows-dir", vol.arg()])
            .status
            .code();
        detected.push(code);
        if code == Some(1) {
            let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            fs::create_dir_all(vol.sd()).unwrap();
            fs::create_dir_all(vol.catroot2()).unwrap();
        }
    }
    assert_eq!(detected, [Some(1), Some(0), Some(0), Some(0)]);
    assert_eq!(
        fs::read(&elsewhere).unwrap(),
        before,
        "nothing appended through it"
    );
    let backups = wufix_backups(&vol.windows(), "SoftwareDistribution");
    assert_eq!(backups.len(), 1, "one reset, one backup");
    assert_eq!(read_gen(&vol.windows().join(&backups[0])), "ORIGINAL");
}

#[test]
fn a_run_killed_before_its_first_record_is_named_as_an_empty_journal_not_damage() {
    let vol = Volume::new(2);
    let dir = journal_dir(&vol);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("000003-20261126T100000Z.journal"), "").unwrap();
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_eq!(
        status["journal_empty"].as_array().unwrap().len(),
        1,
        "{status:#}"
    );
    assert!(status.get("journal_damaged").is_none(), "{status:#}");
    assert!(status["journal_set_aside"].as_array().unwrap().is_empty());
    // Named every time, never renamed by a reader.
    let again = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert_eq!(again["journal_empty"], status["journal_empty"]);
    assert!(dir.join("000003-20261126T100000Z.journal").exists());
}
