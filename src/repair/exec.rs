//! Running a repair step: every change written to the journal before it is made (a change the
//! journal cannot record is not made), then made through the platform, then its outcome.

use std::path::Path;

use super::sddl;
use super::steps::{
    CONNECTIONS, PROXY_VALUE, RepairStep, WSUS_IDENTITY, WU_CLIENT, revert_allowed,
};
use super::tools::{self, Registration, SfcVerdict};
use crate::explain;
use crate::journal::{Change, Recorder};
use crate::progress::Meter;
use crate::report::{Outcome, StepRecord};
use crate::sys::{Platform, RegValue, ServiceState, SysError};

/// How many of a program's last lines the report keeps.
const OUTPUT_LINES: usize = 25;

pub struct Context<'a> {
    pub sys: &'a dyn Platform,
    pub journal: &'a mut dyn Recorder,
    pub meter: &'a dyn Meter,
}

impl Context<'_> {
    /// Write `change` down, make it, write how it ended. `Err` when it was not made or failed.
    fn change(
        &mut self,
        change: Change,
        make: impl FnOnce(&dyn Platform, &dyn Meter) -> Result<(), String>,
    ) -> Result<(), String> {
        self.journal
            .intent(&change)
            .map_err(|e| format!("the journal cannot record it ({e}); not changed"))?;
        let result = make(self.sys, self.meter);
        let detail = result.as_ref().err().cloned().unwrap_or_default();
        self.journal.outcome(&change, result.is_ok(), &detail);
        result
    }
}

pub fn run(step: &RepairStep, cx: &mut Context) -> StepRecord {
    let record = |outcome: Outcome, detail: String| {
        StepRecord::new(step.action(), step.target(), outcome, detail)
    };
    match step {
        RepairStep::ServiceDacl { service, .. } => service_dacl(service, cx, record),
        RepairStep::WsusIdentity { server } => wsus(server, cx, record),
        RepairStep::RegisterDlls { regsvr32, dlls } => {
            register(regsvr32, dlls, cx, record).irreversible()
        }
        RepairStep::WinsockReset { netsh } => winsock(netsh, cx, record).irreversible(),
        RepairStep::ProxyReset => proxy(cx, record),
        RepairStep::Dism { exe, args } => dism(exe, args, cx, record).irreversible(),
        RepairStep::Sfc { exe } => sfc(exe, cx, record).irreversible(),
        RepairStep::Revert(change) => revert(change, cx, record),
    }
}

fn service_dacl(
    service: &str,
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
    let live = match cx.sys.service_dacl(service) {
        Ok(live) => live,
        Err(SysError::NoSuchService) => {
            return record(Outcome::Skipped, "not installed on this machine".into());
        }
        Err(err) => {
            return record(
                Outcome::Failed,
                format!("cannot read its permissions: {err}"),
            );
        }
    };
    let Some(default) = sddl::default_for(service) else {
        return record(
            Outcome::Skipped,
            format!(
                "Microsoft publishes no default for it: its permissions ({live}) are recorded and left as they are"
            ),
        );
    };
    let assessment = match sddl::assess(&live, default) {
        Ok(a) => a,
        Err(err) => {
            return record(
                Outcome::Failed,
                format!("cannot read its permissions: {err}"),
            );
        }
    };
    if !assessment.differs() {
        return record(
            Outcome::Skipped,
            "matches Windows' default; left as it is".into(),
        );
    }
    let change = Change::ServiceDacl {
        name: service.to_string(),
        before: live.clone(),
        after: assessment.repaired.clone(),
    };
    match cx.change(change, |sys, _| {
        sys.set_service_dacl(service, &assessment.repaired)
            .map_err(|e| e.to_string())
    }) {
        Ok(()) => record(
            Outcome::Done,
            format!(
                "differed from Windows' default ({}); now {} (was {live}; undo puts it back)",
                assessment.describe(),
                assessment.repaired
            ),
        ),
        Err(err) => record(
            Outcome::Failed,
            format!("could not write its permissions: {err}"),
        ),
    }
}

fn wsus(
    server: &str,
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
    // The agent keeps its identity in memory while it runs and would write it back.
    match cx.sys.service_status("wuauserv") {
        Ok(s) if s.state == ServiceState::Stopped => {}
        Ok(s) => {
            return record(
                Outcome::Skipped,
                format!(
                    "wuauserv is {} (it could not be stopped): the WSUS identity is left as it is",
                    s.state.as_str()
                ),
            );
        }
        Err(SysError::NoSuchService) => {}
        Err(err) => return record(Outcome::Failed, format!("cannot query wuauserv: {err}")),
    }
    let mut removed = Vec::new();
    for name in WSUS_IDENTITY {
        let before = match cx.sys.registry_value(WU_CLIENT, name) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(err) => return record(Outcome::Failed, format!("cannot read {name}: {err}")),
        };
        let change = Change::RegistryValue {
            key: WU_CLIENT.into(),
            name: name.into(),
            before: Some(before),
            after: None,
        };
        if let Err(err) = cx.change(change, |sys, _| {
            sys.set_registry_value(WU_CLIENT, name, None)
                .map_err(|e| e.to_string())
        }) {
            return record(Outcome::Failed, format!("could not remove {name}: {err}"));
        }
        removed.push(name);
    }
    if removed.is_empty() {
        return record(
            Outcome::Skipped,
            format!("WSUS-managed ({server}), but no client identity is stored: nothing to reset"),
        );
    }
    record(
        Outcome::Done,
        format!(
            "removed {}: this computer registers with {server} afresh at its next scan (undo puts them back)",
            removed.join(" and ")
        ),
    )
}

