//! Stand-ins for DISM and sfc, which Wine lacks: the helper copied to `System32\dism.exe` or
//! `System32\sfc.exe` prints what the real one prints (DISM's progress bar redrawn with bare
//! carriage returns; sfc in UTF-16, as it writes to a pipe) and exits with the code a test chose.

use std::io::Write;

/// `Some(exit code)` when this process is a stand-in (by its file name).
pub fn run() -> Option<i32> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_string_lossy().to_ascii_lowercase();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // What the stand-in was asked, for the test to read back.
    let _ = std::fs::write(format!(r"C:\wufix-test\{stem}.args"), args.join("\n"));
    let chosen = std::fs::read_to_string(format!(r"C:\wufix-test\{stem}.exit")).unwrap_or_default();
    let chosen = chosen.trim();
    let code = match chosen.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).unwrap_or(1),
        None => chosen.parse().unwrap_or(0),
    };
    let mut out = std::io::stdout().lock();
    match stem.as_str() {
        "dism" => {
            let _ = write!(
                out,
                "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.19041.844 (wufix stand-in)\r\n\r\n"
            );
            for p in [10.0, 55.5, 100.0] {
                let _ = write!(out, "\r[==========   {p:.1}%   ==========]");
                let _ = out.flush();
                // Slow enough for a progress bar to be drawn at each step.
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            if code == 0 {
                let _ = write!(
                    out,
                    "\r\nThe restore operation completed successfully.\r\nThe operation completed successfully.\r\n"
                );
            } else {
                let _ = write!(
                    out,
                    "\r\n\r\nError: 0x{code:08x}\r\n\r\nThe source files could not be found.\r\n"
                );
            }
        }
        "sfc" => {
            let verdict = std::fs::read_to_string(r"C:\wufix-test\sfc.verdict").unwrap_or_default();
            // A German Windows: sfc's words are localised, the [SR] lines it writes to CBS.log
            // (appended here, as sfc does) stay English.
            if verdict.trim() == "unable-de" {
                use std::io::Write as _;
                let _ = std::fs::create_dir_all(r"C:\windows\Logs\CBS");
                if let Ok(mut log) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(r"C:\windows\Logs\CBS\CBS.log")
                {
                    for m in [
                        "Verifying 100 components",
                        "Cannot repair member file [l:10]'opencl.dll' of OpenCL, version 10.0.19041.1",
                        "Verify complete",
                    ] {
                        let _ = write!(
                            log,
                            "2026-11-20 08:15:00, Info                  CSI    00000008 [SR] {m}\r\n"
                        );
                    }
                }
            }
            let last = match verdict.trim() {
                "unable-de" => {
                    "Der Windows-Ressourcenschutz hat beschädigte Dateien gefunden, konnte jedoch einige davon nicht reparieren."
                }
                "unable" => {
                    "Windows Resource Protection found corrupt files but was unable to fix some of them."
                }
                "repaired" => {
                    "Windows Resource Protection found corrupt files and successfully repaired them."
                }
                _ => "Windows Resource Protection did not find any integrity violations.",
            };
            let text = format!(
                "\r\nBeginning system scan.  This process will take some time.\r\n\r\nVerification 100% complete.\r\n\r\n{last}\r\n"
            );
            let wide: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let _ = out.write_all(&wide);
        }
        _ => return None,
    }
    let _ = out.flush();
    Some(code as i32)
}
