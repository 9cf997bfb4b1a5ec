//! The Windows exe looks like Windows software: its version resource, read back through
//! `GetFileVersionInfoW` (by the test helper) from the exe the build made. Windows build only.
#![cfg(windows)]

mod common;

use common::text;
use common::wine::helper;

#[test]
fn the_exe_carries_its_product_name_and_cargo_version() {
    let out = helper(&["version", env!("CARGO_BIN_EXE_wufix")]);
    assert!(out.status.success(), "{}", text(&out));
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(info.contains("ProductName=wufix\n"), "{info}");
    assert!(
        info.contains("FileDescription=wufix - repairs Windows Update"),
        "{info}"
    );
    assert!(
        info.contains(&format!("ProductVersion={version}")),
        "{info}"
    );
    // The fixed part, as Explorer's Details tab shows it: 0.1.0 → 0.1.0.0.
    assert!(info.contains(&format!("FIXED {version}.0\n")), "{info}");
}

/// Event Viewer's text for wufix's events: the message table compiled in (windmc), read as
/// Event Viewer reads it, the exe loaded as data. Wine keeps no Application log, so the event
/// itself is proven through Wine's debug channel (`wine_event_log`).
#[test]
fn the_exe_carries_the_event_logs_message_table() {
    for id in ["1000", "1001", "1002", "1003"] {
        let out = helper(&[
            "message",
            env!("CARGO_BIN_EXE_wufix"),
            id,
            "wufix reset: done | exit 0 (success)",
        ]);
        assert!(out.status.success(), "{id}: {}", text(&out));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            shown.trim_end(),
            "wufix reset: done | exit 0 (success)",
            "{id}"
        );
    }
    // An ID the table does not hold has no text: the lookup is real.
    let out = helper(&["message", env!("CARGO_BIN_EXE_wufix"), "1004", "x"]);
    assert!(!out.status.success(), "{}", text(&out));
}
