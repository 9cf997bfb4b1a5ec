//! The Windows exe's resources: the application manifest (asInvoker, Windows 10/11,
//! longPathAware), the version information (from Cargo.toml) and the icon. Built with mingw's
//! windres through winresource; nothing to do for any other target.

fn main() {
    println!("cargo:rerun-if-changed=assets/wufix.exe.manifest");
    println!("cargo:rerun-if-changed=assets/wufix.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/wufix.ico")
        .set_manifest_file("assets/wufix.exe.manifest")
        .set("ProductName", "wufix")
        .set("FileDescription", "wufix - repairs Windows Update")
        .set(
            "LegalCopyright",
            "Copyright (c) the wufix developers. MIT OR Apache-2.0",
        )
        .set("OriginalFilename", "wufix.exe");
    if let Err(err) = res.compile() {
        panic!("cannot build the Windows resources (is mingw's windres installed?): {err}");
    }
}
