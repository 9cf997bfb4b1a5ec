//! The real wufix.exe against a real Win32 service manager and file system, under Wine.
//! Built only for Windows; `scripts/test.sh` runs it after `scripts/wine-prefix.sh up`, which
//! registers the test service as `cryptsvc` and puts the helper at `C:\wufix-test\testsvc.exe`.
//!
//! Every test takes `serial()` first: the services and folders are the machine's, shared by all.
#![cfg(windows)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{json, populate, steps, text, tree, wufix};

const HELPER: &str = r"C:\wufix-test\testsvc.exe";
const SERVICES: [&str; 4] = ["wuauserv", "bits", "cryptsvc", "msiserver"];

fn windows() -> PathBuf {
    PathBuf::from(r"C:\windows")
}
fn sd() -> PathBuf {
    windows().join("SoftwareDistribution")
}
fn system32() -> PathBuf {
    windows().join("system32")
}
fn catroot2() -> PathBuf {
    system32().join("catroot2")
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Exclusive use of the machine, reset to the baseline: the four services running on demand,
/// cryptsvc obeying STOP, both folders freshly populated, no backups anywhere.
fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    set_on_stop("cryptsvc", "obey");
    for name in SERVICES {
        ctl("demand", name);
        ctl("start", name);
    }
    for dir in [windows(), system32()] {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if name.starts_with("softwaredistribution") || name.starts_with("catroot2") {
                fs::remove_dir_all(entry.path()).unwrap();
            }
        }
    }
    populate(&sd(), 40);
    populate(&catroot2(), 10);
    guard
}

fn helper(args: &[&str]) -> std::process::Output {
    Command::new(HELPER)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the test helper runs")
}

fn ctl(verb: &str, name: &str) {
    let out = helper(&["ctl", verb, name]);
    assert!(out.status.success(), "ctl {verb} {name}: {}", text(&out));
}

/// `(state, start type, pid)` as the service manager reports it, independently of wufix.
fn query(name: &str) -> (String, String, u32) {
    let out = helper(&["ctl", "query", name]);
    assert!(out.status.success(), "ctl query {name}: {}", text(&out));
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let parts: Vec<&str> = line.split_whitespace().collect();
    (
        parts[0].to_string(),
        parts[1].to_string(),
        parts[2].parse().unwrap(),
    )
}

fn set_on_stop(service: &str, behaviour: &str) {
    fs::write(format!(r"C:\wufix-test\{service}.onstop"), behaviour).unwrap();
}

fn backups_of(dir: &Path, stem: &str) -> Vec<String> {
    let prefix = format!("{}.wufix-", stem.to_ascii_lowercase());
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().starts_with(&prefix))
        .collect();
    names.sort();
    names
}

fn assert_all_running() {
    for name in SERVICES {
        assert_eq!(query(name).0, "Running", "{name} should be running again");
    }
}

fn outcome_of<'a>(
    report: &'a serde_json::Value,
    action: &str,
    target: &str,
) -> &'a serde_json::Value {
    let found = steps(report, action)
        .into_iter()
        .find(|s| s["target"].as_str().unwrap().eq_ignore_ascii_case(target));
    &found.unwrap_or_else(|| panic!("no {action} step for {target} in {report:#}"))["outcome"]
}

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
    let out = wufix(&["reset", "--yes", "--json", "--timeout", "5"]);
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
    for name in ["wuauserv", "bits", "msiserver"] {
        assert_eq!(query(name).0, "Running", "{name} should be running again");
    }
}

/// A process holding a file open with no sharing at all, until dropped.
struct Holder(Child);

