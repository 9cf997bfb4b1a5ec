//! The real wufix.exe resetting under Wine: a real Win32 service manager, file system and
//! share-mode locking. Built only for Windows; `scripts/test.sh` runs it after
//! `scripts/wine-prefix.sh up`, which registers the test service as `cryptsvc`.
//!
//! Every test takes `serial()` first: the services and folders are the machine's, shared by all.
#![cfg(windows)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::wine::*;
use common::{json, populate, spawn, steps, text, tree, wufix};

#[test]
fn a_default_reset_renames_both_folders_and_restores_the_services() {
    let _machine = serial();
    let before_sd = tree(&sd());
    let before_cat = tree(&catroot2());
    let pids_before: Vec<u32> = SERVICES.iter().map(|s| query(s).2).collect();

    let out = wufix(&["reset", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["ok"], true);
    assert_eq!(report["mode"], "online");
    assert_eq!(report["reboot_recommended"], true);
    for name in SERVICES {
        assert_eq!(outcome_of(&report, "stop-service", name), "done");
        assert_eq!(outcome_of(&report, "start-service", name), "done");
    }
    // Wine has neither dosvc nor usosvc: reported and skipped.
    assert_eq!(outcome_of(&report, "stop-service", "dosvc"), "skipped");

    assert!(!sd().exists() && !catroot2().exists());
    let sd_backup = backups_of(&windows(), "SoftwareDistribution");
    let cat_backup = backups_of(&system32(), "catroot2");
    assert_eq!((sd_backup.len(), cat_backup.len()), (1, 1));
    assert_eq!(tree(&windows().join(&sd_backup[0])), before_sd);
    assert_eq!(tree(&system32().join(&cat_backup[0])), before_cat);

    assert_all_running();
    // Really restarted: each runs in a new process.
    let pids_after: Vec<u32> = SERVICES.iter().map(|s| query(s).2).collect();
    assert!(
        pids_before.iter().zip(&pids_after).all(|(b, a)| b != a),
        "{pids_before:?} {pids_after:?}"
    );
    let after = report["services"]["after"].as_array().unwrap();
    assert!(
        after
            .iter()
            .filter(|s| s["exists"] == true)
            .all(|s| s["state"] == "running")
    );
}

#[test]
fn clear_deletes_the_contents_keeps_the_folders_and_restores_the_services() {
    let _machine = serial();
    let out = wufix(&["reset", "--yes", "--json", "--method", "clear"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for dir in [sd(), catroot2()] {
        assert!(dir.is_dir(), "{} should remain", dir.display());
        assert!(
            tree(&dir).is_empty(),
            "{} still holds {:?}",
            dir.display(),
            tree(&dir)
        );
    }
    assert!(backups_of(&windows(), "SoftwareDistribution").is_empty());
    assert_all_running();
}

#[test]
fn only_catroot2_stops_and_restarts_cryptsvc_alone() {
    let _machine = serial();
    let before_sd = tree(&sd());
    let untouched: Vec<(String, String, u32)> = ["wuauserv", "bits", "msiserver"]
        .iter()
        .map(|s| query(s))
        .collect();
    let crypt_pid = query("cryptsvc").2;

    let out = wufix(&["reset", "--yes", "--json", "--only", "catroot2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let stopped: Vec<&str> = steps(&report, "stop-service")
        .iter()
        .map(|s| s["target"].as_str().unwrap())
        .collect();
    assert_eq!(stopped, ["cryptsvc"]);
    assert_eq!(tree(&sd()), before_sd);
    assert!(!catroot2().exists());
    let now: Vec<(String, String, u32)> = ["wuauserv", "bits", "msiserver"]
        .iter()
        .map(|s| query(s))
        .collect();
    assert_eq!(
        now, untouched,
        "other services must keep running in the same process"
    );
    let (state, _, pid) = query("cryptsvc");
    assert_eq!(state, "Running");
    assert_ne!(pid, crypt_pid);
}

#[test]
fn dry_run_changes_nothing_on_disk_or_in_the_service_manager() {
    let _machine = serial();
    let disk = (tree(&sd()), tree(&catroot2()));
    let services: Vec<_> = SERVICES.iter().map(|s| query(s)).collect();

    let out = wufix(&["reset", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["dry_run"], true);
    assert_eq!(outcome_of(&report, "stop-service", "cryptsvc"), "planned");
    assert_eq!(
        outcome_of(&report, "rename-folder", &sd().display().to_string()),
        "planned"
    );

    assert_eq!((tree(&sd()), tree(&catroot2())), disk);
    assert_eq!(
        SERVICES.iter().map(|s| query(s)).collect::<Vec<_>>(),
        services
    );
    assert!(backups_of(&windows(), "SoftwareDistribution").is_empty());
}

#[test]
fn a_service_that_ignores_stop_is_given_up_on_at_the_timeout_and_named() {
    let _machine = serial();
    set_on_stop("cryptsvc", "ignore");
    let before_cat = tree(&catroot2());

    let started = Instant::now();
    let out = wufix(&["reset", "--yes", "--json", "--timeout", "5", "--reboot"]);
    let took = started.elapsed();
    // Let the test service go before anything can fail, so later tests find it obeying.
    set_on_stop("cryptsvc", "obey");

    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(15),
        "took {took:?}"
    );
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(outcome_of(&report, "stop-service", "cryptsvc"), "failed");
    assert!(
        report["message"].as_str().unwrap().contains("cryptsvc"),
        "{}",
        report["message"]
    );
    assert!(text(&out).contains("cryptsvc"));
    // The folder it guards is untouched; the other folder's guards all stopped, so it was reset.
    assert_eq!(tree(&catroot2()), before_cat);
    assert_eq!(
        outcome_of(&report, "rename-folder", &catroot2().display().to_string()),
        "skipped"
    );
    assert!(!sd().exists());
    // --reboot never fires after a failure.
    assert_eq!(
        outcome_of(&report, "restart-windows", "this computer"),
        "skipped"
    );
    for name in ["wuauserv", "bits", "msiserver"] {
        assert_eq!(query(name).0, "Running", "{name} should be running again");
    }
}

/// A process holding a file open with no sharing at all, until dropped.
struct Holder(Child);

impl Holder {
    fn hold(path: &Path) -> Holder {
        let mut child = spawn(
            Command::new(HELPER)
                .args(["hold", path.to_str().unwrap()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        )
        .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "holding");
        Holder(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

#[test]
fn clear_reports_a_locked_file_removes_everything_else_and_restores_services() {
    let _machine = serial();
    let locked = sd().join("Download").join("locked.bin");
    fs::create_dir_all(locked.parent().unwrap()).unwrap();
    let holder = Holder::hold(&locked);

    let out = wufix(&["reset", "--yes", "--json", "--method", "clear"]);
    drop(holder);

    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    let clear = steps(&report, "clear-folder")
        .into_iter()
        .find(|s| s["target"] == sd().display().to_string())
        .unwrap()
        .clone();
    assert_eq!(clear["outcome"], "failed");
    let errors = clear["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["path"].as_str().unwrap().ends_with("locked.bin"));
    assert_eq!(errors[0]["code"], 32, "a sharing violation");
    // The Restart Manager is asked who holds it; Wine's is a stub that names nobody, so the plain
    // error stands (real Windows names the process: DEVELOPERS.md).
    assert!(clear["holders"].is_null(), "{clear:#}");
    assert!(
        !clear["detail"].as_str().unwrap().contains("held by"),
        "{clear:#}"
    );
    let left: Vec<String> = tree(&sd()).into_keys().collect();
    assert_eq!(left, ["Download", "Download/locked.bin"]);
    assert!(tree(&catroot2()).is_empty());
    assert_all_running();
}

#[test]
fn a_missing_service_is_reported_and_skipped() {
    let _machine = serial();
    ctl("stop", "msiserver");
    let deleted = helper_sc(&["delete", "msiserver"]);
    // Put msiserver back as Wine registers it, whatever the assertions below say.
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            helper_sc(&[
                "create",
                "msiserver",
                "binPath=",
                r"C:\windows\system32\msiexec.exe /V",
                "type=",
                "share",
                "start=",
                "demand",
            ]);
            windows_key_security("msiserver");
        }
    }
    let _restore = Restore;
    assert!(deleted, "sc delete msiserver");

    let out = wufix(&["reset", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["ok"], true);
    let msi = steps(&report, "stop-service")
        .into_iter()
        .find(|s| s["target"] == "msiserver")
        .unwrap()
        .clone();
    assert_eq!(msi["outcome"], "skipped");
    assert!(msi["detail"].as_str().unwrap().contains("not installed"));
    let before = report["services"]["before"].as_array().unwrap();
    assert!(
        before
            .iter()
            .any(|s| s["name"] == "msiserver" && s["exists"] == false)
    );
    assert!(!sd().exists());
}

#[test]
fn a_disabled_service_stays_disabled_and_stopped() {
    let _machine = serial();
    ctl("stop", "wuauserv");
    ctl("disable", "wuauserv");

    let out = wufix(&["reset", "--yes", "--json"]);
    let state = query("wuauserv");
    ctl("demand", "wuauserv");

    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        (state.0.as_str(), state.1.as_str()),
        ("Stopped", "Disabled")
    );
    let report = json(&out);
    assert_eq!(outcome_of(&report, "stop-service", "wuauserv"), "skipped");
    assert!(
        steps(&report, "start-service")
            .iter()
            .all(|s| s["target"] != "wuauserv")
    );
    let before = report["services"]["before"].as_array().unwrap();
    assert!(
        before
            .iter()
            .any(|s| s["name"] == "wuauserv" && s["start_type"] == "disabled")
    );
}

#[test]
fn repeated_resets_make_distinct_backups_and_keep_prunes_only_wufix_ones() {
    let _machine = serial();
    let users_own = windows().join("SoftwareDistribution.bak");
    fs::create_dir_all(&users_own).unwrap();
    fs::write(users_own.join("mine.txt"), "mine").unwrap();

    let first = json(&wufix(&["reset", "--yes", "--json", "--keep", "1"]));
    populate(&sd(), 5);
    populate(&catroot2(), 5);
    let second = json(&wufix(&["reset", "--yes", "--json", "--keep", "1"]));
    assert_eq!(
        (first["ok"].clone(), second["ok"].clone()),
        (true.into(), true.into())
    );

    let created = |r: &serde_json::Value| -> Vec<String> {
        r["backups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["event"] == "created")
            .map(|b| b["path"].as_str().unwrap().to_string())
            .collect()
    };
    let (first_made, second_made) = (created(&first), created(&second));
    assert_eq!(first_made.len(), 2);
    assert!(
        first_made.iter().all(|p| !second_made.contains(p)),
        "{first_made:?} vs {second_made:?}"
    );

    let sd_left = backups_of(&windows(), "SoftwareDistribution");
    let cat_left = backups_of(&system32(), "catroot2");
    assert_eq!(sd_left.len(), 1);
    assert_eq!(cat_left.len(), 1);
    assert!(second_made.iter().any(|p| p.ends_with(&sd_left[0])));
    assert_eq!(
        fs::read_to_string(users_own.join("mine.txt")).unwrap(),
        "mine"
    );
    fs::remove_dir_all(&users_own).unwrap();
}

#[test]
fn without_yes_and_a_terminal_it_refuses_and_touches_nothing() {
    let _machine = serial();
    let disk = (tree(&sd()), tree(&catroot2()));
    let services: Vec<_> = SERVICES.iter().map(|s| query(s)).collect();

    let out = wufix(&["reset"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"));
    assert_eq!((tree(&sd()), tree(&catroot2())), disk);
    assert_eq!(
        SERVICES.iter().map(|s| query(s)).collect::<Vec<_>>(),
        services
    );
}

#[test]
fn status_reports_services_folders_and_backups() {
    let _machine = serial();
    ctl("stop", "bits");
    let out = wufix(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let service = |name: &str| {
        report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(service("bits")["state"], "stopped");
    assert_eq!(service("cryptsvc")["state"], "running");
    assert_eq!(service("cryptsvc")["pid"], query("cryptsvc").2);
    assert_eq!(service("usosvc")["exists"], false);
    assert_eq!(report["folders"][0]["size"]["files"], 40);
    assert_eq!(report["folders"][1]["size"]["files"], 10);
}

#[test]
fn reboot_after_a_successful_reset_takes_the_privilege_and_asks_windows_to_restart() {
    let _machine = serial();
    // Wine's InitiateSystemShutdownExW is a stub that returns success without restarting: this
    // proves the privilege adjustment and the call succeed, not that a machine restarts.
    let out = wufix(&["reset", "--yes", "--json", "--reboot", "--only", "catroot2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(
        outcome_of(&report, "restart-windows", "this computer"),
        "done"
    );
    assert_eq!(query("cryptsvc").0, "Running");
}

#[test]
fn a_guard_started_again_during_the_reset_is_stopped_again_before_its_folder() {
    let _machine = serial();
    // dosvc guards SoftwareDistribution; this one starts itself again 300 ms after it stops,
    // while cryptsvc's slow stop keeps the stop phase going for 2 s.
    let _dosvc = ExtraService::register("dosvc");
    set_on_stop("dosvc", "obey");
    ctl("start", "dosvc");
    set_on_stop("dosvc", "revive");
    set_on_stop("cryptsvc", "delay 2");
    let before = tree(&sd());

    let out = wufix(&["reset", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let dosvc_stops: Vec<&serde_json::Value> = steps(&report, "stop-service")
        .into_iter()
        .filter(|s| s["target"] == "dosvc")
        .collect();
    assert_eq!(dosvc_stops.len(), 2, "{report:#}");
    assert_eq!(dosvc_stops[1]["outcome"], "done");
    assert!(
        dosvc_stops[1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("started again since (by a trigger or another service); stopped again")
    );
    let backup = backups_of(&windows(), "SoftwareDistribution");
    assert_eq!(tree(&windows().join(&backup[0])), before);
    assert_eq!(
        query("dosvc").0,
        "Running",
        "dosvc ran before the reset, so it runs after"
    );
}

#[test]
fn a_second_reset_while_one_runs_changes_nothing() {
    let _machine = serial();
    // The first reset spends 3 s stopping cryptsvc; the second one starts meanwhile.
    set_on_stop("cryptsvc", "delay 3");
    let first = spawn(
        Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args(["reset", "--yes", "--json", "--only", "catroot2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .unwrap();
    // With --json it prints nothing until it ends: cryptsvc going stop-pending shows it holds the
    // lock and is stopping, and that is when the second one goes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while query("cryptsvc").0 != "StopPending" {
        assert!(
            Instant::now() < deadline,
            "the first reset never began to stop cryptsvc"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let before_sd = tree(&sd());
    let second = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "software-distribution",
    ]);
    let first = first.wait_with_output().unwrap();
    assert!(first.stderr.is_empty(), "{}", text(&first));

    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    assert!(
        text(&second).contains("another wufix reset is running"),
        "{}",
        text(&second)
    );
    assert_eq!(json(&second)["ok"], false);
    assert_eq!(
        tree(&sd()),
        before_sd,
        "the second reset must not touch anything"
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(!catroot2().exists());
    // The first reset waited out cryptsvc's 3 s of stop-pending checkpoints, well inside 60 s.
    let first = json(&first);
    let crypt = steps(&first, "stop-service")
        .into_iter()
        .find(|s| s["target"] == "cryptsvc")
        .unwrap()
        .clone();
    assert_eq!(crypt["outcome"], "done");
    let took: f64 = crypt["detail"]
        .as_str()
        .unwrap()
        .trim_start_matches("stopped in ")
        .trim_end_matches(" s")
        .parse()
        .unwrap();
    assert!((2.5..10.0).contains(&took), "{crypt}");
    // The lock went with the first process: a third reset is free to run.
    assert_eq!(
        wufix(&["reset", "--yes", "--dry-run"]).status.code(),
        Some(0)
    );
    assert_eq!(
        wufix(&["reset", "--yes", "--only", "software-distribution"])
            .status
            .code(),
        Some(0)
    );
}

/// `--exit-codes msi` as an Intune Win32 app or ConfigMgr reads it, through the real process
/// exit code (Windows carries all 32 bits): a reset that wants a restart is 3010, nobody to ask
/// is 1639; the report keeps wufix's own code beside the mapped one.
#[test]
fn installer_exit_codes_reach_the_host_whole() {
    let _machine = serial();
    fs::create_dir_all(catroot2()).unwrap();
    populate(&catroot2(), 2);
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "catroot2",
        "--exit-codes",
        "msi",
    ]);
    assert_eq!(out.status.code(), Some(3010), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["exit_code"], 0, "{report:#}");
    assert_eq!(report["exit_code_mapped"], 3010);
    assert_eq!(report["reboot_recommended"], true);
    let out = wufix(&["reset", "--only", "catroot2", "--exit-codes", "msi"]);
    assert_eq!(out.status.code(), Some(1639), "{}", text(&out));
    assert!(out.stderr.is_empty(), "a summary line only: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1639 for the installer host"),
        "{}",
        text(&out)
    );
    let (state, _, _) = query("cryptsvc");
    assert_eq!(state, "Running");
}

/// `wufix install` puts this very exe into `%ProgramData%\wufix\bin` once wufix holds (and has
/// protected) its folder: a file already there is replaced whole, never written through; a
/// second install is the same.
#[test]
fn install_copies_this_exe_into_the_protected_bin_folder() {
    let _machine = serial();
    let bin = Path::new(r"C:\ProgramData\wufix\bin");
    fs::create_dir_all(bin).unwrap();
    let installed = bin.join("wufix.exe");
    fs::write(&installed, b"planted").unwrap();
    let exe = fs::read(env!("CARGO_BIN_EXE_wufix")).unwrap();
    for _ in 0..2 {
        let out = wufix(&["install", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let report = json(&out);
        let step = &steps(&report, "install")[0];
        assert_eq!(step["outcome"], "done", "{report:#}");
        assert!(
            step["target"]
                .as_str()
                .unwrap()
                .ends_with(r"wufix\bin\wufix.exe"),
            "{report:#}"
        );
        assert!(
            fs::read(&installed).unwrap() == exe,
            "the exe itself, whole"
        );
    }
    let leftovers: Vec<String> = fs::read_dir(bin)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The installed copy asked to install itself: it is in place already (Windows would refuse to
/// replace a running exe), said as skipped, exit 0.
#[test]
fn the_installed_copy_installing_itself_is_in_place_already() {
    let _machine = serial();
    let out = wufix(&["install", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let installed = r"C:\ProgramData\wufix\bin\wufix.exe";
    let out = common::output(
        Command::new(installed)
            .args(["install", "--json"])
            .stdin(Stdio::null()),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(
        steps(&report, "install")[0]["outcome"],
        "skipped",
        "{report:#}"
    );
}
