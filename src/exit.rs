//! The process exit codes, documented in the README and in `--help`.

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
