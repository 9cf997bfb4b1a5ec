//! Windows' own repair programs, run by absolute path and journaled as what they are: changes
//! wufix cannot reverse. regsvr32 for the update DLLs, `netsh winsock reset`, DISM's
//! RestoreHealth and sfc; their last lines go into the report, DISM's percentages to the meter.

use std::path::{Path, PathBuf};

use super::tools::{self, Registration, SfcVerdict};
use super::{Context, Fix};
use crate::explain;
use crate::journal::Op;
use crate::progress::Meter;
use crate::record::{Action, Outcome, StepRecord};
use crate::sys::Platform;

/// How many of a program's last lines the report keeps.
const OUTPUT_LINES: usize = 25;

/// Re-register the update DLLs present on this Windows: an XP/7-era step, skipped on Windows
/// 10/11 and Server 2016 and later (`modern`, the build), where TrustedInstaller owns those
/// registrations (regsvr32 as an administrator gets access denied) and re-registering shell32 or
/// mshtml rewrites shell registrations unrelated to updates; DISM and sfc repair what matters.
#[derive(Clone, Debug)]
pub struct RegisterDlls {
    pub regsvr32: PathBuf,
    pub dlls: Vec<PathBuf>,
    pub modern: Option<String>,
}

impl RegisterDlls {
    fn skipped_here(&self) -> Option<String> {
        self.modern.as_ref().map(|build| {
            format!(
                "skipped on this Windows (build {build}): from Windows 10 and Server 2016 on, TrustedInstaller owns these registrations, so regsvr32 fails with access denied and re-registering shell DLLs rewrites the shell's own entries; DISM and sfc (the deep rung) repair what matters"
            )
        })
    }
}

/// `netsh winsock reset`, the catalogue saved first.
#[derive(Clone, Debug)]
pub struct WinsockReset {
    pub netsh: PathBuf,
}

