//! The process exit codes, documented in the README and in `--help`, and the reasons a report
//! gives when it is not `ok` (one closed list, each with its exit code).

use serde::Serialize;

/// How a command ended, as the process reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done (or there was nothing to do).
    Ok = 0,
    /// A step failed; the services were put back as they were.
    Failed = 1,
    /// Bad input, or a question that could not be asked: nothing was touched.
    Usage = 2,
    /// A reset of the running Windows needs administrator rights: nothing was touched.
    NotElevated = 3,
    /// Refused for safety (Windows is mid-servicing): nothing was touched.
    Refused = 4,
}

impl Exit {
    /// The exit a process reported, as this program's own (an elevated copy's, say): unknown
    /// codes are failures.
    pub fn from_code(code: u32) -> Exit {
        match code {
            0 => Exit::Ok,
            2 => Exit::Usage,
            3 => Exit::NotElevated,
            4 => Exit::Refused,
            _ => Exit::Failed,
        }
    }

    /// 0 for success, 1 for any failure: for reports that say only whether it worked.
    pub fn of(ok: bool) -> Exit {
        if ok { Exit::Ok } else { Exit::Failed }
    }
}

/// Why a report is not `ok`: what a fleet's column can group by. Each has one exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A step failed (a service would not stop or start, a file was held); exit 1.
    StepFailed,
    /// `repair`: Windows Update still fails after the last rung; exit 1.
    NotFixed,
    /// `repair` from a network logon: the rungs ran, but no scan could say whether Windows
    /// Update works (the scheduled task that scans as SYSTEM could not run); exit 1.
    NotVerified,
    /// `undo`: no run or backup to put back; exit 1.
    NothingToUndo,
    /// `undo`: the last run cleared instead of renaming, or its backup is gone; exit 1.
    CannotUndo,
    /// Another wufix run holds the lock; nothing was touched; exit 1.
    Busy,
    /// The person answered no; nothing was touched; exit 1.
    Declined,
    /// No `--yes`, and no one to ask (no terminal, or `--json`); nothing was touched; exit 2.
    NotConfirmed,
    /// Ctrl+C or the window closing; the services were started again; exit 1.
    Interrupted,
    /// The journal could not be written, so nothing was changed; exit 1.
    JournalUnavailable,
    /// Bad input; exit 2.
    Usage,
    /// Administrator rights are needed; exit 3.
    NotElevated,
    /// Windows is in the middle of servicing; nothing was touched; exit 4.
    Refused,
    /// A mounted volume is hibernated (Fast Startup) or read-only; nothing was touched; exit 1.
    VolumeNotWritable,
}

impl Reason {
    pub fn exit(self) -> Exit {
        match self {
            Reason::Usage | Reason::NotConfirmed => Exit::Usage,
            Reason::NotElevated => Exit::NotElevated,
            Reason::Refused => Exit::Refused,
            _ => Exit::Failed,
        }
    }

    /// The reason an exit code stands for when the command named none.
    pub fn of_exit(exit: Exit) -> Option<Reason> {
        match exit {
            Exit::Ok => None,
            Exit::Failed => Some(Reason::StepFailed),
            Exit::Usage => Some(Reason::Usage),
            Exit::NotElevated => Some(Reason::NotElevated),
            Exit::Refused => Some(Reason::Refused),
        }
    }

    pub const ALL: [Reason; 14] = [
        Reason::StepFailed,
        Reason::NotFixed,
        Reason::NotVerified,
        Reason::NothingToUndo,
        Reason::CannotUndo,
        Reason::Busy,
        Reason::Declined,
        Reason::NotConfirmed,
        Reason::Interrupted,
        Reason::JournalUnavailable,
        Reason::Usage,
        Reason::NotElevated,
        Reason::Refused,
        Reason::VolumeNotWritable,
    ];
}
