//! What update blockers and debloaters leave behind, read from the registry (live, or a mounted
//! disk's hives) and the hosts file: each item with what Windows' own value is and why it blocks
//! updates. Policies count as residue only on a machine no organisation manages (a domain, MDM,
//! ConfigMgr); a syntactically valid remote WSUS server is always the organisation's.
//! `diagnose` words these as findings; what puts them back comes with the repair rung.

pub mod dll;
pub mod hosts;
pub mod keys;
pub mod script;
pub mod tasks;

use std::path::Path;

use crate::catalog::{AU_POLICY, WU_POLICY};
use crate::sys::registry::RegValue;
use crate::sys::{Platform, StartType};

/// The update services a blocker disables, with Windows 10/11's own start type for each
/// (`Start`: 2 automatic, 3 on demand; `delayed` for automatic delayed).
pub const SERVICES: &[(&str, u32, bool)] = &[
    ("wuauserv", 3, false),
    ("UsoSvc", 2, true),
    ("WaaSMedicSvc", 3, false),
    ("DoSvc", 2, true),
    ("BITS", 3, false),
    ("AppReadiness", 3, false),
    ("CryptSvc", 2, false),
    ("msiserver", 3, false),
];

const SERVICES_KEY: &str = r"SYSTEM\CurrentControlSet\Services";
pub const EXPLORER_POLICY: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer";
pub const UX_SETTINGS: &str = r"SOFTWARE\Microsoft\WindowsUpdate\UX\Settings";
const PAUSES: [&str; 3] = [
    "PauseUpdatesExpiryTime",
    "PauseFeatureUpdatesEndTime",
    "PauseQualityUpdatesEndTime",
];
/// Settings pauses for at most five weeks; a pause a year or more ahead is no person's click
/// (and no wrong clock's doing).
const PAUSE_LIMIT_DAYS: i64 = 365;

/// One thing left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Residue {
    /// `service-disabled`, `fake-wsus`, `wu-access-blocked`, `settings-page-hidden`,
    /// `pause-far-ahead`, `auto-update-off`, `hosts-block`, `failure-actions-emptied`,
    /// `service-dll-renamed`, `service-key-locked`, `update-task-disabled`,
    /// `update-task-deleted`.
    pub kind: &'static str,
    /// The registry value or file it is in.
    pub target: String,
    pub found: String,
    /// Windows' own value (what putting it back writes); `None` where the value is simply absent.
    pub usual: Option<String>,
    pub why: String,
    /// A blocker whose unique combination this is, when it is one.
    pub tool: Option<&'static str>,
    /// What puts it back (the `residue` rung's); empty where wufix leaves it to a person.
    pub fixes: Vec<Put>,
}

/// One change that puts an item back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Put {
    /// A registry value written back or removed.
    Value(ValueFix),
    /// A service's start type: through the service manager on a running Windows (which keeps
    /// its own copy and writes `Start` itself), as the `Start` value in a disk's hive.
    Start {
        service: &'static str,
        start: StartType,
    },
    /// The hosts file's blocking lines commented out (a running Windows only).
    Hosts { path: std::path::PathBuf },
    /// A scheduled task enabled again (through the Task Scheduler; a running Windows only).
    Task { path: &'static str },
    /// A service DLL a blocker renamed given its name back (never replacing a file).
    Rename {
        from: std::path::PathBuf,
        to: std::path::PathBuf,
    },
    /// A service key's descriptor put back (`keys::repaired`; a running Windows only).
    KeySecurity { key: String },
}

impl Put {
    /// A change to the registry (which a disk's hives can take from Windows PE).
    pub fn is_registry(&self) -> bool {
        matches!(self, Put::Value(_) | Put::Start { .. })
    }
}

/// One registry value to write back (`Some`) or remove (`None`), below HKLM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueFix {
    pub key: String,
    pub name: String,
    pub write: Option<crate::sys::registry::RegValue>,
}

fn remove(key: &str, name: &str) -> Put {
    Put::Value(ValueFix {
        key: key.to_string(),
        name: name.to_string(),
        write: None,
    })
}

