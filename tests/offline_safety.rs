//! The safety promises on real folders, with the real binary in offline mode: backups a run
//! never deletes, links and mounts never followed, races that cannot redirect a clear, the
//! servicing gate, a second reset on one installation, and output a fleet tool can trust.
//! Native (Linux); the tests that need no Unix-only setup run under Wine as well.

mod common;

use std::fs;

use common::volume::{Volume, names_in, wufix_backups};
use common::{json, steps, text, wufix};

fn outcome<'a>(report: &'a serde_json::Value, action: &str, target_end: &str) -> &'a str {
    steps(report, action)
        .into_iter()
        .find(|s| s["target"].as_str().unwrap().ends_with(target_end))
        .unwrap_or_else(|| panic!("no {action} {target_end} in {report:#}"))["outcome"]
        .as_str()
        .unwrap()
}

#[test]
fn a_backup_with_a_later_stamp_never_costs_the_one_this_run_made() {
    // The repro: a rescue system whose clock is behind the stamp of an earlier backup.
    let vol = Volume::new(0);
    fs::write(vol.sd().join("DataStore.edb"), "history").unwrap();
    let future = vol
        .windows()
        .join("SoftwareDistribution.wufix-20991231T000000Z.bak");
    fs::create_dir(&future).unwrap();
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--keep",
        "1",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left = wufix_backups(&vol.windows(), "SoftwareDistribution");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0], "SoftwareDistribution.wufix-20991231T000000Z.bak");
    assert_eq!(
        fs::read_to_string(vol.windows().join(&left[0]).join("DataStore.edb")).unwrap(),
        "history"
    );
}

