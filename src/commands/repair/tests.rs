//! The ladder's decisions against the fake platform with scripted scans: where it starts, when it
//! climbs, when it stops, what each rung changes, and that `undo` puts the settings back.

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::Repair;
use crate::catalog::{CONNECTIONS, Folder, PROXY_VALUE, WU_CLIENT, WU_POLICY};
use crate::clock::FakeClock;
use crate::commands::session::{self, Session};
use crate::exit::Exit;
use crate::fixes::{self, Dism, Fix, PutBack, put_back_allowed};
use crate::folders::Layout;
use crate::journal::{Op, Store};
use crate::ladder::Rung;
use crate::machine::{Machine as On, Mode};
use crate::printer::Printer;
use crate::record::{Action, Outcome};
use crate::report::RepairReport;
use crate::request::{Origin, RepairRequest};
use crate::sys::fake::FakePlatform;
use crate::sys::registry::REG_BINARY;
use crate::sys::{Platform, RegValue, Scan, ServiceState, StartType};

const FAIL: Scan = Scan {
    hresult: 0x8024_4018,
    updates: None,
    timed_out: false,
    with_errors: false,
};
const OK: Scan = Scan {
    hresult: 0,
    updates: Some(3),
    timed_out: false,
    with_errors: false,
};
const TAMPERED: &str = "D:(A;;CCLCSWLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)";
const BITS_DEFAULT: &str = "D:(A;CI;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)";

struct Machine {
    _dir: tempfile::TempDir,
    layout: Layout,
}

fn machine() -> Machine {
    let dir = tempfile::tempdir().unwrap();
    let windows = dir.path().join("Windows");
    let layout = Layout::online_with(windows.clone(), dir.path().join("ProgramData"));
    for folder in Folder::EVERY {
        fs::create_dir_all(layout.path(folder)).unwrap();
        fs::write(layout.path(folder).join("inside"), b"x").unwrap();
    }
    for exe in [
        "dism.exe",
        "sfc.exe",
        "regsvr32.exe",
        "netsh.exe",
        "wuapi.dll",
        "qmgr.dll",
    ] {
        fs::write(windows.join("System32").join(exe), b"MZ").unwrap();
    }
    Machine { _dir: dir, layout }
}

fn platform() -> FakePlatform {
    let mut sys = FakePlatform::new();
    for name in [
        "usosvc",
        "wuauserv",
        "bits",
        "cryptsvc",
        "msiserver",
        "dosvc",
    ] {
        sys = sys.service(name, ServiceState::Running, StartType::Demand);
    }
    sys.service("trustedinstaller", ServiceState::Stopped, StartType::Demand)
        .dacl("bits", BITS_DEFAULT)
        .dacl("wuauserv", TAMPERED)
        .program("regsvr32.exe", &[], 0)
        .program(
            "netsh.exe",
            &["Winsock Catalog Provider Entry", "Description: Hyper-V RAW"],
            0,
        )
        .program(
            "dism.exe",
            &[
                "Deployment Image Servicing and Management tool",
                "[=====   25.0%   ]",
                "[====== 100.0% =====]",
                "The restore operation completed successfully.",
            ],
            0,
        )
        .program(
            "sfc.exe",
            &[
                "Verification 100% complete.",
                "Windows Resource Protection did not find any integrity violations.",
            ],
            0,
        )
}

fn request(origin: Origin, up_to: Rung) -> RepairRequest {
    RepairRequest {
        location: crate::request::Location::Online,
        origin,
        up_to,
        up_to_given: true,
        source: None,
        network: false,
        dry_run: false,
        assume_yes: true,
        verify: true,
        timeout: Duration::from_secs(5),
        force: false,
        no_elevate: true,
        elevated_child: false,
    }
}

fn run(m: &Machine, sys: &FakePlatform, req: &RepairRequest) -> (Exit, RepairReport) {
    let (printer, clock) = (Printer::new(true), FakeClock::new());
    let s = Session::new(On::new(sys, &clock), &m.layout, Mode::Online, &printer);
    let mut repair = Repair::new(req, &s);
    let exit = session::run(&mut repair, &s);
    (exit, repair.report)
}

/// The undo of `pick`, as `wufix undo` plans and runs it.
fn undo(
    m: &Machine,
    sys: &FakePlatform,
    req: &RepairRequest,
    pick: &crate::reversal::Selection,
) -> crate::report::ResetReport {
    let mut reset = req.as_reset();
    reset.folders = pick.restores.iter().map(|(f, _)| *f).collect();
    let plan = crate::plan::Plan::undo(
        &reset,
        &m.layout,
        sys,
        jiff::Timestamp::now(),
        &pick.restores,
        &pick.settings,
    );
    let cancel = std::sync::atomic::AtomicBool::new(false);
    crate::engine::run(&plan, On::new(sys, &FakeClock::new()), &cancel, &mut |_| {})
}

fn ran(sys: &FakePlatform, exe: &str) -> Vec<Vec<String>> {
    sys.runs()
        .into_iter()
        .filter(|(path, _)| {
            path.file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(exe))
        })
        .map(|(_, args)| args)
        .collect()
}

fn actions(report: &RepairReport) -> Vec<(Rung, Action, Outcome)> {
    report
        .rungs
        .iter()
        .flat_map(|r| r.steps.iter().map(move |s| (r.rung, s.action, s.outcome)))
        .collect()
}

#[test]
fn the_ladder_stops_at_the_first_rung_after_which_the_scan_succeeds() {
    let m = machine();
    let sys = platform().scans(&[OK]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Deep));
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.fixed_by, Some(Rung::Light));
    assert_eq!(report.rungs.len(), 1);
    assert_eq!(sys.scans_asked(), 1);
    // Light set aside both folders and the BITS queue, and touched nothing of the higher rungs.
    for folder in Folder::EVERY {
        assert!(!m.layout.path(folder).join("inside").exists(), "{folder:?}");
    }
    assert!(sys.dacl_writes().is_empty());
    assert!(sys.runs().is_empty(), "{:?}", sys.runs());
    assert_eq!(sys.state("wuauserv"), ServiceState::Running);
}

#[test]
fn dlls_are_registered_again_only_before_windows_10_and_the_plan_says_why_not_after() {
    const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let m = machine();
    // Server 2012 R2: the step as it always was, each DLL present once.
    let sys = platform()
        .registry_value(CURRENT_VERSION, "CurrentBuild", RegValue::string("9600"))
        .scans(&[FAIL, OK]);
    run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Full));
    assert_eq!(ran(&sys, "regsvr32.exe").len(), 2);
    // Windows 11: skipped, in the plan and in the run, with the reason.
    let m = machine();
    let sys = platform()
        .registry_value(CURRENT_VERSION, "CurrentBuild", RegValue::string("26100"))
        .scans(&[FAIL]);
    let (_, report) = run(&m, &sys, &request(Origin::Rung(Rung::Full), Rung::Full));
    let step = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.action == Action::RegisterDlls)
        .unwrap();
    assert_eq!(step.outcome, Outcome::Skipped);
    assert!(step.detail.contains("build 26100") && step.detail.contains("TrustedInstaller"));
    assert!(ran(&sys, "regsvr32.exe").is_empty());
}