/// Whether `key\name` is a value the residue rung writes: the only registry values (besides the
/// repair's own) a journal may make `undo` write back.
pub fn catalogued(key: &str, name: &str) -> bool {
    let is = |k: &str, names: &[&str]| {
        key.eq_ignore_ascii_case(k) && names.iter().any(|n| n.eq_ignore_ascii_case(name))
    };
    SERVICES.iter().any(|(svc, _, _)| {
        is(
            &format!(r"{SERVICES_KEY}\{svc}"),
            &["Start", "FailureActions"],
        )
    }) || is(
        WU_POLICY,
        &[
            "WUServer",
            "WUStatusServer",
            "UseWUServer",
            "DoNotConnectToWindowsUpdateInternetLocations",
            "DisableWindowsUpdateAccess",
        ],
    ) || is(AU_POLICY, &["UseWUServer", "NoAutoUpdate", "AUOptions"])
        || is(EXPLORER_POLICY, &["SettingsPageVisibility"])
        || is(UX_SETTINGS, &PAUSES)
}

/// Whether an organisation manages the machine: then its policies are never residue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Management {
    pub by: Vec<String>,
}

impl Management {
    pub fn is_managed(&self) -> bool {
        !self.by.is_empty()
    }
}

/// A domain, an MDM enrolment or a real WSUS server (`managed::detect`, the repair report's
/// view), or ConfigMgr's agent.
pub fn management(sys: &dyn Platform) -> Management {
    let managed = crate::managed::detect(sys);
    let mut by = Vec::new();
    if let Some(domain) = managed.domain {
        by.push(format!("the domain {domain}"));
    }
    if managed.mdm.is_some() {
        by.push("device management (MDM)".to_string());
    }
    let reg = sys.registry();
    if reg.key_exists(r"SOFTWARE\Microsoft\CCM").unwrap_or(false)
        || reg
            .key_exists(&format!(r"{SERVICES_KEY}\CcmExec"))
            .unwrap_or(false)
    {
        by.push("Configuration Manager".to_string());
    }
    if let Some(server) = managed.wsus {
        by.push(format!("the WSUS server {server}"));
    }
    Management { by }
}

fn text(sys: &dyn Platform, key: &str, name: &str) -> Option<String> {
    sys.registry()
        .value(key, name)
        .ok()
        .flatten()
        .and_then(|v| v.as_text())
}

fn dword(sys: &dyn Platform, key: &str, name: &str) -> Option<u32> {
    sys.registry()
        .value(key, name)
        .ok()
        .flatten()
        .and_then(|v| v.as_dword())
}

pub use crate::managed::is_real_server;

/// Every item found. `now` judges pauses; `windows_dir` holds the hosts file.
pub fn detect(
    sys: &dyn Platform,
    windows_dir: &Path,
    managed: &Management,
    now: jiff::Timestamp,
) -> Vec<Residue> {
    let mut out = Vec::new();
    services(sys, &mut out);
    dll::check(sys, windows_dir, &mut out);
    if !managed.is_managed() {
        policies(sys, &mut out);
    }
    pauses(sys, now, &mut out);
    tasks::check(sys, windows_dir, &mut out);
    out.extend(hosts::check(windows_dir));
    out
}

/// The failure actions the residue rung writes back: restart after 1 minute, again after 2,
/// nothing on the third failure, the count reset after a day. Windows' own values differ a
/// little by service and build (no table of them is published); these give back what matters:
/// Windows restarts the service when it fails. Written as the value (exactly reversible); when
/// the service manager takes it up is for real Windows to show (DEVELOPERS.md).
pub fn restart_actions() -> Vec<u8> {
    let mut bytes = Vec::new();
    // dwResetPeriod, lpRebootMsg, lpCommand, cActions, lpsaActions (the offset of the actions).
    for n in [86_400u32, 0, 0, 3, 20] {
        bytes.extend(n.to_le_bytes());
    }
    // (SC_ACTION_RESTART = 1, delay ms) twice, then SC_ACTION_NONE.
    for n in [1u32, 60_000, 1, 120_000, 0, 0] {
        bytes.extend(n.to_le_bytes());
    }
    bytes
}

/// Windows' own start type for `service`, when it is one of `SERVICES`.
pub fn usual_start_of(service: &str) -> Option<StartType> {
    SERVICES
        .iter()
        .find(|(s, _, _)| s.eq_ignore_ascii_case(service))
        .map(|&(_, start, delayed)| usual_start(start, delayed))
}

/// The start type of a `SERVICES` row.
fn usual_start(start: u32, delayed: bool) -> StartType {
    match (start, delayed) {
        (2, true) => StartType::AutoDelayed,
        (2, false) => StartType::Auto,
        _ => StartType::Demand,
    }
}

