//! `wufix repair`: the escalation ladder. Each rung is a plan the engine runs (journaled and
//! undoable like a reset's), then a real Windows Update scan says whether to stop or climb.
//! `rung` holds the decisions, `steps`/`exec` what the rungs change, `sddl` and `tools` the text
//! of service permissions and of Windows' repair programs, `run` the command itself.

pub mod exec;
pub mod managed;
pub mod report;
pub mod run;
pub mod rung;
pub mod sddl;
pub mod steps;
pub mod tools;

pub use rung::{Blocked, Rung, Stage, Start, ladder};
pub use steps::RepairStep;

#[cfg(test)]
mod tests;
