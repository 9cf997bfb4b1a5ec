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