/// DISM /Online /Cleanup-Image /RestoreHealth.
#[derive(Clone, Debug)]
pub struct Dism {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

/// sfc /scannow. Its verdict is read from the `[SR]` lines it writes to `cbs_log` while it runs
/// (English on every Windows); its own words (localised) only where the log says nothing.
#[derive(Clone, Debug)]
pub struct Sfc {
    pub exe: PathBuf,
    pub cbs_log: PathBuf,
}

/// At most this much of CBS.log is read after sfc: its own lines are a few megabytes.
const MAX_SFC_LOG: u64 = 64 << 20;

/// The `[SR]` lines CBS.log gained since it was `start` bytes long (from its start when it is
/// now shorter: rotated while sfc ran).
fn sfc_log_since(path: &Path, start: u64) -> tools::SfcLog {
    use std::io::{Read, Seek, SeekFrom};
    let mut log = tools::SfcLog::default();
    let Ok(mut file) = std::fs::File::open(path) else {
        return log;
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let from = if start <= len { start } else { 0 };
    if file.seek(SeekFrom::Start(from)).is_err() {
        return log;
    }
    let _ = crate::lines::for_each_line(file.take(MAX_SFC_LOG), |line| log.feed(line));
    log
}

impl Fix for RegisterDlls {
    fn action(&self) -> Action {
        Action::RegisterDlls
    }

    fn target(&self) -> String {
        self.regsvr32.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        if let Some(why) = self.skipped_here() {
            return self.record(Outcome::Skipped, why);
        }
        self.record(
            Outcome::Planned,
            format!(
                "re-register the {} update DLLs present with regsvr32 /s (those with nothing to register are skipped); cannot be undone, and needs no undo",
                self.dlls.len()
            ),
        )
        .irreversible()
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        if let Some(why) = self.skipped_here() {
            return self.record(Outcome::Skipped, why);
        }
        if self.dlls.is_empty() {
            return self
                .record(
                    Outcome::Skipped,
                    "none of the update DLLs is present".into(),
                )
                .irreversible();
        }
        let regsvr32 = &self.regsvr32;
        let op = Op::Program {
            exe: regsvr32.display().to_string(),
            args: self.dlls.iter().map(|d| d.display().to_string()).collect(),
            saved: Vec::new(),
        };
        let (mut done, mut nothing, mut failed) = (0, Vec::new(), Vec::new());
        let result = cx.change(op, |sys, _| {
            for dll in &self.dlls {
                let name = dll
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let args = vec!["/s".to_string(), dll.display().to_string()];
                match sys.run_program(regsvr32, &args, &mut |_| {}) {
                    Ok(code) => match tools::registration(code) {
                        Registration::Done => done += 1,
                        Registration::NotRegistrable => nothing.push(name),
                        Registration::Failed(code) => failed.push(format!("{name} (exit {code})")),
                    },
                    Err(err) => return Err(format!("cannot run {}: {err}", regsvr32.display())),
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(format!("failed: {}", failed.join(", ")))
            }
        });
        let mut detail = format!("{done} re-registered");
        if !nothing.is_empty() {
            detail.push_str(&format!("; nothing to register in {}", nothing.join(", ")));
        }
        match result {
            Ok(()) => self.record(Outcome::Done, detail),
            Err(err) => self.record(Outcome::Failed, format!("{detail}; {err}")),
        }
        .irreversible()
    }
}

impl Fix for WinsockReset {
    fn action(&self) -> Action {
        Action::WinsockReset
    }

    fn target(&self) -> String {
        self.netsh.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            "netsh winsock reset, after saving the catalogue in the journal; cannot be undone: VPN or security software that adds a Winsock provider may need reinstalling, and Windows must restart".into(),
        )
        .irreversible()
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let netsh = &self.netsh;
        // The catalogue as it was, for the record: a reset cannot be reversed by wufix.
        let mut saved = Vec::new();
        if netsh.is_file() {
            let args = ["winsock", "show", "catalog"].map(String::from);
            let _ = cx.sys.run_program(netsh, &args, &mut |l| {
                if saved.len() < 2000 && !l.trim().is_empty() {
                    saved.push(l.trim().to_string());
                }
            });
        }
        let args = ["winsock", "reset"].map(String::from);
        match journaled(cx, netsh, &args, saved, "Winsock") {
            Ok((_, tail)) => with_output(
                self.record(Outcome::Done, "Winsock catalogue reset (the old one is saved in the journal); restart Windows for it to take effect".into()),
                tail,
            ),
            Err((why, tail)) => with_output(
                self.record(Outcome::Failed, format!("netsh winsock reset failed: {why}")),
                tail,
            ),
        }
        .irreversible()
    }
}

impl Fix for Dism {
    fn action(&self) -> Action {
        Action::Dism
    }

    fn target(&self) -> String {
        self.exe.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "DISM {}: repairs the component store (can take 15 to 60 minutes; progress is shown; log: %windir%\\Logs\\DISM\\dism.log); cannot be undone, and needs no undo",
                self.args.join(" ")
            ),
        )
        .irreversible()
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        match journaled(cx, &self.exe, &self.args, Vec::new(), "DISM") {
            Ok((code, tail)) => with_output(
                self.record(
                    Outcome::Done,
                    format!(
                        "the component store is repaired (exit {code}{}); log: %windir%\\Logs\\DISM\\dism.log",
                        if code == 3010 { ", restart needed" } else { "" }
                    ),
                ),
                tail,
            ),
            Err((why, tail)) => with_output(
                self.record(
                    Outcome::Failed,
                    format!(
                        "DISM failed: {why}; see %windir%\\Logs\\DISM\\dism.log and %windir%\\Logs\\CBS\\CBS.log"
                    ),
                ),
                tail,
            ),
        }
        .irreversible()
    }
}

impl Fix for Sfc {
    fn action(&self) -> Action {
        Action::Sfc
    }

    fn target(&self) -> String {
        self.exe.display().to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            "sfc /scannow: checks and repairs system files (log: %windir%\\Logs\\CBS\\CBS.log); cannot be undone, and needs no undo".into(),
        )
        .irreversible()
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let exe = &self.exe;
        let args = vec!["/scannow".to_string()];
        // sfc's exit code says little: its words decide, so a non-zero exit is read, not failed.
        let op = Op::Program {
            exe: exe.display().to_string(),
            args: args.clone(),
            saved: Vec::new(),
        };
        let mut out: Option<(u32, Vec<String>)> = None;
        let before = std::fs::metadata(&self.cbs_log).map_or(0, |m| m.len());
        let mut verdict = SfcVerdict::Unknown;
        let ran = cx.change(op, |sys, meter| {
            let (code, tail) = program(sys, meter, exe, &args, "sfc")?;
            verdict = sfc_log_since(&self.cbs_log, before)
                .verdict()
                .unwrap_or_else(|| tools::sfc_verdict(&tail));
            out = Some((code, tail));
            match verdict {
                SfcVerdict::Clean | SfcVerdict::Repaired => Ok(()),
                SfcVerdict::Unknown if code == 0 => Ok(()),
                SfcVerdict::CouldNotRepair => Err("found corrupt files it could not repair".into()),
                SfcVerdict::CouldNotRun => Err("could not perform the operation".into()),
                SfcVerdict::Unknown => Err(format!("exit code {}", code_text(code))),
            }
        });
        let tail = out.map(|(_, t)| t).unwrap_or_default();
        let log = "log: %windir%\\Logs\\CBS\\CBS.log";
        let record = match ran {
            Ok(()) => self.record(
                Outcome::Done,
                match verdict {
                    SfcVerdict::Clean => format!("no integrity violations; {log}"),
                    SfcVerdict::Repaired => {
                        format!("found corrupt files and repaired them; restart Windows; {log}")
                    }
                    _ => format!("finished; {log}"),
                },
            ),
            Err(err) => self.record(Outcome::Failed, format!("sfc: {err}; {log}")),
        };
        with_output(record, tail).irreversible()
    }
}