#[test]
fn permissions_that_deny_even_reading_them_are_left_with_the_exact_manual_step() {
    let m = machine();
    let sys = platform().dacl_locked("wuauserv").scans(&[FAIL]);
    let (_, report) = run(&m, &sys, &request(Origin::Rung(Rung::Full), Rung::Full));
    let step = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.action == Action::ServicePermissions && s.target == "wuauserv")
        .unwrap();
    assert_eq!(step.outcome, Outcome::Failed, "{step:?}");
    assert!(step.detail.contains("access denied"), "{}", step.detail);
    assert!(
        step.detail.contains(&format!(
            "sc.exe sdset wuauserv \"{}\"",
            crate::sddl::default_for("wuauserv").unwrap()
        )),
        "{}",
        step.detail
    );
    assert!(sys.dacl_writes().iter().all(|(name, _)| name != "wuauserv"));
}

#[test]
fn each_later_rung_journals_the_services_as_it_finds_them_so_recovery_restarts_what_a_scan_started()
{
    let m = machine();
    // wuauserv is stopped at the start; the scan after the light rung starts it (as Windows
    // Update's scan does); the full rung then stops it.
    let sys = platform()
        .service("wuauserv", ServiceState::Stopped, StartType::Demand)
        .scan_starts("wuauserv")
        .scans(&[FAIL, OK]);
    let (_, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Full));
    assert_eq!(report.fixed_by, Some(Rung::Full));
    let listing = Store::for_windows(&m.layout.windows_dir, Mode::Online)
        .read()
        .unwrap();
    let run = &listing.runs[0];
    assert_eq!(run.snapshots.len(), 2, "the start, and the full rung's own");
    let state = |snap: usize| {
        run.snapshots[snap]
            .iter()
            .find(|s| s.name == "wuauserv")
            .and_then(|s| s.state)
    };
    assert_eq!(state(0), Some(ServiceState::Stopped));
    assert_eq!(state(1), Some(ServiceState::Running));
    // Killed right after the full rung stopped it: recovery starts it again.
    let cut: Vec<_> = run
        .changes
        .iter()
        .position(|(op, outcome)| {
            matches!(op, Op::StopService { name } if name == "wuauserv") && outcome.is_some()
        })
        .map(|at| run.changes[..=at].to_vec())
        .unwrap();
    let mut killed = run.clone();
    killed.snapshot_of.truncate(cut.len());
    killed.changes = cut;
    killed.finished = None;
    assert!(
        killed.left_stopped().iter().any(|s| s.name == "wuauserv"),
        "{:?}",
        killed.left_stopped()
    );
}

#[test]
fn a_scan_that_succeeded_with_errors_is_no_fix_and_the_ladder_climbs() {
    let m = machine();
    let with_errors = Scan {
        with_errors: true,
        ..OK
    };
    let sys = platform().scans(&[with_errors, OK]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Full));
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.fixed_by, Some(Rung::Full));
    let first = report.rungs[0].scan.as_ref().unwrap();
    assert!(!first.succeeded && first.with_errors);
    assert!(
        first.describe().contains("finished with errors"),
        "{}",
        first.describe()
    );
}

#[test]
fn a_failing_scan_climbs_one_rung_at_a_time_and_full_writes_only_the_permissions_that_differ() {
    let m = machine();
    let sys = platform().scans(&[FAIL, OK]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Deep));
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.fixed_by, Some(Rung::Full));
    assert_eq!(
        report.rungs.iter().map(|r| r.rung).collect::<Vec<_>>(),
        [Rung::Light, Rung::Full]
    );
    assert!(!report.rungs[0].scan.as_ref().unwrap().succeeded);
    // wuauserv's tampered DACL is repaired; bits matches its default and is left alone.
    let writes = sys.dacl_writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].0, "wuauserv");
    assert!(
        crate::sddl::assess(&writes[0].1, crate::sddl::default_for("wuauserv").unwrap())
            .unwrap()
            .missing
            .is_empty()
    );
    assert!(
        ran(&sys, "dism.exe").is_empty(),
        "deep must not run once full fixed it"
    );
    assert!(
        ran(&sys, "regsvr32.exe").is_empty(),
        "no DLL re-registration where the build is Windows 10 or later, or unknown"
    );
    // Winsock is never reset without --network.
    assert!(ran(&sys, "netsh.exe").is_empty());
    for name in ["wuauserv", "bits", "cryptsvc", "usosvc"] {
        assert_eq!(sys.state(name), ServiceState::Running, "{name}");
    }
}

#[test]
fn a_repair_that_does_not_cure_says_not_fixed_and_a_busy_one_says_busy() {
    let m = machine();
    let (printer, clock) = (Printer::new(true), FakeClock::new());
    let sys = platform().scans(&[FAIL]);
    let s = Session::new(On::new(&sys, &clock), &m.layout, Mode::Online, &printer);
    let req = request(Origin::Rung(Rung::Light), Rung::Light);
    let mut repair = Repair::new(&req, &s);
    assert_eq!(session::run(&mut repair, &s), Exit::Failed);
    assert_eq!(printer.said_reason(), Some(crate::exit::Reason::NotFixed));

    let printer = Printer::new(true);
    let sys = platform().locked();
    let s = Session::new(On::new(&sys, &clock), &m.layout, Mode::Online, &printer);
    let mut repair = Repair::new(&req, &s);
    assert_eq!(session::run(&mut repair, &s), Exit::Failed);
    assert_eq!(printer.said_reason(), Some(crate::exit::Reason::Busy));
}

#[test]
fn every_reason_has_one_exit_code_and_each_exit_code_a_reason() {
    use crate::exit::Reason;
    for reason in Reason::ALL {
        let exit = reason.exit();
        assert_ne!(exit, Exit::Ok, "{reason:?}");
        let name = serde_json::to_value(reason).unwrap();
        assert!(
            name.as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
        );
    }
    for exit in [Exit::Failed, Exit::Usage, Exit::NotElevated, Exit::Refused] {
        assert_eq!(Reason::of_exit(exit).unwrap().exit(), exit);
    }
    assert_eq!(Reason::of_exit(Exit::Ok), None);
}

