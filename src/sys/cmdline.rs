//! Windows command lines: how an argument must be written so that the program started with it
//! reads it back unchanged, and where the elevated copy is started from. OS-independent, so it
//! is unit-tested on Linux.

use std::path::{Path, PathBuf};

/// The names of the pipes an elevated copy hands its report back through: the prefix, then 32
/// lowercase hex digits. The elevated copy writes to nothing else.
pub const REPORT_PIPE_PREFIX: &str = r"\\.\pipe\wufix-report-";

/// Whether `name` is a report pipe's name, as [`REPORT_PIPE_PREFIX`] says.
pub fn is_report_pipe(name: &str) -> bool {
    name.strip_prefix(REPORT_PIPE_PREFIX).is_some_and(|rest| {
        rest.len() == 32
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The program and working folder for the elevated copy. A mapped drive (`Z:`) does not exist
/// in the elevated session: a path on one is given by its UNC form; a working folder that
/// cannot be is replaced by the system folder (safe, and always there).
pub fn elevated_paths(
    exe: &Path,
    dir: &Path,
    is_remote: &dyn Fn(&Path) -> bool,
    unc: &dyn Fn(&Path) -> Option<PathBuf>,
    system_dir: fn() -> Option<PathBuf>,
) -> (PathBuf, PathBuf) {
    let exe = if is_remote(exe) {
        unc(exe).unwrap_or_else(|| exe.to_path_buf())
    } else {
        exe.to_path_buf()
    };
    let dir = if is_remote(dir) {
        unc(dir)
            .or_else(system_dir)
            .unwrap_or_else(|| dir.to_path_buf())
    } else {
        dir.to_path_buf()
    };
    (exe, dir)
}

/// Windows' command-line quoting, as `CommandLineToArgvW` and the C runtime read it back: an
/// argument with a space, tab or quote (or an empty one) is quoted; backslashes are doubled only
/// where a quote follows them.
pub fn quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '"']) {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_on_a_mapped_drive_is_started_elevated_by_its_unc_path() {
        let remote = |p: &Path| p.to_string_lossy().starts_with("Z:");
        let unc = |p: &Path| {
            let text = p.to_string_lossy();
            text.strip_prefix("Z:")
                .filter(|_| !text.contains("unmapped"))
                .map(|rest| PathBuf::from(format!(r"\\srv\tools{rest}")))
        };
        let system = || Some(PathBuf::from(r"C:\Windows\System32"));
        let (exe, dir) = elevated_paths(
            Path::new(r"Z:\wufix.exe"),
            Path::new(r"Z:\unmapped"),
            &remote,
            &unc,
            system,
        );
        assert_eq!(exe, PathBuf::from(r"\\srv\tools\wufix.exe"));
        assert_eq!(
            dir,
            PathBuf::from(r"C:\Windows\System32"),
            "a safe folder instead"
        );
        let (exe, dir) = elevated_paths(
            Path::new(r"C:\Tools\wufix.exe"),
            Path::new(r"C:\Users\me"),
            &remote,
            &unc,
            system,
        );
        assert_eq!(
            (exe, dir),
            (
                PathBuf::from(r"C:\Tools\wufix.exe"),
                PathBuf::from(r"C:\Users\me")
            )
        );
    }

    #[test]
    fn only_a_report_pipe_name_is_accepted() {
        let good = format!("{REPORT_PIPE_PREFIX}{}", "0123456789abcdef".repeat(2));
        assert!(is_report_pipe(&good));
        for bad in [
            r"C:\Windows\System32\config\SAM".to_string(),
            format!("{REPORT_PIPE_PREFIX}{}", "0".repeat(31)),
            format!("{REPORT_PIPE_PREFIX}{}", "G".repeat(32)),
            format!("{good}\\..\\x"),
            r"\\server\pipe\wufix-report-0123456789abcdef0123456789abcdef".to_string(),
        ] {
            assert!(!is_report_pipe(&bad), "{bad}");
        }
    }

    #[test]
    fn arguments_survive_windows_quoting() {
        assert_eq!(quote("reset"), "reset");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote(r"C:\Program Files\x"), r#""C:\Program Files\x""#);
        assert_eq!(quote(r"C:\dir with space\"), r#""C:\dir with space\\""#);
        assert_eq!(quote(r#"a"b"#), r#""a\"b""#);
        assert_eq!(quote(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(quote(r"a\b"), r"a\b");
    }
}
