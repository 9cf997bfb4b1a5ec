//! The report file and the one line.

use serde_json::json;

use super::{MAX_LINE, summary_line};
use crate::exit::Exit;
use crate::sys::replace_whole;

#[test]
fn the_line_says_what_happened_the_exit_and_where_the_report_is_in_ascii() {
    let doc = json!({"command": "reset", "message": "Reset complete. Restart your PC (Start → Power → Restart) before you try Windows Update again."});
    let line = summary_line(
        &doc,
        Exit::Ok,
        Some(3010),
        "report saved to C:\\ProgramData\\wufix\\reports\\last.json",
    );
    assert_eq!(
        line,
        "wufix reset: Reset complete. Restart your PC (Start -> Power -> Restart) before you try Windows Update again. | exit 0 (success), 3010 for the installer host | report saved to C:\\ProgramData\\wufix\\reports\\last.json"
    );
    assert!(line.is_ascii() && !line.contains('\n'));
}

#[test]
fn a_diagnosis_is_counted_and_names_stay_readable() {
    let doc = json!({"command": "diagnose", "findings": [
        {"severity": "ok", "summary": "fine", "available": true},
        {"severity": "error", "summary": "Windows Update (wuauserv) is disabled", "available": true},
        {"severity": "warn", "summary": "a restart is pending", "available": true},
        {"severity": "error", "summary": "not checked", "available": false},
    ]});
    assert_eq!(
        summary_line(&doc, Exit::Failed, None, "no report saved"),
        "wufix diagnose: 2 problems: Windows Update (wuauserv) is disabled; ... | exit 1 (failed, or something needs attention) | no report saved"
    );
    let clean = json!({"command": "diagnose", "findings": []});
    assert!(
        summary_line(&clean, Exit::Ok, None, "no report saved").contains(": no problem found |")
    );
    let named = json!({"command": "reset", "error": "cannot rename C:\\Users\\José\nforged"});
    let line = summary_line(&named, Exit::Failed, None, "no report saved");
    assert!(line.is_ascii() && !line.contains('\n'), "{line}");
    assert!(line.contains("Jos\\u{e9}"), "{line}");
}

#[test]
fn an_explained_code_says_whether_a_reset_helps() {
    let doc = json!({"command": "explain", "codes": [{"code": "0x800F0922", "reset_helps": "no"}]});
    assert_eq!(
        summary_line(&doc, Exit::Ok, None, "no report saved"),
        "wufix explain: 0x800F0922 (does a reset help? no) | exit 0 (success) | no report saved"
    );
}

#[test]
fn a_long_message_is_cut_and_the_exit_and_report_survive() {
    let doc = json!({"command": "repair", "message": "x ".repeat(5000)});
    let line = summary_line(&doc, Exit::Refused, Some(1618), "no report saved");
    assert!(line.len() <= MAX_LINE, "{}", line.len());
    assert!(line.ends_with("| exit 4 (refused for safety (Windows is mid-servicing); nothing touched), 1618 for the installer host | no report saved"), "{line}");
    assert!(line.contains("..."));
}

#[test]
fn the_report_is_written_whole_and_never_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.json");
    replace_whole(&path, b"{\"ok\": true}\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"ok\": true}\n");
    replace_whole(&path, b"{\"ok\": false}\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"ok\": false}\n",
        "replaced whole"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left");
    #[cfg(unix)]
    {
        // A link planted where the report goes is replaced, its target untouched.
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let planted = dir.path().join("planted.json");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        replace_whole(&planted, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(
            !std::fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        // A folder that is a link is refused, nothing written through it.
        let real = tempfile::tempdir().unwrap();
        let linked = dir.path().join("reports");
        std::os::unix::fs::symlink(real.path(), &linked).unwrap();
        assert!(replace_whole(&linked.join("last.json"), b"x").is_err());
        assert_eq!(std::fs::read_dir(real.path()).unwrap().count(), 0);
    }
    assert!(replace_whole(&dir.path().join("missing").join("last.json"), b"x").is_err());
}