#[test]
fn the_ladder_never_climbs_above_its_cap_and_then_says_what_to_try() {
    let m = machine();
    let sys = platform().scans(&[FAIL]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Full));
    assert_eq!(exit, Exit::Failed);
    assert_eq!(report.fixed_by, None);
    assert_eq!(report.rungs.len(), 2);
    assert!(ran(&sys, "dism.exe").is_empty());
    assert!(
        report
            .next_step
            .as_deref()
            .unwrap()
            .contains("--from deep --up-to deep"),
        "{:?}",
        report.next_step
    );
    // At the top of the ladder, the in-place repair is what is left.
    let m = machine();
    let sys = platform().scans(&[FAIL]);
    let (_, report) = run(&m, &sys, &request(Origin::Rung(Rung::Deep), Rung::Deep));
    assert!(
        report
            .next_step
            .as_deref()
            .unwrap()
            .contains("Keep personal files and apps")
    );
}

#[test]
fn a_component_store_code_goes_to_dism_first_but_only_when_deep_is_asked_for() {
    let m = machine();
    let sys = platform().scans(&[OK]);
    let (exit, report) = run(
        &m,
        &sys,
        &request(Origin::Code("0x800f081f".into(), 0x800F081F), Rung::Full),
    );
    assert_eq!(exit, Exit::Failed);
    assert!(report.rungs.is_empty());
    assert!(
        sys.requests().is_empty() && sys.runs().is_empty(),
        "nothing may run: {:?}",
        sys.requests()
    );
    assert!(
        report
            .next_step
            .as_deref()
            .unwrap()
            .contains("wufix repair --for 0x800F081F --up-to deep")
    );
    for folder in Folder::EVERY {
        assert!(m.layout.path(folder).join("inside").exists());
    }

    let sys = platform().scans(&[OK]);
    let (exit, report) = run(
        &m,
        &sys,
        &request(Origin::Code("0x800f081f".into(), 0x800F081F), Rung::Deep),
    );
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.start.rung, "deep");
    assert_eq!(report.fixed_by, Some(Rung::Deep));
    let dism = ran(&sys, "dism.exe");
    assert_eq!(
        dism,
        [vec![
            "/Online".to_string(),
            "/Cleanup-Image".into(),
            "/RestoreHealth".into()
        ]]
    );
    assert_eq!(ran(&sys, "sfc.exe"), [vec!["/scannow".to_string()]]);
    // Called by absolute path in the Windows folder, never through PATH.
    for (path, _) in sys.runs() {
        assert!(
            path.starts_with(m.layout.windows_dir.join("System32")),
            "{}",
            path.display()
        );
    }
    // The folders were not reset: the evidence pointed past them.
    for folder in Folder::EVERY {
        assert!(m.layout.path(folder).join("inside").exists());
    }
    let dism_step = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.action == Action::Dism)
        .unwrap();
    assert_eq!(dism_step.outcome, Outcome::Done);
    assert!(
        dism_step
            .output
            .iter()
            .any(|l| l.contains("completed successfully")),
        "{:?}",
        dism_step.output
    );
    assert!(
        !dism_step.output.iter().any(|l| l.contains('%')),
        "progress lines are shown live, not kept"
    );
    assert!(report.reboot_recommended);
}

#[test]
fn dism_and_sfc_failures_are_reported_with_their_codes_and_words() {
    let m = machine();
    let sys = platform()
        .program("dism.exe", &["Error: 0x800f081f", "The source files could not be found."], 0x800F081F)
        .program("sfc.exe", &["Windows Resource Protection found corrupt files but was unable to fix some of them."], 0)
        .scans(&[FAIL]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Deep), Rung::Deep));
    assert_eq!(exit, Exit::Failed);
    let steps = &report.rungs[0].steps;
    let dism = steps.iter().find(|s| s.action == Action::Dism).unwrap();
    assert_eq!(dism.outcome, Outcome::Failed);
    assert!(
        dism.detail.contains("0x800F081F CBS_E_SOURCE_MISSING"),
        "{}",
        dism.detail
    );
    assert!(dism.output.iter().any(|l| l.contains("source files")));
    let sfc = steps.iter().find(|s| s.action == Action::Sfc).unwrap();
    assert_eq!(
        sfc.outcome,
        Outcome::Failed,
        "sfc's words decide, not its exit code"
    );
}

#[test]
fn a_network_code_needs_network_and_then_runs_only_the_network_steps() {
    let m = machine();
    let sys = platform().scans(&[OK]);
    let (exit, report) = run(
        &m,
        &sys,
        &request(Origin::Code("0x8024402c".into(), 0x8024402C), Rung::Full),
    );
    assert_eq!(exit, Exit::Failed);
    assert!(report.next_step.as_deref().unwrap().contains("--network"));
    assert!(sys.requests().is_empty() && sys.runs().is_empty());

    let blob = proxy_blob("proxy.corp:8080");
    let sys = platform()
        .registry_value(CONNECTIONS, PROXY_VALUE, RegValue::binary(blob.clone()))
        .scans(&[OK]);
    let mut req = request(Origin::Code("0x8024402c".into(), 0x8024402C), Rung::Full);
    req.network = true;
    let (exit, report) = run(&m, &sys, &req);
    assert_eq!(exit, Exit::Ok);
    let done: Vec<Action> = actions(&report)
        .into_iter()
        .filter(|a| a.2 == Outcome::Done)
        .map(|a| a.1)
        .collect();
    assert_eq!(done, [Action::WinsockReset, Action::ProxyReset]);
    assert!(sys.dacl_writes().is_empty() && ran(&sys, "regsvr32.exe").is_empty());
    assert_eq!(
        ran(&sys, "netsh.exe").last().unwrap(),
        &["winsock", "reset"]
    );
    let Ok(Some(RegValue {
        kind: REG_BINARY,
        data: now,
    })) = sys.registry().value(CONNECTIONS, PROXY_VALUE)
    else {
        panic!("the setting is written, not deleted")
    };
    assert_eq!(
        crate::winhttp::decode(&now),
        Some(crate::winhttp::WinHttpProxy::Direct)
    );
    assert_eq!(
        &now[4..8],
        &[2, 0, 0, 0],
        "the counter advances so WinHTTP reloads it"
    );
    for folder in Folder::EVERY {
        assert!(
            m.layout.path(folder).join("inside").exists(),
            "the folder rungs were skipped"
        );
    }
}

fn proxy_blob(server: &str) -> Vec<u8> {
    let mut blob = Vec::new();
    for w in [0x18u32, 1, 3, server.len() as u32] {
        blob.extend(w.to_le_bytes());
    }
    blob.extend(server.as_bytes());
    blob.extend(0u32.to_le_bytes());
    blob
}

