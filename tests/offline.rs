//! The real binary on real temporary folders, in offline mode (`--windows-dir`): the way a
//! technician repairs a mounted Windows disk. Runs natively on Linux, and under Wine as well.

mod common;

use std::fs;

use common::volume::{Volume, names_in, wufix_backups};
use common::{json, steps, text, tree, wufix};

#[test]
fn rename_moves_both_folders_to_backups_with_contents_intact() {
    let vol = Volume::new(20);
    let before_sd = tree(&vol.sd());
    let before_cat = tree(&vol.catroot2());
    let out = wufix(&["reset", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["ok"], true);
    assert_eq!(report["mode"], "offline");
    assert_eq!(report["reboot_recommended"], true);
    assert!(report["services"].is_null(), "offline: not inspected");

    assert!(!vol.sd().exists() && !vol.catroot2().exists());
    let sd_backups = wufix_backups(&vol.windows(), "SoftwareDistribution");
    let cat_backups = wufix_backups(&vol.windows().join("System32"), "catroot2");
    assert_eq!((sd_backups.len(), cat_backups.len()), (1, 1));
    assert_eq!(tree(&vol.windows().join(&sd_backups[0])), before_sd);
    assert_eq!(
        tree(&vol.windows().join("System32").join(&cat_backups[0])),
        before_cat
    );
    let created: Vec<&str> = report["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["created", "created"]);
}

#[test]
fn clear_empties_the_folders_and_keeps_them() {
    let vol = Volume::new(50);
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--method",
        "clear",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    for dir in [vol.sd(), vol.catroot2()] {
        assert!(dir.is_dir());
        assert!(
            names_in(&dir).is_empty(),
            "{} still has {:?}",
            dir.display(),
            names_in(&dir)
        );
    }
    let clears = steps(&report, "clear-folder");
    assert_eq!(clears.len(), 2);
    assert!(
        clears
            .iter()
            .all(|s| s["outcome"] == "done" && s["reversible"] == false)
    );
    assert!(wufix_backups(&vol.windows(), "SoftwareDistribution").is_empty());
}

#[test]
fn only_narrows_the_folders() {
    let vol = Volume::new(5);
    let before = tree(&vol.sd());
    let out = wufix(&[
        "reset",
        "--yes",
        "--only",
        "catroot2",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(tree(&vol.sd()), before);
    assert!(!vol.catroot2().exists());
}

#[test]
fn keep_prunes_only_wufix_backups_beyond_the_newest() {
    let vol = Volume::new(3);
    for stamp in ["20240101T000000Z", "20250101T000000Z", "20250601T000000Z"] {
        fs::create_dir(
            vol.windows()
                .join(format!("SoftwareDistribution.wufix-{stamp}.bak")),
        )
        .unwrap();
    }
    let users_own = vol.windows().join("SoftwareDistribution.bak");
    fs::create_dir(&users_own).unwrap();
    fs::write(users_own.join("mine.txt"), "mine").unwrap();

    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--keep",
        "2",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left = wufix_backups(&vol.windows(), "SoftwareDistribution");
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&"SoftwareDistribution.wufix-20250601T000000Z.bak".to_string()));
    assert!(
        !left
            .iter()
            .any(|n| n.contains("2024") || n.contains("20250101"))
    );
    assert_eq!(
        fs::read_to_string(users_own.join("mine.txt")).unwrap(),
        "mine"
    );
    let pruned: Vec<_> = json(&out)["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["event"] == "pruned")
        .cloned()
        .collect();
    assert_eq!(pruned.len(), 2);
}

#[test]
fn two_resets_in_a_row_make_distinct_backups() {
    let vol = Volume::new(2);
    let first = json(&wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]));
    fs::create_dir(vol.sd()).unwrap();
    let second = json(&wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]));
    let created = |r: &serde_json::Value| r["backups"][0]["path"].as_str().unwrap().to_string();
    assert_ne!(created(&first), created(&second));
    assert_eq!(
        wufix_backups(&vol.windows(), "SoftwareDistribution").len(),
        2
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let vol = Volume::new(10);
    let before = tree(vol.root.path());
    let out = wufix(&[
        "reset",
        "--dry-run",
        "--json",
        "--method",
        "clear",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(tree(vol.root.path()), before);
    let report = json(&out);
    assert_eq!(report["dry_run"], true);
    let clears = steps(&report, "clear-folder");
    assert_eq!(clears.len(), 2);
    assert!(
        clears
            .iter()
            .all(|s| s["outcome"] == "planned" && s["reversible"] == false)
    );

    // The journal is a write to the customer's disk too: the plan names where.
    let journal = report["journal"].as_str().unwrap();
    assert!(
        journal.ends_with("ProgramData/wufix/journal")
            || journal.ends_with(r"ProgramData\wufix\journal"),
        "{journal}"
    );

    let human = wufix(&["reset", "--dry-run", "--windows-dir", vol.arg()]);
    let shown = String::from_utf8_lossy(&human.stdout);
    assert!(shown.contains("Dry run: nothing will be changed"));
    assert!(shown.contains("Journal\n  planned  "), "{shown}");
    assert_eq!(tree(vol.root.path()), before);
}

#[test]
fn without_yes_and_without_a_terminal_it_refuses_and_touches_nothing() {
    let vol = Volume::new(4);
    let before = tree(vol.root.path());
    let out = wufix(&["reset", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    assert_eq!(tree(vol.root.path()), before);
}

#[test]
fn status_counts_files_and_lists_backups() {
    let vol = Volume::new(12);
    fs::create_dir(
        vol.windows()
            .join("SoftwareDistribution.wufix-20250101T000000Z.bak"),
    )
    .unwrap();
    let out = wufix(&["status", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let sd = &report["folders"][0];
    assert_eq!(sd["folder"], "software-distribution");
    assert_eq!(sd["size"]["files"], 12);
    let expected_bytes: u64 = (0..12)
        .map(|i| format!("contents of file {i}").len() as u64)
        .sum();
    assert_eq!(sd["size"]["bytes"], expected_bytes);
    assert_eq!(report["backups"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_input_is_a_clear_usage_error_that_touches_nothing() {
    let vol = Volume::new(4);
    let before = tree(vol.root.path());
    let missing = vol.root.path().join("no-such-dir");
    let not_windows = vol.catroot2();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["reset", "--yes", "--frobnicate", "--windows-dir", vol.arg()],
            "--frobnicate",
        ),
        (
            vec![
                "reset",
                "--yes",
                "--method",
                "shred",
                "--windows-dir",
                vol.arg(),
            ],
            "shred",
        ),
        (
            vec![
                "reset",
                "--yes",
                "--only",
                "catroot",
                "--windows-dir",
                vol.arg(),
            ],
            "catroot",
        ),
        (
            vec![
                "reset",
                "--yes",
                "--timeout",
                "0",
                "--windows-dir",
                vol.arg(),
            ],
            "--timeout",
        ),
        (
            vec!["reset", "--yes", "--keep", "0", "--windows-dir", vol.arg()],
            "--keep",
        ),
        (
            vec!["reset", "--yes", "--reboot", "--windows-dir", vol.arg()],
            "--reboot",
        ),
        (
            vec!["reset", "--yes", "--windows-dir", missing.to_str().unwrap()],
            "no-such-dir",
        ),
        (
            vec![
                "reset",
                "--yes",
                "--windows-dir",
                not_windows.to_str().unwrap(),
            ],
            "no Windows installation",
        ),
        (vec!["reset", "--yes", "--windows-dir"], "--windows-dir"),
    ];
    for (args, mention) in cases {
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(mention),
            "{args:?} should mention {mention}: {}",
            text(&out)
        );
        assert_eq!(tree(vol.root.path()), before, "{args:?} touched the volume");
    }
}

#[test]
fn a_usage_error_keeps_its_line_breaks_on_stderr_and_is_one_json_document_on_stdout() {
    let out = wufix(&["reset", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("\\n"), "a literal \\n on stderr: {err}");
    assert!(err.lines().count() > 1, "{err}");
    // With --json: one document, one sentence, the kind and the argument; stderr empty.
    let out = wufix(&["reset", "--json", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["reason"], "usage");
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["error_kind"], "unknown-argument");
    assert_eq!(doc["argument"], "--bogus");
    assert!(!doc["error"].as_str().unwrap().contains('\n'));
}

#[cfg(not(windows))]
#[test]
fn the_linux_build_needs_windows_dir() {
    let out = wufix(&["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--windows-dir"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn clear_removes_a_link_and_never_what_it_points_to() {
    let vol = Volume::new(3);
    let outside = vol.root.path().join("precious");
    fs::create_dir_all(outside.join("nested")).unwrap();
    fs::write(outside.join("a.txt"), "keep me").unwrap();
    fs::write(outside.join("nested/b.txt"), "keep me too").unwrap();
    let before = tree(&outside);
    std::os::unix::fs::symlink(&outside, vol.sd().join("sub0").join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.join("a.txt"), vol.sd().join("file-link")).unwrap();

    let out = wufix(&[
        "reset",
        "--yes",
        "--method",
        "clear",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(names_in(&vol.sd()).is_empty());
    assert_eq!(tree(&outside), before);
}

#[cfg(unix)]
#[test]
fn a_folder_that_is_itself_a_link_is_not_followed() {
    let vol = Volume::new(0);
    let elsewhere = vol.root.path().join("relocated-sd");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("DataStore.edb"), "db").unwrap();
    fs::remove_dir_all(vol.sd()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, vol.sd()).unwrap();

    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--method",
        "clear",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert!(
        steps(&report, "clear-folder")[0]["detail"]
            .as_str()
            .unwrap()
            .contains("link")
    );
    assert_eq!(
        fs::read_to_string(elsewhere.join("DataStore.edb")).unwrap(),
        "db"
    );
}

#[test]
fn diagnose_offline_checks_the_folders_and_says_what_it_cannot_check() {
    let vol = Volume::new(25);
    fs::create_dir(
        vol.windows()
            .join("SoftwareDistribution.wufix-20250101T000000Z.bak"),
    )
    .unwrap();
    fs::write(
        vol.windows()
            .join("SoftwareDistribution.wufix-20250101T000000Z.bak/old.cab"),
        [0u8; 1000],
    )
    .unwrap();
    let before = tree(vol.root.path());
    let out = wufix(&[
        "diagnose",
        "--json",
        "--exit-code",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        tree(vol.root.path()),
        before,
        "diagnose must not change anything"
    );
    let report = json(&out);
    assert_eq!(report["mode"], "offline");
    let finding = |id: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .cloned()
            .unwrap()
    };
    let expected_bytes: usize = (0..25).map(|i| format!("contents of file {i}").len()).sum();
    assert!(
        finding("folder-software-distribution")["evidence"]
            .as_str()
            .unwrap()
            .ends_with(&format!(": 25 files, {expected_bytes} bytes"))
    );
    let backups = finding("wufix-backups");
    assert!(
        backups["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 wufix backup holds 1 file,"),
        "{backups}"
    );
    // The disk holds no hives here: each registry check says which file it could not read.
    let services: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "service")
        .collect();
    assert!(!services.is_empty());
    for f in services {
        assert_eq!(f["available"], false, "{f}");
        assert!(
            f["reason"].as_str().unwrap().ends_with("SYSTEM is absent"),
            "{f}"
        );
    }
    for id in [
        "pending-reboot",
        "update-failures",
        "wsus",
        "winhttp-proxy",
        "windows-version",
    ] {
        let f = finding(id);
        assert_eq!(f["severity"], "info", "{id}");
        assert!(
            f["summary"].as_str().unwrap().starts_with("unavailable"),
            "{id}: {f}"
        );
    }
    let human = wufix(&["diagnose", "--windows-dir", vol.arg()]);
    assert_eq!(
        human.status.code(),
        Some(0),
        "without --exit-code diagnose succeeds"
    );
    assert!(
        String::from_utf8_lossy(&human.stdout)
            .contains("the update cache (SoftwareDistribution) holds 25 files")
    );
}

/// Run wufix at a pseudo-terminal (util-linux `script`), typing `answer` at its prompt.
#[cfg(unix)]
fn at_terminal(args: &str, answer: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_wufix"));
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn at_a_terminal_it_shows_the_plan_asks_and_obeys_the_answer() {
    let vol = Volume::new(3);
    let before = tree(vol.root.path());
    // In words first; every step when asked ("d"), then the question again.
    let no = at_terminal(&format!("reset --windows-dir {}", vol.arg()), "d\nn\n");
    assert_eq!(no.status.code(), Some(1), "{}", text(&no));
    let shown = text(&no);
    let words = shown.find("wufix will rename the update cache (SoftwareDistribution)");
    let steps = shown.find("rename-folder");
    assert!(
        words.is_some() && steps > words && shown.matches("Proceed? [y/N]").count() == 2,
        "{shown}"
    );
    assert!(shown.contains("cancelled; nothing was changed"), "{shown}");
    assert_eq!(tree(vol.root.path()), before);

    let yes = at_terminal(&format!("reset --windows-dir {}", vol.arg()), "y\n");
    assert_eq!(yes.status.code(), Some(0), "{}", text(&yes));
    assert!(!vol.sd().exists() && !vol.catroot2().exists());
}

#[test]
fn without_a_command_a_terminal_gets_the_help_and_exit_2() {
    // Started from a shell or a script (not by a double-click), wufix does nothing by itself.
    let out = wufix(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Usage: wufix"), "{}", text(&out));
}

/// The JSON report is an interface (fleet tools parse it): its shape is kept as a snapshot.
/// Paths and the timestamp in backup names are replaced by placeholders.
#[cfg(not(windows))]
#[test]
fn the_json_report_keeps_its_shape() {
    let vol = Volume::new(2);
    fs::create_dir(
        vol.windows()
            .join("SoftwareDistribution.wufix-20200101T000000Z.bak"),
    )
    .unwrap();
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--keep",
        "1",
        "--windows-dir",
        vol.arg(),
    ]);
    let mut shown = String::from_utf8_lossy(&out.stdout).replace(vol.arg(), "[VOLUME]");
    // This run's stamp is the time of the run; the planted old backup keeps its own.
    let mut from = 0;
    while let Some(found) = shown[from..].find(".wufix-") {
        let at = from + found + ".wufix-".len();
        if !shown[at..].starts_with("20200101T000000Z") {
            shown.replace_range(at..at + 16, "[STAMP]");
        }
        from = at;
    }
    // The envelope's facts of this run and this machine.
    let shown: String = shown
        .lines()
        .map(|line| {
            for key in ["computer", "started", "finished", "wufix_version"] {
                if line.starts_with(&format!("  \"{key}\": ")) {
                    return format!("  \"{key}\": \"[{}]\",", key.to_uppercase());
                }
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(shown);
}

#[test]
fn colour_only_where_asked_for_and_never_in_json() {
    let vol = Volume::new(0);
    let run = |vars: &[(&str, &str)], json: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wufix"));
        command.args(["diagnose", "--windows-dir", vol.arg()]);
        if json {
            command.arg("--json");
        }
        command.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (key, value) in vars {
            command.env(key, value);
        }
        let out = common::output(command.stdin(std::process::Stdio::null())).unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // A pipe gets plain text.
    assert!(!run(&[], false).contains('\u{1b}'));
    // Forced (as a terminal would get it): what is fine in green.
    let forced = run(&[("CLICOLOR_FORCE", "1")], false);
    assert!(forced.contains("\u{1b}[32mFine"), "{forced:?}");
    // NO_COLOR wins, and JSON is never coloured.
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false).contains('\u{1b}'));
    assert!(!run(&[("CLICOLOR_FORCE", "1")], true).contains('\u{1b}'));
}

/// On a terminal, clearing draws a bar with the entry count; for a pipe, nothing of it.
#[cfg(unix)]
#[test]
fn clearing_shows_a_bar_on_a_terminal_only() {
    let vol = Volume::new(3000);
    let exe = env!("CARGO_BIN_EXE_wufix");
    let command = format!(
        "'{exe}' reset --yes --method clear --only software-distribution --windows-dir '{}'",
        vol.arg()
    );
    let out = common::output(
        std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null()),
    )
    .expect("util-linux script runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("entries removed from"), "{screen}");
    assert!(fs::read_dir(vol.sd()).unwrap().next().is_none(), "cleared");

    let vol = Volume::new(300);
    let piped = wufix(&[
        "reset",
        "--yes",
        "--method",
        "clear",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped));
    assert!(
        !text(&piped).contains("entries removed from"),
        "{}",
        text(&piped)
    );
}

/// The elevated copy hands its report back only through a pipe of wufix's own naming (the window
/// that waits made it): a path given instead is a usage error, before anything is done, and
/// nothing is written there.
#[test]
fn the_report_goes_only_to_a_report_pipe_never_to_a_path() {
    let vol = Volume::new(3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    let sd_before = common::digest(&vol.sd());
    let out = wufix(&[
        "reset",
        "--yes",
        "--windows-dir",
        vol.arg(),
        "--elevated-child",
        "--report-pipe",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a wufix report pipe"),
        "{}",
        text(&out)
    );
    assert!(!file.exists());
    assert_eq!(common::digest(&vol.sd()), sd_before, "nothing was done");
}

/// With `--json` every command, succeeding or failing, prints one document on stdout and nothing
/// on stderr, and a document that is not ok names its reason from the closed list.
#[test]
fn json_means_one_document_and_a_quiet_stderr_and_every_failure_has_its_reason() {
    let quiet = |args: &[&str]| {
        let out = wufix(args);
        assert!(
            out.stderr.is_empty(),
            "{args:?} wrote to stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = json(&out);
        assert_eq!(doc["exit_code"], out.status.code().unwrap(), "{doc:#}");
        if doc["ok"] == false {
            assert!(doc["reason"].is_string(), "{args:?}: {doc:#}");
        }
        (out.status.code().unwrap(), doc)
    };
    let vol = Volume::new(2);
    let at = vol.arg();
    for args in [
        vec!["status", "--json", "--windows-dir", at],
        vec!["diagnose", "--json", "--windows-dir", at],
        vec!["explain", "--json", "0x80070002"],
        vec!["reset", "--dry-run", "--json", "--windows-dir", at],
    ] {
        assert_eq!(quiet(&args).0, 0, "{args:?}");
    }
    let reason = |args: &[&str]| quiet(args).1["reason"].as_str().unwrap().to_string();
    // No --yes where nobody can be asked.
    assert_eq!(
        reason(&["reset", "--json", "--windows-dir", at]),
        "not-confirmed"
    );
    assert_eq!(reason(&["reset", "--json", "--bogus"]), "usage");
    assert_eq!(
        reason(&["undo", "--yes", "--json", "--windows-dir", at]),
        "nothing-to-undo"
    );
    // A clear cannot be undone.
    assert_eq!(
        quiet(&[
            "reset",
            "--yes",
            "--json",
            "--method",
            "clear",
            "--windows-dir",
            at
        ])
        .0,
        0
    );
    assert_eq!(
        reason(&["undo", "--yes", "--json", "--windows-dir", at]),
        "cannot-undo"
    );
    // Another run holds the lock (on Windows the Wine suites' concurrent reset shows it).
    let home = vol.root.path().join("ProgramData").join("wufix");
    #[cfg(unix)]
    {
        let held = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(home.join("lock"))
            .unwrap();
        rustix::fs::flock(&held, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
        assert_eq!(
            reason(&["reset", "--yes", "--json", "--windows-dir", at]),
            "busy"
        );
    }
    // Mid-servicing.
    let winsxs = vol.windows().join("WinSxS");
    fs::create_dir_all(&winsxs).unwrap();
    fs::write(winsxs.join("pending.xml"), "<x/>").unwrap();
    assert_eq!(
        reason(&["reset", "--yes", "--json", "--windows-dir", at]),
        "refused"
    );
    fs::remove_file(winsxs.join("pending.xml")).unwrap();
    // The journal cannot be written (its numbers used up): nothing changes.
    let journal = home.join("journal");
    fs::write(journal.join("999999999999-20260101T000000Z.journal"), "").unwrap();
    assert_eq!(
        reason(&["reset", "--yes", "--json", "--windows-dir", at]),
        "journal-unavailable"
    );
    fs::remove_file(journal.join("999999999999-20260101T000000Z.journal")).unwrap();
    // A step that fails: a folder that is a file.
    fs::remove_dir_all(vol.sd()).unwrap();
    fs::write(vol.sd(), "not a folder").unwrap();
    assert_eq!(
        reason(&[
            "reset",
            "--yes",
            "--json",
            "--only",
            "software-distribution",
            "--windows-dir",
            at
        ]),
        "step-failed"
    );
}

/// What a fleet tool reads: one ASCII line on stdout and nothing on stderr; the full report in
/// the file it named, whole; a bad command line answered the same way.
#[test]
fn summary_is_one_line_and_the_json_file_holds_the_whole_report() {
    let vol = Volume::new(3);
    let reports = tempfile::tempdir().unwrap();
    let file = reports.path().join("last.json");
    let out = wufix(&[
        "reset",
        "--yes",
        "--summary",
        "--json-file",
        file.to_str().unwrap(),
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", text(&out));
    let line = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.is_ascii() && line.len() <= 2001, "{line}");
    assert!(
        line.starts_with("wufix reset: Reset complete.")
            && line.contains("| exit 0 (success) |")
            && line
                .trim_end()
                .ends_with(&format!("report saved to {}", file.display())),
        "{line}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["command"], "reset");
    assert_eq!(report["exit_code"], 0);
    assert!(
        report["exit_code_mapped"].is_null(),
        "wufix's own codes: {report:#}"
    );
    assert!(!report["steps"].as_array().unwrap().is_empty());

    // Without a file: said so. A bad command line: the same one line, exit 2.
    let out = wufix(&["status", "--summary", "--windows-dir", vol.arg()]);
    assert!(
        text(&out).trim_end().ends_with("| no report saved"),
        "{}",
        text(&out)
    );
    let out = wufix(&["reset", "--bogus", "--summary"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("wufix reset: error: unexpected argument"),
        "{}",
        text(&out)
    );
    // Installer codes are Windows' (an 8-bit exit status cannot carry 3010): refused here.
    #[cfg(unix)]
    {
        let out = wufix(&["status", "--exit-codes", "msi", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    }
}

/// `--not-within`: a scheduled run after a reset that changed something does nothing, says so
/// and exits 0; a dry run or an undo in between does not count, and a bad duration is refused.
#[test]
fn not_within_holds_a_scheduled_run_back_after_a_recent_change() {
    let vol = Volume::new(3);
    let first = wufix(&[
        "reset",
        "--yes",
        "--not-within",
        "24h",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    fs::create_dir_all(vol.sd()).unwrap();
    fs::write(vol.sd().join("new"), "x").unwrap();
    let before = tree(vol.root.path());
    let held = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--not-within",
        "24h",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(held.status.code(), Some(0), "{}", text(&held));
    let report = json(&held);
    assert_eq!(report["ok"], true);
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .starts_with("Nothing was done: the reset of ")
            && report["steps"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(tree(vol.root.path()), before, "nothing touched");
    // A window shorter than the time since: it runs.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--not-within",
        "PT1S",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        !json(&again)["steps"].as_array().unwrap().is_empty(),
        "it ran"
    );
    let bad = wufix(&[
        "reset",
        "--yes",
        "--not-within",
        "soon",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}
