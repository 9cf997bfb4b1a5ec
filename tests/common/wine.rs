//! Helpers of the Wine suites: the machine's services and folders, driven independently of
//! wufix through the test helper (`C:\wufix-test\testsvc.exe`, see tools/testsvc).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use super::{output, populate, steps, text};

pub const HELPER: &str = r"C:\wufix-test\testsvc.exe";
pub const SERVICES: [&str; 4] = ["wuauserv", "bits", "cryptsvc", "msiserver"];
/// Where wufix keeps its journals on the running (Wine) Windows.
pub const JOURNAL: &str = r"C:\ProgramData\wufix\journal";

pub fn windows() -> PathBuf {
    PathBuf::from(r"C:\windows")
}
pub fn sd() -> PathBuf {
    windows().join("SoftwareDistribution")
}
pub fn system32() -> PathBuf {
    windows().join("system32")
}
pub fn catroot2() -> PathBuf {
    system32().join("catroot2")
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Exclusive use of the machine, reset to the baseline: the four services running on demand,
/// cryptsvc obeying STOP, both folders freshly populated, no backups anywhere.
pub fn serial() -> MutexGuard<'static, ()> {
    // These suites delete pending.xml and the update folders and copy stand-ins over System32's
    // programs: on a real Windows (a CI runner) they would break it. Wine, or nothing.
    assert!(
        wufix::sys::windows::under_wine(),
        "a Wine-only suite: it rewrites System32 and the update folders, so it refuses to run on a real Windows"
    );
    let guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    set_on_stop("cryptsvc", "obey");
    // Journals of earlier tests (an interrupted one above all) must not steer this one.
    let _ = fs::remove_dir_all(JOURNAL);
    let _ = fs::remove_file(r"C:\wufix-test\cryptsvc.onstart");
    let _ = fs::remove_file(r"C:\windows\winsxs\pending.xml");
    if query("TrustedInstaller").0 != "Stopped" {
        ctl("stop", "TrustedInstaller");
    }
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

pub fn helper(args: &[&str]) -> std::process::Output {
    output(Command::new(HELPER).args(args).stdin(Stdio::null())).expect("the test helper runs")
}

pub fn ctl(verb: &str, name: &str) {
    let mut out = helper(&["ctl", verb, name]);
    // Starting a service starts a process, which Wine now and then loses at birth (see
    // `common::output`): the baseline gets one more try.
    if verb == "start" && !out.status.success() {
        eprintln!("ctl start {name} failed ({}); trying again", text(&out));
        std::thread::sleep(std::time::Duration::from_millis(500));
        out = helper(&["ctl", verb, name]);
    }
    assert!(out.status.success(), "ctl {verb} {name}: {}", text(&out));
}

/// `(state, start type, pid)` as the service manager reports it, independently of wufix.
pub fn query(name: &str) -> (String, String, u32) {
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

pub fn set_on_stop(service: &str, behaviour: &str) {
    fs::write(format!(r"C:\wufix-test\{service}.onstop"), behaviour).unwrap();
}

pub fn backups_of(dir: &Path, stem: &str) -> Vec<String> {
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

pub fn assert_all_running() {
    for name in SERVICES {
        assert_eq!(query(name).0, "Running", "{name} should be running again");
    }
}

pub fn outcome_of<'a>(
    report: &'a serde_json::Value,
    action: &str,
    target: &str,
) -> &'a serde_json::Value {
    let found = steps(report, action)
        .into_iter()
        .find(|s| s["target"].as_str().unwrap().eq_ignore_ascii_case(target));
    &found.unwrap_or_else(|| panic!("no {action} step for {target} in {report:#}"))["outcome"]
}

pub fn reg(args: &[&str]) {
    let out = output(Command::new("reg").args(args).stdin(Stdio::null())).expect("reg runs");
    assert!(out.status.success(), "reg {args:?}: {}", text(&out));
}

pub fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {report:#}"))
}

/// The finding about one service: every service finding has the id `service`, the name a field.
pub fn service_finding<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "service" && f["service"] == name)
        .unwrap_or_else(|| panic!("no finding for service {name} in {report:#}"))
}

pub const CBS_PENDING: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
pub const WU_REQUIRED: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
pub const SESSION_MANAGER: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager";
pub const CONNECTIONS: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";

/// Removes what a diagnose test wrote into the registry, whatever the assertions say.
pub struct RegistryCleanup;

impl Drop for RegistryCleanup {
    fn drop(&mut self) {
        for key in [CBS_PENDING, WU_REQUIRED] {
            reg_delete(key);
        }
        for (key, value) in [
            (SESSION_MANAGER, "PendingFileRenameOperations"),
            (CONNECTIONS, "WinHttpSettings"),
        ] {
            let _ = output(
                Command::new("reg")
                    .args(["delete", key, "/v", value, "/f"])
                    .stdin(Stdio::null()),
            );
        }
    }
}

/// Delete a registry key, whether or not it exists.
pub fn reg_delete(key: &str) {
    let _ = output(
        Command::new("reg")
            .args(["delete", key, "/f"])
            .stdin(Stdio::null()),
    );
}

pub fn helper_sc(args: &[&str]) -> bool {
    output(Command::new("sc").args(args).stdin(Stdio::null()))
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Windows' own descriptor of a service key. Wine gives a key it creates none for SYSTEM, which
/// wufix would read as a blocker's lock: a key a test creates gets this one (as
/// `scripts/wine-prefix.sh` gives the prefix's).
pub const SERVICE_KEY_SD: &str = "O:SYD:AI(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)";

/// Give the service `name`'s key Windows' own descriptor.
pub fn windows_key_security(name: &str) {
    let key = format!(r"SYSTEM\CurrentControlSet\Services\{name}");
    let out = helper(&["regsd", &key, SERVICE_KEY_SD]);
    assert!(out.status.success(), "regsd {key}: {}", text(&out));
}

/// A test service registered under a real Windows service name Wine lacks; removed on drop.
pub struct ExtraService(&'static str);

impl ExtraService {
    pub fn register(name: &'static str) -> ExtraService {
        let bin = format!(r"C:\wufix-test\testsvc.exe run {name}");
        assert!(
            helper_sc(&[
                "create", name, "binPath=", &bin, "type=", "own", "start=", "demand"
            ]),
            "sc create {name}"
        );
        windows_key_security(name);
        ExtraService(name)
    }
}

impl Drop for ExtraService {
    fn drop(&mut self) {
        set_on_stop(self.0, "obey");
        let _ = helper(&["ctl", "stop", self.0]);
        helper_sc(&["delete", self.0]);
    }
}
