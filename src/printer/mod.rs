//! The one place that writes output. Results go to stdout (text, or exactly one JSON document
//! with `--json`); progress, prompts and errors go to stderr — except with `--json`, where
//! stderr stays empty (under PowerShell remoting every stderr line is an error record) and
//! nothing is asked. The JSON document is written once, at the end, with what every document
//! carries: the version, the schema version, the computer, the times and the exit code. A
//! closed pipe is not an error worth a panic: writes that fail are dropped. Each document has
//! its own file here; this one holds the streams, the questions and what every document shares
//! (escaping, colour, step lines).

mod diagnose;
mod explain;
mod fleet;
mod logs;
mod meter;
mod repair;
mod reset;
mod status;
mod summary;
mod text;
mod when;

pub use text::{clean, clean_report, for_stream, lines_of, menu_commands, wrap};

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Mutex;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::exit::{Exit, Reason};
use crate::record::{Outcome, StepRecord};
use crate::report::ErrorReport;
use crate::request::output::{ExitCodes, Output};
use crate::servicing::ServicingCheck;

pub struct Printer {
    /// The report is kept as a document (`--json`, `--summary`, `--json-file`, msi codes):
    /// no text, no questions.
    json: bool,
    /// `--json`: the document itself goes to stdout (else, with a document, the one line).
    print_json: bool,
    output: Output,
    /// `--verbose`: every step and every piece of evidence.
    verbose: bool,
    /// In the menu: its entries, by the subcommand each stands for (`menu_commands`).
    menu: Mutex<Option<&'static [(&'static str, &'static str)]>>,
    /// A pipe that also gets the report and errors: the elevated copy's, for the window that
    /// waits. Opened at the first write, kept open to the end of the process.
    report_copy: Option<String>,
    copy: Mutex<Option<std::fs::File>>,
    /// The spinner or bar on stderr while a person waits; only on a terminal, never with JSON.
    live: Mutex<Option<meter::Live>>,
    /// With `--json`: the document, kept until [`Printer::finish`] knows the exit code.
    document: Mutex<Option<serde_json::Value>>,
    /// Why the command is not ok, when it said (else the exit code says).
    reason: Mutex<Option<Reason>>,
    /// Warnings for the document's `warnings` (also said on stderr in text).
    warnings: Mutex<Vec<String>>,
    started: jiff::Timestamp,
}

/// Text for its stream: see `for_stream`; on a console also wrapped at word boundaries to one
/// column less than its width (a line that fills the width exactly makes Windows' console add
/// an empty one). A pipe's width is unknown: never wrapped.
fn for_console(text: &str, console: bool, term: console::Term) -> Cow<'_, str> {
    let text = for_stream(text, console);
    match console.then(|| term.size_checked()).flatten() {
        Some((_, cols)) if cols > 20 => Cow::Owned(wrap(&text, cols as usize - 1)),
        _ => text,
    }
}

