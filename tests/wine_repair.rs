//! `wufix repair` under Wine with the real exe: what Wine has for real. The BITS queue set aside
//! and put back; service permissions read, compared, written and put back through the real
//! advapi32 calls; the WSUS identity reset only where WSUS is set; the WinHTTP proxy blob saved
//! and restored byte for byte; regsvr32 and netsh run by absolute path; DISM and sfc stand-ins in
//! System32 (the test helper, see tools/testsvc) for progress, output and exit codes; and the
//! Windows Update Agent's scan through COM. Windows build only.
#![cfg(windows)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::wine::*;
use common::{json, output, text, wufix};

const DOWNLOADER: &str = r"C:\ProgramData\Microsoft\Network\Downloader";
const NETWORK: &str = r"C:\ProgramData\Microsoft\Network";
const WU_CLIENT: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate";
const WU_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate";
const ENROLLMENT: &str =
    r"HKLM\SOFTWARE\Microsoft\Enrollments\{0B7A6E4B-7B2C-4F5C-9E7C-000000000001}";
/// A WinHTTP setting with the proxy `proxy.test:8080` and no bypass list.
const PROXY_BLOB: &str = "1800000007000000030000000f00000070726f78792e746573743a3830383000000000";

/// Every step of every rung.
fn all_steps(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["rungs"]
        .as_array()
        .unwrap_or_else(|| panic!("no rungs in {report:#}"))
        .iter()
        .flat_map(|r| r["steps"].as_array().unwrap())
        .collect()
}

fn step<'a>(report: &'a serde_json::Value, action: &str, target: &str) -> &'a serde_json::Value {
    all_steps(report)
        .into_iter()
        .find(|s| {
            s["action"] == action && s["target"].as_str().unwrap().eq_ignore_ascii_case(target)
        })
        .unwrap_or_else(|| panic!("no {action} step for {target} in {report:#}"))
}

fn reg_value(key: &str, name: &str) -> Option<String> {
    let out = output(
        Command::new("reg")
            .args(["query", key, "/v", name])
            .stdin(Stdio::null()),
    )
    .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `reg add KEY /v NAME /t KIND /d DATA /f`, which must succeed.
fn reg_set(key: &str, name: &str, kind: &str, data: &str) {
    reg(&["add", key, "/v", name, "/t", kind, "/d", data, "/f"]);
}

fn remove_value(key: &str, name: &str) {
    let _ = output(
        Command::new("reg")
            .args(["delete", key, "/v", name, "/f"])
            .stdin(Stdio::null()),
    );
}

/// Removes what these tests wrote into the registry and the prefix, whatever the assertions say.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        remove_value(WU_POLICY, "WUServer");
        remove_value(WU_CLIENT, "SusClientId");
        remove_value(WU_CLIENT, "SusClientIDValidation");
        remove_value(CONNECTIONS, "WinHttpSettings");
        reg_delete(ENROLLMENT);
        for path in &self.0 {
            if let Some(name) = path.file_name() {
                remove_value(OVERRIDES, &name.to_string_lossy());
            }
            // A stand-in's place: Wine's own program comes back from its copy.
            let saved = path.with_extension("wine");
            if saved.exists() {
                let _ = fs::rename(&saved, path);
            } else {
                let _ = fs::remove_file(path);
            }
        }
        let _ = fs::remove_dir_all(NETWORK);
    }
}

/// The BITS queue as Windows 10 keeps it.
fn populate_queue() {
    fs::create_dir_all(DOWNLOADER).unwrap();
    for (name, body) in [
        ("qmgr.db", "queue"),
        ("qmgr.jfm", "jfm"),
        ("edb.log", "log"),
    ] {
        fs::write(Path::new(DOWNLOADER).join(name), body).unwrap();
    }
}

