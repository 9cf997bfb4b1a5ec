//! `wufix status`: the update services and folders as they are now, wufix's backups, and the
//! journal. Read-only; needs no administrator rights.

use super::target::Target;
use crate::catalog;
use crate::exit::Exit;
use crate::folders::inventory::folders_and_backups;
use crate::journal::Store;
use crate::machine::Mode;
use crate::printer::Printer;
use crate::report::StatusReport;
use crate::request::StatusRequest;
use crate::services;

pub fn run(req: &StatusRequest, printer: &Printer) -> Exit {
    let Some(target) = Target::find(&req.location, "status", printer) else {
        return Exit::Usage;
    };
    printer.status(&snapshot(&target));
    Exit::Ok
}

/// Take the snapshot.
fn snapshot(target: &Target) -> StatusReport {
    let (sys, layout, mode) = (&*target.sys, &target.layout, target.mode);
    let services = (mode == Mode::Online).then(|| {
        let names: Vec<String> = catalog::all_services()
            .into_iter()
            .map(String::from)
            .collect();
        services::snapshot(sys, &names)
    });
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
            &Store::for_windows(&layout.windows_dir, mode),
            sys,
            mode,
            layout.root(),
        ),
    }
}
