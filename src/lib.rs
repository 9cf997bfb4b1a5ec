//! wufix: repairs Windows Update by resetting its cache folders safely, and climbing a repair
//! ladder when that is not enough.
//!
//! The way a change travels: a validated [`request::Request`] → [`commands`] (one per command;
//! reset, undo and repair through one session skeleton) → a [`plan::Plan`] built from a snapshot
//! of the machine → the [`engine`] runs it against the [`sys`] boundary, each change journaled →
//! a [`report`] → the [`printer`] → an [`Exit`] code. See ARCHITECTURE.md.

pub mod catalog;
pub mod clock;
pub mod code;
pub mod commands;
pub mod diagnose;
pub mod elevation;
pub mod engine;
pub mod eventlog;
pub mod exit;
pub mod explain;
pub mod fixes;
pub mod folders;
pub mod home;
pub mod journal;
pub mod known_issues;
pub mod ladder;
pub mod lines;
pub mod machine;
pub mod managed;
pub mod plan;
pub mod printer;
pub mod progress;
pub mod record;
pub mod recovery;
pub mod report;
pub mod request;
pub mod residue;
pub mod reversal;
pub mod sddl;
pub mod services;
pub mod servicing;
pub mod sys;
pub mod throttle;
pub mod verify;
pub mod winhttp;

pub use exit::Exit;

use printer::Printer;
use request::Request;

/// Run a validated request to the end and say how it went.
pub fn run(request: Request, printer: &Printer) -> Exit {
    let pause = request.pause_at_end;
    if let Some(window) = request.not_within {
        if let Some(exit) = commands::held_back(&request.command, window, printer) {
            return exit;
        }
    }
    let exit = commands::run(request.command, printer);
    if pause {
        printer.pause("Press Enter to close this window.");
    }
    exit
}
