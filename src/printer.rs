//! The one place that writes output. Results go to stdout (text, or exactly one JSON document
//! with `--json`); progress, prompts and errors go to stderr. A closed pipe is not an error worth
//! a panic: writes that fail are dropped.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::diagnose::{DiagnoseReport, Severity};
use crate::explain::ExplainReport;
use crate::progress::Meter;
use crate::report::{
    BackupEvent, ErrorReport, Mode, Outcome, ResetReport, ServiceSnapshot, StatusReport,
    StepRecord, size_text,
};

pub struct Printer {
    json: bool,
    /// A file that also gets the reset report (the elevated copy's, for the window that waits).
    report_copy: Option<std::path::PathBuf>,
    /// The spinner or bar on stderr while a person waits; only on a terminal, never with JSON.
    live: Mutex<Option<Live>>,
}

/// A spinner (services) or a bar (a folder being cleared) on screen.
struct Live {
    bar: ProgressBar,
    /// For a bar: the thread that moves it as the removal count grows, and its stop flag.
    follower: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Live {
    /// Stop its follower and clear it from the terminal.
    fn finish(self) {
        if let Some((stop, follower)) = self.follower {
            stop.store(true, Ordering::Relaxed);
            let _ = follower.join();
        }
        self.bar.finish_and_clear();
    }
}

/// A program's progress bar: tenths of a percent.
const PERCENT_BAR: u64 = 1000;

mod repair;

/// Why a question could not be asked.
#[derive(Debug)]
pub struct NotInteractive;

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer {
            json,
            report_copy: None,
            live: Mutex::new(None),
        }
    }

    /// Also write the reset report to `path`.
    pub fn with_report_copy(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.report_copy = path;
        self
    }

    /// The report to stdout, and to the report copy if there is one.
    fn report_out(&self, text: &str) {
        self.out(text);
        if let Some(path) = &self.report_copy {
            // Written by an elevated copy into the user's temp folder: a new file only, so a name
            // planted there in advance (a link to a system file) is refused, never written through.
            // Plain text: colour codes are for terminals.
            let plain = anstream::adapter::strip_str(text).to_string();
            let written = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut file| file.write_all(plain.as_bytes()));
            if let Err(err) = written {
                self.err(&format!(
                    "wufix: cannot save the report to {}: {err}\n",
                    path.display()
                ));
            }
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    // Through anstream: colour reaches a terminal (on Windows 10+ through the console's
    // virtual-terminal mode) and is stripped for a pipe, a file, or when NO_COLOR is set.
    fn out(&self, text: &str) {
        let mut out = anstream::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn err(&self, text: &str) {
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

    fn json_out<T: Serialize>(&self, value: &T) {
        match to_ascii_json(value) {
            Ok(text) => self.out(&format!("{text}\n")),
            Err(err) => self.err(&format!("wufix: cannot encode the report: {err}\n")),
        }
    }

    /// Whether a person can answer a question here: standard input is a console or terminal.
    pub fn can_ask(&self) -> bool {
        io::stdin().is_terminal()
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

    /// A line of context on stderr (what is about to happen).
    pub fn note(&self, text: &str) {
        self.err(&format!("{text}\n"));
    }

    /// A command that could not start. With `--json` stdout still gets one document.
    pub fn error(&self, command: &'static str, message: &str) {
        if self.json {
            self.json_out(&ErrorReport {
                ok: false,
                command,
                error: message.to_string(),
            });
        }
        self.err(&format!(
            "{}\n",
            paint(&format!("wufix: {}", clean(message)), RED)
        ));
    }

    /// Show the plan on stderr and ask. Only a terminal can answer: anything else is refused
    /// rather than left waiting.
    pub fn confirm(&self, plan: &[StepRecord], question: &str) -> Result<bool, NotInteractive> {
        if !io::stdin().is_terminal() {
            return Err(NotInteractive);
        }
        let mut text = String::from("wufix will:\n");
        for record in plan {
            let _ = writeln!(text, "{}{}", step_line(record), risk_line(record));
        }
        self.err(&text);
        self.ask(question)
    }

    /// A yes/no question; anything but "y" or "yes" is no.
    pub fn ask(&self, question: &str) -> Result<bool, NotInteractive> {
        if !io::stdin().is_terminal() {
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

    /// A command's report as JSON on stdout (and in the report copy).
    fn json_out_report<T: Serialize>(&self, report: &T) {
        match to_ascii_json(report) {
            Ok(text) => self.report_out(&format!("{text}\n")),
            Err(err) => self.err(&format!("wufix: cannot encode the report: {err}\n")),
        }
    }

    pub fn reset(&self, report: &ResetReport) {
        if self.json {
            return self.json_out_report(report);
        }
        let mut text = servicing_lines(&report.servicing, report.forced);
        if report.dry_run && report.refused.is_none() {
            let what = match report.command {
                "reset" => format!("reset ({})", method_name(report)),
                other => other.to_string(),
            };
            let _ = writeln!(
                text,
                "Dry run: nothing will be changed. wufix {what} on {} would:",
                clean(&report.windows_dir)
            );
            for record in &report.steps {
                let reversible = if record.reversible {
                    ""
                } else {
                    "  [cannot be undone]"
                };
                let _ = writeln!(text, "{}{reversible}", step_line(record));
            }
        }
        if !report.services.before.is_empty() {
            let _ = writeln!(
                text,
                "\nServices{}",
                if report.dry_run {
                    ""
                } else {
                    " (before → after)"
                }
            );
            for before in &report.services.before {
                let after = report.services.after.iter().find(|a| a.name == before.name);
                let _ = writeln!(
                    text,
                    "  {:<10} {}",
                    before.name,
                    service_change(before, after)
                );
            }
        }
        if !report.backups.is_empty() {
            let _ = writeln!(text, "\nBackups");
            for backup in &report.backups {
                let _ = writeln!(
                    text,
                    "  {:<8} {}",
                    backup_event(backup.event),
                    clean(&backup.path)
                );
            }
        }
        let _ = writeln!(text, "\n{}", clean(&report.message));
        if report.command == "reset" && !report.dry_run && report.ok && report.reboot_recommended {
            text.push_str(&after_reset(report));
        }
        self.report_out(&text);
    }

    pub fn explain(&self, report: &ExplainReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = String::new();
        for (i, e) in report.codes.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let names: Vec<&str> = e.names.iter().map(|n| n.name).collect();
            let title = if names.is_empty() {
                "not in wufix's database".to_string()
            } else {
                names.join(" / ")
            };
            let status = if e.success {
                "  (a success status, not a failure)"
            } else {
                ""
            };
            let _ = writeln!(text, "{}  {title}{status}", e.code);
            if let Some(family) = e.family {
                let _ = writeln!(
                    text,
                    "  {:<14} {family} (what follows is the family's)",
                    "Family"
                );
            }
            for (label, value) in [
                ("What it means", e.meaning),
                ("Likely cause", e.cause),
                ("What fixes it", e.fix),
            ] {
                if let Some(value) = value {
                    let _ = writeln!(text, "  {label:<14} {value}");
                }
            }
            let _ = writeln!(text, "  {:<14} {}", "Anatomy", e.anatomy.describe());
            if let Some(message) = &e.system_message {
                let _ = writeln!(text, "  {:<14} {message}", "Windows says");
            }
            if let Some(hint) = &e.repair {
                let _ = writeln!(text, "  {:<14} {}", "wufix repair", hint.note);
            }
        }
        self.out(&text);
    }

    pub fn diagnose(&self, report: &DiagnoseReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = format!(
            "Windows: {} ({})\n\n",
            clean(&report.windows_dir),
            report.mode.as_str()
        );
        for finding in &report.findings {
            let label = format!("{:<6}", finding.severity.as_str().to_uppercase());
            let style = match finding.severity {
                Severity::Ok => GREEN,
                Severity::Info => Style::new(),
                Severity::Warn => YELLOW,
                Severity::Error => RED,
            };
            let _ = writeln!(
                text,
                "  {} {}",
                paint(&label, style),
                clean(&finding.summary)
            );
            let _ = writeln!(text, "         {}", clean(&finding.evidence));
            if let (true, Some(remedy)) = (finding.severity > Severity::Ok, &finding.remedy) {
                // Offline remedies hold the mounted volume's path: cleaned like any name.
                let _ = writeln!(text, "         fix: {}", clean(remedy));
            }
        }
        let attention = report
            .findings
            .iter()
            .filter(|f| f.needs_attention())
            .count();
        let _ = match &report.next_step {
            Some(step) => writeln!(
                text,
                "\n{} need attention. First: {step}",
                crate::report::count(attention as u64, "finding", "findings")
            ),
            None => writeln!(text, "\nNothing needs remediation."),
        };
        self.out(&text);
    }

    pub fn status(&self, report: &StatusReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = format!(
            "Windows: {} ({})\n",
            clean(&report.windows_dir),
            report.mode.as_str()
        );
        if report.mode == Mode::Online {
            let _ = writeln!(
                text,
                "\nServices\n  {:<10} {:<14} {:<13} PID",
                "NAME", "STATE", "START TYPE"
            );
            for service in &report.services {
                let _ = writeln!(text, "  {:<10} {}", service.name, service_row(service));
            }
        } else {
            let _ = writeln!(
                text,
                "\nServices: not inspected (an offline installation has no running services)"
            );
        }
        let _ = writeln!(text, "\nFolders");
        for folder in &report.folders {
            let what = if !folder.exists {
                "not present".to_string()
            } else if folder.is_link {
                "a link or junction (wufix will not reset it)".to_string()
            } else {
                size_text(folder.size.files, folder.size.bytes)
            };
            let _ = writeln!(text, "  {}  {what}", clean(&folder.path));
        }
        let _ = writeln!(text, "\nBackups made by wufix");
        if report.backups.is_empty() {
            let _ = writeln!(text, "  none");
        }
        for backup in &report.backups {
            let size = match backup.size {
                _ if backup.is_link => {
                    "a link or junction named like a backup: not a backup, never entered".into()
                }
                Some(s) => size_text(s.files, s.bytes),
                None => String::new(),
            };
            let _ = writeln!(text, "  {}  {size}", clean(&backup.path));
        }
        text.push_str(&journal_text(&report.journal));
        self.out(&text);
    }
}

/// The last run, an interrupted one, and journals set aside, as `status` words them.
fn journal_text(view: &crate::recovery::JournalView) -> String {
    let mut text = String::from("\nLast run\n");
    match &view.last_run {
        Some(run) => {
            let _ = writeln!(
                text,
                "  {} {}: {}",
                clean(&run.started),
                clean(&run.command),
                run.outcome
            );
        }
        None => text.push_str("  none recorded\n"),
    }
    if let Some(run) = &view.interrupted {
        let _ = writeln!(
            text,
            "{}",
            paint(
                &format!(
                    "  INTERRUPTED: the {} started at {} did not finish",
                    clean(&run.command),
                    clean(&run.started)
                ),
                RED
            )
        );
        if !run.services_stopped.is_empty() {
            let _ = writeln!(
                text,
                "    left stopped: {}",
                clean(&run.services_stopped.join(", "))
            );
        }
        for r in &run.renamed {
            let _ = writeln!(
                text,
                "    {} {} -> {}",
                if r.done { "renamed" } else { "was renaming" },
                clean(&r.from),
                clean(&r.to)
            );
        }
        let _ = writeln!(
            text,
            "    fix: `wufix undo` puts everything back; `wufix reset` starts the services again first"
        );
    }
    for aside in &view.set_aside {
        let _ = writeln!(
            text,
            "  journal set aside: {} ({})",
            clean(&aside.path),
            clean(&aside.why)
        );
    }
    if let Some(err) = &view.error {
        let _ = writeln!(text, "  journal not readable: {}", clean(err));
    }
    text
}

/// A planned step's risk on a line of its own, when it has one.
fn risk_line(record: &StepRecord) -> String {
    record
        .risk
        .map(|risk| format!("\n           risk: {risk}"))
        .unwrap_or_default()
}

/// The servicing checks that found something: each refusing, overridden, or a warning.
fn servicing_lines(checks: &[crate::report::ServicingCheck], forced: bool) -> String {
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

fn method_name(report: &ResetReport) -> &'static str {
    match report.method {
        crate::request::Method::Rename => "rename",
        crate::request::Method::Clear => "clear",
    }
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

/// What a person sees next, after a reset that changed something, and how to undo it.
fn after_reset(report: &ResetReport) -> String {
    let mut text = String::from(
        "\nWhat to expect: Settings → Windows Update → Update history looks empty until Windows \
         scans again (installed updates are still listed under \"Uninstall updates\"), and that \
         first check for updates takes longer than usual.\n",
    );
    let made: Vec<String> = report
        .backups
        .iter()
        .filter(|b| b.event == BackupEvent::Created)
        .map(|b| format!("  {}", clean(&b.path)))
        .collect();
    if made.is_empty() {
        return text;
    }
    let target = match report.mode {
        Mode::Online => String::new(),
        Mode::Offline => format!(" --windows-dir \"{}\"", clean(&report.windows_dir)),
    };
    let _ = writeln!(
        text,
        "To undo: `wufix undo{target}` puts these backups back (what Windows made meanwhile is kept as a backup):\n{}",
        made.join("\n")
    );
    text
}

impl Meter for Printer {
    fn services(&self, verb: &str, pending: &[&str]) {
        if !self.shows_progress() {
            return;
        }
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let live = live.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Live {
                bar,
                follower: None,
            }
        });
        live.bar
            .set_message(format!("{verb} {}", pending.join(", ")));
    }

    fn watching(&self) -> bool {
        self.shows_progress()
    }

    fn percent(&self, what: &str, percent: f32) {
        if !self.shows_progress() {
            return;
        }
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        // A spinner or a clearing bar left from before is not this program's bar.
        if let Some(other) = live.take_if(|l| l.bar.length() != Some(PERCENT_BAR)) {
            other.finish();
        }
        let live = live.get_or_insert_with(|| Live {
            bar: ProgressBar::with_draw_target(Some(PERCENT_BAR), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template("{bar:30} {msg} ({elapsed})")
                        .expect("a valid template"),
                ),
            follower: None,
        });
        live.bar
            .set_position((percent * PERCENT_BAR as f32 / 100.0) as u64);
        live.bar
            .set_message(format!("{} {percent:.1}%", clean(what)));
    }

    fn clearing(&self, folder: &Path, total: u64, removed: Arc<AtomicU64>) {
        self.done();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} entries removed from {msg} ({elapsed})",
                )
                .expect("a valid template"),
            )
            .with_message(clean(&folder.display().to_string()).into_owned());
        let stop = Arc::new(AtomicBool::new(false));
        let follower = {
            let (bar, stop) = (bar.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(removed.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(Live {
            bar,
            follower: Some((stop, follower)),
        });
    }

    fn done(&self) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(live) = live {
            live.finish();
        }
    }
}

/// Text as one line of output: control characters (a newline or an escape sequence in a file
/// name) are shown escaped, so a name can never forge a line or recolour the terminal.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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

fn service_state(snapshot: &ServiceSnapshot) -> String {
    match (&snapshot.error, snapshot.exists, snapshot.state) {
        (Some(err), _, _) => format!("unknown ({err})"),
        (None, false, _) => "not installed".to_string(),
        (None, true, Some(state)) => state.as_str().to_string(),
        (None, true, None) => "unknown".to_string(),
    }
}

fn service_row(snapshot: &ServiceSnapshot) -> String {
    if !snapshot.exists {
        return service_state(snapshot);
    }
    let start = snapshot.start_type.map(|s| s.as_str()).unwrap_or("?");
    let pid = snapshot.pid.map(|p| p.to_string()).unwrap_or_default();
    format!("{:<14} {:<13} {pid}", service_state(snapshot), start)
}

fn service_change(before: &ServiceSnapshot, after: Option<&ServiceSnapshot>) -> String {
    let start = before
        .start_type
        .map(|s| format!(", {}", s.as_str()))
        .unwrap_or_default();
    match after {
        Some(after) if before.exists => format!(
            "{} → {}{start}",
            service_state(before),
            service_state(after)
        ),
        _ => format!("{}{start}", service_state(before)),
    }
}

fn backup_event(event: BackupEvent) -> &'static str {
    match event {
        BackupEvent::Created => "created",
        BackupEvent::Planned => "planned",
        BackupEvent::Kept => "kept",
        BackupEvent::Pruned => "deleted",
        BackupEvent::Present => "present",
        BackupEvent::Restored => "restored",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_ascii_and_still_decodes_to_the_same_text() {
        let value = serde_json::json!({ "path": "C:\\Users\\José\\📁", "n": 1 });
        let text = to_ascii_json(&value).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(
            text.contains("Jos\\u00e9") && text.contains("\\ud83d\\udcc1"),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn control_characters_in_names_cannot_forge_a_line() {
        assert_eq!(clean("plain name"), "plain name");
        let forged = clean("a\n  done     rename-folder C:\\x\u{1b}[31m");
        assert!(
            !forged.contains('\n') && !forged.contains('\u{1b}'),
            "{forged}"
        );
        assert!(
            forged.contains("\\n") && forged.contains("\\u{1b}"),
            "{forged}"
        );
        // Quotes and backslashes are left alone: only control characters are escaped.
        assert_eq!(clean("it's \"q\" C:\\a\tb"), "it's \"q\" C:\\a\\tb");
    }
}
