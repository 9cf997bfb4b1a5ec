//! The residue rung's one kind of change: a registry value an update blocker left, written back
//! to Windows' own value or removed — journaled with its type and bytes first, so `undo` can put
//! the blocker's value back exactly (and only while the value is still what this wrote).

use super::{Context, Fix};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::residue::ValueFix;

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
        let op = Op::RegistryValue {
            key: key.clone(),
            name: name.clone(),
            before,
            after: write.clone(),
        };
        match cx.change(op, |sys, _| {
            sys.registry()
                .set_value(key, name, write.as_ref())
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => self.record(Outcome::Done, format!("{}; undo puts it back", self.what())),
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
