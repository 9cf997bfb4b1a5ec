//! `wufix logs PATH…`: read logs handed over from another machine. Read-only, no rights needed,
//! nothing of this machine looked at.

use crate::diagnose::logs;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::request::LogsRequest;

pub fn run(req: &LogsRequest, printer: &Printer) -> Exit {
    let report = logs::read(&req.paths);
    if !report.read_any() {
        let why: Vec<String> = report
            .inputs
            .iter()
            .map(|i| match &i.unread {
                Some(why) => format!("{}: {why}", i.path),
                None => format!("{}: not a log wufix recognises", i.path),
            })
            .chain(report.refused.iter().cloned())
            .collect();
        let detail = if why.is_empty() {
            "no log files found".to_string()
        } else {
            why.join("; ")
        };
        printer.usage(
            "logs",
            &format!("nothing readable among the paths given ({detail})"),
            Some("nothing-readable".into()),
            None,
        );
        return Exit::Usage;
    }
    printer.logs(&report);
    if req.exit_code && report.failure_stands {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
