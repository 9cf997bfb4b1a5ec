//! Text on its way out: names cleaned so they cannot forge a line, wufix's own line breaks kept,
//! and typography a pipe can carry.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Text as one line of output: control characters (a newline or an escape sequence in a file
/// name) are shown escaped, so a name can never forge a line or recolour the terminal.
pub fn clean(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || reorders(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text as a person reads it: no Markdown backticks around commands (a console shows them as
/// they are); for a pipe or a file, wufix's own typography in ASCII too (`->` for an arrow):
/// Windows PowerShell 5.1 decodes a program's output with the console's code page, where `→`
/// arrives as mojibake. Letters of names are left as they are.
pub fn for_stream(text: &str, console: bool) -> Cow<'_, str> {
    let fancy = |c: char| {
        c == '`'
            || !console
                && matches!(
                    c,
                    '→' | '←'
                        | '—'
                        | '–'
                        | '…'
                        | '“'
                        | '”'
                        | '‘'
                        | '’'
                        | '≥'
                        | '≤'
                        | '×'
                        | '·'
                        | '✓'
                )
    };
    if !text.chars().any(fancy) {
        return Cow::Borrowed(text);
    }
    if console {
        return Cow::Owned(text.replace('`', ""));
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '→' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '—' | '–' => out.push('-'),
            '…' => out.push_str("..."),
            '“' | '”' => out.push('"'),
            '‘' | '’' => out.push('\''),
            '≥' => out.push_str(">="),
            '≤' => out.push_str("<="),
            '×' => out.push('x'),
            '·' => out.push('-'),
            '✓' => out.push_str("ok"),
            '`' => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// wufix's own message, its line breaks kept (each further line indented under the first, so
/// no name inside it can pass for a line of wufix's), everything else cleaned.
pub fn lines_of(message: &str) -> String {
    message
        .lines()
        .map(|line| clean(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A multi-line report from another process (the elevated copy): each line cleaned, the line
/// breaks kept.
pub fn clean_report(text: &str) -> String {
    text.lines()
        .map(|line| clean(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Unicode format characters that reorder or hide text on a terminal: the bidirectional
/// embeddings, overrides and isolates (U+202E turns `exe.txt` into what reads as `txt.exe`),
/// the marks, and the zero-width ones.
fn reorders(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// `text` wrapped at word boundaries to `width` columns, each continuation under its line's own
/// indent plus two; a word longer than a line (a path) is left whole. Lines that fit are left
/// exactly as they are.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let hang = " ".repeat((indent + 2).min(width / 2));
        let mut used = 0;
        let mut first = true;
        for word in line[indent..].split(' ') {
            let len = word.chars().count();
            if first {
                out.push_str(&line[..indent]);
                out.push_str(word);
                used = indent + len;
                first = false;
            } else if used + 1 + len <= width {
                out.push(' ');
                out.push_str(word);
                used += 1 + len;
            } else {
                out.push('\n');
                out.push_str(&hang);
                out.push_str(word);
                used = hang.len() + len;
            }
        }
    }
    out
}

/// In the menu, a person never gets a command line: a `` `wufix …` `` command in wufix's words
/// becomes the menu entry that does the same (`words`: the start of its arguments → entry);
/// one no entry does stays as it is, as do technicians' Windows commands.
pub fn menu_commands<'a>(text: &'a str, words: &[(&str, &str)]) -> Cow<'a, str> {
    if !text.contains("`wufix") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("`wufix") {
        out.push_str(&rest[..at]);
        let span = &rest[at + 1..];
        let Some(end) = span.find('`') else {
            out.push_str(&rest[at..]);
            return Cow::Owned(out);
        };
        let command = &span[..end];
        let args = command["wufix".len()..].trim_start();
        // The first pattern the command starts with, whole words: the longer ones come first.
        let entry = words
            .iter()
            .find(|(pattern, _)| args == *pattern || args.starts_with(&format!("{pattern} ")));
        match entry {
            Some((_, entry)) => {
                let _ = write!(out, "\"{entry}\" in this menu");
            }
            // No entry does it: the command stays, for whoever helps.
            None => out.push_str(&rest[at..at + end + 2]),
        }
        rest = &span[end + 1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}
