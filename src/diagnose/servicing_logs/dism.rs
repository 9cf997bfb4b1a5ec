//! `Logs\DISM\dism.log`: one operation per `Dism.exe` session. The command line says what was
//! asked; the command handler's own error (`CPackageManagerCLIHandler::ExecuteCmdLine(hr:0x…)`,
//! "Failed while processing command …") says how it ended. Provider probes that fail on the way
//! (a provider DLL not loaded, an interface not supported) end nothing and count for nothing.

use super::evidence::{Evidence, Failure, Kind, Operation};
use super::line::{Level, Line, status};

#[derive(Default)]
pub struct DismReader {
    file: usize,
    session: Option<Session>,
}

#[derive(Default)]
struct Session {
    /// The arguments after `dism.exe`.
    command: Option<String>,
    code: Option<u32>,
    time: String,
}

impl DismReader {
    pub fn new(file: usize) -> Self {
        DismReader {
            file,
            session: None,
        }
    }

    pub fn feed(&mut self, line: &Line, ev: &mut Evidence) {
        let msg = line.message;
        if msg.contains("<----- Starting Dism.exe session") {
            // A session that never logged its end: its failure still stands, its success is unknown.
            self.close(ev, false);
            self.session = Some(Session {
                time: line.time.into(),
                ..Session::default()
            });
            return;
        }
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.time = line.time.into();
        if let Some(at) = msg.find("Executing command line: ") {
            session.command = Some(arguments(&msg[at + "Executing command line: ".len()..]));
        } else if line.level == Level::Error
            && (msg.contains("ExecuteCmdLine(hr:")
                || msg.contains("Failed while processing command"))
        {
            session.code = session.code.or(status(msg));
        } else if msg.contains("<----- Ending Dism.exe session") {
            self.close(ev, true);
        }
    }

    pub fn finish(&mut self, ev: &mut Evidence) {
        self.close(ev, false);
    }

    fn close(&mut self, ev: &mut Evidence, ended: bool) {
        let Some(session) = self.session.take() else {
            return;
        };
        let Some(command) = session.command else {
            return;
        };
        if session.code.is_none() && !ended {
            return;
        }
        let lower = command.to_ascii_lowercase();
        let checks_store = ["/restorehealth", "/scanhealth", "/checkhealth"]
            .iter()
            .any(|c| lower.contains(c));
        // A successful ScanHealth or CheckHealth reports corruption with exit code 0, so only a
        // successful RestoreHealth proves the store healthy; any failing check is the store's.
        let kind = if lower.contains("/restorehealth") || (checks_store && session.code.is_some()) {
            Kind::Store
        } else {
            Kind::Dism
        };
        ev.record(Operation {
            kind,
            key: if kind == Kind::Store {
                String::new()
            } else {
                lower
            },
            subject: format!("DISM {command}"),
            failure: session.code.map(|code| Failure {
                code: Some(code),
                details: Vec::new(),
                installer: None,
            }),
            time: session.time,
            file: self.file,
            kb: None,
            package: None,
        });
    }
}

/// `C:\Windows\system32\Dism.exe  /Online /Cleanup-Image /RestoreHealth` → `/Online
/// /Cleanup-Image /RestoreHealth`.
fn arguments(command_line: &str) -> String {
    let mut words = command_line.split_whitespace().peekable();
    if words.peek().is_some_and(|w| {
        let w = w.trim_matches('"').to_ascii_lowercase();
        w.ends_with("dism") || w.ends_with("dism.exe")
    }) {
        words.next();
    }
    words.collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_name_is_dropped_from_the_command() {
        assert_eq!(
            arguments(r"C:\Windows\system32\Dism.exe  /Online /Cleanup-Image /RestoreHealth"),
            "/Online /Cleanup-Image /RestoreHealth"
        );
        assert_eq!(
            arguments("dism /online /get-packages"),
            "/online /get-packages"
        );
    }
}
