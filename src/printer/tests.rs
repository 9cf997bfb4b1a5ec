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
