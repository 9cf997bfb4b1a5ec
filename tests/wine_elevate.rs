//! The relaunch through `ShellExecuteExW("runas")`, as far as Wine shows it: Wine runs everything
//! elevated and shows no UAC prompt, so the call simply starts the program. This test binary
//! starts itself that way, running only `relaunched_child`, which writes down the arguments it got
//! and exits 42: the call must start this very exe, in this folder, with every argument intact
//! (spaces, quotes, backslashes), wait for it and hand back its exit code. Windows build only.
#![cfg(windows)]

mod common;

use std::path::PathBuf;

fn record() -> PathBuf {
    std::env::temp_dir().join("wufix-relaunched-args.txt")
}

const TRICKY: &str = r#"a "quoted" arg\ with\\ spaces\"#;

#[test]
fn the_relaunch_starts_this_exe_with_the_same_arguments_and_returns_its_exit_code() {
    let _ = std::fs::remove_file(record());
    let (sys, _) = wufix::sys::online().expect("the running (Wine) Windows");
    let args = [
        "relaunched_child".to_string(),
        TRICKY.to_string(),
        "--exact".to_string(),
        "--ignored".to_string(),
    ];
    let code = sys
        .relaunch_elevated(&args)
        .expect("ShellExecuteExW starts it");
    assert_eq!(code, 42, "the child's exit code comes back");
    let seen = std::fs::read_to_string(record()).expect("the child ran");
    let seen: Vec<&str> = seen.lines().collect();
    assert_eq!(seen[1..], args, "every argument arrives as it was");
    assert_eq!(
        PathBuf::from(seen[0]),
        std::env::current_dir().unwrap(),
        "in the same folder"
    );
}

/// Run only by the test above, through the relaunch.
#[test]
#[ignore]
fn relaunched_child() {
    let mut lines = vec![std::env::current_dir().unwrap().display().to_string()];
    lines.extend(std::env::args().skip(1));
    std::fs::write(record(), lines.join("\n")).unwrap();
    std::process::exit(42);
}
