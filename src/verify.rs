//! A repair's verify scan where fleets run it. The Windows Update Agent refuses to search from a
//! network logon (WinRM, SSH: 0x80070005 on current builds), so the choice is made by the logon,
//! never by the code — 0x80070005 from a local scan is exactly what the full rung cures. From a
//! network logon the scan runs as SYSTEM in a one-shot scheduled task: the task runs wufix's
//! stable copy in its protected folder (never the exe this run was started from, which its user
//! could replace), writes its result into that folder, and is deleted afterwards. When that cannot
//! be done, the repair cannot verify from here: it says so and climbs no further.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sys::{OneShotTask, Platform, Scan, SysError};

/// The hidden command the task runs: one scan, its result written to a file.
pub const COMMAND: &str = "verify-scan";
/// A result file larger than this is not ours.
const MAX_RESULT: u64 = 64 * 1024;
/// Time for the task to start and its exe to load, beyond the scan's own timeout.
const TASK_SLACK: Duration = Duration::from_secs(120);

/// Where the scan runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// In this process: a local logon (a console, a service, a scheduled task, Intune's agent).
    Here,
    /// As SYSTEM through a one-shot task: this process has a network logon.
    AsSystem,
}

/// Where the scan must run, by this process's logon. A token that cannot be read is taken as
/// local: the scan then says what it says, as before.
pub fn choose(sys: &dyn Platform) -> Where {
    match sys.network_logon() {
        Ok(true) => Where::AsSystem,
        _ => Where::Here,
    }
}

/// How the scan went, or why it could not be asked from here.
#[derive(Debug)]
pub enum Verified {
    Scanned {
        scan: Scan,
        via_task: bool,
    },
    /// A network logon, and the task could not run the scan: the reason.
    CannotVerify(String),
    /// The scan could not be started at all (as `scan_for_updates` says).
    Failed(SysError),
}

/// The scan as the task writes it for the run that waits.
#[derive(Debug, Serialize, Deserialize)]
struct ResultFile {
    hresult: u32,
    updates: Option<u32>,
    timed_out: bool,
    with_errors: bool,
}

/// `scan` as the result file's text.
pub fn result_text(scan: &Scan) -> String {
    serde_json::to_string(&ResultFile {
        hresult: scan.hresult,
        updates: scan.updates,
        timed_out: scan.timed_out,
        with_errors: scan.with_errors,
    })
    .unwrap_or_default()
}

fn parse(text: &str) -> Result<Scan, String> {
    let file: ResultFile =
        serde_json::from_str(text).map_err(|err| format!("its result is not wufix's ({err})"))?;
    Ok(Scan {
        hresult: file.hresult,
        updates: file.updates,
        timed_out: file.timed_out,
        with_errors: file.with_errors,
    })
}

/// Text for an XML element or attribute value.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The one-shot task: SYSTEM, highest rights, no trigger (run on demand only), hidden, allowed
/// on battery, ended by the scheduler after the scan's time and some, never run twice at once.
pub fn task(name: &str, exe: &Path, result: &Path, timeout: Duration) -> OneShotTask {
    let args = [
        COMMAND.to_string(),
        "--result-file".to_string(),
        result.display().to_string(),
        "--timeout".to_string(),
        timeout.as_secs().to_string(),
    ];
    let arguments = args
        .iter()
        .map(|a| crate::sys::cmdline::quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let limit = (timeout + TASK_SLACK).as_secs().div_ceil(60);
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Author>wufix</Author>
    <Description>wufix: one Windows Update scan as SYSTEM for a repair started from a network logon. Deleted when it ends.</Description>
  </RegistrationInfo>
  <Principals>
    <Principal id="System">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>false</StartWhenAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>true</Hidden>
    <ExecutionTimeLimit>PT{limit}M</ExecutionTimeLimit>
  </Settings>
  <Actions Context="System">
    <Exec>
      <Command>{}</Command>
      <Arguments>{}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
        xml_escape(&exe.display().to_string()),
        xml_escape(&arguments),
    );
    OneShotTask {
        name: name.to_string(),
        xml,
        result_file: result.to_path_buf(),
    }
}

/// The scan, here or as SYSTEM: `exe` is the stable copy, `dir` the protected folder the result
/// comes back through (both under wufix's lock), `id` makes the task's name this run's.
pub fn scan(
    sys: &dyn Platform,
    exe: &Path,
    dir: &Path,
    id: &str,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Verified {
    if choose(sys) == Where::Here {
        return match sys.scan_for_updates(timeout, cancel) {
            Ok(scan) => Verified::Scanned {
                scan,
                via_task: false,
            },
            Err(err) => Verified::Failed(err),
        };
    }
    match as_system(sys, exe, dir, id, timeout, cancel) {
        Ok(scan) => Verified::Scanned {
            scan,
            via_task: true,
        },
        Err(why) => Verified::CannotVerify(why),
    }
}

fn as_system(
    sys: &dyn Platform,
    exe: &Path,
    dir: &Path,
    id: &str,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<Scan, String> {
    if !exe.is_file() {
        return Err(format!("wufix's own copy {} is missing", exe.display()));
    }
    std::fs::create_dir_all(dir).map_err(|err| format!("cannot make {}: {err}", dir.display()))?;
    let name = format!("wufix-verify-{id}");
    let result: PathBuf = dir.join(format!("{name}.json"));
    // A file left by a run before is never taken for this one's.
    match std::fs::remove_file(&result) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("cannot clear {}: {err}", result.display()));
        }
        _ => {}
    }
    let task = task(&name, exe, &result, timeout);
    let code = sys
        .run_task(&task, timeout + TASK_SLACK, cancel)
        .map_err(|err| format!("the scheduled task that scans as SYSTEM could not run ({err})"))?;
    let text = read_result(sys, &result);
    let _ = std::fs::remove_file(&result);
    match text {
        Ok(text) => parse(&text),
        Err(why) if code != 0 => Err(format!("the scheduled task ended with 0x{code:08X}: {why}")),
        Err(why) => Err(why),
    }
}

/// The result file, if it is what SYSTEM wrote: small, and owned by a trusted account.
fn read_result(sys: &dyn Platform, path: &Path) -> Result<String, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err("the scheduled task wrote no result".into());
        }
        Err(err) => return Err(format!("cannot read the task's result: {err}")),
    };
    if !meta.is_file() || meta.len() > MAX_RESULT {
        return Err("the task's result is not a small plain file".into());
    }
    if matches!(sys.owned_by_trusted(path), Ok(false)) {
        return Err("the task's result was not written by SYSTEM or an administrator".into());
    }
    std::fs::read_to_string(path).map_err(|err| format!("cannot read the task's result: {err}"))
}

#[cfg(test)]
mod tests;
