//! The residue rung's changes: a registry value an update blocker left, written back to Windows'
//! own value or removed — journaled with its type and bytes first, so `undo` can put the
//! blocker's value back exactly (and only while the value is still what this wrote) — and an
//! update service it disabled, given its start type back through the service manager.

use super::{Context, Fix};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::residue::ValueFix;
use crate::sys::{RegValue, StartType, SysError};

#[derive(Clone, Debug)]
pub struct ResidueValue {
    pub fix: ValueFix,
    /// Why it blocks updates, for the plan.
    pub why: String,
}

impl ResidueValue {
    fn what(&self) -> String {
        match &self.fix.write {
            Some(value) => format!(
                "set to Windows' own {}",
                value
                    .as_dword()
                    .map(|d| d.to_string())
                    .or_else(|| value.as_text())
                    .unwrap_or_else(|| value.hex())
            ),
            None => "remove".to_string(),
        }
    }
}

impl Fix for ResidueValue {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        format!(r"HKLM\{}\{}", self.fix.key, self.fix.name)
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!("{} ({}); undo puts it back", self.what(), self.why),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let ValueFix { key, name, write } = &self.fix;
        let before = match cx.sys.registry().value(key, name) {
            Ok(value) => value,
            Err(err) => return self.record(Outcome::Failed, format!("cannot read it: {err}")),
        };
        if before == *write {
            return self.record(Outcome::Skipped, "already Windows' own".into());
        }
        match write_value(cx, key, name, write.as_ref()) {
            Ok(how) => self.record(
                Outcome::Done,
                format!("{}{how}; undo puts it back", self.what()),
            ),
            // A protected key (WaaSMedicSvc's): Windows lets only SYSTEM or its owner write it.
            Err(err) => self.record(
                Outcome::Failed,
                format!(
                    "{err}; set it by hand as administrator (`reg add` or `reg delete` on HKLM\\{key} /v {name}); a protected service's key needs SYSTEM or taking ownership"
                ),
            ),
        }
    }
}

/// A disabled update service set back to its usual start type. Through the service manager, not
/// the `Start` value: it keeps its own copy of each service's configuration, and a value written
/// behind its back would leave the service disabled until Windows restarts.
#[derive(Clone, Debug)]
pub struct ResidueStart {
    pub service: &'static str,
    pub start: StartType,
    pub why: String,
}

impl Fix for ResidueStart {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        self.service.to_string()
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "start type back to Windows' own {} ({}); undo puts it back",
                self.start.as_str(),
                self.why
            ),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        if cx.sys.is_offline() {
            return self.offline(cx);
        }
        let before = match cx.sys.query_service(self.service) {
            Ok(Some(info)) => info.start_type,
            Ok(None) => {
                return self.record(Outcome::Skipped, "not installed on this machine".into());
            }
            Err(err) => return self.record(Outcome::Failed, format!("cannot read it: {err}")),
        };
        if before != StartType::Disabled {
            // The service manager's copy is fine, but the value it reads when Windows starts
            // says disabled (written behind its back): that value is put back instead.
            let key = format!(r"SYSTEM\CurrentControlSet\Services\{}", self.service);
            let value = cx.sys.registry().value(&key, "Start").ok().flatten();
            if value.and_then(|v| v.as_dword()) == Some(4) {
                let mut record = self.by_value(cx);
                record.detail = format!(
                    "{} (the service manager had it {} already; Windows would have read the value at its next start)",
                    record.detail,
                    before.as_str()
                );
                return record;
            }
            return self.record(
                Outcome::Skipped,
                format!("no longer disabled ({}); left as it is", before.as_str()),
            );
        }
        let op = Op::ServiceStart {
            name: self.service.to_string(),
            before,
            after: self.start,
        };
        let service = self.service;
        let start = self.start;
        let mut denied = false;
        let result = cx.change(op, |sys, _| {
            sys.set_start_type(service, start).map_err(|e| {
                denied = matches!(e, SysError::AccessDenied);
                e.to_string()
            })
        });
        match result {
            Ok(()) => self.record(
                Outcome::Done,
                format!("start type {}; undo puts it back", start.as_str()),
            ),
            // Launch-protected (WaaSMedicSvc): the manager refuses even administrators. The
            // value it reads at the next start is written instead.
            Err(err) if denied => {
                let key = format!(r"SYSTEM\CurrentControlSet\Services\{service}");
                let code = if start.is_automatic() { 2 } else { 3 };
                match write_value(cx, &key, "Start", Some(&RegValue::dword(code))) {
                    Ok(how) => self.record(
                        Outcome::Done,
                        format!(
                            "the service manager refused ({err}); written as its Start value{how}: Windows takes it up when it next starts; undo puts it back"
                        ),
                    ),
                    Err(why) => self.record(
                        Outcome::Failed,
                        format!("{why}; {}", refused(service, start, &err)),
                    ),
                }
            }
            Err(err) => self.record(Outcome::Failed, err),
        }
    }
}

