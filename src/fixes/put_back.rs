//! `undo`: a setting a repair changed, put back from the journal. A journal is evidence, not a
//! command: only a change a repair itself makes is trusted (the permissions of a service wufix
//! repairs, the WSUS identity and the WinHTTP proxy values, the residue rung's values and start
//! types), and only while the live setting is still what the repair wrote; a setting changed
//! since is someone else's, and stays.

use super::{Context, Fix};
use crate::catalog::{CONNECTIONS, PROXY_VALUE, WSUS_IDENTITY, WU_CLIENT};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::residue::keys;
use crate::sddl;
use crate::sys::SysError;
use crate::sys::registry::REG_BINARY;
use crate::winhttp::{self, WinHttpProxy};

/// Put back what `Op` changed: its `before`.
#[derive(Clone, Debug)]
pub struct PutBack(pub Op);

const ALREADY: &str = "already as it was before the repair";

impl Fix for PutBack {
    fn action(&self) -> Action {
        Action::RestoreSetting
    }

    fn target(&self) -> String {
        match &self.0 {
            Op::ServiceDacl { name, .. } | Op::ServiceStart { name, .. } => name.clone(),
            Op::RegistryValue { key, name, .. } => format!(r"HKLM\{key}\{name}"),
            Op::HostsLines { path, .. } => path.clone(),
            Op::KeySecurity { key, .. } => format!(r"HKLM\{key}"),
            Op::TaskEnabled { path, .. } => format!("task {path}"),
            Op::FileRename { to, .. } => to.clone(),
            _ => String::new(),
        }
    }

