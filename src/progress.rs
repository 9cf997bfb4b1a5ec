//! What the engine says while a person waits: the services still stopping or starting, and how
//! far the clearing of a folder has got. The printer draws it (a spinner, a bar) on a terminal;
//! for a pipe, with `--json`, and in tests, nothing listens.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub trait Meter: Sync {
    /// `verb` ("stopping", "starting") and the services not there yet; called at every poll.
    fn services(&self, _verb: &str, _pending: &[&str]) {}
    /// Whether anyone watches: counting a folder before clearing it is worth it only then.
    fn watching(&self) -> bool {
        false
    }
    /// Clearing `folder` begins: `removed` counts entries as they go, out of `total`.
    fn clearing(&self, _folder: &Path, _total: u64, _removed: Arc<AtomicU64>) {}
    /// A program (DISM, sfc) reports `percent` done.
    fn percent(&self, _what: &str, _percent: f32) {}
    /// The wait or the clearing is over.
    fn done(&self) {}
}

/// Nobody watching.
pub struct Quiet;

impl Meter for Quiet {}