fn services(sys: &dyn Platform, out: &mut Vec<Residue>) {
    for &(name, start, delayed) in SERVICES {
        let key = format!(r"{SERVICES_KEY}\{name}");
        // First: a locked key keeps every later change to the service from being made.
        let security = sys.registry().key_security(&key);
        if matches!(security, Err(crate::sys::SysError::AccessDenied)) {
            // Locked so that administrators may not even read its permissions: the blockers'
            // strongest lock (a deny of READ_CONTROL, Everyone included).
            out.push(Residue {
                kind: "service-key-locked",
                target: format!(r"HKLM\{key}"),
                found: "administrators may not even read its permissions".into(),
                usual: Some("SYSTEM in full control, Administrators granted, no deny entries, owned by SYSTEM, Administrators or a service".into()),
                why: format!("a locked key keeps Windows (and any repair) from putting {name} back; blockers lock it so"),
                tool: None,
                fixes: vec![Put::KeySecurity { key: key.clone() }],
            });
        }
        if let Ok(Some(sd)) = security {
            let problems = keys::problems(&sd);
            if !problems.is_empty() {
                let fixable = keys::repaired(&sd).is_some();
                out.push(Residue {
                    kind: "service-key-locked",
                    target: format!(r"HKLM\{key}"),
                    found: problems.join("; "),
                    usual: Some("SYSTEM in full control, Administrators granted, no deny entries, owned by SYSTEM, Administrators or a service".into()),
                    why: format!("a locked key keeps Windows (and any repair) from putting {name} back; blockers lock it so"),
                    tool: None,
                    fixes: if fixable { vec![Put::KeySecurity { key: key.clone() }] } else { Vec::new() },
                });
            }
        }
        if dword(sys, &key, "Start") == Some(4) {
            let usual = match (start, delayed) {
                (2, true) => "2 (automatic, delayed)",
                (2, false) => "2 (automatic)",
                _ => "3 (on demand)",
            };
            out.push(Residue {
                kind: "service-disabled",
                target: format!(r"HKLM\{key}\Start"),
                found: "4 (disabled)".into(),
                usual: Some(usual.into()),
                why: format!("{name} disabled stops updates (0x80070422 for wuauserv and BITS); blockers set it so"),
                tool: None,
                fixes: vec![Put::Start { service: name, start: usual_start(start, delayed) }],
            });
        }
        // SERVICE_FAILURE_ACTIONS: a 20-byte header (reset, reboot message, command, count,
        // actions) then (type, delay) pairs; every action "none" means Windows never restarts it.
        if let Ok(Some(value)) = sys.registry().value(&key, "FailureActions") {
            let data = &value.data;
            let count = data
                .get(12..16)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
                .unwrap_or(0) as usize;
            let actions: Vec<u32> = (0..count.min(16))
                .filter_map(|i| data.get(20 + i * 8..24 + i * 8))
                .map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
                .collect();
            if data.len() >= 20 && actions.iter().all(|&t| t == 0) {
                out.push(Residue {
                    kind: "failure-actions-emptied",
                    target: format!(r"HKLM\{key}\FailureActions"),
                    found: if count == 0 { "no actions".into() } else { "every action 'take no action'".into() },
                    usual: Some("restart after 1 minute, then after 2 minutes; reset after a day".into()),
                    why: format!("Windows cannot restart {name} when it fails: blockers empty these so it stays down"),
                    tool: None,
                    fixes: vec![Put::Value(ValueFix { key: key.clone(), name: "FailureActions".into(), write: Some(RegValue::binary(restart_actions())) })],
                });
            }
        }
    }
}