#[test]
fn the_light_rung_sets_the_bits_queue_aside_scans_through_com_and_undo_puts_it_back() {
    let _machine = serial();
    let _cleanup = Cleanup(Vec::new());
    populate_queue();
    let sd_before = common::digest(&sd());
    let catroot2_before = common::digest(&catroot2());
    let out = wufix(&[
        "repair", "--from", "light", "--up-to", "light", "--yes", "--json",
    ]);
    let report = json(&out);
    assert_eq!(report["command"], "repair", "{report:#}");
    // Wine's update agent implements no search: the scan really ran and failed with E_NOTIMPL.
    let scan = &report["rungs"][0]["scan"];
    assert_eq!(scan["code"], "0x80004001", "{report:#}");
    assert_eq!(scan["hresult"], 0x8000_4001u32 as i32, "{report:#}");
    assert_eq!(scan["succeeded"], false);
    assert_eq!(out.status.code(), Some(1), "not fixed: {}", text(&out));
    assert_eq!(report["fixed_by"], serde_json::Value::Null);
    assert!(
        report["next_step"]
            .as_str()
            .unwrap()
            .contains("--from deep"),
        "{report:#}"
    );
    // The queue went aside whole, with its logs, beside its place.
    assert!(!Path::new(DOWNLOADER).join("qmgr.db").exists());
    let aside = backups_of(Path::new(NETWORK), "Downloader");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        fs::read_to_string(Path::new(NETWORK).join(&aside[0]).join("qmgr.db")).unwrap(),
        "queue"
    );
    assert_eq!(backups_of(&windows(), "SoftwareDistribution").len(), 1);
    assert_eq!(backups_of(&system32(), "catroot2").len(), 1);
    assert_all_running();

    let out = wufix(&["undo", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        fs::read_to_string(Path::new(DOWNLOADER).join("qmgr.db")).unwrap(),
        "queue"
    );
    assert_eq!(
        fs::read_to_string(Path::new(DOWNLOADER).join("edb.log")).unwrap(),
        "log"
    );
    assert_eq!(
        common::digest(&sd()),
        sd_before,
        "the cache is back, file for file"
    );
    assert_eq!(common::digest(&catroot2()), catroot2_before);
    assert_all_running();
}

#[test]
fn the_full_rung_writes_permissions_the_wsus_identity_and_the_proxy_and_undo_puts_each_back() {
    let _machine = serial();
    let _cleanup = Cleanup(Vec::new());
    reg_set(WU_POLICY, "WUServer", "REG_SZ", "http://wsus.test:8530");
    reg_set(WU_CLIENT, "SusClientId", "REG_SZ", "4f1e-test");
    reg_set(WU_CLIENT, "SusClientIDValidation", "REG_BINARY", "0602");
    reg_set(CONNECTIONS, "WinHttpSettings", "REG_BINARY", PROXY_BLOB);
    reg_set(ENROLLMENT, "ProviderID", "REG_SZ", "MS DM Server");
    let before_sd = common::digest(&sd());

    let out = wufix(&[
        "repair",
        "--from",
        "full",
        "--network",
        "--no-verify",
        "--yes",
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["rungs"].as_array().unwrap().len(), 1);
    // Wine keeps no service security: every DACL reads as empty, so the published defaults
    // are written (bits, wuauserv); CryptSvc and TrustedInstaller have none and are left alone.
    for service in ["bits", "wuauserv"] {
        let s = step(&report, "service-permissions", service);
        assert_eq!(s["outcome"], "done", "{s:#}");
        assert!(s["detail"].as_str().unwrap().contains("(was D:;"), "{s:#}");
    }
    for service in ["cryptsvc", "TrustedInstaller"] {
        assert_eq!(
            step(&report, "service-permissions", service)["outcome"],
            "skipped"
        );
    }
    // The WSUS identity went; the policy that names the server stayed.
    assert_eq!(
        step(&report, "wsus-identity", &format!(r"{WU_CLIENT}"))["outcome"],
        "done"
    );
    assert!(reg_value(WU_CLIENT, "SusClientId").is_none());
    assert!(reg_value(WU_CLIENT, "SusClientIDValidation").is_none());
    assert!(
        reg_value(WU_POLICY, "WUServer")
            .unwrap()
            .contains("wsus.test")
    );
    // The proxy is direct now; Winsock went through netsh by absolute path.
    let proxy = reg_value(CONNECTIONS, "WinHttpSettings")
        .unwrap()
        .to_ascii_lowercase();
    assert!(!proxy.contains("70726f7879"), "the proxy is gone: {proxy}");
    assert!(
        proxy.contains("180000000800000001000000"),
        "direct, counter advanced: {proxy}"
    );
    let winsock = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "winsock-reset")
        .unwrap();
    assert_eq!(winsock["outcome"], "done", "{winsock:#}");
    assert!(
        winsock["target"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(r"C:\windows\System32\netsh.exe")
    );
    assert_eq!(winsock["reversible"], false);
    let dlls = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "register-dlls")
        .unwrap();
    // Wine's prefix says Windows 7 (build 7601): the re-registration runs, as it should there.
    assert_eq!(dlls["outcome"], "done", "{dlls:#}");
    // The organisation's controls were seen and named.
    assert_eq!(report["managed"]["wsus"], "http://wsus.test:8530");
    assert_eq!(report["managed"]["mdm"], "MS DM Server");
    // No folder rung ran.
    assert_eq!(common::digest(&sd()), before_sd);
    assert_all_running();

    let out = wufix(&["undo", "--yes", "--json"]);
    let undo = json(&out);
    assert_eq!(out.status.code(), Some(0), "{undo:#}");
    let restored: Vec<&serde_json::Value> = undo["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "restore-setting")
        .collect();
    assert_eq!(
        restored.len(),
        5,
        "two DACLs, two WSUS values, the proxy: {undo:#}"
    );
    for s in &restored {
        let target = s["target"].as_str().unwrap();
        if target == "bits" || target == "wuauserv" {
            // Wine stored nothing, so the DACL reads as it did before the repair: the real read
            // is compared with the journal and nothing is written.
            assert_eq!(s["outcome"], "skipped", "{s:#}");
            assert!(
                s["detail"].as_str().unwrap().contains("already as it was"),
                "{s:#}"
            );
        } else {
            assert_eq!(s["outcome"], "done", "{s:#}");
        }
    }
    assert!(
        reg_value(WU_CLIENT, "SusClientId")
            .unwrap()
            .contains("4f1e-test")
    );
    assert!(
        reg_value(WU_CLIENT, "SusClientIDValidation")
            .unwrap()
            .to_ascii_lowercase()
            .contains("0602")
    );
    assert!(
        reg_value(CONNECTIONS, "WinHttpSettings")
            .unwrap()
            .to_ascii_lowercase()
            .contains(PROXY_BLOB),
        "the proxy blob is back byte for byte"
    );
    assert_all_running();
}

/// The residue rung alone, unattended, with no scan (and `extra`).
fn residue_rung(extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "repair",
        "--from",
        "residue",
        "--up-to",
        "residue",
        "--no-verify",
        "--yes",
        "--json",
    ];
    args.extend_from_slice(extra);
    wufix(&args)
}