#[test]
fn the_wsus_identity_is_reset_only_where_a_wsus_server_is_set_and_policies_are_never_touched() {
    let id = RegValue::string("4d1f-…");
    let m = machine();
    let sys = platform()
        .registry_value(WU_CLIENT, "SusClientId", id.clone())
        .scans(&[FAIL]);
    run(&m, &sys, &request(Origin::Rung(Rung::Full), Rung::Full));
    assert_eq!(
        sys.registry().value(WU_CLIENT, "SusClientId").unwrap(),
        Some(id.clone())
    );

    let server = RegValue::string("http://wsus.corp:8530");
    let sys = platform()
        .registry_value(WU_CLIENT, "SusClientId", id.clone())
        .registry_value(WU_POLICY, "WUServer", server.clone())
        .joined_to("corp.example")
        .scans(&[FAIL]);
    let (_, report) = run(&m, &sys, &request(Origin::Rung(Rung::Full), Rung::Full));
    assert_eq!(
        sys.registry().value(WU_CLIENT, "SusClientId").unwrap(),
        None
    );
    assert_eq!(
        sys.registry().value(WU_POLICY, "WUServer").unwrap(),
        Some(server)
    );
    assert!(
        report.managed.note.contains("corp.example") && report.managed.note.contains("wsus.corp")
    );
}

#[test]
fn without_verify_every_rung_up_to_the_cap_runs_and_no_scan_is_asked() {
    let m = machine();
    let sys = platform();
    let mut req = request(Origin::Rung(Rung::Light), Rung::Deep);
    req.verify = false;
    let (exit, report) = run(&m, &sys, &req);
    assert_eq!(exit, Exit::Ok, "{}", report.message);
    assert_eq!(sys.scans_asked(), 0);
    assert_eq!(report.rungs.len(), 3);
    assert!(report.rungs.iter().all(|r| r.scan.is_none()));
}

#[test]
fn a_dry_run_shows_every_rung_and_changes_nothing() {
    let m = machine();
    let sys = platform().registry_value(WU_POLICY, "WUServer", RegValue::string("http://w"));
    let mut req = request(Origin::Rung(Rung::Light), Rung::Deep);
    req.dry_run = true;
    req.network = true;
    let (exit, report) = run(&m, &sys, &req);
    assert_eq!(exit, Exit::Ok);
    assert_eq!(report.rungs.len(), 3);
    let all = actions(&report);
    for action in [
        Action::RenameFolder,
        Action::ServicePermissions,
        Action::WsusIdentity,
        Action::RegisterDlls,
        Action::WinsockReset,
        Action::ProxyReset,
        Action::Dism,
        Action::Sfc,
    ] {
        assert!(
            all.iter().any(|a| a.1 == action),
            "{action:?} missing from the dry run"
        );
    }
    let steps: Vec<_> = report.rungs.iter().flat_map(|r| &r.steps).collect();
    let winsock = steps
        .iter()
        .find(|s| s.action == Action::WinsockReset)
        .unwrap();
    assert!(!winsock.reversible);
    assert!(winsock.risk.unwrap().starts_with("high"), "{winsock:?}");
    assert!(
        steps
            .iter()
            .filter(|s| s.outcome == Outcome::Planned)
            .filter(|s| !matches!(s.action, Action::StopService | Action::StartService))
            .all(|s| s.risk.is_some()),
        "every change planned has its risk"
    );
    let wuauserv = steps
        .iter()
        .find(|s| s.action == Action::ServicePermissions && s.target == "wuauserv")
        .unwrap();
    assert_eq!(wuauserv.outcome, Outcome::Planned);
    let bits = steps
        .iter()
        .find(|s| s.action == Action::ServicePermissions && s.target == "bits")
        .unwrap();
    assert_eq!(bits.outcome, Outcome::Skipped);
    assert!(sys.requests().is_empty() && sys.runs().is_empty() && sys.dacl_writes().is_empty());
    assert_eq!(sys.scans_asked(), 0);
    for folder in Folder::EVERY {
        assert!(m.layout.path(folder).join("inside").exists());
    }
}

#[test]
fn the_newest_standing_failure_picks_the_first_rung() {
    let m = machine();
    let event = "<Event><System><Provider Name='Microsoft-Windows-WindowsUpdateClient'/><EventID>20</EventID><TimeCreated SystemTime='2099-01-01T00:00:00.000Z'/></System><EventData><Data Name='errorCode'>0x8024402c</Data><Data Name='updateTitle'>KB1</Data></EventData></Event>";
    let sys = platform()
        .events("System", Some(vec![event.to_string()]))
        .scans(&[OK]);
    let (exit, report) = run(&m, &sys, &request(Origin::Evidence, Rung::Full));
    assert_eq!(
        report.start.code.as_deref(),
        Some("0x8024402C"),
        "{:?}",
        report.start
    );
    assert_eq!(report.start.rung, "network");
    assert_eq!(
        exit,
        Exit::Failed,
        "a network failure without --network changes nothing"
    );
    // No failure on record: the lightest rung.
    let sys = platform().scans(&[OK]);
    let (_, report) = run(&m, &sys, &request(Origin::Evidence, Rung::Full));
    assert_eq!(report.start.rung, "light");
    assert_eq!(report.start.code, None);
}

#[test]
fn undo_puts_back_the_folders_the_permissions_and_the_proxy_a_repair_changed() {
    let m = machine();
    let blob = proxy_blob("proxy.corp:8080");
    let sys = platform()
        .registry_value(CONNECTIONS, PROXY_VALUE, RegValue::binary(blob.clone()))
        .scans(&[FAIL]);
    let mut req = request(Origin::Rung(Rung::Light), Rung::Full);
    req.network = true;
    run(&m, &sys, &req);
    assert_eq!(sys.dacl_writes().len(), 1);

    let store = Store::for_windows(&m.layout.windows_dir, Mode::Online);
    let listing = store.read().unwrap();
    assert_eq!(listing.runs.len(), 1, "one journal for the whole repair");
    let pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    assert_eq!(pick.restores.len(), 3, "{:?}", pick.restores);
    assert_eq!(pick.settings.len(), 2, "{:?}", pick.settings);
    let report = undo(&m, &sys, &req, &pick);
    assert!(report.ok, "{:?}", report.steps);
    for folder in Folder::EVERY {
        assert!(
            m.layout.path(folder).join("inside").exists(),
            "{folder:?} is back"
        );
    }
    assert_eq!(sys.service_dacl("wuauserv").unwrap(), TAMPERED);
    assert_eq!(
        sys.registry().value(CONNECTIONS, PROXY_VALUE).unwrap(),
        Some(RegValue::binary(blob))
    );
}