fn policies(sys: &dyn Platform, out: &mut Vec<Residue>) {
    let server = text(sys, WU_POLICY, "WUServer");
    let (use_key, use_server) = [AU_POLICY, WU_POLICY]
        .iter()
        .find_map(|k| dword(sys, k, "UseWUServer").map(|n| (*k, Some(n))))
        .unwrap_or((AU_POLICY, None));
    let no_internet = dword(
        sys,
        WU_POLICY,
        "DoNotConnectToWindowsUpdateInternetLocations",
    ) == Some(1);
    if let (Some(server), Some(1)) = (&server, use_server) {
        if !is_real_server(server) {
            // WuMgr's "Block access to WU servers" writes exactly these three.
            let tool = (server.trim().is_empty() && no_internet)
                .then_some("WuMgr (\"Block access to WU servers\")");
            out.push(Residue {
                kind: "fake-wsus",
                target: format!(r"HKLM\{WU_POLICY}\WUServer"),
                found: format!("{server:?} with UseWUServer = 1"),
                usual: None,
                why: "a WSUS server that is blank, this machine or not an address: every scan fails (0x8024402C, 0x80244022) on a machine no organisation manages".into(),
                tool,
                fixes: vec![remove(WU_POLICY, "WUServer"), remove(use_key, "UseWUServer")],
            });
        }
    }
    if no_internet {
        out.push(Residue {
            kind: "wu-access-blocked",
            target: format!(r"HKLM\{WU_POLICY}\DoNotConnectToWindowsUpdateInternetLocations"),
            found: "1".into(),
            usual: None,
            why: "Windows Update may not reach Microsoft's servers (meant for WSUS clients, set on a machine with none)".into(),
            tool: None,
            fixes: vec![remove(WU_POLICY, "DoNotConnectToWindowsUpdateInternetLocations")],
        });
    }
    if dword(sys, WU_POLICY, "DisableWindowsUpdateAccess") == Some(1) {
        out.push(Residue {
            kind: "wu-access-blocked",
            target: format!(r"HKLM\{WU_POLICY}\DisableWindowsUpdateAccess"),
            found: "1".into(),
            usual: None,
            why: "every Windows Update feature is turned off by policy on a machine no organisation manages".into(),
            tool: None,
            fixes: vec![remove(WU_POLICY, "DisableWindowsUpdateAccess")],
        });
    }
    if let Some(page) = text(sys, EXPLORER_POLICY, "SettingsPageVisibility") {
        let lower = page.to_ascii_lowercase();
        let hidden = match lower.split_once(':') {
            Some(("hide", list)) => list
                .split(';')
                .any(|p| p.trim().starts_with("windowsupdate")),
            Some(("showonly", list)) => !list.split(';').any(|p| p.trim() == "windowsupdate"),
            _ => false,
        };
        if hidden {
            out.push(Residue {
                kind: "settings-page-hidden",
                target: format!(r"HKLM\{EXPLORER_POLICY}\SettingsPageVisibility"),
                found: page,
                usual: None,
                why: "the Windows Update page is gone from Settings".into(),
                tool: None,
                fixes: vec![remove(EXPLORER_POLICY, "SettingsPageVisibility")],
            });
        }
    }
    if dword(sys, AU_POLICY, "NoAutoUpdate") == Some(1) {
        out.push(Residue {
            kind: "auto-update-off",
            target: format!(r"HKLM\{AU_POLICY}\NoAutoUpdate"),
            found: "1".into(),
            usual: None,
            why: "automatic updates are turned off by policy on a machine no organisation manages"
                .into(),
            tool: None,
            fixes: vec![remove(AU_POLICY, "NoAutoUpdate")],
        });
    }
    if dword(sys, AU_POLICY, "AUOptions") == Some(1) {
        out.push(Residue {
            kind: "auto-update-off",
            target: format!(r"HKLM\{AU_POLICY}\AUOptions"),
            found: "1 (never check)".into(),
            usual: None,
            why: "Windows Update never checks for updates, by policy, on a machine no organisation manages".into(),
            tool: None,
            fixes: vec![remove(AU_POLICY, "AUOptions")],
        });
    }
}

fn pauses(sys: &dyn Platform, now: jiff::Timestamp, out: &mut Vec<Residue>) {
    for name in PAUSES {
        let Some(until) = text(sys, UX_SETTINGS, name) else {
            continue;
        };
        let Ok(at) = until.trim().parse::<jiff::Timestamp>() else {
            continue;
        };
        let days = (at.as_second() - now.as_second()) / 86_400;
        if days > PAUSE_LIMIT_DAYS {
            out.push(Residue {
                kind: "pause-far-ahead",
                target: format!(r"HKLM\{UX_SETTINGS}\{name}"),
                found: until.trim().to_string(),
                usual: None,
                why: format!(
                    "updates are paused {days} days ahead; Settings pauses five weeks at most"
                ),
                tool: None,
                fixes: vec![remove(UX_SETTINGS, name)],
            });
        }
    }
}

#[cfg(test)]
mod tests;
