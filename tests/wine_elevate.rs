//! The relaunch through `ShellExecuteExW("runas")`, as far as Wine shows it: Wine runs everything
//! elevated and shows no UAC prompt, so the call simply starts the program. This test program
//! starts itself that way (its own `main`, no test harness, so the extra `--report-pipe` the
//! relaunch adds is read here, not refused by libtest): the child writes down the arguments and
//! folder it got, sends a report through the pipe and exits 42. The call must start this very
//! exe, in this folder, with every argument intact (spaces, quotes, backslashes), wait for it and
//! hand back its exit code and its report. Windows build only.

#[cfg(windows)]
fn record() -> std::path::PathBuf {
    std::env::temp_dir().join("wufix-relaunched-args.txt")
}

#[cfg(windows)]
const TRICKY: &str = r#"a "quoted" arg\ with\\ spaces\"#;

#[cfg(windows)]
fn parent() {
    use std::path::PathBuf;
    let _ = std::fs::remove_file(record());
    let (sys, _) = wufix::sys::online().expect("the running (Wine) Windows");
    let args = [
        "relaunched-child".to_string(),
        TRICKY.to_string(),
        "--exact".to_string(),
    ];
    let done = sys
        .relaunch_elevated(&args)
        .expect("ShellExecuteExW starts it");
    assert_eq!(done.code, 42, "the child's exit code comes back");
    assert_eq!(
        done.report.as_deref(),
        Some("the child's report\nsecond line\n"),
        "the report comes back through the pipe"
    );
    let seen = std::fs::read_to_string(record()).expect("the child ran");
    let seen: Vec<&str> = seen.lines().collect();
    assert_eq!(seen[1..4], args, "every argument arrives as it was");
    assert_eq!(seen[4], "--report-pipe");
    assert!(wufix::sys::cmdline::is_report_pipe(seen[5]), "{}", seen[5]);
    assert_eq!(
        PathBuf::from(seen[0]),
        std::env::current_dir().unwrap(),
        "in the same folder"
    );

    // A child that never connects (an older wufix, a crash): no report, no hang.
    let done = sys
        .relaunch_elevated(&["relaunched-silent".to_string()])
        .expect("ShellExecuteExW starts it");
    assert_eq!((done.code, done.report), (7, None));
}

#[cfg(windows)]
fn child(args: &[String]) {
    use std::io::Write;
    let mut lines = vec![std::env::current_dir().unwrap().display().to_string()];
    lines.extend(args.iter().cloned());
    std::fs::write(record(), lines.join("\n")).unwrap();
    let pipe = &args[args.len() - 1];
    let mut sink = std::fs::OpenOptions::new().write(true).open(pipe).unwrap();
    sink.write_all(b"the child's report\n").unwrap();
    sink.write_all(b"second line\n").unwrap();
    drop(sink);
    std::process::exit(42);
}

fn main() {
    #[cfg(windows)]
    {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args.first().map(String::as_str) {
            Some("relaunched-child") => child(&args),
            Some("relaunched-silent") => std::process::exit(7),
            _ => {}
        }
        let filter = args.iter().find(|a| !a.starts_with('-'));
        if filter
            .is_some_and(|f| !"the_relaunch_hands_back_exit_code_and_report".contains(f.as_str()))
        {
            println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out");
            return;
        }
        println!("test the_relaunch_hands_back_exit_code_and_report ...");
        parent();
        println!("test the_relaunch_hands_back_exit_code_and_report ... ok");
        println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    }
}
