use std::sync::atomic::AtomicBool;

use super::*;
use crate::sys::fake::FakePlatform;

const MINUTES_10: Duration = Duration::from_secs(600);

fn found(updates: u32) -> Scan {
    Scan {
        hresult: 0,
        updates: Some(updates),
        timed_out: false,
        with_errors: false,
    }
}

/// wufix's protected folder with its stable copy.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin").join("wufix.exe"), b"MZ").unwrap();
        Home { dir }
    }
    fn exe(&self) -> PathBuf {
        self.dir.path().join("bin").join("wufix.exe")
    }
    fn scan_dir(&self) -> PathBuf {
        self.dir.path().join("scan")
    }
    fn verify(&self, sys: &FakePlatform) -> Verified {
        scan(
            sys,
            &self.exe(),
            &self.scan_dir(),
            "42-1",
            MINUTES_10,
            &AtomicBool::new(false),
        )
    }
}

fn cannot(verified: Verified) -> String {
    match verified {
        Verified::CannotVerify(why) => why,
        other => panic!("verified: {other:?}"),
    }
}

#[test]
fn a_local_logon_scans_here_and_runs_no_task() {
    let home = Home::new();
    let sys = FakePlatform::new().scans(&[found(3)]).task_does(None, 0);
    match home.verify(&sys) {
        Verified::Scanned { scan, via_task } => {
            assert_eq!(scan, found(3));
            assert!(!via_task);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sys.scans_asked(), 1);
    assert!(sys.tasks_run().is_empty());
}

#[test]
fn a_network_logon_scans_as_system_through_the_stable_copy_and_reads_the_result_back() {
    let home = Home::new();
    let sys = FakePlatform::new()
        .network_logon()
        .task_does(Some(&result_text(&found(5))), 0);
    match home.verify(&sys) {
        Verified::Scanned { scan, via_task } => {
            assert_eq!(scan, found(5));
            assert!(via_task);
        }
        other => panic!("{other:?}"),
    }
    // Never here: the agent would refuse this logon.
    assert_eq!(sys.scans_asked(), 0);
    let tasks = sys.tasks_run();
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task.name, "wufix-verify-42-1");
    assert_eq!(
        task.result_file,
        home.scan_dir().join("wufix-verify-42-1.json")
    );
    let xml = &task.xml;
    assert!(xml.contains("<UserId>S-1-5-18</UserId>"), "{xml}");
    assert!(
        xml.contains("<RunLevel>HighestAvailable</RunLevel>"),
        "{xml}"
    );
    assert!(!xml.contains("<Triggers>"), "run on demand only: {xml}");
    assert!(
        xml.contains(&format!("<Command>{}</Command>", home.exe().display())),
        "the stable copy, not this exe: {xml}"
    );
    assert!(
        xml.contains(&format!(
            "<Arguments>verify-scan --result-file {} --timeout 600</Arguments>",
            task.result_file.display()
        )),
        "{xml}"
    );
    // 600 s of scan and 120 s of slack, in whole minutes.
    assert!(
        xml.contains("<ExecutionTimeLimit>PT12M</ExecutionTimeLimit>"),
        "{xml}"
    );
    // Read, then removed: nothing of this run's result is left for the next to take.
    assert!(!task.result_file.exists());
}

#[test]
fn a_scheduler_that_refuses_the_task_means_it_cannot_verify_from_here() {
    let home = Home::new();
    let sys = FakePlatform::new().network_logon().scans(&[found(0)]);
    let why = cannot(home.verify(&sys));
    assert!(why.contains("could not run"), "{why}");
    assert!(
        why.contains("Task Scheduler service is not running"),
        "{why}"
    );
    assert_eq!(sys.scans_asked(), 0, "no scan from the network logon");
}

#[test]
fn a_task_that_wrote_nothing_says_its_result_code() {
    let home = Home::new();
    let sys = FakePlatform::new()
        .network_logon()
        .task_does(None, 0x8007_0005);
    let why = cannot(home.verify(&sys));
    assert!(why.contains("0x80070005"), "{why}");
    assert!(why.contains("wrote no result"), "{why}");
}

#[test]
fn a_result_left_by_an_earlier_run_is_never_taken_for_this_ones() {
    let home = Home::new();
    std::fs::create_dir_all(home.scan_dir()).unwrap();
    std::fs::write(
        home.scan_dir().join("wufix-verify-42-1.json"),
        result_text(&found(9)),
    )
    .unwrap();
    let sys = FakePlatform::new().network_logon().task_does(None, 0);
    let why = cannot(home.verify(&sys));
    assert!(why.contains("wrote no result"), "{why}");
}

#[test]
fn a_result_an_ordinary_user_owns_or_that_is_not_wufixs_is_refused() {
    let home = Home::new();
    let sys = FakePlatform::new()
        .network_logon()
        .task_does(Some(&result_text(&found(1))), 0)
        .files_planted();
    let why = cannot(home.verify(&sys));
    assert!(why.contains("not written by SYSTEM"), "{why}");

    let sys = FakePlatform::new()
        .network_logon()
        .task_does(Some("<html>"), 0);
    let why = cannot(home.verify(&sys));
    assert!(why.contains("not wufix's"), "{why}");
}

#[test]
fn without_the_stable_copy_no_task_is_made() {
    let home = Home::new();
    std::fs::remove_file(home.exe()).unwrap();
    let sys = FakePlatform::new()
        .network_logon()
        .task_does(Some(&result_text(&found(1))), 0);
    let why = cannot(home.verify(&sys));
    assert!(why.contains("missing"), "{why}");
    assert!(sys.tasks_run().is_empty());
}

#[test]
fn the_tasks_paths_are_escaped_for_xml_and_quoted_for_the_command_line() {
    let task = task(
        "wufix-verify-1",
        Path::new(r"C:\Program Data & Co\wufix\bin\wufix.exe"),
        Path::new(r"C:\Program Data & Co\wufix\scan\r.json"),
        Duration::from_secs(60),
    );
    assert!(
        task.xml
            .contains(r"<Command>C:\Program Data &amp; Co\wufix\bin\wufix.exe</Command>"),
        "{}",
        task.xml
    );
    assert!(
        task.xml.contains(
            r#"<Arguments>verify-scan --result-file &quot;C:\Program Data &amp; Co\wufix\scan\r.json&quot; --timeout 60</Arguments>"#
        ),
        "{}",
        task.xml
    );
}

#[test]
fn the_result_file_carries_every_part_of_the_scan() {
    for scan in [
        found(2),
        Scan {
            hresult: 0x8024_402C,
            updates: None,
            timed_out: true,
            with_errors: true,
        },
    ] {
        assert_eq!(parse(&result_text(&scan)).unwrap(), scan);
    }
}
