//! What a person watches while wufix waits: a spinner with the services still on their way, a bar
//! while a folder is cleared, a program's percentages (DISM). Only on a terminal, never with
//! JSON; lines printed meanwhile go above it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Printer, clean};
use crate::progress::Meter;

/// A spinner (services) or a bar (a folder being cleared) on screen.
pub(super) struct Live {
    pub(super) bar: ProgressBar,
    /// For a bar: the thread that moves it as the removal count grows, and its stop flag.
    follower: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Live {
    /// Stop its follower and clear it from the terminal.
    pub(super) fn finish(self) {
        if let Some((stop, follower)) = self.follower {
            stop.store(true, Ordering::Relaxed);
            let _ = follower.join();
        }
        self.bar.finish_and_clear();
    }
}

/// A program's progress bar: tenths of a percent.
const PERCENT_BAR: u64 = 1000;

impl Meter for Printer {
    fn services(&self, verb: &str, pending: &[&str]) {
        if !self.shows_progress() {
            return;
        }
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let live = live.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Live {
                bar,
                follower: None,
            }
        });
        live.bar
            .set_message(format!("{verb} {}", pending.join(", ")));
    }

    fn watching(&self) -> bool {
        self.shows_progress()
    }

    fn percent(&self, what: &str, percent: f32) {
        if !self.shows_progress() {
            return;
        }
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        // A spinner or a clearing bar left from before is not this program's bar.
        if let Some(other) = live.take_if(|l| l.bar.length() != Some(PERCENT_BAR)) {
            other.finish();
        }
        let live = live.get_or_insert_with(|| Live {
            bar: ProgressBar::with_draw_target(Some(PERCENT_BAR), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template("{bar:30} {msg} ({elapsed})")
                        .expect("a valid template"),
                ),
            follower: None,
        });
        live.bar
            .set_position((percent * PERCENT_BAR as f32 / 100.0) as u64);
        live.bar
            .set_message(format!("{} {percent:.1}%", clean(what)));
    }

    fn clearing(&self, folder: &Path, total: u64, removed: Arc<AtomicU64>) {
        self.done();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} entries removed from {msg} ({elapsed})",
                )
                .expect("a valid template"),
            )
            .with_message(clean(&folder.display().to_string()).into_owned());
        let stop = Arc::new(AtomicBool::new(false));
        let follower = {
            let (bar, stop) = (bar.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(removed.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(Live {
            bar,
            follower: Some((stop, follower)),
        });
    }

    fn done(&self) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(live) = live {
            live.finish();
        }
    }
}
