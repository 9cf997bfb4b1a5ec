//! wufix's stable copy, `%ProgramData%\wufix\bin\wufix.exe`: what the deployment kit runs as
//! SYSTEM and what the Application log reads the events' text from. Made only under the
//! session's lock, which has protected the folder first.

use crate::record::{Action, Outcome, StepRecord};

/// This exe to `to`, whole, and read back.
pub fn copy_self(to: &std::path::Path) -> StepRecord {
    let record = |outcome, detail: String| {
        let mut r = StepRecord::new(Action::Install, to.display().to_string(), outcome, detail);
        r.reversible = false;
        r
    };
    let from = match std::env::current_exe() {
        Ok(from) => from,
        Err(err) => return record(Outcome::Failed, format!("cannot find this exe: {err}")),
    };
    // Run from there already: Windows would refuse to replace a running exe, and it is in place.
    if same_file::is_same_file(&from, to).unwrap_or(false) {
        return record(
            Outcome::Skipped,
            "this is the installed copy already".into(),
        );
    }
    let bytes = match std::fs::read(&from) {
        Ok(bytes) => bytes,
        Err(err) => {
            return record(
                Outcome::Failed,
                format!("cannot read {}: {err}", from.display()),
            );
        }
    };
    if let Err(err) = crate::sys::replace_whole(to, &bytes) {
        return record(Outcome::Failed, format!("cannot write it: {err}"));
    }
    match std::fs::read(to) {
        Ok(back) if back == bytes => record(
            Outcome::Done,
            format!("copied from {} ({} bytes)", from.display(), bytes.len()),
        ),
        _ => record(
            Outcome::Failed,
            "written, but what reads back is not this exe".into(),
        ),
    }
}
