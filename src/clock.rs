//! Time as the core sees it, so waits and deadlines can be tested without waiting.

use std::time::{Duration, Instant};

pub trait Clock: Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration);
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
