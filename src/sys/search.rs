//! Waiting for an asynchronous Windows Update search, and stopping it: the part of the scan
//! that is not COM, kept apart so it is tested on Linux with a job of our own. The search is
//! asked to abort once when the caller gives up (timeout, Ctrl+C), then given a grace period to
//! wind down, so it is not still running while the next step stops the services it uses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A search under way (`ISearchJob` on Windows).
pub trait SearchJob {
    fn is_completed(&self) -> bool;
    fn request_abort(&self);
}

/// How the wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The search completed; `aborted` when it was asked to stop first.
    Completed { aborted: bool },
    /// Asked to stop, it did not within the grace period: left behind.
    GaveUp,
}

/// Wait for `job`: its completion signal on `done`, or its own flag, polled every `poll`. Once
/// `abort` is set, ask it to abort (once) and wait at most `grace` more.
pub fn wait(
    job: &dyn SearchJob,
    done: &Receiver<()>,
    abort: &AtomicBool,
    poll: Duration,
    grace: Duration,
) -> Waited {
    let mut asked: Option<Instant> = None;
    loop {
        if done.recv_timeout(poll).is_ok() || job.is_completed() {
            return Waited::Completed {
                aborted: asked.is_some(),
            };
        }
        if abort.load(Ordering::SeqCst) {
            match asked {
                None => {
                    job.request_abort();
                    asked = Some(Instant::now());
                }
                Some(when) if when.elapsed() >= grace => return Waited::GaveUp,
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::mpsc;

    use super::*;

    /// Completes after `polls` looks, or (when it honours aborts) right after an abort request.
    struct Job {
        looks: Cell<u32>,
        polls: u32,
        honours_abort: bool,
        aborts: Cell<u32>,
    }

    impl SearchJob for Job {
        fn is_completed(&self) -> bool {
            self.looks.set(self.looks.get() + 1);
            self.looks.get() >= self.polls || (self.honours_abort && self.aborts.get() > 0)
        }
        fn request_abort(&self) {
            self.aborts.set(self.aborts.get() + 1);
        }
    }

    fn job(polls: u32, honours_abort: bool) -> Job {
        Job {
            looks: Cell::new(0),
            polls,
            honours_abort,
            aborts: Cell::new(0),
        }
    }

    const POLL: Duration = Duration::from_millis(1);

    #[test]
    fn a_search_left_alone_completes_and_one_given_up_on_is_aborted_once() {
        let (_tx, rx) = mpsc::channel();
        let quiet = AtomicBool::new(false);
        let j = job(3, true);
        let grace = Duration::from_secs(5);
        assert_eq!(
            wait(&j, &rx, &quiet, POLL, grace),
            Waited::Completed { aborted: false }
        );
        assert_eq!(j.aborts.get(), 0);

        let stop = AtomicBool::new(true);
        let j = job(u32::MAX, true);
        assert_eq!(
            wait(&j, &rx, &stop, POLL, grace),
            Waited::Completed { aborted: true }
        );
        assert_eq!(j.aborts.get(), 1, "asked once");

        // One that ignores the request is left behind after the grace period, asked only once.
        let j = job(u32::MAX, false);
        let short = Duration::from_millis(20);
        assert_eq!(wait(&j, &rx, &stop, POLL, short), Waited::GaveUp);
        assert_eq!(j.aborts.get(), 1);
    }

    #[test]
    fn the_completion_callback_ends_the_wait() {
        let (tx, rx) = mpsc::channel();
        tx.send(()).unwrap();
        let j = job(u32::MAX, false);
        let quiet = AtomicBool::new(false);
        assert_eq!(
            wait(&j, &rx, &quiet, POLL, Duration::from_secs(5)),
            Waited::Completed { aborted: false }
        );
    }
}
