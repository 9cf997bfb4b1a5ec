//! Running an external program (DISM, sfc, netsh, regsvr32) and reading what it prints as it
//! prints it. Output is decoded like the servicing logs: sfc writes UTF-16 to a pipe, DISM its
//! console code page, both with bare carriage returns between progress updates.
//!
//! The program's end is its exit, not the end of its output: a process it started may inherit
//! the pipe and hold it open for ever (regsvr32 of a shell DLL starts Explorer under Wine). Once
//! it has exited, what is still in the pipe is read for a moment, then the reader is left.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::lines::for_each_line;

/// How long output is still read after the program exited.
const DRAIN: Duration = Duration::from_millis(500);

/// Run `exe` with `args`, no input, and pass each line of its output to `line` as it comes (its
/// error output after); its exit code (`u32::MAX` when it was killed by a signal).
pub fn run(exe: &Path, args: &[String], line: &mut dyn FnMut(&str)) -> io::Result<u32> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    for (is_err, pipe) in [
        (
            false,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            true,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        if let Some(pipe) = pipe {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = for_each_line(pipe, |l| {
                    let _ = tx.send((is_err, l.to_string()));
                });
            });
        }
    }
    drop(tx);
    let mut errors = Vec::new();
    let mut exited: Option<(u32, Instant)> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((false, l)) => line(&l),
            Ok((true, l)) => errors.push(l),
            // Both pipes closed: only the exit is left to wait for.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait()?;
                exited
                    .get_or_insert((status.code().map_or(u32::MAX, |c| c as u32), Instant::now()));
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if exited.is_none() {
            if let Some(status) = child.try_wait()? {
                exited = Some((status.code().map_or(u32::MAX, |c| c as u32), Instant::now()));
            }
        }
        if let Some((_, at)) = exited {
            if at.elapsed() > DRAIN {
                break;
            }
        }
    }
    for l in errors {
        line(&l);
    }
    Ok(exited.map_or(u32::MAX, |(code, _)| code))
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
    fn a_grandchild_holding_the_pipe_does_not_keep_wufix_waiting() {
        let started = Instant::now();
        let mut seen = Vec::new();
        let code = run(
            Path::new("/bin/sh"),
            &["-c".into(), "echo done; sleep 30 & exit 3".into()],
            &mut |l| seen.push(l.to_string()),
        )
        .unwrap();
        assert_eq!(code, 3);
        assert_eq!(seen, ["done"]);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_code() {
        let err = run(Path::new("/nonexistent/dism.exe"), &[], &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
