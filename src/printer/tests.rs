//! Escaping and ASCII JSON.
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

#[test]
fn characters_that_reorder_or_hide_text_are_shown_escaped() {
    let shown = clean("started \u{202e}evol  :detrats\u{200b}");
    assert!(
        !shown.contains('\u{202e}') && !shown.contains('\u{200b}'),
        "{shown}"
    );
    assert!(
        shown.contains("\\u{202e}") && shown.contains("\\u{200b}"),
        "{shown}"
    );
    assert_eq!(clean("Disque système é"), "Disque système é");
}

#[test]
fn an_error_keeps_its_own_line_breaks_and_a_forged_line_stays_indented() {
    assert_eq!(lines_of("first\nsecond"), "first\n  second");
    let shown = lines_of("cannot rename C:\\x\u{1b}[31m\nwufix: done");
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(
        shown.lines().skip(1).all(|l| l.starts_with("  ")),
        "no later line starts where wufix's own do: {shown}"
    );
}

#[test]
fn a_pipe_gets_wufix_s_typography_in_ascii_and_names_as_they_are() {
    let text = "Start → Power → Restart — about a minute… José’s “files” ≥ 5";
    assert_eq!(for_stream(text, true), text, "a console gets Unicode");
    assert_eq!(
        for_stream("Run `wufix diagnose` → done", true),
        "Run wufix diagnose → done",
        "no Markdown on a console"
    );
    assert_eq!(for_stream("Run `sfc /scannow`", false), "Run sfc /scannow");
    assert_eq!(
        for_stream(text, false),
        "Start -> Power -> Restart - about a minute... José's \"files\" >= 5"
    );
    assert!(matches!(for_stream("plain", false), Cow::Borrowed(_)));
}

#[test]
fn long_lines_wrap_at_words_under_their_own_indent_and_short_ones_stay() {
    assert_eq!(
        wrap("short line\n  also short", 20),
        "short line\n  also short"
    );
    assert_eq!(
        wrap("  What to do: restart your PC before you try again", 20),
        "  What to do:\n    restart your PC\n    before you try\n    again"
    );
    // A word longer than the line (a path) stays whole on a line of its own.
    let path = r"C:\Windows\SoftwareDistribution\DataStore\DataStore.edb";
    let wrapped = wrap(&format!("held: {path} by svchost"), 30);
    assert!(wrapped.lines().any(|l| l.trim() == path), "{wrapped}");
    for line in wrap("a b c d e f g h i j k l m n o p", 7).lines() {
        assert!(line.chars().count() <= 7, "{line:?}");
    }
    // Nothing is lost or reordered: the words read the same.
    let text = "one two three four five six seven eight nine ten";
    let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(&wrap(text, 12)), words(text));
}

#[test]
fn in_the_menu_a_command_line_becomes_the_entry_that_does_it() {
    let words = [
        ("diagnose", "Find out what is wrong"),
        ("repair --from residue", "Turn Windows Update back on"),
        ("repair", "Repair step by step"),
    ];
    assert_eq!(
        menu_commands(
            "Run `wufix diagnose` as administrator, then `DISM /Online`.",
            &words
        ),
        "Run \"Find out what is wrong\" in this menu as administrator, then `DISM /Online`."
    );
    assert_eq!(
        menu_commands(
            "`wufix repair --for 0x800F0922 --up-to deep` starts at the deep rung",
            &words
        ),
        "\"Repair step by step\" in this menu starts at the deep rung"
    );
    assert_eq!(
        menu_commands("run `wufix repair --from residue --up-to residue`", &words),
        "run \"Turn Windows Update back on\" in this menu"
    );
    assert_eq!(
        menu_commands("see `wufix logs --setup`", &words),
        "see `wufix logs --setup`"
    );
    assert_eq!(
        menu_commands("`wufix repairs`", &words),
        "`wufix repairs`",
        "whole words only"
    );
    assert!(matches!(
        menu_commands("no command here", &words),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        menu_commands("cut `wufix diagnose", &words),
        "cut `wufix diagnose"
    );
}

#[test]
fn a_warning_goes_into_the_report_and_not_into_the_next_commands() {
    let printer = Printer::new(true);
    printer.warn("the event log is full");
    let (_, json) = printer.event_text(Exit::Ok);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["warnings"][0], "the event log is full");
    // The menu, between two commands.
    let _ = printer.take_reason();
    let (_, json) = printer.event_text(Exit::Ok);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(doc.get("warnings").is_none(), "{doc}");
}