#[test]
fn a_journal_is_trusted_only_with_what_a_repair_changes() {
    let takeover = Op::ServiceDacl {
        name: "wuauserv".into(),
        before: "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BU)".into(),
        after: String::new(),
    };
    assert!(put_back_allowed(&takeover).unwrap_err().contains("BU"));
    let other = Op::ServiceDacl {
        name: "spooler".into(),
        before: "D:".into(),
        after: String::new(),
    };
    assert!(put_back_allowed(&other).is_err());
    let run_key = Op::RegistryValue {
        key: r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run".into(),
        name: "evil".into(),
        before: Some(RegValue::string("c:\\evil.exe")),
        after: None,
    };
    assert!(put_back_allowed(&run_key).is_err());
    assert!(
        put_back_allowed(&Op::ServiceDacl {
            name: "BITS".into(),
            before: TAMPERED.into(),
            after: String::new()
        })
        .is_ok()
    );
    // Saved permissions that would take SYSTEM's or Administrators' grants away, or deny
    // anyone anything: what a blocker left, never put back.
    for (saved, says) in [
        (
            "D:(D;;RPWP;;;WD)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)",
            "deny",
        ),
        (
            "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWRPLORC;;;AU)",
            "SY",
        ),
    ] {
        let why = put_back_allowed(&Op::ServiceDacl {
            name: "wuauserv".into(),
            before: saved.into(),
            after: String::new(),
        })
        .unwrap_err();
        assert!(why.contains(says), "{saved}: {why}");
    }
    // And the engine refuses such a step rather than writing it.
    let sys = platform();
    let record = PutBack(takeover).run(&mut fixes::Context {
        sys: &sys,
        journal: &mut crate::journal::Unrecorded,
        meter: &crate::progress::Quiet,
    });
    assert_eq!(record.outcome, Outcome::Skipped);
    assert!(
        record.detail.starts_with("not put back"),
        "{}",
        record.detail
    );
    assert!(sys.dacl_writes().is_empty());
}

#[test]
fn a_saved_proxy_is_put_back_only_on_the_machine_it_was_read_from() {
    const GUID_KEY: &str = r"SOFTWARE\Microsoft\Cryptography";
    let proxy = Op::RegistryValue {
        key: CONNECTIONS.into(),
        name: PROXY_VALUE.into(),
        before: Some(RegValue::binary([1])),
        after: Some(RegValue::binary([2])),
    };
    let pick = |machine: Option<&str>| crate::reversal::Selection {
        journal: Some("000001-x.journal".into()),
        restores: Vec::new(),
        settings: vec![proxy.clone()],
        machine: machine.map(str::to_string),
    };
    let here = platform().registry_value(GUID_KEY, "MachineGuid", RegValue::string("guid-a"));
    let mut same = pick(Some("guid-a"));
    assert!(crate::reversal::keep_trusted_settings(&mut same, &here).is_none());
    assert_eq!(same.settings.len(), 1);
    for machine in [Some("guid-b"), None] {
        let mut other = pick(machine);
        let note = crate::reversal::keep_trusted_settings(&mut other, &here).unwrap();
        assert!(note.contains("not read on this machine"), "{note}");
        assert!(other.settings.is_empty());
    }
}

#[test]
fn dism_progress_reaches_the_meter_as_it_comes() {
    struct Seen(std::sync::Mutex<Vec<f32>>);
    impl crate::progress::Meter for Seen {
        fn percent(&self, _what: &str, p: f32) {
            self.0.lock().unwrap().push(p);
        }
    }
    let m = machine();
    let sys = platform();
    let seen = Seen(Default::default());
    let step = Dism {
        exe: m.layout.windows_dir.join("System32").join("dism.exe"),
        args: fixes::tools::dism_args(None),
    };
    let record = step.run(&mut fixes::Context {
        sys: &sys,
        journal: &mut crate::journal::Unrecorded,
        meter: &seen,
    });
    assert_eq!(record.outcome, Outcome::Done);
    assert_eq!(*seen.0.lock().unwrap(), [25.0, 100.0]);
    // A missing program is a failed step, not a search through PATH.
    let step = Dism {
        exe: Path::new("/nowhere/dism.exe").to_path_buf(),
        args: vec![],
    };
    let record = step.run(&mut fixes::Context {
        sys: &sys,
        journal: &mut crate::journal::Unrecorded,
        meter: &seen,
    });
    assert_eq!(record.outcome, Outcome::Failed);
    assert!(record.detail.contains("is not there"), "{}", record.detail);
}

#[test]
fn undo_leaves_a_setting_changed_since_the_repair_as_it_is() {
    let m = machine();
    let sys = platform()
        .registry_value(
            CONNECTIONS,
            PROXY_VALUE,
            RegValue::binary(proxy_blob("old.proxy:1")),
        )
        .scans(&[FAIL]);
    let mut req = request(Origin::Rung(Rung::Full), Rung::Full);
    req.network = true;
    run(&m, &sys, &req);
    // An administrator sets a new proxy and new permissions after the repair.
    let theirs = RegValue::binary(proxy_blob("new.proxy:2"));
    sys.registry()
        .set_value(CONNECTIONS, PROXY_VALUE, Some(&theirs))
        .unwrap();
    sys.set_service_dacl("wuauserv", BITS_DEFAULT).unwrap();
    let writes = sys.dacl_writes().len();

    let listing = Store::for_windows(&m.layout.windows_dir, Mode::Online)
        .read()
        .unwrap();
    let pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    assert!(pick.restores.is_empty());
    let report = undo(&m, &sys, &req, &pick);
    let skipped: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.action == Action::RestoreSetting && s.outcome == Outcome::Skipped)
        .collect();
    assert_eq!(skipped.len(), 2, "{:?}", report.steps);
    assert!(
        skipped
            .iter()
            .all(|s| s.detail.contains("changed since the repair"))
    );
    assert_eq!(
        sys.registry().value(CONNECTIONS, PROXY_VALUE).unwrap(),
        Some(theirs)
    );
    assert_eq!(sys.dacl_writes().len(), writes, "theirs stands");
}

#[test]
fn a_journal_an_ordinary_user_planted_puts_no_setting_back() {
    let m = machine();
    let sys = platform().scans(&[FAIL]);
    run(&m, &sys, &request(Origin::Rung(Rung::Full), Rung::Full));
    let listing = Store::for_windows(&m.layout.windows_dir, Mode::Online)
        .read()
        .unwrap();
    let mut pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    assert!(!pick.settings.is_empty());
    assert_eq!(
        crate::reversal::keep_trusted_settings(&mut pick, &sys),
        None
    );
    assert!(!pick.settings.is_empty(), "wufix's own journal is trusted");

    let planted = sys.files_planted();
    let note = crate::reversal::keep_trusted_settings(&mut pick, &planted).expect("a note");
    assert!(
        note.contains("is not owned by SYSTEM, Administrators or TrustedInstaller"),
        "{note}"
    );
    assert!(pick.settings.is_empty());
}