    fn describe(&self) -> StepRecord {
        let detail = match &self.0 {
            Op::ServiceDacl { before, .. } => format!("put its permissions back: {before}"),
            Op::ServiceStart { before, .. } => {
                format!("put its start type back: {}", before.as_str())
            }
            Op::RegistryValue { name, before, .. } if name == PROXY_VALUE => match before {
                Some(value) if value.kind == REG_BINARY => match winhttp::decode(&value.data) {
                    Some(WinHttpProxy::Proxy { server, .. }) => {
                        format!("put the WinHTTP proxy back: {server}")
                    }
                    _ => "put the WinHTTP setting back: direct access".into(),
                },
                _ => "put the WinHTTP setting back: none".into(),
            },
            Op::RegistryValue {
                before: Some(_), ..
            } => "put the value back".into(),
            Op::RegistryValue { before: None, .. } => "remove the value again".into(),
            Op::KeySecurity { before, .. } if before == super::residue::UNREADABLE => {
                "its permissions before could not be read: left as the repair made them".into()
            }
            Op::KeySecurity { before, .. } => format!("put its permissions back: {before}"),
            Op::FileRename { from, .. } => format!(
                "give it the blocker's name again: {}",
                std::path::Path::new(from)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            Op::TaskEnabled { before, .. } => {
                format!("{} it again", if *before { "enable" } else { "disable" })
            }
            Op::HostsLines { lines, .. } => format!(
                "put back {} blocking line{} as they were (security software may flag a hosts file that blocks Microsoft's servers)",
                lines.len(),
                if lines.len() == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        };
        self.record(Outcome::Planned, detail)
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let failed = |what: &str, err: SysError| {
            self.record(Outcome::Failed, format!("cannot read {what}: {err}"))
        };
        match &self.0 {
            Op::ServiceDacl {
                name,
                before,
                after,
            } => {
                let live = match cx.sys.service_dacl(name) {
                    Ok(live) => live,
                    Err(err) => return failed("its permissions", err),
                };
                if let Some(settled) = self.judged(&live, before, after, |a, b| same_dacl(a, b), || {
                    format!("now {live}; the repair wrote {after}")
                }) {
                    return settled;
                }
                let undo = Op::ServiceDacl {
                    name: name.clone(),
                    before: live.clone(),
                    after: before.clone(),
                };
                let put = cx.change(undo, |sys, _| {
                    sys.set_service_dacl(name, before)
                        .map_err(|e| e.to_string())
                });
                self.finished(put, format!("permissions put back: {before}"))
            }
            Op::RegistryValue {
                key,
                name,
                before,
                after,
            } => {
                let live = match cx.sys.registry().value(key, name) {
                    Ok(live) => live,
                    Err(err) => return failed("it", err),
                };
                if let Some(settled) = self.judged(&live, before, after, |a, b| a == b, String::new)
                {
                    return settled;
                }
                // A key Administrators may only read is written the way the repair wrote it.
                match super::residue::write_value(cx, key, name, before.as_ref()) {
                    Ok(how) => self.finished(Ok(()), format!("{PUT}{how}")),
                    Err(err) => self.finished(Err(err), String::new()),
                }
            }
            Op::ServiceStart {
                name,
                before,
                after,
            } => {
                let live = match cx.sys.query_service(name) {
                    Ok(Some(info)) => info.start_type,
                    Ok(None) => return self.record(Outcome::Skipped, "no longer installed".into()),
                    Err(err) => return failed("it", err),
                };
                if let Some(settled) =
                    self.judged(&live, before, after, |a, b| a == b, || format!("now {}", live.as_str()))
                {
                    return settled;
                }
                let undo = Op::ServiceStart {
                    name: name.clone(),
                    before: live,
                    after: *before,
                };
                let put = cx.change(undo, |sys, _| {
                    sys.set_start_type(name, *before).map_err(|e| e.to_string())
                });
                self.finished(put, format!("start type put back: {}", before.as_str()))
            }
            Op::TaskEnabled {
                path,
                before,
                after,
            } => {
                let live = match cx.sys.task_enabled(path) {
                    Ok(Some(live)) => live,
                    Ok(None) => return self.record(Outcome::Skipped, "the task is gone".into()),
                    Err(err) => return failed("it", err),
                };
                if let Some(settled) = self.judged(&live, before, after, |a, b| a == b, String::new)
                {
                    return settled;
                }
                let undo = Op::TaskEnabled {
                    path: path.clone(),
                    before: live,
                    after: *before,
                };
                let put = cx.change(undo, |sys, _| {
                    sys.set_task_enabled(path, *before)
                        .map_err(|e| e.to_string())
                });
                self.finished(put, PUT.into())
            }
            Op::KeySecurity { before, .. } if before == super::residue::UNREADABLE => self.record(
                Outcome::Skipped,
                "its permissions before the repair could not be read, so they cannot be put back; it stays Administrators'".into(),
            ),
            Op::KeySecurity { key, before, after } => {
                let live = match cx.sys.registry().key_security(key) {
                    Ok(Some(live)) => live,
                    Ok(None) => return self.record(Outcome::Skipped, "the key is gone".into()),
                    Err(err) => return failed("its permissions", err),
                };
                if let Some(settled) =
                    self.judged(&live, before, after, |a, b| keys::same(a, b), || format!("now {live}"))
                {
                    return settled;
                }
                let undo = Op::KeySecurity {
                    key: key.clone(),
                    before: live.clone(),
                    after: before.clone(),
                };
                let put = cx.change(undo, |sys, _| {
                    sys.registry()
                        .set_key_security(key, before)
                        .map_err(|e| e.to_string())
                });
                self.finished(put, format!("permissions put back: {before}"))
            }
            // These two judge the live state themselves (a file's bytes, a file's names).
            Op::FileRename { from, to } => {
                let undo = match super::dll::undo(from, to) {
                    Ok(Some(undo)) => undo,
                    Ok(None) => return self.record(Outcome::Skipped, ALREADY.into()),
                    Err(why) => return self.record(Outcome::Skipped, why),
                };
                if let Err(why) = put_back_allowed(&self.0) {
                    return self.refused(why);
                }
                let (own, blocked) = (std::path::Path::new(to), std::path::Path::new(from));
                let put = cx.change(undo, |_, _| {
                    crate::sys::rename_noreplace(own, blocked).map_err(|e| e.to_string())
                });
                self.finished(put, "renamed as it was before the repair".into())
            }
            Op::HostsLines {
                path,
                lines,
                after_crc,
                after_len,
                unmark: false,
            } => {
                let (before, undo) = match super::hosts::unmark(path, lines, *after_crc, *after_len)
                {
                    Ok(Some(found)) => found,
                    Ok(None) => return self.record(Outcome::Skipped, ALREADY.into()),
                    Err(why) => return self.record(Outcome::Skipped, why),
                };
                if let Err(why) = put_back_allowed(&self.0) {
                    return self.refused(why);
                }
                let file = std::path::PathBuf::from(path);
                let put = cx.change(undo, |_, _| {
                    super::hosts::replace(&file, &before).map_err(|e| e.to_string())
                });
                self.finished(
                    put,
                    "the blocking lines are back as they were (security software may flag them)"
                        .into(),
                )
            }
            _ => self.refused(
                put_back_allowed(&self.0)
                    .err()
                    .unwrap_or_else(|| "not a setting".into()),
            ),
        }
    }
}

const PUT: &str = "put back as it was before the repair";

impl PutBack {
    /// The one rule of every put-back, given the live setting: already as before, nothing to
    /// write whatever the journal is trusted with; a journal not trusted with it, refused;
    /// changed since the repair (by an administrator, a policy), theirs stands. `None`: put it
    /// back.
    fn judged<T>(
        &self,
        live: &T,
        before: &T,
        after: &T,
        same: impl Fn(&T, &T) -> bool,
        now: impl FnOnce() -> String,
    ) -> Option<StepRecord> {
        if same(live, before) {
            return Some(self.record(Outcome::Skipped, ALREADY.into()));
        }
        if let Err(why) = put_back_allowed(&self.0) {
            return Some(self.refused(why));
        }
        if !same(live, after) {
            let now = now();
            let now = if now.is_empty() {
                now
            } else {
                format!(" ({now})")
            };
            return Some(self.record(
                Outcome::Skipped,
                format!("changed since the repair{now}; left as it is"),
            ));
        }
        None
    }

    fn refused(&self, why: String) -> StepRecord {
        self.record(
            Outcome::Skipped,
            format!("not put back: {why}; left as the repair made it"),
        )
    }

    /// The record of a put-back made (`done`) or failed.
    fn finished(&self, put: Result<(), String>, done: String) -> StepRecord {
        match put {
            Ok(()) => self.record(Outcome::Done, done),
            Err(err) => self.record(Outcome::Failed, format!("could not put it back: {err}")),
        }
    }
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

/// Whether a setting from a journal may be put back. The journal folder may be writable by
/// others than administrators, so only what a repair itself changes is trusted: the DACL of a
/// service wufix checks, and only if it lets no ordinary account take the service over; the
/// WSUS identity and WinHTTP values, and nothing else in the registry.
pub fn put_back_allowed(op: &Op) -> Result<(), String> {
    match op {
        Op::ServiceDacl { name, before, .. } => {
            let Some(default) = sddl::default_for(name) else {
                return Err(format!("{name} is not a service wufix repairs"));
            };
            let aces = sddl::parse(before)?;
            let takeovers = sddl::takeover_grants(&aces);
            if !takeovers.is_empty() {
                return Err(format!(
                    "the saved permissions of {name} would let {} reconfigure it",
                    takeovers.join(", ")
                ));
            }
            // What SYSTEM and Administrators must keep: the default's grants to them. Without
            // them (or with any deny) the service could no longer be managed or repaired.
            let assessment = sddl::assess(before, default)?;
            let lost: Vec<&String> = assessment
                .missing
                .iter()
                .filter(|m| m.starts_with("SY ") || m.starts_with("BA "))
                .collect();
            if !lost.is_empty() || !assessment.denies.is_empty() {
                let mut why = Vec::new();
                if !lost.is_empty() {
                    why.push(format!(
                        "would take {} away",
                        lost.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !assessment.denies.is_empty() {
                    why.push(format!("deny {}", assessment.denies.join(", ")));
                }
                return Err(format!(
                    "the saved permissions of {name} {}",
                    why.join(" and ")
                ));
            }
            Ok(())
        }
        Op::RegistryValue { key, name, .. } => {
            let known = (key.eq_ignore_ascii_case(WU_CLIENT)
                && WSUS_IDENTITY.iter().any(|n| n.eq_ignore_ascii_case(name)))
                || (key.eq_ignore_ascii_case(CONNECTIONS)
                    && name.eq_ignore_ascii_case(PROXY_VALUE))
                || crate::residue::catalogued(key, name);
            if known {
                Ok(())
            } else {
                Err(format!(r"HKLM\{key}\{name} is not a value wufix changes"))
            }
        }
        Op::HostsLines {
            path,
            lines,
            unmark: false,
            ..
        } => super::hosts::allowed(path, lines),
        Op::FileRename { from, to } => super::dll::allowed(from, to),
        Op::TaskEnabled { path, .. } => {
            if crate::residue::tasks::TASKS
                .iter()
                .any(|t| t.eq_ignore_ascii_case(path))
            {
                Ok(())
            } else {
                Err(format!("{path} is not a task wufix enables"))
            }
        }
        // Only the keys of the update services the residue rung unlocks.
        Op::KeySecurity { key, .. } => {
            let ours = crate::residue::SERVICES.iter().any(|(s, _, _)| {
                key.eq_ignore_ascii_case(&format!(r"SYSTEM\CurrentControlSet\Services\{s}"))
            });
            if ours {
                Ok(())
            } else {
                Err(format!(
                    r"HKLM\{key} is not a key whose permissions wufix changes"
                ))
            }
        }
        // Only the update services the residue rung gives their start type back.
        Op::ServiceStart { name, .. } => {
            if crate::residue::SERVICES
                .iter()
                .any(|(s, _, _)| s.eq_ignore_ascii_case(name))
            {
                Ok(())
            } else {
                Err(format!(
                    "{name} is not a service whose start type wufix changes"
                ))
            }
        }
        _ => Err("not a setting".into()),
    }
}