/// A key's owner and DACL as SDDL, read by the test helper.
fn key_sd(key: &str) -> String {
    let out = helper(&["regsdget", key.trim_start_matches(r"HKLM\")]);
    assert!(out.status.success(), "regsdget {key}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Puts a file's bytes back (or removes it, if it was absent), whatever the assertions say.
struct PutFileBack(PathBuf, Option<Vec<u8>>);

impl PutFileBack {
    fn new(path: &Path) -> Self {
        PutFileBack(path.to_path_buf(), fs::read(path).ok())
    }
}

impl Drop for PutFileBack {
    fn drop(&mut self) {
        let _ = match &self.1 {
            Some(bytes) => fs::write(&self.0, bytes),
            None => fs::remove_file(&self.0),
        };
    }
}

/// `TYPE HEX` of a value as the registry holds it (or `absent`), read by the test helper.
fn raw_value(key: &str, name: &str) -> String {
    let key = key.trim_start_matches(r"HKLM\");
    let out = helper(&["regget", key, name]);
    assert!(out.status.success(), "regget {key} {name}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn set_raw_value(key: &str, name: &str, kind: u32, hex: &str) {
    let key = key.trim_start_matches(r"HKLM\");
    let out = helper(&["regset", key, name, &kind.to_string(), hex]);
    assert!(out.status.success(), "regset {key} {name}: {}", text(&out));
}

/// Whatever a value holds, the repair journals it exactly and undo writes back the same type
/// and the same bytes: strings left unterminated or odd-sized, a list holding an empty string,
/// big-endian and 64-bit numbers, types with no name, nothing at all.
#[test]
fn every_kind_of_registry_value_the_repair_removes_comes_back_byte_for_byte() {
    let _machine = serial();
    let _cleanup = Cleanup(Vec::new());
    reg_set(WU_POLICY, "WUServer", "REG_SZ", "http://wsus.test:8530");
    // (type, bytes) for SusClientId and SusClientIDValidation, a pair per run.
    let rounds: [[(u32, &str); 2]; 4] = [
        // REG_EXPAND_SZ unterminated with an odd last byte; REG_MULTI_SZ "a", "", "b".
        [(2, "250078002500"), (7, "610000006200000000000000")],
        // REG_DWORD_BIG_ENDIAN; REG_QWORD.
        [(5, "00000007"), (11, "feffffffffffffff")],
        // REG_NONE with data; an empty REG_SZ.
        [(0, "0909"), (1, "")],
        // REG_LINK; a type Windows does not name.
        [(6, "5c0052006500670069007300740072007900"), (42, "010203")],
    ];
    for pair in rounds {
        for (name, (kind, hex)) in ["SusClientId", "SusClientIDValidation"].iter().zip(pair) {
            set_raw_value(WU_CLIENT, name, kind, hex);
        }
        let out = wufix(&["repair", "--from", "full", "--no-verify", "--yes", "--json"]);
        let report = json(&out);
        assert_eq!(out.status.code(), Some(0), "{report:#}");
        assert_eq!(
            step(&report, "wsus-identity", WU_CLIENT)["outcome"],
            "done",
            "{report:#}"
        );
        for name in ["SusClientId", "SusClientIDValidation"] {
            assert_eq!(raw_value(WU_CLIENT, name), "absent", "{name} removed");
        }
        let out = wufix(&["undo", "--yes", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        for (name, (kind, hex)) in ["SusClientId", "SusClientIDValidation"].iter().zip(pair) {
            assert_eq!(
                raw_value(WU_CLIENT, name),
                format!("{kind} {hex}").trim_end(),
                "{name} back as it was"
            );
        }
    }
    assert_all_running();
}

#[test]
fn the_wsus_identity_stays_where_no_wsus_server_is_set() {
    let _machine = serial();
    let _cleanup = Cleanup(Vec::new());
    reg_set(WU_CLIENT, "SusClientId", "REG_SZ", "keep-me");
    let out = wufix(&["repair", "--from", "full", "--no-verify", "--yes", "--json"]);
    let report = json(&out);
    assert!(
        all_steps(&report)
            .iter()
            .all(|s| s["action"] != "wsus-identity"),
        "{report:#}"
    );
    assert!(
        reg_value(WU_CLIENT, "SusClientId")
            .unwrap()
            .contains("keep-me")
    );
    assert_eq!(report["managed"]["note"], "", "{report:#}");
}

/// Wine runs its own builtin dism.exe over a file in System32 unless its load order says to
/// prefer the file: set for the stand-ins (and removed by `Cleanup`).
const OVERRIDES: &str = r"HKCU\Software\Wine\DllOverrides";

/// Put the test helper in System32 as `name`, keeping Wine's own file to put back.
fn stand_in(name: &str, cleanup: &mut Cleanup) -> PathBuf {
    let path = system32().join(name);
    if path.exists() && !path.with_extension("wine").exists() {
        fs::rename(&path, path.with_extension("wine")).unwrap();
    }
    fs::copy(HELPER, &path).unwrap();
    reg(&[
        "add", OVERRIDES, "/v", name, "/t", "REG_SZ", "/d", "native", "/f",
    ]);
    cleanup.0.push(path.clone());
    path
}

#[test]
fn the_deep_rung_runs_dism_then_sfc_and_reads_their_output_and_exit_codes() {
    let _machine = serial();
    let mut cleanup = Cleanup(Vec::new());
    stand_in("dism.exe", &mut cleanup);
    stand_in("sfc.exe", &mut cleanup);
    let _ = fs::remove_file(r"C:\wufix-test\dism.exit");
    let _ = fs::remove_file(r"C:\wufix-test\sfc.verdict");
    let before_sd = common::digest(&sd());

    let out = wufix(&[
        "repair",
        "--from",
        "deep",
        "--up-to",
        "deep",
        "--no-verify",
        "--yes",
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let dism = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "dism")
        .unwrap();
    assert_eq!(dism["outcome"], "done", "{dism:#}");
    let lines: Vec<&str> = dism["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines.contains(&"The restore operation completed successfully."),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains('%')),
        "progress is shown live, not kept: {lines:?}"
    );
    assert_eq!(
        fs::read_to_string(r"C:\wufix-test\dism.args").unwrap(),
        "/Online\n/Cleanup-Image\n/RestoreHealth"
    );
    let sfc = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "sfc")
        .unwrap();
    assert_eq!(sfc["outcome"], "done", "{sfc:#}");
    assert!(
        sfc["detail"]
            .as_str()
            .unwrap()
            .contains("no integrity violations"),
        "UTF-16 read: {sfc:#}"
    );
    assert_eq!(common::digest(&sd()), before_sd, "deep resets no folder");
    assert_eq!(report["reboot_recommended"], true);

    // A source, a missing-source failure and files sfc cannot fix.
    let media = tempfile::tempdir().unwrap();
    let wim = media.path().join("install.wim");
    fs::write(&wim, b"not really a wim").unwrap();
    fs::write(r"C:\wufix-test\dism.exit", "0x800f081f").unwrap();
    fs::write(r"C:\wufix-test\sfc.verdict", "unable").unwrap();
    let source = format!("{}:3", wim.display());
    let out = wufix(&[
        "repair",
        "--from",
        "deep",
        "--up-to",
        "deep",
        "--source",
        &source,
        "--no-verify",
        "--yes",
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let dism = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "dism")
        .unwrap();
    assert_eq!(dism["outcome"], "failed");
    assert!(
        dism["detail"]
            .as_str()
            .unwrap()
            .contains("0x800F081F CBS_E_SOURCE_MISSING"),
        "{dism:#}"
    );
    let args = fs::read_to_string(r"C:\wufix-test\dism.args").unwrap();
    assert!(
        args.contains(&format!("/Source:WIM:{}:3", wim.display()))
            && args.ends_with("/LimitAccess"),
        "{args}"
    );
    let sfc = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "sfc")
        .unwrap();
    assert_eq!(sfc["outcome"], "failed", "{sfc:#}");
    let _ = fs::remove_file(r"C:\wufix-test\dism.exit");

    // A German sfc that could not repair everything: its words are not English, its [SR] lines
    // in CBS.log are, and they decide. The line an earlier run left does not count.
    fs::write(r"C:\wufix-test\sfc.verdict", "unable-de").unwrap();
    let out = wufix(&[
        "repair",
        "--from",
        "deep",
        "--up-to",
        "deep",
        "--no-verify",
        "--yes",
        "--json",
    ]);
    let report = json(&out);
    let sfc = all_steps(&report)
        .into_iter()
        .find(|s| s["action"] == "sfc")
        .unwrap();
    assert_eq!(sfc["outcome"], "failed", "{sfc:#}");
    assert!(
        sfc["detail"].as_str().unwrap().contains("could not repair"),
        "{sfc:#}"
    );
    let _ = fs::remove_file(r"C:\windows\Logs\CBS\CBS.log");
    let _ = fs::remove_file(r"C:\wufix-test\sfc.verdict");
}

#[test]
fn a_code_that_points_above_the_cap_changes_nothing_and_names_the_command() {
    let _machine = serial();
    let before = common::digest(&sd());
    let out = wufix(&["repair", "--for", "0x800f081f", "--yes", "--json"]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(report["start"]["rung"], "deep");
    assert!(report["rungs"].as_array().unwrap().is_empty());
    assert!(
        report["next_step"]
            .as_str()
            .unwrap()
            .contains("wufix repair --for 0x800F081F --up-to deep")
    );
    assert_eq!(common::digest(&sd()), before);
    assert!(
        !Path::new(JOURNAL).exists() || fs::read_dir(JOURNAL).unwrap().count() == 0,
        "no journal: nothing ran"
    );
    assert_all_running();
}

/// What a blocker leaves, set with `sc` and `reg` as a blocker would: diagnose names it, the
/// residue rung (alone, no scan) puts Windows' own values back through the real registry, and
/// undo writes the blocker's values back exactly.
#[test]
fn the_residue_rung_puts_back_what_a_blocker_left_and_undo_reverses_it() {
    const AU: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU";
    const WUAUSERV: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\wuauserv";
    const BITS: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\BITS";
    const PAUSES: &str = r"HKLM\SOFTWARE\Microsoft\WindowsUpdate\UX\Settings";
    const EXPLORER: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer";
    // A blocker's lock: another account's key, with a deny, SYSTEM left out. (Wine enforces key
    // permissions but grants no take-ownership privilege: a lock that shuts administrators out
    // would lock the prefix for good. That one is the fake's to prove.)
    const LOCKED: &str =
        "O:S-1-5-21-1-2-3-1001D:P(D;CI;KW;;;S-1-5-21-1-2-3-1001)(A;CI;KR;;;BU)(A;CI;KA;;;BA)";
    let _machine = serial();
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            remove_value(WU_POLICY, "WUServer");
            remove_value(AU, "UseWUServer");
            remove_value(AU, "NoAutoUpdate");
            let _ = helper(&["ctl", "demand", "bits"]);
            remove_value(BITS, "FailureActions");
            remove_value(PAUSES, "PauseUpdatesExpiryTime");
            remove_value(EXPLORER, "SettingsPageVisibility");
            let _ = helper(&["regsd", &WUAUSERV[5..], SERVICE_KEY_SD]);
            let _ = output(
                Command::new("reg")
                    .args([
                        "add",
                        WUAUSERV,
                        "/v",
                        "Start",
                        "/t",
                        "REG_DWORD",
                        "/d",
                        "3",
                        "/f",
                    ])
                    .stdin(Stdio::null()),
            );
        }
    }
    let _restore = Restore;
    let hosts = system32().join(r"drivers\etc\hosts");
    let _hosts = PutFileBack::new(&hosts);
    let blocking =
        "127.0.0.1 localhost\r\n0.0.0.0 fe2.update.microsoft.com sls.update.microsoft.com\r\n";
    fs::write(&hosts, blocking).unwrap();
    ctl("stop", "wuauserv");
    // BITS disabled through the service manager (as `sc config` does); wuauserv's value written
    // behind its back (as a .reg file does).
    ctl("stop", "bits");
    ctl("disable", "bits");
    // Every failure action "take no action".
    let emptied = format!("80510100000000000000000003000000140000{}", "0".repeat(50));
    set_raw_value(BITS, "FailureActions", 3, &emptied);
    reg_set(WUAUSERV, "Start", "REG_DWORD", "4");
    reg_set(WU_POLICY, "WUServer", "REG_SZ", " ");
    reg_set(AU, "UseWUServer", "REG_DWORD", "1");
    reg_set(
        PAUSES,
        "PauseUpdatesExpiryTime",
        "REG_SZ",
        "2099-12-31T00:00:00Z",
    );
    reg_set(
        EXPLORER,
        "SettingsPageVisibility",
        "REG_SZ",
        "hide:windowsupdate",
    );
    reg_set(AU, "NoAutoUpdate", "REG_DWORD", "1");

    // The scan task disabled, read through the Task Scheduler's COM interfaces. (Wine's
    // scheduler accepts enabling a task but does not keep it: the change is for the fake to
    // prove, and the task is taken away again before the repair.)
    let task_xml = std::env::temp_dir().join("wufix-task.xml");
    fs::write(
        &task_xml,
        "<?xml version=\"1.0\"?>\r\n<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Settings><Enabled>false</Enabled></Settings><Actions><Exec><Command>cmd.exe</Command></Exec></Actions></Task>",
    )
    .unwrap();
    let task_file = system32().join(r"Tasks\Microsoft\Windows\WindowsUpdate\Scheduled Start");
    // Gone again whatever the assertions say, its folder too (a task missing from a folder that
    // stands would read as deleted in every later test).
    struct NoTask(PathBuf);
    impl Drop for NoTask {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
            let _ = fs::remove_dir(self.0.parent().unwrap());
        }
    }
    let _task = NoTask(task_file.clone());
    let created = output(
        Command::new("schtasks")
            .args(["/create", "/xml"])
            .arg(&task_xml)
            .args(["/tn", r"\Microsoft\Windows\WindowsUpdate\Scheduled Start"])
            .stdin(Stdio::null()),
    )
    .unwrap();
    assert!(created.status.success(), "{}", text(&created));
    let report = json(&wufix(&["diagnose", "--json"]));
    let task = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "update-task-disabled")
        .unwrap_or_else(|| panic!("the disabled task: {report:#}"));
    assert_eq!(task["fixed_by"], "repair", "{task:#}");
    fs::remove_file(&task_file).unwrap();
    // Its folder too: a task gone from a folder that stands is a deletion, said as such.
    let _ = fs::remove_dir(task_file.parent().unwrap());
    let sd = helper(&["regsd", &WUAUSERV[5..], LOCKED]);
    assert!(sd.status.success(), "{}", text(&sd));

    let report = json(&wufix(&["diagnose", "--json"]));
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "residue")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "service-key-locked",
            "failure-actions-emptied",
            "fake-wsus",
            "settings-page-hidden",
            "auto-update-off",
            "pause-far-ahead",
            "hosts-block"
        ],
        "{report:#}"
    );

    let out = residue_rung(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["rungs"].as_array().unwrap().len(), 1, "{report:#}");
    assert!(reg_value(WUAUSERV, "Start").unwrap().contains("0x3"));
    assert_eq!(query("bits").1, "OnDemand", "{report:#}");
    let sd = key_sd(WUAUSERV);
    assert!(
        sd.starts_with("O:BA") && !sd.contains("(D;") && sd.contains("KA;;;SY"),
        "{sd}"
    );
    assert!(reg_value(BITS, "Start").unwrap().contains("0x3"));
    assert_eq!(
        raw_value(BITS, "FailureActions"),
        "3 80510100000000000000000003000000140000000100000060ea000001000000c0d401000000000000000000"
    );
    assert_eq!(
        fs::read_to_string(&hosts).unwrap(),
        "127.0.0.1 localhost\r\n# wufix: 0.0.0.0 fe2.update.microsoft.com sls.update.microsoft.com\r\n"
    );
    assert_eq!(reg_value(WU_POLICY, "WUServer"), None);
    assert_eq!(reg_value(AU, "UseWUServer"), None);
    assert_eq!(reg_value(AU, "NoAutoUpdate"), None);
    assert_eq!(reg_value(PAUSES, "PauseUpdatesExpiryTime"), None);
    assert_eq!(reg_value(EXPLORER, "SettingsPageVisibility"), None);

    let out = wufix(&["undo", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(reg_value(WUAUSERV, "Start").unwrap().contains("0x4"));
    assert_eq!(query("bits").1, "Disabled");
    let sd = key_sd(WUAUSERV);
    assert!(
        sd.starts_with("O:S-1-5-21-1-2-3-1001") && sd.contains("(D;"),
        "{sd}"
    );
    assert_eq!(raw_value(BITS, "FailureActions"), format!("3 {emptied}"));
    assert_eq!(fs::read_to_string(&hosts).unwrap(), blocking);
    assert!(reg_value(WU_POLICY, "WUServer").is_some());
    assert!(reg_value(AU, "NoAutoUpdate").unwrap().contains("0x1"));
    assert!(
        reg_value(PAUSES, "PauseUpdatesExpiryTime")
            .unwrap()
            .contains("2099-12-31")
    );
    assert!(
        reg_value(EXPLORER, "SettingsPageVisibility")
            .unwrap()
            .contains("hide:windowsupdate")
    );
}

/// On a prefix that looks MDM-enrolled, or whose WSUS server is a real-looking one, the blocker-
/// like policies are the organisation's: the residue rung removes none of them, `--force` or
/// not, and says who manages the machine.
#[test]
fn an_organisation_s_policies_are_never_removed_by_the_residue_rung() {
    const AU: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU";
    let _machine = serial();
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            remove_value(WU_POLICY, "WUServer");
            remove_value(WU_POLICY, "DisableWindowsUpdateAccess");
            remove_value(AU, "UseWUServer");
            remove_value(AU, "NoAutoUpdate");
            reg_delete(ENROLLMENT);
        }
    }
    let _restore = Restore;
    let dword = |key: &str, name: &str| reg_set(key, name, "REG_DWORD", "1");
    dword(AU, "NoAutoUpdate");
    dword(WU_POLICY, "DisableWindowsUpdateAccess");
    for (managed_by, setup) in [("mdm", ENROLLMENT), ("wsus", WU_POLICY)] {
        if managed_by == "mdm" {
            reg(&[
                "add",
                setup,
                "/v",
                "ProviderID",
                "/t",
                "REG_SZ",
                "/d",
                "MS DM Server",
                "/f",
            ]);
        } else {
            reg_delete(ENROLLMENT);
            reg(&[
                "add",
                setup,
                "/v",
                "WUServer",
                "/t",
                "REG_SZ",
                "/d",
                "http://wsus.corp.example:8530",
                "/f",
            ]);
            dword(AU, "UseWUServer");
        }
        let report = json(&wufix(&["diagnose", "--json"]));
        let residue: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "residue" && f["severity"] != "ok")
            .collect();
        assert!(residue.is_empty(), "{managed_by}: {residue:#?}");
        let out = residue_rung(&["--force"]);
        let report = json(&out);
        assert!(
            !report["managed"][managed_by].is_null(),
            "{managed_by} named: {report:#}"
        );
        assert!(
            reg_value(AU, "NoAutoUpdate").is_some(),
            "{managed_by}: {report:#}"
        );
        assert!(reg_value(WU_POLICY, "DisableWindowsUpdateAccess").is_some());
    }
}

/// A service DLL a blocker renamed that is still Windows' own copy (a second name in WinSxS: the
/// link count read through Win32) gets its name back from the real exe, never replacing a file;
/// `undo` gives the blocker's name again.
#[test]
fn a_renamed_service_dll_gets_its_name_back_and_undo_renames_it_again() {
    const PARAMETERS: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\wuauserv\Parameters";
    let _machine = serial();
    let dll = system32().join("wuaueng.dll");
    let renamed = system32().join("wuaueng_BAK.dll");
    let sxs = windows().join(r"winsxs\amd64_wufix-test-wuaueng");
    let saved = raw_value(PARAMETERS, "ServiceDll");
    struct Restore(PathBuf, PathBuf, PathBuf, String);
    impl Drop for Restore {
        fn drop(&mut self) {
            let Restore(dll, renamed, sxs, saved) = self;
            if renamed.exists() && !dll.exists() {
                let _ = fs::rename(&renamed, &dll);
            }
            let _ = fs::remove_dir_all(&sxs);
            match saved.split_once(' ') {
                Some((kind, hex)) => {
                    set_raw_value(PARAMETERS, "ServiceDll", kind.parse().unwrap(), hex)
                }
                None => remove_value(PARAMETERS, "ServiceDll"),
            }
        }
    }
    let _restore = Restore(dll.clone(), renamed.clone(), sxs.clone(), saved);
    fs::create_dir_all(&sxs).unwrap();
    fs::rename(&dll, &renamed).unwrap();
    fs::hard_link(&renamed, sxs.join("wuaueng.dll")).unwrap();
    reg_set(
        PARAMETERS,
        "ServiceDll",
        "REG_EXPAND_SZ",
        r"%SystemRoot%\system32\wuaueng.dll",
    );

    let report = json(&wufix(&["diagnose", "--json"]));
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "service-dll-renamed")
        .unwrap_or_else(|| panic!("the renamed DLL: {report:#}"));
    assert!(
        found["evidence"]
            .as_str()
            .unwrap()
            .contains("wuaueng_BAK.dll (a hard link of Windows' own copy)"),
        "{found:#}"
    );
    assert_eq!(found["fixed_by"], "repair", "{found:#}");

    let out = residue_rung(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dll.exists() && !renamed.exists(), "{}", text(&out));

    let out = wufix(&["undo", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(renamed.exists() && !dll.exists(), "{}", text(&out));
}

/// `repair --windows-dir` from the Windows build loads the disk's hives with `RegLoadKeyW`.
/// Wine loads only its own registry format (measured: a hivex-made `regf` is refused with
/// ERROR_BADDB, "Not registry file"), so here the load fails, as it would on Windows PE without
/// the privileges or on a damaged hive: nothing changes, nothing is journaled, nothing stays
/// loaded, and the way to do it by hand is named. The writing itself is proven with the fake
/// loader (`commands/repair/offline_tests.rs`).
#[test]
fn a_mounted_windows_whose_hives_will_not_load_is_left_as_it_was() {
    let _machine = serial();
    let vol = tempfile::tempdir().unwrap();
    let windows = vol.path().join("Windows");
    let config = windows.join(r"System32\config");
    fs::create_dir_all(&config).unwrap();
    fs::create_dir_all(windows.join(r"System32\catroot2")).unwrap();
    fs::create_dir_all(windows.join("SoftwareDistribution")).unwrap();
    let mut bytes = b"regf".to_vec();
    bytes.resize(8192, 0);
    for hive in ["SYSTEM", "SOFTWARE"] {
        fs::write(config.join(hive), &bytes).unwrap();
    }
    let arg = vol.path().to_str().unwrap();
    let out = wufix(&["repair", "--yes", "--windows-dir", arg]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("cannot load the disk's registry to write it")
            && shown.contains(r"could not be loaded as HKLM\WUFIX_SYSTEM_")
            && shown.contains("nothing was changed")
            && shown.contains("--dry-run prints the Windows PE commands"),
        "{shown}"
    );
    for hive in ["SYSTEM", "SOFTWARE"] {
        assert_eq!(fs::read(config.join(hive)).unwrap(), bytes, "{hive}");
    }
    let journal = vol.path().join(r"ProgramData\wufix\journal");
    let runs: Vec<_> = fs::read_dir(&journal)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        runs.is_empty(),
        "nothing begun, nothing journaled: {runs:?}"
    );
    let loaded = output(Command::new("reg").args(["query", "HKLM"])).unwrap();
    assert!(
        !String::from_utf8_lossy(&loaded.stdout).contains("WUFIX_"),
        "{}",
        String::from_utf8_lossy(&loaded.stdout)
    );
    // The dry run writes nothing and says what could not be read.
    let out = wufix(&["repair", "--dry-run", "--windows-dir", arg]);
    assert!(text(&out).contains("Nothing was written"), "{}", text(&out));
}

/// What the one-shot task of a repair from a network logon runs as SYSTEM (Wine's scheduler
/// cannot run it, so the command is run here directly): one scan through the real agent, its
/// result written whole to the file the waiting repair reads. Wine's agent answers E_NOTIMPL.
#[test]
fn the_hidden_verify_scan_writes_the_agents_answer_for_the_repair_that_waits() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("wufix-verify-1-1.json");
    let out = wufix(&[
        "verify-scan",
        "--result-file",
        result.to_str().unwrap(),
        "--timeout",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&result).unwrap()).unwrap();
    assert_eq!(written["hresult"], 0x8000_4001u32, "{written}");
    assert_eq!(written["timed_out"], false);
}
