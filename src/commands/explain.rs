//! `wufix explain`: what each code means and what fixes it, offline; the request already holds
//! the parsed codes.

use crate::exit::Exit;
use crate::explain::{self, ExplainReport};
use crate::printer::Printer;
use crate::request::ExplainRequest;

pub fn run(req: &ExplainRequest, printer: &Printer) -> Exit {
    let codes = req
        .codes
        .iter()
        .map(|(input, code)| explain::explain(input, *code))
        .collect();
    printer.explain(&ExplainReport {
        ok: true,
        command: "explain",
        codes,
    });
    Exit::Ok
}
