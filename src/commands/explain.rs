//! `wufix explain`: what each code means and what fixes it, offline; the request already holds
//! the parsed codes.

use crate::exit::Exit;
use crate::explain::{self, Entry, ExplainReport};
use crate::printer::Printer;
use crate::request::ExplainRequest;

pub fn run(req: &ExplainRequest, printer: &Printer) -> Exit {
    let mut codes = Vec::new();
    let mut ignored = Vec::new();
    for (input, read) in &req.inputs {
        match read {
            explain::Read::Code(code) => {
                codes.push(Entry::Explained(Box::new(explain::explain(input, *code))))
            }
            explain::Read::Invalid(error) => codes.push(Entry::Invalid {
                input: input.clone(),
                error: error.clone(),
            }),
            explain::Read::NoCode => ignored.push(input.clone()),
        }
    }
    printer.explain(&ExplainReport {
        ok: true,
        command: "explain",
        codes,
        ignored,
    });
    Exit::Ok
}
