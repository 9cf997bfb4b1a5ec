//! `wufix install`: this exe into `%ProgramData%\wufix\bin`, the one place the deployment kit
//! runs it from as SYSTEM. A script must not copy it there: until wufix has protected the folder
//! (the session's lock does, setting aside whatever an ordinary user made there first), a user
//! could own the folder or a file in it, and so the exe SYSTEM runs. Here the copy comes after
//! the lock: written beside, flushed, renamed over (a planted file is replaced, never written
//! through), and read back.

use super::rights::Relaunch;
use super::session::{self, Acting, AdminCommand, Gate, Prepared, Refused, Session, Settings};
use crate::exit::Exit;
use crate::record::{Outcome, StepRecord};
use crate::request::InstallRequest;

pub fn run(req: &InstallRequest, s: &Session) -> Exit {
    session::run(&mut Install { req }, s)
}

struct Install<'r> {
    req: &'r InstallRequest,
}

impl AdminCommand for Install<'_> {
    fn settings(&self) -> Settings {
        Settings {
            name: "install",
            dry_run: false,
            assume_yes: true,
            force: false,
            timeout: std::time::Duration::from_secs(crate::request::DEFAULT_TIMEOUT_SECS),
            gated: false,
            hives: None,
        }
    }

    fn relaunch(&self) -> Relaunch {
        Relaunch {
            command: "install",
            args: self.req.to_args(),
            no_elevate: self.req.no_elevate,
            elevated_child: self.req.elevated_child,
        }
    }

    fn refused(&mut self, _s: &Session, _refused: Refused, _recovered: Vec<StepRecord>) {
        unreachable!("install has no servicing gate")
    }

    fn prepare(&mut self, _s: &Session, _gate: &Gate) -> Prepared {
        Prepared::Go
    }

    fn act(&mut self, cx: &mut Acting) -> Exit {
        let s = cx.session;
        // The lock is held: the folder and its `bin` are wufix's, protected.
        let step = super::stable_copy::copy_self(&s.home.stable_exe());
        let ok = matches!(step.outcome, Outcome::Done | Outcome::Skipped);
        let mut report =
            super::reset::bare_report("install", s, std::mem::take(&mut cx.recovered.steps));
        report.message = if ok {
            format!(
                "Installed: {}. The deployment kit runs wufix from there.",
                step.target
            )
        } else {
            format!("Not installed: {}", step.detail)
        };
        report.steps.push(step);
        report.ok = ok;
        s.printer.reset(&report);
        Exit::of(ok)
    }
}
