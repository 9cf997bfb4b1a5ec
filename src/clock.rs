//! Time as the core sees it, so waits and deadlines can be tested without waiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub trait Clock: Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration);
    /// The run was interrupted (Ctrl+C, the console window closing): long waits and walks stop
    /// where they are, so the services can be started again before Windows ends the process.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A clock that also carries a run's interrupt flag: its sleeps end early once the flag is
/// set, and [`Clock::cancelled`] reads it. The engine hands it to every step.
pub struct Interruptible<'a> {
    pub inner: &'a dyn Clock,
    pub flag: &'a AtomicBool,
}

/// How often a long sleep looks at the flag.
const SLICE: Duration = Duration::from_millis(50);

impl Clock for Interruptible<'_> {
    fn now(&self) -> Instant {
        self.inner.now()
    }
    fn sleep(&self, duration: Duration) {
        // Already interrupted (the services are being started again): short sleeps, so the
        // waits that remain poll often without spinning.
        if self.cancelled() {
            self.inner.sleep(duration.min(SLICE));
            return;
        }
        let end = self.inner.now() + duration;
        while !self.cancelled() {
            let left = end.saturating_duration_since(self.inner.now());
            if left.is_zero() {
                break;
            }
            self.inner.sleep(left.min(SLICE));
        }
    }
    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst) || self.inner.cancelled()
    }
}

/// The real monotonic clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that moves only when slept on: a 60-second timeout passes in microseconds.
#[cfg(test)]
pub struct FakeClock {
    start: Instant,
    elapsed: std::sync::Mutex<Duration>,
}

#[cfg(test)]
impl FakeClock {
    pub fn new() -> Self {
        FakeClock {
            start: Instant::now(),
            elapsed: std::sync::Mutex::new(Duration::ZERO),
        }
    }
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap()
    }
}

#[cfg(test)]
impl Default for FakeClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        *self.elapsed.lock().unwrap() += duration;
    }
}

#[cfg(test)]
mod interruptible_tests {
    use super::*;

    #[test]
    fn a_sleep_ends_at_the_interrupt_and_later_ones_stay_short() {
        let fake = FakeClock::new();
        let flag = AtomicBool::new(false);
        let clock = Interruptible {
            inner: &fake,
            flag: &flag,
        };
        clock.sleep(Duration::from_secs(1));
        assert_eq!(
            fake.elapsed(),
            Duration::from_secs(1),
            "uninterrupted: the whole sleep"
        );
        assert!(!clock.cancelled());
        flag.store(true, Ordering::SeqCst);
        assert!(clock.cancelled());
        clock.sleep(Duration::from_secs(60));
        assert_eq!(
            fake.elapsed(),
            Duration::from_secs(1) + SLICE,
            "one slice, not a minute"
        );
    }
}