/// Run a program, keeping its last lines; DISM-style percentages go to the meter.
fn program(
    sys: &dyn Platform,
    meter: &dyn Meter,
    exe: &Path,
    args: &[String],
    label: &str,
) -> Result<(u32, Vec<String>), String> {
    if !exe.is_file() {
        return Err(format!("{} is not there", exe.display()));
    }
    let mut tail: Vec<String> = Vec::new();
    let result = sys.run_program(exe, args, &mut |line| {
        if let Some(p) = tools::percent(line) {
            meter.percent(label, p);
        } else if !line.trim().is_empty() {
            if tail.len() == OUTPUT_LINES {
                tail.remove(0);
            }
            tail.push(line.trim().to_string());
        }
    });
    meter.done();
    result
        .map(|code| (code, tail))
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))
}

/// A program's exit code with its name, where wufix knows one.
fn code_text(code: u32) -> String {
    match explain::explain("", code).names.first() {
        Some(n) => format!("0x{code:08X} {}", n.name),
        None => format!("{code} (0x{code:08X})"),
    }
}

/// Run `exe` as a journaled change: its exit code and last lines, or why it failed with them.
fn journaled(
    cx: &mut Context,
    exe: &Path,
    args: &[String],
    saved: Vec<String>,
    label: &str,
) -> Result<(u32, Vec<String>), (String, Vec<String>)> {
    let op = Op::Program {
        exe: exe.display().to_string(),
        args: args.to_vec(),
        saved,
    };
    let mut out: Option<(u32, Vec<String>)> = None;
    let result = cx.change(op, |sys, meter| {
        let (code, tail) = program(sys, meter, exe, args, label)?;
        out = Some((code, tail));
        // 3010: done, a restart is needed.
        if code == 0 || code == 3010 {
            Ok(())
        } else {
            Err(format!("exit code {}", code_text(code)))
        }
    });
    let (code, tail) = out.unwrap_or_default();
    match result {
        Ok(()) => Ok((code, tail)),
        Err(why) => Err((why, tail)),
    }
}

fn with_output(mut record: StepRecord, tail: Vec<String>) -> StepRecord {
    record.output = tail;
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_sfc_wrote_to_cbs_log_since_it_started_counts() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("CBS.log");
        let sr = |m: &str| {
            format!("2026-11-20 08:15:00, Info                  CSI    00000008 [SR] {m}\r\n")
        };
        // An earlier run's failure, before sfc started: not this run's.
        std::fs::write(&log, sr("Cannot repair member file [l:10]'opencl.dll'")).unwrap();
        let start = std::fs::metadata(&log).unwrap().len();
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str(&sr("Verifying 100 components"));
        text.push_str(&sr("Verify complete"));
        std::fs::write(&log, &text).unwrap();
        assert_eq!(
            sfc_log_since(&log, start).verdict(),
            Some(SfcVerdict::Clean)
        );
        // Rotated while sfc ran (now shorter than at the start): read from its beginning.
        std::fs::write(
            &log,
            sr("Repairing corrupted file x") + &sr("Verify complete"),
        )
        .unwrap();
        assert_eq!(
            sfc_log_since(&log, start + 1000).verdict(),
            Some(SfcVerdict::Repaired)
        );
        // No log at all: no verdict from it.
        assert_eq!(sfc_log_since(&dir.path().join("none"), 0).verdict(), None);
    }
}