/// The schema of every JSON document. Raised when a field's meaning changes (ARCHITECTURE.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Why a question could not be asked.
#[derive(Debug)]
pub struct NotInteractive;

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer {
            json,
            print_json: json,
            output: Output::default(),
            verbose: false,
            menu: Mutex::new(None),
            report_copy: None,
            live: Mutex::new(None),
            copy: Mutex::new(None),
            document: Mutex::new(None),
            reason: Mutex::new(None),
            warnings: Mutex::new(Vec::new()),
            started: jiff::Timestamp::now(),
        }
    }

    /// Why the command ends without success, for its report (the first one said stands).
    pub fn reason(&self, reason: Reason) {
        let mut held = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        held.get_or_insert(reason);
    }

    /// The reason said so far, forgotten with the warnings: the menu asks it before and after
    /// each command it runs, so one command's warnings never reach the next one's report.
    pub fn take_reason(&self) -> Option<Reason> {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.reason.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The reason said so far (tests read it).
    pub fn said_reason(&self) -> Option<Reason> {
        *self.reason.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The end of the command: with `--json`, its one document goes out now, with the exit code
    /// and what every document carries. Returns the exit code.
    /// The process's exit code: wufix's own, or the installer host's with `--exit-codes msi`.
    pub fn finish(&self, exit: Exit) -> i32 {
        let code = exit as u8;
        if !self.json {
            return i32::from(code);
        }
        let document = self
            .document
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let (envelope, mapped) = self.composed(document, exit);
        let text = match to_ascii_json(&envelope) {
            Ok(text) => format!("{text}\n"),
            // Nothing on stderr: a report that cannot be encoded is itself a bug.
            Err(_) => "{\"ok\": false, \"command\": \"wufix\", \"error\": \"the report could not be encoded\"}\n".to_string(),
        };
        let saved = match &self.output.json_file {
            None => "no report saved".to_string(),
            Some(path) => match crate::sys::replace_whole(path, text.as_bytes()) {
                Ok(()) => format!("report saved to {}", path.display()),
                Err(err) => format!(
                    "the report could not be saved to {} ({err})",
                    path.display()
                ),
            },
        };
        if self.print_json {
            self.out(&text);
        } else {
            self.out(&format!(
                "{}\n",
                fleet::summary_line(&envelope, exit, mapped, &saved)
            ));
        }
        self.send_copy(&text);
        mapped.unwrap_or(i32::from(code))
    }

    /// Also send the report to the pipe `name` (a name `sys::cmdline::is_report_pipe` accepts).
    /// From now on, speak to a person in the menu: its entries instead of command lines.
    pub fn speak_as_menu(&self, entries: &'static [(&'static str, &'static str)]) {
        *self.menu.lock().unwrap_or_else(|p| p.into_inner()) = Some(entries);
    }

    /// Text in the menu's words, when it is the menu speaking.
    fn menu_words<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match *self.menu.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(words) => menu_commands(text, words),
            None => Cow::Borrowed(text),
        }
    }

    /// How the run reports to the tool that started it: a document kept whenever it is
    /// summarised, filed or mapped to installer codes.
    pub fn with_output(mut self, output: Output) -> Self {
        self.json |= output.keeps_document() || output.exit_codes == ExitCodes::Msi;
        self.output = output;
        self
    }

    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    pub fn with_report_copy(mut self, name: Option<String>) -> Self {
        self.report_copy = name;
        self
    }

    /// The report to stdout, and to the report copy if there is one.
    fn report_out(&self, text: &str) {
        self.out(text);
        self.send_copy(text);
    }

    /// `text` to the waiting window's pipe, when there is one.
    fn send_copy(&self, text: &str) {
        let Some(pipe) = &self.report_copy else {
            return;
        };
        let mut copy = self.copy.lock().unwrap_or_else(|e| e.into_inner());
        // The pipe the waiting window made (only SYSTEM and Administrators may open it);
        // opened, never created: a name that is not there is an error, not a new file.
        // Plain text: colour codes are for terminals.
        let plain = anstream::adapter::strip_str(text).to_string();
        let sent = match copy.as_mut() {
            Some(sink) => sink.write_all(plain.as_bytes()),
            None => OpenOptions::new()
                .write(true)
                .open(pipe)
                .and_then(|mut sink| {
                    sink.write_all(plain.as_bytes())?;
                    *copy = Some(sink);
                    Ok(())
                }),
        };
        if let Err(err) = sent {
            drop(copy);
            self.err(&format!(
                "wufix: cannot hand the report back to the waiting window: {err}\n"
            ));
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    // Through anstream: colour reaches a terminal (on Windows 10+ through the console's
    // virtual-terminal mode) and is stripped for a pipe, a file, or when NO_COLOR is set.
    fn out(&self, text: &str) {
        let text = match self.json {
            true => Cow::Borrowed(text),
            false => {
                let text = self.menu_words(text);
                Cow::Owned(
                    for_console(&text, io::stdout().is_terminal(), console::Term::stdout())
                        .into_owned(),
                )
            }
        };
        let mut out = anstream::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn err(&self, text: &str) {
        if self.json {
            return;
        }
        let text = self.menu_words(text);
        let text = for_console(&text, io::stderr().is_terminal(), console::Term::stderr());
        let write = || {
            let mut err = anstream::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        };
        // A line printed while a spinner runs goes above it, not through it.
        match &*self.live.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(live) => live.bar.suspend(write),
            None => write(),
        }
    }

    fn shows_progress(&self) -> bool {
        !self.json && io::stderr().is_terminal()
    }

    /// Keep `value` as the command's document (the last one wins: a report after an earlier
    /// error is the fuller account); it goes out at [`Printer::finish`].
    fn json_out<T: Serialize>(&self, value: &T) {
        if let Ok(value) = serde_json::to_value(value) {
            *self.document.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
        }
    }

    /// Whether a person can answer a question here: standard input is a console or terminal,
    /// and the output is not for a program (`--json`).
    pub fn can_ask(&self) -> bool {
        !self.json && io::stdin().is_terminal()
    }

    /// Wait for Enter, when someone is there to press it.
    pub fn pause(&self, text: &str) {
        if io::stdin().is_terminal() {
            self.err(&format!("\n{text}"));
            let _ = io::stdin().lock().read_line(&mut String::new());
        }
    }

    /// A step as it finishes.
    pub fn progress(&self, record: &StepRecord) {
        self.err(&format!("{}\n", step_line(record)));
    }

    /// Something that went wrong beside the command's work without failing it: on stderr in
    /// text, in the document's `warnings`.
    pub fn warn(&self, text: &str) {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(text.to_string());
        self.err(&format!(
            "{}\n",
            paint(&format!("wufix: warning: {}", lines_of(text)), YELLOW)
        ));
    }

    /// A line of context on stderr (what is about to happen).
    pub fn note(&self, text: &str) {
        self.err(&format!("{text}\n"));
    }

    /// A command that could not start. With `--json` stdout still gets one document.
    pub fn error(&self, command: &'static str, message: &str) {
        // Kept in text too: the run's event carries it.
        self.json_out(&ErrorReport {
            ok: false,
            command,
            error: message.to_string(),
            error_kind: None,
            argument: None,
        });
        let text = lines_of(message);
        self.err(&format!("{}\n", paint(&format!("wufix: {text}"), RED)));
        self.send_copy(&format!("wufix: {text}\n"));
    }

    /// A usage error: clap's text (or wufix's own) with its line breaks kept on stderr, each line
    /// cleaned. With `--json`, one document: the first sentence, the kind of error and the
    /// argument it is about (`kind` and `argument` from clap when it rejected the line).
    pub fn usage(
        &self,
        command: &'static str,
        message: &str,
        kind: Option<String>,
        argument: Option<String>,
    ) {
        self.reason(Reason::Usage);
        if self.json {
            let first = message.lines().next().unwrap_or("").trim().to_string();
            self.json_out(&ErrorReport {
                ok: false,
                command,
                error: first,
                error_kind: Some(kind.unwrap_or_else(|| "invalid-input".into())),
                argument,
            });
        }
        let text = clean_report(message);
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let mut out = format!("{}\n", paint(&format!("wufix: {first}"), RED));
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
        self.err(&out);
    }

    /// Show the plan on stderr and ask. Only a terminal can answer, and never with `--json`:
    /// anything else is refused rather than left waiting.
    pub fn confirm(&self, plan: &[StepRecord], question: &str) -> Result<bool, NotInteractive> {
        if !self.can_ask() {
            return Err(NotInteractive);
        }
        let steps: String = plan
            .iter()
            .map(|r| format!("{}{}\n", step_line(r), risk_line(r)))
            .collect();
        let mut text: String = summary::summary(plan)
            .iter()
            .map(|line| format!("{line}\n"))
            .collect();
        if self.verbose {
            text = format!("{text}Every step:\n{steps}");
        } else {
            text.push_str("(Type d and Enter to see every step first.)\n");
        }
        self.err(&text);
        loop {
            let answer = self
                .read_line(&format!("{question} [y/N] "))
                .unwrap_or_default();
            match answer.trim().to_ascii_lowercase().as_str() {
                "d" | "details" => self.err(&format!("Every step:\n{steps}")),
                "y" | "yes" => return Ok(true),
                _ => return Ok(false),
            }
        }
    }

    /// A yes/no question; anything but "y" or "yes" is no.
    pub fn ask(&self, question: &str) -> Result<bool, NotInteractive> {
        if !self.can_ask() {
            return Err(NotInteractive);
        }
        let answer = self
            .read_line(&format!("{question} [y/N] "))
            .unwrap_or_default();
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    /// Show `prompt` and read one line from the person at the console; `None` at end of input.
    pub fn read_line(&self, prompt: &str) -> Option<String> {
        self.err(prompt);
        let mut line = String::new();
        match io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_string()),
        }
    }

    /// A command's report as JSON (stdout and the report copy, at the end).
    fn json_out_report<T: Serialize>(&self, report: &T) {
        self.json_out(report);
    }
}

