//! Windows' own repair programs as wufix calls and reads them: DISM's command line and progress
//! bar, sfc's verdict, regsvr32's exit codes. Pure text handling, unit-tested here.

use std::path::{Path, PathBuf};

/// The DISM arguments for an online RestoreHealth; with a source, `/Source:` the image (WIM or
/// ESD, by extension, index 1 unless given) and `/LimitAccess` so Windows Update is not asked.
pub fn dism_args(source: Option<&Source>) -> Vec<String> {
    let mut args: Vec<String> = ["/Online", "/Cleanup-Image", "/RestoreHealth"]
        .map(String::from)
        .to_vec();
    if let Some(source) = source {
        let kind = if source
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("esd"))
        {
            "ESD"
        } else {
            "WIM"
        };
        args.push(format!(
            "/Source:{kind}:{}:{}",
            source.path.display(),
            source.index
        ));
        args.push("/LimitAccess".into());
    }
    args
}

/// A repair source: an `install.wim`/`install.esd` and the image index in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub index: u32,
}

impl Source {
    /// `PATH` or `PATH:INDEX`. The file must exist and be a .wim or .esd: checked before any work.
    pub fn parse(text: &str) -> Result<Source, String> {
        let (path, index) = match text.rsplit_once(':') {
            Some((path, index))
                if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let index: u32 = index
                    .parse()
                    .map_err(|_| format!("--source {text}: the image index is too large"))?;
                (path, index)
            }
            _ => (text, 1),
        };
        if index == 0 {
            return Err(format!("--source {text}: image indexes start at 1"));
        }
        let path = PathBuf::from(path);
        let ext_ok = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("wim") || e.eq_ignore_ascii_case("esd"));
        if !ext_ok {
            return Err(format!(
                "--source {text}: name an install.wim or install.esd (for example D:\\sources\\install.wim, from a mounted ISO of the same Windows build)"
            ));
        }
        if !path.is_file() {
            return Err(format!("--source {}: no such file", path.display()));
        }
        Ok(Source { path, index })
    }
}

/// The percentage on a DISM progress line (`[====   42.5%   ]`; `17,0%` where the decimal mark
/// is a comma), if it has one.
pub fn percent(line: &str) -> Option<f32> {
    let at = line.find('%')?;
    let start = line[..at]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map_or(0, |i| i + 1);
    let value: f32 = line[start..at].replace(',', ".").parse().ok()?;
    (0.0..=100.0).contains(&value).then_some(value)
}

/// What sfc said it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SfcVerdict {
    Clean,
    Repaired,
    CouldNotRepair,
    CouldNotRun,
    Unknown,
}

/// What sfc wrote to CBS.log while it ran: its `[SR]` lines, which stay English whatever the
/// language of Windows (sfc's own words are localised: a German "konnte nicht reparieren"
/// must not read as success).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SfcLog {
    /// `[SR]` lines seen at all.
    pub lines: usize,
    /// `Cannot repair member file`, `Could not reproject corrupted file`.
    pub unrepaired: usize,
    /// `Repairing corrupted file`, `Repaired file`.
    pub repaired: usize,
    /// `Verify complete`.
    pub verified: bool,
}

impl SfcLog {
    /// Read one line of CBS.log.
    pub fn feed(&mut self, line: &str) {
        let Some(at) = line.find("[SR] ") else {
            return;
        };
        let rest = &line[at + 5..];
        self.lines += 1;
        if rest.starts_with("Cannot repair member file")
            || rest.starts_with("Could not reproject corrupted file")
        {
            self.unrepaired += 1;
        } else if rest.starts_with("Repairing corrupted file") || rest.starts_with("Repaired file")
        {
            self.repaired += 1;
        } else if rest.starts_with("Verify complete") {
            self.verified = true;
        }
    }

    /// The verdict these lines prove, if they prove one.
    pub fn verdict(&self) -> Option<SfcVerdict> {
        if self.unrepaired > 0 {
            Some(SfcVerdict::CouldNotRepair)
        } else if self.repaired > 0 {
            Some(SfcVerdict::Repaired)
        } else if self.verified {
            Some(SfcVerdict::Clean)
        } else {
            None
        }
    }
}

/// sfc's verdict from its last lines (its exit code says little). English only: where CBS.log
/// says, [`SfcLog`] decides.
pub fn sfc_verdict(lines: &[String]) -> SfcVerdict {
    let text = lines.join(" ").to_ascii_lowercase();
    if text.contains("did not find any integrity violations") {
        SfcVerdict::Clean
    } else if text.contains("unable to fix some of them") {
        SfcVerdict::CouldNotRepair
    } else if text.contains("successfully repaired") {
        SfcVerdict::Repaired
    } else if text.contains("could not perform the requested operation")
        || text.contains("must be an administrator")
    {
        SfcVerdict::CouldNotRun
    } else {
        SfcVerdict::Unknown
    }
}

/// A program's path in the Windows folder's System32: never looked up through PATH.
pub fn system32(windows_dir: &Path, exe: &str) -> PathBuf {
    windows_dir.join("System32").join(exe)
}

