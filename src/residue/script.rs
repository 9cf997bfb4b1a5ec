//! The Windows PE commands that put residue back on a disk that is not running: each hive loaded
//! under a name of wufix's, the values written or removed there, the hives unloaded. Nothing is
//! written from here: `D:` is the letter the volume gets in Windows PE (`diskpart`, `list
//! volume` shows it), and the control set is the one the disk's own `Select\Current` names.

use super::{Put, Residue, ValueFix};
use crate::sys::registry::{REG_BINARY, RegValue};
use crate::sys::{Platform, StartType};

/// The letter the commands give the disk's volume, and how to find the real one.
pub const LETTER_NOTE: &str = "with the disk's Windows volume as D: (in Windows PE, `diskpart` then `list volume` shows the letters; use the right one in place of D:)";

/// `ControlSet00N`, the set the disk's `SYSTEM\Select\Current` names (001 when it cannot say).
pub fn control_set(sys: &dyn Platform) -> String {
    let current = sys
        .registry()
        .value(r"SYSTEM\Select", "Current")
        .ok()
        .flatten()
        .and_then(|v| v.as_dword())
        .filter(|n| (1..=999).contains(n))
        .unwrap_or(1);
    format!("ControlSet{current:03}")
}

/// The commands for every registry change of `items`, in order: loads, changes, unloads.
pub fn commands(items: &[&Residue], control_set: &str) -> Vec<String> {
    let fixes = items
        .iter()
        .flat_map(|r| &r.fixes)
        .filter_map(|put| match put {
            Put::Value(fix) => Some(fix.clone()),
            Put::Start { service, start } => Some(start_value(service, *start)),
            Put::Hosts { .. } | Put::KeySecurity { .. } | Put::Task { .. } | Put::Rename { .. } => {
                None
            }
        });
    value_commands(fixes, control_set)
}

/// The commands that give `service` the start type `start`.
pub fn enable(service: &str, start: StartType, control_set: &str) -> Vec<String> {
    value_commands([start_value(service, start)], control_set)
}

fn start_value(service: &str, start: StartType) -> ValueFix {
    ValueFix {
        key: format!(r"SYSTEM\CurrentControlSet\Services\{service}"),
        name: "Start".into(),
        write: Some(RegValue::dword(if start.is_automatic() { 2 } else { 3 })),
    }
}

fn value_commands(fixes: impl IntoIterator<Item = ValueFix>, control_set: &str) -> Vec<String> {
    let mut hives: Vec<(&str, &str)> = Vec::new();
    let mut steps = Vec::new();
    for fix in fixes {
        let (hive, mount, rest) = match fix.key.split_once('\\') {
            Some((top, rest)) if top.eq_ignore_ascii_case("SYSTEM") => {
                let rest = match rest.split_once('\\') {
                    Some((set, tail)) if set.eq_ignore_ascii_case("CurrentControlSet") => {
                        format!("{control_set}\\{tail}")
                    }
                    _ => rest.to_string(),
                };
                ("SYSTEM", "WUFIX_SYSTEM", rest)
            }
            Some((_, rest)) => ("SOFTWARE", "WUFIX_SOFTWARE", rest.to_string()),
            None => continue,
        };
        if !hives.iter().any(|(h, _)| *h == hive) {
            hives.push((hive, mount));
        }
        steps.push(match &fix.write {
            Some(value) => format!(
                "reg add \"HKLM\\{mount}\\{rest}\" /v {} {} /f",
                fix.name,
                reg_data(value)
            ),
            None => format!("reg delete \"HKLM\\{mount}\\{rest}\" /v {} /f", fix.name),
        });
    }
    let load = hives.iter().map(|(hive, mount)| {
        format!("reg load HKLM\\{mount} D:\\Windows\\System32\\config\\{hive}")
    });
    let unload = hives
        .iter()
        .map(|(_, mount)| format!("reg unload HKLM\\{mount}"));
    load.chain(steps).chain(unload).collect()
}

/// `reg add`'s type and data for `value`.
fn reg_data(value: &RegValue) -> String {
    match (value.as_dword(), value.kind) {
        (Some(n), _) => format!("/t REG_DWORD /d {n}"),
        (None, REG_BINARY) => format!("/t REG_BINARY /d {}", value.hex()),
        _ => format!("/t REG_SZ /d \"{}\"", value.as_text().unwrap_or_default()),
    }
}