impl ResidueStart {
    /// The `Start` value Windows reads when it starts, written (journaled, undoable).
    fn by_value(&self, cx: &mut Context) -> StepRecord {
        let code = if self.start.is_automatic() { 2 } else { 3 };
        let by_value = ResidueValue {
            fix: ValueFix {
                key: format!(r"SYSTEM\CurrentControlSet\Services\{}", self.service),
                name: "Start".into(),
                write: Some(RegValue::dword(code)),
            },
            why: self.why.clone(),
        };
        let mut record = by_value.run(cx);
        record.target = self.target();
        record
    }

    /// A mounted Windows has no service manager: its start type is the value it reads at boot.
    fn offline(&self, cx: &mut Context) -> StepRecord {
        let key = format!(r"SYSTEM\CurrentControlSet\Services\{}", self.service);
        match cx.sys.registry().value(&key, "Start") {
            Ok(Some(v)) if v.as_dword() == Some(4) => {
                let mut record = self.by_value(cx);
                if record.outcome == Outcome::Done {
                    record.detail = format!(
                        "{} (the Start value of the disk's registry: that Windows takes it up when it starts)",
                        record.detail
                    );
                }
                record
            }
            Ok(Some(_)) => {
                self.record(Outcome::Skipped, "no longer disabled; left as it is".into())
            }
            Ok(None) => self.record(Outcome::Skipped, "not installed on this Windows".into()),
            Err(err) => self.record(Outcome::Failed, format!("cannot read it: {err}")),
        }
    }
}

/// Write a value, journaled; where its key lets Administrators only read it (WaaSMedicSvc's, by
/// Windows' design), Administrators take ownership and full control for the one write and the
/// key's owner and permissions are put back exactly after — each change journaled first. The
/// `Ok` says which way it went.
pub(super) fn write_value(
    cx: &mut Context,
    key: &str,
    name: &str,
    value: Option<&RegValue>,
) -> Result<&'static str, String> {
    let before = cx
        .sys
        .registry()
        .value(key, name)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let op = || Op::RegistryValue {
        key: key.to_string(),
        name: name.to_string(),
        before: before.clone(),
        after: value.cloned(),
    };
    let mut denied = false;
    let direct = cx.change(op(), |sys, _| {
        sys.registry().set_value(key, name, value).map_err(|e| {
            denied = matches!(e, SysError::AccessDenied);
            e.to_string()
        })
    });
    match direct {
        Ok(()) => return Ok(""),
        Err(err) if !denied => return Err(err),
        Err(_) => {}
    }
    let sd = match cx.sys.registry().key_security(key) {
        Ok(Some(sd)) => sd,
        Ok(None) => return Err("the key is gone".into()),
        Err(err) => return Err(format!("cannot read its permissions: {err}")),
    };
    let open = crate::residue::keys::opened_for_administrators(&sd)
        .ok_or_else(|| format!("its permissions hold entries wufix does not rewrite: {sd}"))?;
    let security = |before: &str, after: &str| Op::KeySecurity {
        key: key.to_string(),
        before: before.to_string(),
        after: after.to_string(),
    };
    cx.change(security(&sd, &open), |sys, _| {
        sys.registry()
            .set_key_security(key, &open)
            .map_err(|e| e.to_string())
    })?;
    let wrote = cx.change(op(), |sys, _| {
        sys.registry()
            .set_value(key, name, value)
            .map_err(|e| e.to_string())
    });
    // The owner and permissions back, whatever the write did.
    let back = cx.change(security(&open, &sd), |sys, _| {
        sys.registry()
            .set_key_security(key, &sd)
            .map_err(|e| e.to_string())
    });
    wrote?;
    back.map_err(|e| {
        format!("written, but its owner and permissions could not be put back ({e}): they are still {open}; they were {sd}")
    })?;
    Ok(
        " (Administrators took ownership of the key for the write; its owner and permissions are back as they were)",
    )
}

/// The manual step when the service manager refuses: WaaSMedicSvc's configuration (and a key a
/// blocker locked) takes SYSTEM, or ownership of its key; Windows reads the value at its next
/// start.
fn refused(service: &str, start: StartType, err: &str) -> String {
    let code = if start.is_automatic() { 2 } else { 3 };
    format!(
        "{err}: the service manager refused. As SYSTEM (or after taking ownership of HKLM\\SYSTEM\\CurrentControlSet\\Services\\{service} for Administrators): `reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\{service}\" /v Start /t REG_DWORD /d {code} /f`, then restart Windows"
    )
}