/// The DLLs Microsoft's reset procedure re-registers. Those missing on this Windows are skipped.
pub const UPDATE_DLLS: &[&str] = &[
    "atl.dll",
    "urlmon.dll",
    "mshtml.dll",
    "shdocvw.dll",
    "browseui.dll",
    "jscript.dll",
    "vbscript.dll",
    "scrrun.dll",
    "msxml.dll",
    "msxml3.dll",
    "msxml6.dll",
    "actxprxy.dll",
    "softpub.dll",
    "wintrust.dll",
    "dssenh.dll",
    "rsaenh.dll",
    "gpkcsp.dll",
    "sccbase.dll",
    "slbcsp.dll",
    "cryptdlg.dll",
    "oleaut32.dll",
    "ole32.dll",
    "shell32.dll",
    "initpki.dll",
    "wuapi.dll",
    "wuaueng.dll",
    "wuaueng1.dll",
    "wucltui.dll",
    "wups.dll",
    "wups2.dll",
    "wuweb.dll",
    "qmgr.dll",
    "qmgrprxy.dll",
    "wucltux.dll",
    "muweb.dll",
    "wuwebv.dll",
];

/// How a `regsvr32 /s` ended: its documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    Done,
    /// 3: cannot be loaded; 4: has no DllRegisterServer. Nothing to register: not a failure.
    NotRegistrable,
    Failed(u32),
}

pub fn registration(exit: u32) -> Registration {
    match exit {
        0 => Registration::Done,
        3 | 4 => Registration::NotRegistrable,
        other => Registration::Failed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dism_progress_is_read_from_its_bar_and_nothing_else() {
        assert_eq!(
            percent("[==========                 18.3%                          ]"),
            Some(18.3)
        );
        assert_eq!(
            percent("[===========================100.0%==========================]"),
            Some(100.0)
        );
        assert_eq!(
            percent("[=                          2.0%                           ] "),
            Some(2.0)
        );
        // A comma as the decimal mark (German, French DISM).
        assert_eq!(
            percent("[==========                 17,0%                          ]"),
            Some(17.0)
        );
        assert_eq!(percent("Image Version: 10.0.19045.5131"), None);
        assert_eq!(percent("Error: 0x800f081f"), None);
        assert_eq!(percent("150%"), None);
        assert_eq!(percent("%"), None);
    }

    #[test]
    fn sfc_is_judged_by_what_it_says() {
        let said = |s: &str| sfc_verdict(&[s.to_string()]);
        assert_eq!(
            said("Windows Resource Protection did not find any integrity violations."),
            SfcVerdict::Clean
        );
        assert_eq!(
            said("Windows Resource Protection found corrupt files and successfully repaired them."),
            SfcVerdict::Repaired
        );
        assert_eq!(
            said(
                "Windows Resource Protection found corrupt files but was unable to fix some of them."
            ),
            SfcVerdict::CouldNotRepair
        );
        assert_eq!(
            said("Windows Resource Protection could not perform the requested operation."),
            SfcVerdict::CouldNotRun
        );
        assert_eq!(said("Verification 100% complete."), SfcVerdict::Unknown);
        // Localised words are not read as success: unknown, for CBS.log to decide.
        assert_eq!(
            said(
                "Der Windows-Ressourcenschutz hat beschädigte Dateien gefunden, konnte jedoch einige davon nicht reparieren."
            ),
            SfcVerdict::Unknown
        );
    }

    #[test]
    fn sfc_is_judged_by_its_sr_lines_in_cbs_log_whatever_the_language() {
        let verdict = |lines: &[&str]| {
            let mut log = SfcLog::default();
            for line in lines {
                log.feed(line);
            }
            log.verdict()
        };
        let sr = |m: &str| {
            format!("2026-11-20 08:15:00, Info                  CSI    00000008 [SR] {m}")
        };
        assert_eq!(
            verdict(&[&sr("Verifying 100 components"), &sr("Verify complete")]),
            Some(SfcVerdict::Clean)
        );
        assert_eq!(
            verdict(&[
                &sr("Repairing corrupted file \\??\\C:\\Windows\\System32\\x.dll"),
                &sr("Verify complete")
            ]),
            Some(SfcVerdict::Repaired)
        );
        assert_eq!(
            verdict(&[
                &sr("Repairing corrupted file x"),
                &sr("Cannot repair member file [l:10]'opencl.dll' of OpenCL"),
                &sr("Verify complete")
            ]),
            Some(SfcVerdict::CouldNotRepair)
        );
        assert_eq!(
            verdict(&["2026-11-20 08:15:00, Info CBS Session: 1_1 initialized"]),
            None
        );
    }

    #[test]
    fn a_source_is_checked_before_anything_runs() {
        let dir = tempfile::tempdir().unwrap();
        let wim = dir.path().join("install.wim");
        std::fs::write(&wim, b"x").unwrap();
        let esd = dir.path().join("INSTALL.ESD");
        std::fs::write(&esd, b"x").unwrap();
        let s = Source::parse(&wim.display().to_string()).unwrap();
        assert_eq!(s.index, 1);
        assert_eq!(
            dism_args(Some(&s))[3..],
            [
                format!("/Source:WIM:{}:1", wim.display()),
                "/LimitAccess".to_string()
            ]
        );
        let s = Source::parse(&format!("{}:6", esd.display())).unwrap();
        assert_eq!(s.index, 6);
        assert!(dism_args(Some(&s))[3].starts_with("/Source:ESD:"));
        assert!(Source::parse(&format!("{}:0", wim.display())).is_err());
        assert!(Source::parse(&dir.path().join("missing.wim").display().to_string()).is_err());
        assert!(Source::parse(&dir.path().display().to_string()).is_err());
        assert_eq!(
            dism_args(None),
            ["/Online", "/Cleanup-Image", "/RestoreHealth"]
        );
    }

    #[test]
    fn regsvr32_codes_for_a_dll_with_nothing_to_register_are_not_failures() {
        assert_eq!(registration(0), Registration::Done);
        assert_eq!(registration(4), Registration::NotRegistrable);
        assert_eq!(registration(5), Registration::Failed(5));
    }
}
