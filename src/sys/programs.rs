//! Running an external program (DISM, sfc, netsh, regsvr32) and reading what it prints as it
//! prints it. Output is decoded like the servicing logs: sfc writes UTF-16 to a pipe, DISM its
//! console code page, both with bare carriage returns between progress updates.

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::diagnose::servicing_logs::decode::for_each_line;

/// Run `exe` with `args`, no input, and pass each line of its output to `line` as it comes (its
/// error output after); its exit code (`u32::MAX` when it was killed by a signal).
pub fn run(exe: &Path, args: &[String], line: &mut dyn FnMut(&str)) -> io::Result<u32> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read on a thread of its own: a program that fills the error pipe while we wait on the
    // output pipe would otherwise block both.
    let errors = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            let _ = for_each_line(stderr, |l| lines.push(l.to_string()));
            lines
        })
    });
    let read = match child.stdout.take() {
        Some(stdout) => for_each_line(stdout, |l| line(l)),
        None => Ok(()),
    };
    let status = child.wait()?;
    read?;
    for l in errors.and_then(|t| t.join().ok()).unwrap_or_default() {
        line(&l);
    }
    Ok(status.code().map_or(u32::MAX, |c| c as u32))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn lines_arrive_in_order_then_errors_and_the_exit_code_is_kept() {
        let mut seen = Vec::new();
        let code = run(
            Path::new("/bin/sh"),
            &[
                "-c".into(),
                "printf 'a\\r[==  10.0%%  ]\\rb\\n'; echo oops >&2; exit 7".into(),
            ],
            &mut |l| seen.push(l.to_string()),
        )
        .unwrap();
        assert_eq!(code, 7);
        assert_eq!(seen, ["a", "[==  10.0%  ]", "b", "oops"]);
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_code() {
        let err = run(Path::new("/nonexistent/dism.exe"), &[], &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
