//! The technician's flow across modes: a reset of a Windows disk made offline from a rescue
//! system (here: the native Linux build on the Wine prefix's drive, `--windows-dir`), then the
//! disk booted and `wufix undo` run online (here: the Windows build under Wine, on that same
//! tree). The journal keeps paths relative to the volume root, so the online undo finds the
//! offline run and puts both folders back. Runs on the Linux side; `scripts/test.sh` sets
//! `WUFIX_WINE_EXE` once the Wine prefix is up.
#![cfg(unix)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{json, text};

fn prefix() -> PathBuf {
    PathBuf::from(std::env::var("WINEPREFIX").expect("scripts/env.sh sets WINEPREFIX"))
}

#[test]
fn a_reset_made_offline_from_linux_is_undone_online_on_the_same_disk() {
    let Ok(exe) = std::env::var("WUFIX_WINE_EXE") else {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    };
    let wine64 =
        std::env::var("WUFIX_WINE64").unwrap_or_else(|_| "/usr/lib/wine/wine64".to_string());
    let windows = prefix().join("drive_c").join("windows");
    let sd = windows.join("SoftwareDistribution");
    let catroot2 = windows.join("system32").join("catroot2");
    for (dir, mark) in [(&sd, "sd"), (&catroot2, "cat")] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("cross-mode.txt"), mark).unwrap();
    }

    // Offline, from Linux.
    let out = common::output(
        Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args(["reset", "--yes", "--json", "--windows-dir"])
            .arg(&windows)
            .stdin(Stdio::null()),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["mode"], "offline");
    assert!(!sd.join("cross-mode.txt").exists(), "set aside offline");

    // Online, under Wine, on the same tree.
    let out = common::output(
        Command::new(&wine64)
            .args([exe.as_str(), "undo", "--yes", "--json"])
            .stdin(Stdio::null()),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["mode"], "online", "{report:#}");
    for (dir, mark) in [(&sd, "sd"), (&catroot2, "cat")] {
        assert_eq!(
            std::fs::read_to_string(dir.join("cross-mode.txt")).unwrap(),
            mark,
            "{report:#}"
        );
        std::fs::remove_file(dir.join("cross-mode.txt")).unwrap();
    }
}
