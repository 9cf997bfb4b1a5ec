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
        Err(err) => return exit_with(cli::rejected(err, &args)),
    };
    let json = cli.json();
    let output = cli.output().unwrap_or_default();
    let verbose = cli.verbose();
    let command = cli.command_name();
    let (printer, exit) = match cli.into_request() {
        Ok(request) => {
            let printer = Printer::new(json)
                .with_output(request.output.clone())
                .with_report_copy(request.report_copy.clone())
                .verbose(verbose);
            let exit = wufix::run(request, &printer);
            (printer, exit)
        }
        Err(err) => {
            let printer = Printer::new(json).with_output(output);
            printer.usage(command, &err.0, None, None);
            (printer, Exit::Usage)
        }
    };
    exit_with(printer.finish(exit))
}

/// wufix's codes fit a byte; an installer host's (3010, 1603, …) do not, and Windows passes
/// them on whole.
fn exit_with(code: i32) -> ExitCode {
    match u8::try_from(code) {
        Ok(code) => ExitCode::from(code),
        Err(_) => std::process::exit(code),
    }
}
