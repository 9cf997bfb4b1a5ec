//! `wufix status`: the update services and folders as they are now, and wufix's backups.

use crate::catalog;
use crate::folders::Layout;
use crate::folders::inventory::folders_and_backups;
use crate::report::{Mode, StatusReport};
use crate::services;
use crate::sys::Platform;

/// Take the snapshot. Read-only; needs no administrator rights.
pub fn snapshot(layout: &Layout, sys: &dyn Platform, mode: Mode) -> StatusReport {
    let services = if mode == Mode::Online {
        let names: Vec<String> = catalog::all_services()
            .into_iter()
            .map(String::from)
            .collect();
        services::snapshot(sys, &names)
    } else {
        Vec::new()
    };
    let (folders, backups) = folders_and_backups(layout);
    StatusReport {
        ok: true,
        command: "status",
        mode,
        windows_dir: layout.windows_dir.display().to_string(),
        services,
        folders,
        backups,
        journal: crate::recovery::view(
            &crate::journal::Store::for_windows(&layout.windows_dir, mode),
            sys,
        ),
    }
}