/// A planned step's risk on a line of its own, when it has one.
fn risk_line(record: &StepRecord) -> String {
    record
        .risk
        .map(|risk| format!("\n           risk: {risk}"))
        .unwrap_or_default()
}

/// The servicing checks that found something: each refusing, overridden, or a warning.
fn servicing_lines(checks: &[ServicingCheck], forced: bool) -> String {
    let mut text = String::new();
    for check in checks.iter().filter(|c| c.found) {
        let label = match (check.blocks, forced) {
            (true, true) => "overridden (--force)",
            (true, false) => "refuses",
            (false, _) => "warning",
        };
        let _ = writeln!(text, "  {label:<8} {}", clean(&check.detail));
    }
    text
}

fn step_line(record: &StepRecord) -> String {
    let outcome = format!("{:<8}", record.outcome.as_str());
    let style = match record.outcome {
        Outcome::Done => GREEN,
        Outcome::Failed => RED,
        Outcome::Skipped => YELLOW,
        Outcome::Planned => Style::new(),
    };
    let mut line = format!(
        "  {} {:<16} {}  ({})",
        paint(&outcome, style),
        record.action.as_str(),
        clean(&record.target),
        clean(&record.detail)
    );
    for error in &record.errors {
        let _ = write!(
            line,
            "\n             {}: {}",
            clean(&error.path),
            clean(&error.error)
        );
    }
    line
}

const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const RED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));

/// `text` in `style`; the escape codes are dropped on the way out where colour is not wanted.
fn paint(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

/// Pretty JSON with every non-ASCII character escaped (`\u00e9`, surrogate pairs beyond the BMP):
/// Windows PowerShell 5.1 decodes a program's output with the console's code page, and only ASCII
/// survives every code page.
pub fn to_ascii_json<T: Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, AsciiFormatter(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    Ok(String::from_utf8(out).expect("only ASCII was written"))
}

struct AsciiFormatter<'a>(PrettyFormatter<'a>);

impl Formatter for AsciiFormatter<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if c.is_ascii() {
                writer.write_all(&[c as u8])?;
            } else {
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests;