#[test]
fn a_service_that_is_not_installed_is_said_so_in_the_plan_and_the_run() {
    let m = machine();
    let mut sys = FakePlatform::new();
    for name in ["wuauserv", "bits", "cryptsvc"] {
        sys = sys.service(name, ServiceState::Running, StartType::Demand);
    }
    let sys = sys.program("regsvr32.exe", &[], 0).scans(&[FAIL]);
    let mut req = request(Origin::Rung(Rung::Full), Rung::Full);
    req.dry_run = true;
    let (_, plan) = run(&m, &sys, &req);
    req.dry_run = false;
    let (_, done) = run(&m, &sys, &req);
    for report in [plan, done] {
        let ti = report.rungs[0]
            .steps
            .iter()
            .find(|s| s.action == Action::ServicePermissions && s.target == "trustedinstaller")
            .unwrap();
        assert_eq!(ti.outcome, Outcome::Skipped);
        assert_eq!(ti.detail, "not installed on this machine");
    }
}

#[test]
fn a_scan_that_still_fails_with_a_network_error_points_at_the_network_steps() {
    let m = machine();
    let network_failure = Scan {
        hresult: 0x8024_402C,
        updates: None,
        timed_out: false,
        with_errors: false,
    };
    let sys = platform().scans(&[network_failure]);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Light));
    assert_eq!(exit, Exit::Failed);
    let scan = report.rungs[0].scan.as_ref().unwrap();
    assert_eq!(scan.code.as_deref(), Some("0x8024402C"));
    assert_eq!(scan.hresult, Some(0x8024_402Cu32 as i32));
    assert!(
        report.next_step.as_deref().unwrap().contains("--network"),
        "{:?}",
        report.next_step
    );
}

/// 0x800F0922 on a machine whose EFI system partition is nearly full: no rung frees it, so
/// nothing runs and the person is sent there. With room on it, the deep rung is the answer.
#[test]
fn a_full_system_partition_sends_0x800f0922_to_the_person_not_up_the_ladder() {
    use crate::sys::disk::{DiskLayout, Kind, Partition, Style};
    let disk = |esp_free: u64| DiskLayout {
        disk: 0,
        style: Style::Gpt,
        os_partition: 2,
        spanned: false,
        virtual_disk: false,
        bitlocker: None,
        partitions: vec![
            Partition {
                number: 1,
                offset: 1 << 20,
                size: 100 << 20,
                kind: Kind::Esp,
                active: false,
                free: Some(esp_free),
                largest: Vec::new(),
                unreadable: None,
            },
            Partition {
                number: 2,
                offset: 101 << 20,
                size: 100 << 30,
                kind: Kind::Basic,
                active: false,
                free: Some(50 << 30),
                largest: Vec::new(),
                unreadable: None,
            },
        ],
    };
    let m = machine();
    let req = request(Origin::Code("0x800f0922".into(), 0x800F0922), Rung::Deep);
    let sys = platform().scans(&[OK]).disk(disk(8 << 20));
    let (_, report) = run(&m, &sys, &req);
    assert_eq!(report.start.rung, "none", "{:?}", report.start);
    assert!(
        report.start.why.contains("nearly full"),
        "{}",
        report.start.why
    );
    assert!(
        sys.runs().is_empty() && report.rungs.is_empty(),
        "{:?}",
        sys.runs()
    );
    assert!(
        report.next_step.as_deref().unwrap().contains("EFI system"),
        "{:?}",
        report.next_step
    );

    let sys = platform().scans(&[OK]).disk(disk(40 << 20));
    let (_, report) = run(&m, &sys, &req);
    assert_eq!(report.start.rung, "deep");
    assert_eq!(ran(&sys, "dism.exe").len(), 1);
}