/// A service key a blocker locked, given back: denies removed, SYSTEM's full control (and
/// Administrators' where they had nothing) added, a foreign owner replaced by Administrators
/// (`residue::keys`). The platform takes ownership first where the key is locked against
/// administrators.
#[derive(Clone, Debug)]
pub struct KeySecurity {
    pub key: String,
    pub why: String,
}

impl Fix for KeySecurity {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        format!(r"HKLM\{}", self.key)
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "unlock it: deny entries removed, SYSTEM given full control (Administrators too where they had nothing), every other grant kept ({}); undo puts the old permissions back",
                self.why
            ),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let mut before = cx.sys.registry().key_security(&self.key);
        if matches!(before, Err(SysError::AccessDenied)) {
            // Not even readable: Administrators take ownership first (an owner may read and
            // write its permissions). What it was cannot be saved, and the journal says so.
            let key = &self.key;
            let op = Op::KeySecurity {
                key: key.clone(),
                before: UNREADABLE.into(),
                after: "O:BA".into(),
            };
            if let Err(err) = cx.change(op, |sys, _| {
                sys.registry()
                    .take_key_ownership(key)
                    .map_err(|e| e.to_string())
            }) {
                return self.record(Outcome::Failed, manual(&err));
            }
            before = cx.sys.registry().key_security(&self.key);
        }
        let before = match before {
            Ok(Some(sd)) => sd,
            Ok(None) => return self.record(Outcome::Skipped, "the key is gone".into()),
            Err(err) => {
                return self.record(
                    Outcome::Failed,
                    format!("cannot read its permissions: {err}"),
                );
            }
        };
        if crate::residue::keys::problems(&before).is_empty() {
            return self.record(Outcome::Skipped, "no longer locked".into());
        }
        let Some(after) = crate::residue::keys::repaired(&before) else {
            return self.record(
                Outcome::Skipped,
                format!("its permissions hold entries wufix does not rewrite: {before}"),
            );
        };
        let op = Op::KeySecurity {
            key: self.key.clone(),
            before,
            after: after.clone(),
        };
        let key = &self.key;
        match cx.change(op, |sys, _| {
            sys.registry()
                .set_key_security(key, &after)
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => self.record(
                Outcome::Done,
                format!("unlocked: {after}; undo puts the old permissions back"),
            ),
            Err(err) => self.record(Outcome::Failed, manual(&err)),
        }
    }
}

/// An update task a blocker disabled, enabled again through the Task Scheduler (and read back:
/// a change the scheduler accepts but does not keep is said, not taken for done).
#[derive(Clone, Debug)]
pub struct TaskEnable {
    pub path: &'static str,
    pub why: String,
}

impl Fix for TaskEnable {
    fn action(&self) -> Action {
        Action::Residue
    }

    fn target(&self) -> String {
        format!("task {}", self.path)
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!("enable it ({}); undo disables it again", self.why),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        if cx.sys.is_offline() {
            // Its state is the Task Scheduler's own (its cache in the registry and the file):
            // changed only through it, on the running Windows.
            return self.record(
                Outcome::Skipped,
                "a task is turned back on from that Windows once it runs: start it and run `wufix repair --from residue`".into(),
            );
        }
        match cx.sys.task_enabled(self.path) {
            Ok(Some(false)) => {}
            Ok(Some(true)) => return self.record(Outcome::Skipped, "enabled already".into()),
            Ok(None) => return self.record(Outcome::Skipped, "the task is gone".into()),
            Err(err) => return self.record(Outcome::Failed, format!("cannot read it: {err}")),
        }
        let op = Op::TaskEnabled {
            path: self.path.to_string(),
            before: false,
            after: true,
        };
        let path = self.path;
        let mut denied = false;
        let result = cx.change(op, |sys, _| {
            sys.set_task_enabled(path, true).map_err(|e| {
                denied = matches!(e, SysError::AccessDenied);
                e.to_string()
            })?;
            match sys.task_enabled(path) {
                Ok(Some(true)) => Ok(()),
                _ => {
                    Err("the Task Scheduler took the change but the task is still disabled".into())
                }
            }
        });
        match result {
            Ok(()) => self.record(Outcome::Done, "enabled; undo disables it again".into()),
            Err(err) => {
                let who = if denied {
                    " (the UpdateOrchestrator tasks take changes only from SYSTEM)"
                } else {
                    ""
                };
                self.record(
                    Outcome::Failed,
                    format!("{err}{who}; as SYSTEM: `schtasks /Change /TN \"{path}\" /ENABLE`"),
                )
            }
        }
    }
}

/// What a journal holds as the permissions before, for a key administrators could not read.
pub const UNREADABLE: &str = "unreadable";

fn manual(err: &str) -> String {
    format!(
        "{err}; as SYSTEM, or in regedit as administrator (Permissions…, Advanced: owner Administrators, no Deny entries, SYSTEM Full Control)"
    )
}
