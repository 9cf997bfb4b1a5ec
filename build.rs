//! The Windows exe's resources: the application manifest (asInvoker, Windows 10/11,
//! longPathAware), the version information (from Cargo.toml), the icon, and the message table
//! the Application log's events take their text from (`assets/wufix.mc`, compiled by windmc).
//! Built with mingw's windres through winresource; nothing to do for any other target.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets/wufix.exe.manifest");
    println!("cargo:rerun-if-changed=assets/wufix.ico");
    println!("cargo:rerun-if-changed=assets/wufix.mc");
    println!("cargo:rerun-if-env-changed=WINDMC");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    // The same bytes for the same commit (scripts/release.sh): GNU ld stamps the link time
    // into the PE header unless told not to.
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu") {
        println!("cargo:rustc-link-arg=-Wl,--no-insert-timestamp");
    }
    let table = message_table();
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/wufix.ico")
        .set_manifest_file("assets/wufix.exe.manifest")
        .set("ProductName", "wufix")
        .set("FileDescription", "wufix - repairs Windows Update")
        .set(
            "LegalCopyright",
            "Copyright (c) the wufix developers. MIT OR Apache-2.0",
        )
        .set("OriginalFilename", "wufix.exe")
        .append_rc_content(&format!(
            "LANGUAGE 0x9, 0x1\n1 MESSAGETABLE \"{}\"\n",
            table.display().to_string().replace('\\', "/")
        ));
    if let Err(err) = res.compile() {
        panic!("cannot build the Windows resources (is mingw's windres installed?): {err}");
    }
}

/// `assets/wufix.mc` compiled by windmc (mingw's; `WINDMC` names another): the binary
/// message table, in OUT_DIR.
fn message_table() -> PathBuf {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let windmc = std::env::var("WINDMC").unwrap_or_else(|_| {
        if cfg!(windows) {
            "windmc".to_string()
        } else {
            let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
            format!("{arch}-w64-mingw32-windmc")
        }
    });
    let status = Command::new(&windmc)
        .arg("-r")
        .arg(&out)
        .arg("-h")
        .arg(&out)
        .arg("assets/wufix.mc")
        .status();
    match status {
        Ok(status) if status.success() => out.join("MSG00409.bin"),
        Ok(status) => panic!("{windmc} failed on assets/wufix.mc ({status})"),
        Err(err) => panic!(
            "cannot run {windmc} for the event log's message table (mingw's binutils; set WINDMC \
             to another): {err}"
        ),
    }
}
