//! The folders a reset acts on: finding them, renaming them aside, clearing them without
//! following links, and measuring them.

pub mod backup;
pub mod inventory;
pub mod layout;
pub mod prune;
pub mod remove;
pub mod stats;
pub mod volume;

pub use layout::{Layout, Preflight};