/// A machine a blocker left: `repair --yes` with no start finds the residue, runs that rung alone
/// (no service stopped, no folder touched), writes Windows' own values back, journaled; `undo`
/// puts the blocker's values back byte for byte. A domain's policies are never touched.
#[test]
fn residue_found_is_put_back_alone_and_undone_exactly() {
    use crate::residue::{EXPLORER_POLICY, UX_SETTINGS};
    let wuauserv = r"SYSTEM\CurrentControlSet\Services\wuauserv";
    let bits = r"SYSTEM\CurrentControlSet\Services\BITS";
    const LOCKED: &str = "O:S-1-5-21-1-2-3-1001D:PAI(D;CI;KA;;;WD)(A;CI;KR;;;BU)";
    const PROTECTED_KEY: &str = "O:SYD:P(A;CI;KA;;;SY)(A;CI;KR;;;BA)(A;CI;KR;;;BU)";
    let uso_key = r"SYSTEM\CurrentControlSet\Services\UsoSvc";
    let blocked = |sys: FakePlatform| {
        sys.service("wuauserv", ServiceState::Stopped, StartType::Disabled)
            .service("UsoSvc", ServiceState::Stopped, StartType::Disabled)
            .protected("UsoSvc")
            // As WaaSMedicSvc's on Windows: Administrators may only read it.
            .key_security(uso_key, PROTECTED_KEY)
            .value_locked(uso_key)
            .registry_value(wuauserv, "Start", RegValue::dword(4))
            .registry_value(
                r"SYSTEM\CurrentControlSet\Services\UsoSvc",
                "Start",
                RegValue::dword(4),
            )
            .key_security(wuauserv, LOCKED)
            .key_security(r"SYSTEM\CurrentControlSet\Services\CryptSvc", LOCKED)
            .key_refused(r"SYSTEM\CurrentControlSet\Services\CryptSvc")
            .task(crate::residue::tasks::TASKS[0], false)
            .task(crate::residue::tasks::TASKS[1], false)
            .task_refused(crate::residue::tasks::TASKS[1])
            .task(crate::residue::tasks::TASKS[2], true)
            // Written behind the service manager's back: it still has BITS on demand.
            .registry_value(bits, "Start", RegValue::dword(4))
            .registry_value(WU_POLICY, "WUServer", RegValue::string(" "))
            .registry_value(crate::catalog::AU_POLICY, "UseWUServer", RegValue::dword(1))
            .registry_value(
                EXPLORER_POLICY,
                "SettingsPageVisibility",
                RegValue::string("hide:windowsupdate"),
            )
            .registry_value(
                UX_SETTINGS,
                "PauseUpdatesExpiryTime",
                RegValue::string("2099-12-31T00:00:00Z"),
            )
            .scans(&[OK])
    };
    let m = machine();
    let hosts = crate::residue::hosts::path(&m.layout.windows_dir);
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    let blocking = "127.0.0.1 localhost\r\n0.0.0.0 fe2.update.microsoft.com\r\n";
    std::fs::write(&hosts, blocking).unwrap();
    let sys = blocked(platform());
    let mut req = request(Origin::Evidence, Rung::Full);
    req.up_to_given = false;
    let (exit, report) = run(&m, &sys, &req);
    assert_eq!(exit, Exit::Ok, "{}", report.message);
    assert_eq!(report.start.rung, "residue", "{}", report.start.why);
    assert_eq!(report.up_to, Rung::Residue);
    assert_eq!(report.rungs.len(), 1);
    assert_eq!(report.fixed_by, Some(Rung::Residue));
    let reg = |k: &str, n: &str| sys.registry().value(k, n).unwrap();
    // Through the service manager, which writes the value itself.
    assert!(
        sys.requests().iter().any(|r| r == "config wuauserv demand"),
        "{:?}",
        sys.requests()
    );
    assert_eq!(
        sys.query_service("wuauserv").unwrap().unwrap().start_type,
        StartType::Demand
    );
    assert_eq!(reg(wuauserv, "Start"), Some(RegValue::dword(3)));
    assert_eq!(reg(bits, "Start"), Some(RegValue::dword(3)));
    assert!(!sys.requests().iter().any(|r| r.starts_with("config BITS")));
    // The key unlocked before the service's start type is set (the order matters on Windows).
    assert_eq!(
        sys.registry().key_security(wuauserv).unwrap().unwrap(),
        "O:BAD:PAI(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)"
    );
    let at = |r: &str| sys.requests().iter().position(|x| x == r).unwrap();
    assert!(
        at(r"key-security system\currentcontrolset\services\wuauserv")
            < at("config wuauserv demand")
    );
    let refused = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.target.ends_with("CryptSvc") && s.outcome == Outcome::Failed)
        .expect("the refused key's step");
    assert!(refused.detail.contains("regedit"), "{}", refused.detail);
    // A disabled update task enabled; one only SYSTEM may change: the exact step, said.
    assert_eq!(
        sys.task_enabled(crate::residue::tasks::TASKS[0]).unwrap(),
        Some(true)
    );
    let task = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.target.ends_with("Schedule Scan") && s.outcome == Outcome::Failed)
        .expect("the refused task's step");
    assert!(
        task.detail.contains("only from SYSTEM") && task.detail.contains("/ENABLE"),
        "{}",
        task.detail
    );
    // A launch-protected service the manager refuses, whose key Administrators may only read:
    // the value written with the key taken over for the write, its descriptor then put back.
    let uso = r"SYSTEM\CurrentControlSet\Services\UsoSvc";
    let medic = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.target == "UsoSvc")
        .expect("a step for the refused service");
    assert_eq!(medic.outcome, Outcome::Done, "{}", medic.detail);
    assert!(medic.detail.contains("next starts"), "{}", medic.detail);
    assert_eq!(reg(uso, "Start"), Some(RegValue::dword(2)));
    assert_eq!(
        sys.registry().key_security(uso).unwrap().unwrap(),
        PROTECTED_KEY
    );
    assert_eq!(reg(WU_POLICY, "WUServer"), None);
    assert_eq!(reg(crate::catalog::AU_POLICY, "UseWUServer"), None);
    assert_eq!(reg(EXPLORER_POLICY, "SettingsPageVisibility"), None);
    assert_eq!(reg(UX_SETTINGS, "PauseUpdatesExpiryTime"), None);
    assert!(
        sys.requests().iter().all(|r| !r.starts_with("stop")),
        "{:?}",
        sys.requests()
    );
    for folder in Folder::EVERY {
        assert!(m.layout.path(folder).join("inside").exists());
    }

    let store = Store::for_windows(&m.layout.windows_dir, Mode::Online);
    let listing = store.read().unwrap();
    let pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    assert_eq!(
        std::fs::read_to_string(&hosts).unwrap(),
        "127.0.0.1 localhost\r\n# wufix: 0.0.0.0 fe2.update.microsoft.com\r\n"
    );
    assert_eq!(pick.settings.len(), 11, "{:?}", pick.settings);
    let report = undo(&m, &sys, &req, &pick);
    assert!(report.ok, "{:?}", report.steps);
    assert_eq!(reg(wuauserv, "Start"), Some(RegValue::dword(4)));
    assert_eq!(
        sys.query_service("wuauserv").unwrap().unwrap().start_type,
        StartType::Disabled
    );
    assert_eq!(reg(bits, "Start"), Some(RegValue::dword(4)));
    assert_eq!(std::fs::read_to_string(&hosts).unwrap(), blocking);
    assert_eq!(
        sys.registry().key_security(wuauserv).unwrap().unwrap(),
        LOCKED
    );
    assert_eq!(
        sys.task_enabled(crate::residue::tasks::TASKS[0]).unwrap(),
        Some(false)
    );
    assert_eq!(reg(uso_key, "Start"), Some(RegValue::dword(4)));
    assert_eq!(
        sys.registry().key_security(uso_key).unwrap().unwrap(),
        PROTECTED_KEY
    );
    assert_eq!(reg(WU_POLICY, "WUServer"), Some(RegValue::string(" ")));
    assert_eq!(
        reg(UX_SETTINGS, "PauseUpdatesExpiryTime"),
        Some(RegValue::string("2099-12-31T00:00:00Z"))
    );

    // Joined to a domain: the service is put back, no policy is touched.
    let m = machine();
    let sys = blocked(platform()).joined_to("corp.example");
    let (_, report) = run(&m, &sys, &req);
    assert_eq!(report.start.rung, "residue");
    assert_eq!(
        sys.registry().value(wuauserv, "Start").unwrap(),
        Some(RegValue::dword(3))
    );
    assert_eq!(
        sys.registry().value(WU_POLICY, "WUServer").unwrap(),
        Some(RegValue::string(" "))
    );
    assert_eq!(
        sys.registry()
            .value(EXPLORER_POLICY, "SettingsPageVisibility")
            .unwrap(),
        Some(RegValue::string("hide:windowsupdate"))
    );
}

/// A key locked so that administrators cannot even read its permissions: ownership taken
/// first (journaled, with "unreadable" as what it was), then unlocked; undo cannot put back
/// what could not be read, and says so.
#[test]
fn a_key_no_administrator_may_read_is_taken_over_then_unlocked() {
    let key = r"SYSTEM\CurrentControlSet\Services\msiserver";
    let m = machine();
    let sys = platform()
        .key_security(key, "O:S-1-5-21-9-9-9-1001D:P(D;CI;KA;;;WD)")
        .key_unreadable(key)
        .scans(&[OK]);
    let found = crate::residue::detect(
        &sys,
        &m.layout.windows_dir,
        &crate::residue::management(&sys),
        jiff::Timestamp::now(),
    );
    assert_eq!(found[0].kind, "service-key-locked", "{found:#?}");
    assert!(found[0].found.contains("not even read"));
    let mut req = request(Origin::Rung(Rung::Residue), Rung::Residue);
    req.verify = false;
    let (_, report) = run(&m, &sys, &req);
    let step = &report.rungs[0].steps[0];
    assert_eq!(step.outcome, Outcome::Done, "{step:?}");
    let requests = sys.requests();
    let at = |r: &str| requests.iter().position(|x| x == r).unwrap();
    assert!(
        at(r"take-ownership system\currentcontrolset\services\msiserver")
            < at(r"key-security system\currentcontrolset\services\msiserver")
    );
    let now = sys.registry().key_security(key).unwrap().unwrap();
    assert!(crate::residue::keys::problems(&now).is_empty(), "{now}");

    let store = Store::for_windows(&m.layout.windows_dir, Mode::Online);
    let listing = store.read().unwrap();
    let pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    let report = undo(&m, &sys, &req, &pick);
    let step = report
        .steps
        .iter()
        .find(|s| s.target.ends_with("msiserver"))
        .unwrap();
    assert_eq!(step.outcome, Outcome::Skipped);
    assert!(step.detail.contains("could not be read"), "{}", step.detail);
    assert_eq!(sys.registry().key_security(key).unwrap().unwrap(), now);
}