impl Holder {
    fn hold(path: &Path) -> Holder {
        let mut child = Command::new(HELPER)
            .args(["hold", path.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
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

fn helper_sc(args: &[&str]) -> bool {
    Command::new("sc")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
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
    assert_eq!(report["folders"][0]["files"], 40);
    assert_eq!(report["folders"][1]["files"], 10);
}

fn reg(args: &[&str]) {
    let out = Command::new("reg")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("reg runs");
    assert!(out.status.success(), "reg {args:?}: {}", text(&out));
}

fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {report:#}"))
}

const CBS_PENDING: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
const WU_REQUIRED: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
const SESSION_MANAGER: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager";
const CONNECTIONS: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";

/// Removes what a diagnose test wrote into the registry, whatever the assertions say.
struct RegistryCleanup;

impl Drop for RegistryCleanup {
    fn drop(&mut self) {
        for key in [CBS_PENDING, WU_REQUIRED] {
            let _ = Command::new("reg")
                .args(["delete", key, "/f"])
                .stdin(Stdio::null())
                .output();
        }
        for (key, value) in [
            (SESSION_MANAGER, "PendingFileRenameOperations"),
            (CONNECTIONS, "WinHttpSettings"),
        ] {
            let _ = Command::new("reg")
                .args(["delete", key, "/v", value, "/f"])
                .stdin(Stdio::null())
                .output();
        }
    }
}

#[test]
fn diagnose_on_a_clean_prefix_needs_nothing_and_exits_0() {
    let _machine = serial();
    // Whatever an earlier run left in the registry goes first.
    drop(RegistryCleanup);
    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    let report = json(&out);
    // The prefix's C: is the test machine's disk: only a nearly full one may need remediation.
    let low_disk = finding(&report, "free-space")["severity"] == "warn";
    assert_eq!(report["needs_remediation"], low_disk, "{report:#}");
    assert_eq!(
        out.status.code(),
        Some(if low_disk { 1 } else { 0 }),
        "{}",
        text(&out)
    );
    assert_eq!(finding(&report, "pending-reboot")["severity"], "ok");
    assert_eq!(finding(&report, "service-wuauserv")["severity"], "ok");
    // Wine keeps no Windows Update event log: said, not hidden.
    let events = finding(&report, "update-failures");
    assert_eq!(events["severity"], "info");
    assert!(
        events["summary"]
            .as_str()
            .unwrap()
            .starts_with("unavailable")
    );
}

#[test]
fn diagnose_reports_every_pending_restart_flag_and_exits_1() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    reg(&["add", CBS_PENDING, "/f"]);
    reg(&["add", WU_REQUIRED, "/f"]);
    reg(&[
        "add",
        SESSION_MANAGER,
        "/v",
        "PendingFileRenameOperations",
        "/t",
        "REG_MULTI_SZ",
        "/d",
        r"\??\C:\windows\temp\old.dll",
        "/f",
    ]);

    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["needs_remediation"], true);
    let pending = finding(&report, "pending-reboot");
    assert_eq!(pending["severity"], "warn");
    let evidence = pending["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("RebootPending") && evidence.contains("RebootRequired"),
        "{evidence}"
    );
    assert!(
        evidence.contains("PendingFileRenameOperations"),
        "{evidence}"
    );
    assert!(pending["remedy"].as_str().unwrap().contains("Restart"));
}

#[test]
fn diagnose_names_a_disabled_wuauserv_as_an_error_with_its_fix() {
    let _machine = serial();
    ctl("stop", "wuauserv");
    ctl("disable", "wuauserv");
    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    ctl("demand", "wuauserv");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    let wuauserv = finding(&report, "service-wuauserv");
    assert_eq!(wuauserv["severity"], "error");
    assert!(wuauserv["summary"].as_str().unwrap().contains("0x80070422"));
    assert!(
        wuauserv["remedy"]
            .as_str()
            .unwrap()
            .contains("sc config wuauserv start= demand")
    );
}

#[test]
fn diagnose_counts_software_distribution_exactly() {
    let _machine = serial();
    let expected_bytes: usize = (0..40).map(|i| format!("contents of file {i}").len()).sum();
    let report = json(&wufix(&["diagnose", "--json"]));
    let sd = finding(&report, "folder-software-distribution");
    let evidence = sd["evidence"].as_str().unwrap();
    assert!(
        evidence.ends_with(&format!(": 40 files, {expected_bytes} bytes")),
        "{evidence}"
    );
    let cat = finding(&report, "folder-catroot2");
    assert!(
        cat["evidence"].as_str().unwrap().contains(": 10 files, "),
        "{cat}"
    );
}

#[test]
fn diagnose_reads_the_winhttp_proxy_from_the_registry() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    // version 0x28, counter 1, flags 3 (proxy), "proxy.corp:8080", bypass "<local>".
    let mut blob = String::new();
    for n in [0x28u32, 1, 3, 15] {
        blob.push_str(
            &n.to_le_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    blob.push_str(
        &"proxy.corp:8080"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    blob.push_str("07000000");
    blob.push_str(
        &"<local>"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    reg(&[
        "add",
        CONNECTIONS,
        "/v",
        "WinHttpSettings",
        "/t",
        "REG_BINARY",
        "/d",
        &blob,
        "/f",
    ]);

    let report = json(&wufix(&["diagnose", "--json"]));
    let proxy = finding(&report, "winhttp-proxy");
    assert_eq!(
        proxy["summary"],
        "WinHTTP proxy: proxy.corp:8080 (bypass: <local>)"
    );
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
