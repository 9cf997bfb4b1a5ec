//! Interrupts while a command changes something: Ctrl+C (and on Windows the console window
//! closing) must not end wufix with the services stopped. An [`InterruptGuard`] is held for one
//! run: while it lives, an interrupt sets *its* flag (the engine then skips every step but
//! starting the services again) instead of ending the process, and a console close waits until
//! the guard is dropped, which the session does once the services are back. Each run has a
//! guard of its own, so an interrupt of one run in the menu does not cancel the next, and no
//! return path can forget to let a held close go.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// One run's interrupt state.
#[derive(Default)]
pub(crate) struct RunState {
    cancel: AtomicBool,
    done: AtomicBool,
}

impl RunState {
    /// The run is over and its services are back.
    #[cfg_attr(not(any(windows, test)), allow(dead_code))]
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }
}

/// The run under way, if any: whom an interrupt is for.
static CURRENT: Mutex<Option<Arc<RunState>>> = Mutex::new(None);
/// What to say at the first interrupt of a run.
static ON_INTERRUPT: OnceLock<fn()> = OnceLock::new();

pub struct InterruptGuard {
    state: Arc<RunState>,
}

impl InterruptGuard {
    /// Catch interrupts for a run from now until the guard is dropped; `on_interrupt` is said at
    /// the first of each run. `install` puts the OS handler in place (which calls [`arrive`]); it
    /// runs once per process, later runs (the menu) reuse it.
    pub(crate) fn catch(on_interrupt: fn(), install: fn()) -> InterruptGuard {
        let state = Arc::new(RunState::default());
        *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&state));
        if ON_INTERRUPT.set(on_interrupt).is_ok() {
            install();
        }
        InterruptGuard { state }
    }

    /// The flag an interrupt sets.
    pub fn flag(&self) -> &AtomicBool {
        &self.state.cancel
    }

    pub fn interrupted(&self) -> bool {
        self.state.cancel.load(Ordering::SeqCst)
    }
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        // The services are back: a held console close may now end the process.
        self.state.done.store(true, Ordering::SeqCst);
        let mut current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
        if current
            .as_ref()
            .is_some_and(|run| Arc::ptr_eq(run, &self.state))
        {
            *current = None;
        }
    }
}

/// An interrupt arrived (called by the OS handler): the run under way is told, once, and
/// returned, so that a console close can wait for it. `None` when no run is under way.
pub(crate) fn arrive() -> Option<Arc<RunState>> {
    let run = CURRENT.lock().unwrap_or_else(|p| p.into_inner()).clone()?;
    if !run.cancel.swap(true, Ordering::SeqCst) {
        if let Some(note) = ON_INTERRUPT.get() {
            note();
        }
    }
    Some(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_is_the_current_runs_alone_and_ends_with_it() {
        let first = InterruptGuard::catch(|| {}, || {});
        // What the OS handler does at Ctrl+C, for whichever run is under way; other tests may
        // run theirs meanwhile, so this run's own flag is set the way `arrive` sets it.
        first.flag().store(true, Ordering::SeqCst);
        assert!(first.interrupted());
        let state = Arc::clone(&first.state);
        assert!(!state.is_done(), "a close is held while the run goes on");
        drop(first);
        assert!(state.is_done(), "and let go when it ends");
        let second = InterruptGuard::catch(|| {}, || {});
        assert!(
            !second.interrupted(),
            "the last run's interrupt is not this one's"
        );
    }
}