/// A service DLL a blocker renamed, still Windows' own copy (a hard link of WinSxS's), gets its
/// name back, never replacing a file; undo gives the blocker's name again. A renamed file that is
/// no second name of anything is left to the deep rung.
#[test]
fn a_renamed_service_dll_of_windows_own_gets_its_name_back_and_undo_renames_it_again() {
    let m = machine();
    let system32 = m.layout.windows_dir.join("System32");
    let winsxs = m
        .layout
        .windows_dir
        .join("WinSxS")
        .join("amd64_microsoft-windows-wuaueng");
    std::fs::create_dir_all(&system32).unwrap();
    std::fs::create_dir_all(&winsxs).unwrap();
    std::fs::write(winsxs.join("wuaueng.dll"), b"MZ").unwrap();
    let renamed = system32.join("wuaueng_BAK.dll");
    std::fs::hard_link(winsxs.join("wuaueng.dll"), &renamed).unwrap();
    let sys = platform()
        .registry_value(
            r"SYSTEM\CurrentControlSet\Services\wuauserv\Parameters",
            "ServiceDll",
            RegValue::expand_string(r"%systemroot%\system32\wuaueng.dll"),
        )
        .scans(&[OK]);
    let mut req = request(Origin::Rung(Rung::Residue), Rung::Residue);
    req.verify = false;
    let (_, report) = run(&m, &sys, &req);
    let step = report.rungs[0]
        .steps
        .iter()
        .find(|s| s.target.ends_with("wuaueng_BAK.dll"))
        .unwrap_or_else(|| panic!("{:#?}", report.rungs));
    assert_eq!(step.outcome, Outcome::Done, "{step:?}");
    assert!(system32.join("wuaueng.dll").exists() && !renamed.exists());
    assert!(
        same_file::is_same_file(system32.join("wuaueng.dll"), winsxs.join("wuaueng.dll")).unwrap()
    );

    let store = Store::for_windows(&m.layout.windows_dir, Mode::Online);
    let listing = store.read().unwrap();
    let pick = crate::reversal::select(&listing, &m.layout, &Folder::EVERY, true).unwrap();
    let report = undo(&m, &sys, &req, &pick);
    assert!(report.ok, "{:?}", report.steps);
    assert!(renamed.exists() && !system32.join("wuaueng.dll").exists());

    // Not a second name of anything: found, but not renamed by wufix.
    std::fs::remove_file(&renamed).unwrap();
    std::fs::write(&renamed, b"MZ?").unwrap();
    let found = crate::residue::detect(
        &sys,
        &m.layout.windows_dir,
        &crate::residue::management(&sys),
        jiff::Timestamp::now(),
    );
    let dll = found
        .iter()
        .find(|r| r.kind == "service-dll-renamed")
        .unwrap();
    assert!(dll.fixes.is_empty(), "{dll:#?}");
}

/// wufix's stable copy in the test installation's protected folder (so no test copies itself).
fn stable_copy(m: &Machine) -> std::path::PathBuf {
    let bin = m
        .layout
        .windows_dir
        .parent()
        .unwrap()
        .join("ProgramData")
        .join("wufix")
        .join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("wufix.exe"), b"MZ").unwrap();
    bin.join("wufix.exe")
}

#[test]
fn from_a_network_logon_each_scan_runs_as_system_through_a_one_shot_task() {
    let m = machine();
    let exe = stable_copy(&m);
    let failed = crate::verify::result_text(&FAIL);
    let sys = platform().network_logon().task_does(Some(&failed), 0);
    let (exit, report) = run(&m, &sys, &request(Origin::Rung(Rung::Light), Rung::Full));
    // Never asked here (the agent refuses a network logon): through the task, rung by rung.
    assert_eq!(sys.scans_asked(), 0);
    let tasks = sys.tasks_run();
    assert_eq!(tasks.len(), 2, "one task per rung");
    assert_ne!(tasks[0].name, tasks[1].name);
    assert!(
        tasks[0]
            .xml
            .contains(&format!("<Command>{}</Command>", exe.display()))
    );
    let scan = report.rungs[0].scan.as_ref().unwrap();
    assert_eq!(scan.ran_as, Some("system-task"));
    assert_eq!(
        scan.value,
        Some(FAIL.hresult),
        "the task's result is the rung's"
    );
    assert!(!scan.cannot_verify);
    assert_eq!(exit, Exit::Failed);
    assert!(
        report.message.starts_with("Not fixed"),
        "{}",
        report.message
    );
}

#[test]
fn from_a_network_logon_a_task_that_cannot_run_stops_the_climb_unverified() {
    let m = machine();
    stable_copy(&m);
    // The scheduler refuses; a scan here would "succeed" but is never asked.
    let sys = platform().network_logon().scans(&[OK]);
    let (printer, clock) = (Printer::new(true), FakeClock::new());
    let s = Session::new(On::new(&sys, &clock), &m.layout, Mode::Online, &printer);
    let req = request(Origin::Rung(Rung::Light), Rung::Deep);
    let mut repair = Repair::new(&req, &s);
    let exit = session::run(&mut repair, &s);
    let report = repair.report;
    assert_eq!(exit, Exit::Failed);
    assert_eq!(
        printer.said_reason(),
        Some(crate::exit::Reason::NotVerified)
    );
    assert_eq!(sys.scans_asked(), 0);
    // The light rung ran; nothing above it did.
    assert_eq!(report.rungs.len(), 1);
    assert!(ran(&sys, "dism.exe").is_empty());
    let scan = report.rungs[0].scan.as_ref().unwrap();
    assert!(scan.cannot_verify);
    let why = scan.error.as_deref().unwrap();
    assert!(
        why.contains("network logon") && why.contains("could not run"),
        "{why}"
    );
    assert!(
        report.message.starts_with("Not verified"),
        "{}",
        report.message
    );
    assert!(
        report
            .next_step
            .as_deref()
            .unwrap()
            .contains("local session")
    );
    assert_eq!(report.fixed_by, None);
}