fn register(
    regsvr32: &Path,
    dlls: &[std::path::PathBuf],
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
    if dlls.is_empty() {
        return record(
            Outcome::Skipped,
            "none of the update DLLs is present".into(),
        );
    }
    let args: Vec<String> = dlls.iter().map(|d| d.display().to_string()).collect();
    let change = Change::Program {
        exe: regsvr32.to_path_buf(),
        args: args.clone(),
        saved: Vec::new(),
    };
    let (mut done, mut nothing, mut failed) = (0, Vec::new(), Vec::new());
    let result = cx.change(change, |sys, _| {
        for dll in dlls {
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
        Ok(()) => record(Outcome::Done, detail),
        Err(err) => record(Outcome::Failed, format!("{detail}; {err}")),
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
fn journaled_program(
    cx: &mut Context,
    exe: &Path,
    args: &[String],
    saved: Vec<String>,
    label: &str,
) -> Result<(u32, Vec<String>), (String, Vec<String>)> {
    let change = Change::Program {
        exe: exe.to_path_buf(),
        args: args.to_vec(),
        saved,
    };
    let mut out: Option<(u32, Vec<String>)> = None;
    let result = cx.change(change, |sys, meter| {
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

fn winsock(
    netsh: &Path,
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
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
    match journaled_program(cx, netsh, &args, saved, "Winsock") {
        Ok((_, tail)) => with_output(
            record(Outcome::Done, "Winsock catalogue reset (the old one is saved in the journal); restart Windows for it to take effect".into()),
            tail,
        ),
        Err((why, tail)) => {
            with_output(record(Outcome::Failed, format!("netsh winsock reset failed: {why}")), tail)
        }
    }
}

/// The WinHTTP setting for direct access, keeping the blob's version and advancing its counter
/// (WinHTTP reloads a setting whose counter changed), as `netsh winhttp reset proxy` writes it.
pub fn direct_blob(before: &[u8]) -> Vec<u8> {
    let word = |at: usize| {
        before
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let version = word(0).unwrap_or(0x18);
    let counter = word(4).unwrap_or(0).wrapping_add(1);
    [version, counter, 1, 0, 0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

fn proxy(cx: &mut Context, record: impl Fn(Outcome, String) -> StepRecord) -> StepRecord {
    let before = match cx.sys.registry_value(CONNECTIONS, PROXY_VALUE) {
        Ok(before) => before,
        Err(err) => {
            return record(
                Outcome::Failed,
                format!("cannot read the WinHTTP setting: {err}"),
            );
        }
    };
    let blob = match &before {
        None => {
            return record(
                Outcome::Skipped,
                "no WinHTTP proxy is set: already direct access".into(),
            );
        }
        Some(RegValue::Binary(blob)) => blob.clone(),
        Some(other) => {
            return record(
                Outcome::Failed,
                format!("the WinHTTP setting has an unexpected type ({other:?}); left as it is"),
            );
        }
    };
    let server = match crate::diagnose::decode_winhttp(&blob) {
        Some(crate::diagnose::WinHttpProxy::Direct) => {
            return record(
                Outcome::Skipped,
                "no WinHTTP proxy is set: already direct access".into(),
            );
        }
        Some(crate::diagnose::WinHttpProxy::Proxy { server, .. }) => server,
        None => "an unreadable setting".into(),
    };
    let after = RegValue::Binary(direct_blob(&blob));
    let change = Change::RegistryValue {
        key: CONNECTIONS.into(),
        name: PROXY_VALUE.into(),
        before: Some(RegValue::Binary(blob)),
        after: Some(after.clone()),
    };
    match cx.change(change, |sys, _| {
        sys.set_registry_value(CONNECTIONS, PROXY_VALUE, Some(&after))
            .map_err(|e| e.to_string())
    }) {
        Ok(()) => record(
            Outcome::Done,
            format!("was {server}; now direct access (undo puts {server} back)"),
        ),
        Err(err) => record(
            Outcome::Failed,
            format!("could not reset the WinHTTP proxy: {err}"),
        ),
    }
}

fn dism(
    exe: &Path,
    args: &[String],
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
    match journaled_program(cx, exe, args, Vec::new(), "DISM") {
        Ok((code, tail)) => with_output(
            record(
                Outcome::Done,
                format!(
                    "the component store is repaired (exit {code}{}); log: %windir%\\Logs\\DISM\\dism.log",
                    if code == 3010 { ", restart needed" } else { "" }
                ),
            ),
            tail,
        ),
        Err((why, tail)) => with_output(
            record(
                Outcome::Failed,
                format!(
                    "DISM failed: {why}; see %windir%\\Logs\\DISM\\dism.log and %windir%\\Logs\\CBS\\CBS.log"
                ),
            ),
            tail,
        ),
    }
}

fn sfc(exe: &Path, cx: &mut Context, record: impl Fn(Outcome, String) -> StepRecord) -> StepRecord {
    let args = vec!["/scannow".to_string()];
    // sfc's exit code says little: its words decide, so a non-zero exit is read, not failed.
    let change = Change::Program {
        exe: exe.to_path_buf(),
        args: args.clone(),
        saved: Vec::new(),
    };
    let mut out: Option<(u32, Vec<String>)> = None;
    let ran = cx.change(change, |sys, meter| {
        let (code, tail) = program(sys, meter, exe, &args, "sfc")?;
        let verdict = tools::sfc_verdict(&tail);
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
    let verdict = tools::sfc_verdict(&tail);
    let log = "log: %windir%\\Logs\\CBS\\CBS.log";
    let record = match ran {
        Ok(()) => record(
            Outcome::Done,
            match verdict {
                SfcVerdict::Clean => format!("no integrity violations; {log}"),
                SfcVerdict::Repaired => {
                    format!("found corrupt files and repaired them; restart Windows; {log}")
                }
                _ => format!("finished; {log}"),
            },
        ),
        Err(err) => record(Outcome::Failed, format!("sfc: {err}; {log}")),
    };
    with_output(record, tail)
}

/// The same entries, whatever their order or spelling.
fn same_dacl(a: &str, b: &str) -> bool {
    match (sddl::parse(a), sddl::parse(b)) {
        (Ok(mut x), Ok(mut y)) => {
            let key = |e: &sddl::Ace| (e.kind.clone(), e.flags.clone(), e.sid.clone(), e.rights);
            x.sort_by_key(key);
            y.sort_by_key(key);
            x == y
        }
        _ => a == b,
    }
}

fn revert(
    change: &Change,
    cx: &mut Context,
    record: impl Fn(Outcome, String) -> StepRecord,
) -> StepRecord {
    if let Err(why) = revert_allowed(change) {
        return record(
            Outcome::Failed,
            format!("not put back: {why}; the journal is not trusted for it"),
        );
    }
    match change {
        Change::ServiceDacl {
            name,
            before,
            after,
        } => {
            let live = match cx.sys.service_dacl(name) {
                Ok(live) => live,
                Err(err) => {
                    return record(
                        Outcome::Failed,
                        format!("cannot read its permissions: {err}"),
                    );
                }
            };
            if same_dacl(&live, before) {
                return record(
                    Outcome::Skipped,
                    "already as it was before the repair".into(),
                );
            }
            // Changed since the repair (by an administrator, a policy): theirs stands.
            if !same_dacl(&live, after) {
                return record(
                    Outcome::Skipped,
                    format!(
                        "changed since the repair (now {live}; the repair wrote {after}); left as it is"
                    ),
                );
            }
            let undo = Change::ServiceDacl {
                name: name.clone(),
                before: live,
                after: before.clone(),
            };
            match cx.change(undo, |sys, _| {
                sys.set_service_dacl(name, before)
                    .map_err(|e| e.to_string())
            }) {
                Ok(()) => record(Outcome::Done, format!("permissions put back: {before}")),
                Err(err) => record(
                    Outcome::Failed,
                    format!("could not put its permissions back: {err}"),
                ),
            }
        }
        Change::RegistryValue {
            key,
            name,
            before,
            after,
        } => {
            let live = match cx.sys.registry_value(key, name) {
                Ok(live) => live,
                Err(err) => return record(Outcome::Failed, format!("cannot read it: {err}")),
            };
            if live == *before {
                return record(
                    Outcome::Skipped,
                    "already as it was before the repair".into(),
                );
            }
            if live != *after {
                return record(
                    Outcome::Skipped,
                    "changed since the repair; left as it is".into(),
                );
            }
            let undo = Change::RegistryValue {
                key: key.clone(),
                name: name.clone(),
                before: live,
                after: before.clone(),
            };
            match cx.change(undo, |sys, _| {
                sys.set_registry_value(key, name, before.as_ref())
                    .map_err(|e| e.to_string())
            }) {
                Ok(()) => record(Outcome::Done, "put back as it was before the repair".into()),
                Err(err) => record(Outcome::Failed, format!("could not put it back: {err}")),
            }
        }
        _ => record(Outcome::Failed, "not a setting".into()),
    }
}
