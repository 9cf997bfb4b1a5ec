//! The change vocabulary below plan and engine: what a repair changes beyond stopping services
//! and moving folders (service permissions, the WSUS identity, the WinHTTP proxy, Windows' own
//! repair programs), and undo putting a saved setting back. Each is a [`Fix`]: it describes
//! itself for a dry run and the question, and runs itself with every change written to the
//! journal before it is made (a change the journal cannot record is not made). The plan holds
//! fixes and the engine runs them through the trait alone; neither names a concrete one.

mod dll;
mod hosts;
mod permissions;
mod programs;
mod proxy;
mod put_back;
mod residue;
mod rungs;
pub mod tools;
mod wsus;

use std::fmt;

pub use dll::DllRename;
pub use hosts::HostsBlock;
pub use permissions::ServiceDacl;
pub use programs::{Dism, RegisterDlls, Sfc, WinsockReset};
pub use proxy::ProxyReset;
pub use put_back::{PutBack, put_back_allowed};
pub use residue::{KeySecurity, ResidueStart, ResidueValue, TaskEnable};
pub use rungs::{Options, build, risk_of};
pub use wsus::WsusIdentity;

use crate::journal::{Op, Recorder};
use crate::progress::Meter;
use crate::record::{Action, Outcome, StepRecord};
use crate::sys::Platform;

/// One change a plan holds beyond services and folders.
pub trait Fix: fmt::Debug + Send + Sync {
    /// What kind of step it is, in reports.
    fn action(&self) -> Action;
    /// What it acts on, in reports (a service, a registry value, a program).
    fn target(&self) -> String;
    /// The step before it runs: what it would do, and whether it can be undone. Reads the
    /// machine at most; changes nothing.
    fn describe(&self) -> StepRecord;
    /// Make the change, journaled; the record says how it went.
    fn run(&self, cx: &mut Context) -> StepRecord;

    /// A record of this step with `outcome` and `detail`.
    fn record(&self, outcome: Outcome, detail: String) -> StepRecord {
        StepRecord::new(self.action(), self.target(), outcome, detail)
    }
}

/// What a fix runs with: the platform, the run's journal, and the meter a person watches.
pub struct Context<'a> {
    pub sys: &'a dyn Platform,
    pub journal: &'a mut dyn Recorder,
    pub meter: &'a dyn Meter,
}

impl Context<'_> {
    /// Write `op` down, make it, write how it ended. `Err` when it was not made or failed.
    fn change(
        &mut self,
        op: Op,
        make: impl FnOnce(&dyn Platform, &dyn Meter) -> Result<(), String>,
    ) -> Result<(), String> {
        self.journal
            .intent(&op)
            .map_err(|e| format!("the journal cannot record it ({e}); not changed"))?;
        let result = make(self.sys, self.meter);
        let detail = result.as_ref().err().cloned().unwrap_or_default();
        self.journal.outcome(&op, result.is_ok(), &detail);
        result
    }
}
