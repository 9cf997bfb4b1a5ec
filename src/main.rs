//! Parse → validate → run → exit code. Nothing else lives here.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use wufix::Exit;
use wufix::printer::Printer;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(cli::rejected(err, &args)),
    };
    let json = cli.json();
    let verbose = cli.verbose();
    let command = cli.command_name();
    let (printer, exit) = match cli.into_request() {
        Ok(request) => {
            let printer = Printer::new(json)
                .with_report_copy(request.report_copy.clone())
                .verbose(verbose);
            let exit = wufix::run(request, &printer);
            (printer, exit)
        }
        Err(err) => {
            let printer = Printer::new(json);
            printer.usage(command, &err.0, None, None);
            (printer, Exit::Usage)
        }
    };
    ExitCode::from(printer.finish(exit))
}
