//! `wufix diagnose`: say what is wrong before cutting. Read-only; needs no administrator rights.

use super::target::Target;
use crate::diagnose;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::request::DiagnoseRequest;

pub fn run(req: &DiagnoseRequest, printer: &Printer) -> Exit {
    let Some(target) = Target::find(&req.location, "diagnose", printer) else {
        return Exit::Usage;
    };
    let report = diagnose::diagnose(&target.layout, &*target.sys, target.mode);
    printer.diagnose(&report);
    if req.exit_code && report.repair_would_fix {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