#[test]
fn three_resets_in_one_second_keep_the_newest_data() {
    let vol = Volume::new(0);
    for round in 0..3 {
        fs::create_dir_all(vol.catroot2()).unwrap();
        fs::write(vol.catroot2().join("round"), round.to_string()).unwrap();
        let out = wufix(&[
            "reset",
            "--yes",
            "--only",
            "catroot2",
            "--keep",
            "1",
            "--windows-dir",
            vol.arg(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let system32 = vol.windows().join("System32");
    let left = wufix_backups(&system32, "catroot2");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        fs::read_to_string(system32.join(&left[0]).join("round")).unwrap(),
        "2"
    );
}

#[test]
fn the_dry_run_names_exactly_the_backups_the_run_deletes() {
    let vol = Volume::new(2);
    for stamp in [
        "20240101T000000Z",
        "20250101T000000Z",
        "20991231T000000Z",
        "20250101T000000Z-7",
    ] {
        fs::create_dir(
            vol.windows()
                .join(format!("SoftwareDistribution.wufix-{stamp}.bak")),
        )
        .unwrap();
    }
    let args = |dry: bool| {
        // keep 1 with a later-stamped backup: where a plan that ranks by stamps alone and the run
        // would disagree.
        let mut a = vec!["reset", "--yes", "--json", "--keep", "1"];
        if dry {
            a.push("--dry-run");
        }
        a.extend([
            "--only",
            "software-distribution",
            "--windows-dir",
            vol.arg(),
        ]);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let dry = wufix(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    let planned = json(&dry);
    let detail = steps(&planned, "prune-backups")[0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    let run = wufix(&args(false).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let mut pruned: Vec<String> = json(&run)["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["event"] == "pruned")
        .map(|b| b["path"].as_str().unwrap().to_string())
        .collect();
    pruned.sort();
    assert_eq!(pruned.len(), 4, "{pruned:?}");
    let listed = detail.split("delete ").nth(1).unwrap_or_default();
    let mut listed: Vec<String> = listed.split(", ").map(String::from).collect();
    listed.sort();
    assert_eq!(listed, pruned, "the dry run said: {detail}");
}

#[test]
fn a_file_named_like_a_backup_is_neither_counted_nor_pruned() {
    let vol = Volume::new(1);
    let impostor = vol
        .windows()
        .join("SoftwareDistribution.wufix-20200101T000000Z.bak");
    fs::write(&impostor, "a user's file").unwrap();
    let status = json(&wufix(&["status", "--json", "--windows-dir", vol.arg()]));
    assert!(
        status["backups"].as_array().unwrap().is_empty(),
        "{status:#}"
    );
    let out = wufix(&[
        "reset",
        "--yes",
        "--keep",
        "1",
        "--only",
        "software-distribution",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(fs::read_to_string(&impostor).unwrap(), "a user's file");
}

#[test]
fn pending_xml_refuses_the_reset_with_exit_4_unless_forced() {
    let vol = Volume::new(3);
    fs::create_dir_all(vol.windows().join("WinSxS")).unwrap();
    fs::write(vol.windows().join("WinSxS/pending.xml"), "<pending/>").unwrap();
    let before = names_in(&vol.sd());
    for dry in [false, true] {
        let mut args = vec!["reset", "--yes", "--json", "--windows-dir", vol.arg()];
        if dry {
            args.push("--dry-run");
        }
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(4), "{}", text(&out));
        let report = json(&out);
        assert_eq!(report["ok"], false);
        assert_eq!(report["refused"]["checks"][0], "pending-xml");
        assert!(
            report["refused"]["reason"]
                .as_str()
                .unwrap()
                .contains("This Windows is not running: start it")
        );
        assert_eq!(names_in(&vol.sd()), before);
    }
    // diagnose says the same, with a step that works on a disk that may not boot.
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    let pending = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "pending-reboot")
        .unwrap();
    assert_eq!(pending["severity"], "warn", "{pending:#}");
    assert!(
        pending["evidence"]
            .as_str()
            .unwrap()
            .contains("pending.xml exists"),
        "{pending:#}"
    );
    assert!(
        pending["remedy"]
            .as_str()
            .unwrap()
            .contains("/Cleanup-Image /RevertPendingActions"),
        "{pending:#}"
    );
    let forced = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--force",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    let report = json(&forced);
    assert_eq!(report["forced"], true);
    assert!(!vol.sd().exists());
    // pending.xml is never touched.
    assert!(vol.windows().join("WinSxS/pending.xml").exists());
}

#[test]
fn a_folder_that_is_a_file_is_refused_by_the_dry_run_as_by_the_run() {
    let vol = Volume::new(1);
    fs::remove_dir_all(vol.catroot2()).unwrap();
    fs::write(vol.catroot2(), "not a folder").unwrap();
    for dry in [true, false] {
        let mut args = vec!["reset", "--yes", "--json", "--windows-dir", vol.arg()];
        if dry {
            args.push("--dry-run");
        }
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(1), "dry {dry}: {}", text(&out));
        assert_eq!(outcome(&json(&out), "rename-folder", "catroot2"), "failed");
    }
    assert_eq!(fs::read_to_string(vol.catroot2()).unwrap(), "not a folder");
}

#[test]
fn offline_messages_never_mention_services_or_reboot() {
    let vol = Volume::new(2);
    let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        !stdout.contains("service") && !stdout.contains("--reboot"),
        "{stdout}"
    );
}

#[test]
fn explain_takes_flags_after_the_codes_and_negative_decimals() {
    let out = wufix(&["explain", "0x800f0922", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["codes"][0]["code"], "0x800F0922");
    let out = wufix(&["explain", "-2146498270", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["codes"][0]["code"], "0x800F0922");
}

#[test]
fn with_json_every_usage_error_is_one_json_document() {
    let vol = Volume::new(0);
    for args in [
        vec!["reset", "--json", "--method", "bogus"],
        vec!["reset", "--json", "--timeout", "0"],
        vec!["reset", "--json", "--no-such-flag"],
        vec!["status", "--json", "--windows-dir", "/no/such/dir"],
        vec!["explain", "--json", "not-a-code"],
    ] {
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let report = json(&out);
        assert_eq!(report["ok"], false, "{args:?}");
        assert_eq!(report["command"], args[0], "{args:?}");
        assert!(!report["error"].as_str().unwrap().is_empty());
    }
    // Help is still help.
    let help = wufix(&["reset", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--force"));
    drop(vol);
}

#[test]
fn json_is_ascii_whatever_the_names() {
    let root = tempfile::tempdir().unwrap();
    let volume = root.path().join("Disque système é 📁");
    fs::create_dir_all(volume.join("Windows/System32/catroot2")).unwrap();
    let out = wufix(&[
        "status",
        "--json",
        "--windows-dir",
        volume.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        out.stdout.is_ascii(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert!(
        report["windows_dir"]
            .as_str()
            .unwrap()
            .contains("Disque système é 📁")
    );
}

// ---------------------------------------------------------------------------------------------
// Unix-only: links, FIFOs, mounts, races, depth, locks.

#[cfg(unix)]
mod unix {
    use std::os::fd::AsFd;
    use std::os::unix::fs::symlink;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use rustix::fs::{FlockOperation, Mode, OFlags, RenameFlags};

    use super::*;

    fn spawn_wufix(args: &[&str]) -> std::process::Child {
        common::spawn(
            Command::new(env!("CARGO_BIN_EXE_wufix"))
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .unwrap()
    }

    /// Wait for `child` at most `limit`; a hang is a failure, not a stuck suite.
    fn finish_within(mut child: std::process::Child, limit: Duration) -> std::process::Output {
        let began = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if began.elapsed() > limit {
                let _ = child.kill();
                panic!("wufix did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }

    #[test]
    fn a_link_named_like_a_backup_is_reported_never_walked_nor_pruned() {
        let vol = Volume::new(1);
        let link = vol
            .windows()
            .join("System32/catroot2.wufix-20200101T000000Z.bak");
        symlink("/", &link).unwrap();
        let status = finish_within(
            spawn_wufix(&["status", "--json", "--windows-dir", vol.arg()]),
            Duration::from_secs(5),
        );
        let report = json(&status);
        let backups = report["backups"].as_array().unwrap();
        assert_eq!(backups.len(), 1, "{report:#}");
        assert_eq!(backups[0]["is_link"], true);
        assert!(backups[0].get("size").is_none());
        let out = wufix(&["reset", "--yes", "--keep", "1", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_linked_system32_is_refused_and_its_target_untouched() {
        let vol = Volume::new(1);
        let elsewhere = vol.root.path().join("elsewhere");
        fs::rename(vol.windows().join("System32"), &elsewhere).unwrap();
        symlink(&elsewhere, vol.windows().join("System32")).unwrap();
        let before = names_in(&elsewhere.join("catroot2"));
        let out = wufix(&[
            "reset",
            "--yes",
            "--json",
            "--method",
            "clear",
            "--windows-dir",
            vol.arg(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let report = json(&out);
        let step = steps(&report, "clear-folder")
            .into_iter()
            .find(|s| s["target"].as_str().unwrap().ends_with("catroot2"))
            .unwrap();
        assert_eq!(step["outcome"], "failed");
        assert!(
            step["detail"].as_str().unwrap().contains("link"),
            "{step:#}"
        );
        assert_eq!(names_in(&elsewhere.join("catroot2")), before);
        // The real folder beside it was still cleared.
        assert!(names_in(&vol.sd()).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn two_case_variants_of_a_folder_are_both_left_and_reported() {
        let vol = Volume::new(2);
        let twin = vol.windows().join("softwaredistribution");
        fs::create_dir(&twin).unwrap();
        fs::write(twin.join("twin.dat"), "x").unwrap();
        let out = wufix(&["reset", "--yes", "--json", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let report = json(&out);
        let step = &steps(&report, "rename-folder")[0];
        assert_eq!(step["outcome"], "failed");
        assert!(
            step["detail"]
                .as_str()
                .unwrap()
                .contains("differ only by case")
        );
        assert!(vol.sd().is_dir() && twin.join("twin.dat").exists());
    }

    #[test]
    fn a_folder_swapped_for_a_link_mid_clear_never_redirects_the_deletion() {
        // The class of CVE-2022-21658: while wufix clears, a loop exchanges a subfolder with a
        // symlink to a folder outside. Path-based deletion follows the link now and then and
        // deletes outside; handle-relative deletion never does.
        for trial in 0..8 {
            let vol = Volume::new(0);
            let outside = vol.root.path().join("outside");
            fs::create_dir(&outside).unwrap();
            // The same names as inside: a path that goes through the link deletes these.
            for i in 0..400 {
                fs::write(outside.join(format!("f{i}")), "keep").unwrap();
            }
            let inside = vol.sd().join("sub");
            fs::create_dir(&inside).unwrap();
            for i in 0..400 {
                fs::write(inside.join(format!("f{i}")), "cache").unwrap();
            }
            let swap = vol.root.path().join("swap");
            symlink(&outside, &swap).unwrap();

            let stop = Arc::new(AtomicBool::new(false));
            let swapper = {
                let stop = stop.clone();
                let (inside, swap) = (inside.clone(), swap.clone());
                std::thread::spawn(move || {
                    let cwd = rustix::fs::CWD;
                    while !stop.load(Ordering::Relaxed) {
                        let _ = rustix::fs::renameat_with(
                            cwd,
                            &inside,
                            cwd,
                            &swap,
                            RenameFlags::EXCHANGE,
                        );
                    }
                })
            };
            let child = spawn_wufix(&[
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
            let out = finish_within(child, Duration::from_secs(60));
            stop.store(true, Ordering::Relaxed);
            swapper.join().unwrap();
            let left = fs::read_dir(&outside).unwrap().count();
            assert_eq!(
                left,
                400,
                "trial {trial}: {} files outside were deleted; {}",
                400 - left,
                text(&out)
            );
        }
    }

    #[test]
    fn a_mount_inside_the_folder_is_not_crossed() {
        let vol = Volume::new(3);
        let outside = vol.root.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("precious"), "keep").unwrap();
        let mountpoint = vol.sd().join("mnt");
        fs::create_dir(&mountpoint).unwrap();
        let mounted = Command::new("mount")
            .args([
                "--bind",
                outside.to_str().unwrap(),
                mountpoint.to_str().unwrap(),
            ])
            .output();
        if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: cannot bind-mount here (needs root): {mounted:?}");
            return;
        }
        let out = wufix(&[
            "reset",
            "--yes",
            "--json",
            "--method",
            "clear",
            "--windows-dir",
            vol.arg(),
        ]);
        let _ = Command::new("umount").arg(&mountpoint).status();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_eq!(
            fs::read_to_string(outside.join("precious")).unwrap(),
            "keep"
        );
        let report = json(&out);
        let step = steps(&report, "clear-folder")
            .into_iter()
            .find(|s| {
                s["target"]
                    .as_str()
                    .unwrap()
                    .ends_with("SoftwareDistribution")
            })
            .unwrap();
        let errors = step["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{step:#}");
        assert!(errors[0]["error"].as_str().unwrap().contains("mounted"));
        // Everything else went.
        assert_eq!(names_in(&vol.sd()), ["mnt"]);
    }

    #[test]
    fn a_fifo_inside_is_removed_without_being_opened() {
        let vol = Volume::new(2);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            vol.sd().join("pipe"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let out = finish_within(
            spawn_wufix(&[
                "reset",
                "--yes",
                "--method",
                "clear",
                "--windows-dir",
                vol.arg(),
            ]),
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(names_in(&vol.sd()).is_empty());
    }

    #[test]
    fn thousands_of_levels_are_cleared_with_few_descriptors() {
        let vol = Volume::new(0);
        // 3,000 levels: a path of 9,000 bytes, beyond PATH_MAX, made relative to open folders.
        let mut dir = rustix::fs::open(
            vol.sd(),
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        for _ in 0..3000 {
            rustix::fs::mkdirat(dir.as_fd(), "dd", Mode::from_raw_mode(0o755)).unwrap();
            dir = rustix::fs::openat(
                dir.as_fd(),
                "dd",
                OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
        }
        let leaf = rustix::fs::openat(
            dir.as_fd(),
            "leaf",
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
        drop((leaf, dir));
        // At most 128 descriptors: far fewer than the depth.
        let out = Command::new("sh")
            .args([
                "-c",
                "ulimit -n 128 && exec \"$0\" \"$@\"",
                env!("CARGO_BIN_EXE_wufix"),
                "reset",
                "--yes",
                "--json",
                "--method",
                "clear",
                "--only",
                "software-distribution",
                "--windows-dir",
                vol.arg(),
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(names_in(&vol.sd()).is_empty());
        assert!(
            json(&out)["steps"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("3001 entries"),
            "{}",
            text(&out)
        );
    }

    #[test]
    fn a_second_offline_reset_of_one_installation_waits_its_turn() {
        let vol = Volume::new(3);
        // The lock file in wufix's folder on the volume, as a running reset holds it. CLOEXEC: a
        // wufix another test thread starts meanwhile must not inherit the lock.
        let home = vol.root.path().join("ProgramData").join("wufix");
        std::fs::create_dir_all(&home).unwrap();
        let held = rustix::fs::open(
            home.join("lock"),
            OFlags::CREATE | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
        rustix::fs::flock(&held, FlockOperation::LockExclusive).unwrap();
        let before = names_in(&vol.sd());
        let out = wufix(&["reset", "--yes", "--json", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            json(&out)["error"]
                .as_str()
                .unwrap()
                .contains("another wufix reset")
        );
        assert_eq!(names_in(&vol.sd()), before);
        drop(held);
        let out = wufix(&["reset", "--yes", "--windows-dir", vol.arg()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }

    #[test]
    fn diagnose_reads_only_a_regular_cbs_log_and_never_hangs() {
        let vol = Volume::new(0);
        let logs = vol.windows().join("Logs/CBS");
        fs::create_dir_all(&logs).unwrap();
        // A FIFO nobody writes to: opening it for reading would block forever.
        rustix::fs::mknodat(
            rustix::fs::CWD,
            logs.join("CBS.log"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let out = finish_within(
            spawn_wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]),
            Duration::from_secs(10),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let report = json(&out);
        let cbs = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "servicing-logs")
            .unwrap();
        assert!(
            cbs["evidence"]
                .as_str()
                .unwrap()
                .contains("not a regular file"),
            "{cbs:#}"
        );

        // A link to an endless device: not followed.
        fs::remove_file(logs.join("CBS.log")).unwrap();
        symlink("/dev/zero", logs.join("CBS.log")).unwrap();
        let out = finish_within(
            spawn_wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]),
            Duration::from_secs(10),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }

    #[test]
    fn a_name_with_control_characters_cannot_forge_a_line() {
        let root = tempfile::tempdir().unwrap();
        let volume = root
            .path()
            .join("vol\n  done     rename-folder  C:\\forged\u{1b}[2K");
        fs::create_dir_all(volume.join("Windows/System32/catroot2")).unwrap();
        fs::write(volume.join("Windows/System32/catroot2/x"), "x").unwrap();
        let out = wufix(&["reset", "--yes", "--windows-dir", volume.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let all = text(&out);
        assert!(!all.contains('\u{1b}'), "{all}");
        assert!(
            !all.lines()
                .any(|l| l.trim_start().starts_with("done     rename-folder  C:")),
            "{all}"
        );
        assert!(all.contains("vol\\n"), "{all}");
    }
}

/// A volume Fast Startup left hibernated: nothing planned or written, the dry run included, and
/// diagnose says why (exit 1, `volume-not-writable`).
#[test]
fn a_hibernated_volume_is_refused_before_anything_is_planned() {
    let vol = Volume::new(3);
    let mut header = b"hibr".to_vec();
    header.resize(4096, 0);
    fs::write(vol.root.path().join("hiberfil.sys"), header).unwrap();
    let before = names_in(&vol.windows());
    for dry in [false, true] {
        let mut args = vec!["reset", "--yes", "--json", "--windows-dir", vol.arg()];
        if dry {
            args.push("--dry-run");
        }
        let out = wufix(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let report = json(&out);
        assert_eq!(report["reason"], "volume-not-writable", "{report:#}");
        assert!(report["error"].as_str().unwrap().contains("hibernated"));
        assert_eq!(names_in(&vol.windows()), before);
        assert!(
            !vol.root.path().join("ProgramData").exists(),
            "not even a journal was written"
        );
    }
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    let state = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "volume-state")
        .unwrap();
    assert_eq!(state["severity"], "error");
    assert!(
        state["remedy"]
            .as_str()
            .unwrap()
            .contains("shut it down fully")
    );
    // Woken (the header says so): allowed again.
    let mut header = b"wake".to_vec();
    header.resize(4096, 0);
    fs::write(vol.root.path().join("hiberfil.sys"), header).unwrap();
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--dry-run",
        "--windows-dir",
        vol.arg(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
