//! What the menu offers, in the order the evidence puts it: finding out first, then what the
//! verdict recommends (marked), then the rest. Entries are numbered by position, so a sentence
//! names an entry by what it says, never by its number.

use crate::catalog::Folder;
use crate::diagnose::verdict::{Recommend, Verdict};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Diagnose,
    /// Put back what an update blocker left: the residue rung alone, asked first.
    TurnBackOn,
    Reset(&'static [Folder]),
    Repair,
    Explain,
    Status,
    Undo,
    Quit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub choice: Choice,
    pub text: &'static str,
    pub recommended: bool,
}

pub const DIAGNOSE: &str = "Find out what is wrong (every check, a few seconds)";
const DIAGNOSE_SHORT: &str = "Find out what is wrong";
pub const TURN_BACK_ON: &str = "Turn Windows Update back on (what an update blocker turned off)";
pub const RESET_BOTH: &str =
    "Reset both update folders (the update cache and the signature catalog)";
pub const RESET_CACHE: &str = "Reset the update cache only (SoftwareDistribution)";
pub const RESET_CATALOG: &str = "Reset the signature catalog only (catroot2)";
pub const REPAIR: &str = "Repair step by step, when a reset is not enough";
pub const EXPLAIN: &str = "Explain an error code";
pub const STATUS: &str = "Show the update services and wufix's backups";
pub const UNDO: &str = "Undo the last reset or repair (put things back)";

/// What a command line in wufix's words stands for in this menu (`Printer::speak_as_menu`):
/// the start of its arguments, longer ones first, and the entry that does the same.
pub const COMMANDS: &[(&str, &str)] = &[
    ("diagnose", DIAGNOSE_SHORT),
    ("logs", DIAGNOSE_SHORT),
    ("repair --from residue", "Turn Windows Update back on"),
    ("repair", "Repair step by step"),
    ("reset", "Reset both update folders"),
    ("undo", "Undo the last reset or repair"),
    ("explain", EXPLAIN),
    ("status", "Show the update services and wufix's backups"),
];

/// The entries for this verdict, in order.
pub fn entries(verdict: &Verdict, residue: bool) -> Vec<Entry> {
    let entry = |choice, text, recommended| Entry {
        choice,
        text,
        recommended,
    };
    let mut out = vec![entry(Choice::Diagnose, DIAGNOSE, false)];
    if residue {
        out.push(entry(
            Choice::TurnBackOn,
            TURN_BACK_ON,
            verdict.recommend == Recommend::TurnBackOn,
        ));
    }
    let reset = verdict.recommend == Recommend::Reset;
    out.push(entry(Choice::Reset(&Folder::ALL), RESET_BOTH, reset));
    out.push(entry(
        Choice::Reset(&[Folder::SoftwareDistribution]),
        RESET_CACHE,
        false,
    ));
    out.push(entry(
        Choice::Reset(&[Folder::Catroot2]),
        RESET_CATALOG,
        false,
    ));
    out.push(entry(
        Choice::Repair,
        REPAIR,
        verdict.recommend == Recommend::Repair,
    ));
    out.push(entry(Choice::Explain, EXPLAIN, false));
    out.push(entry(Choice::Status, STATUS, false));
    out.push(entry(Choice::Undo, UNDO, false));
    out
}

/// The menu as shown: the verdict on top, then each entry with its number.
pub fn render(verdict: &Verdict, entries: &[Entry]) -> String {
    let mut text = format!(
        "wufix — repair Windows Update\n\n{}\n{}\n",
        verdict.wrong, verdict.reset
    );
    if let Some(what) = &verdict.what_will {
        text.push_str(&format!("What will: {what}\n"));
    }
    if verdict.reset_helps.is_none() {
        text.push_str(&format!(
            "(These were the quick checks; \"{}\" runs them all.)\n",
            DIAGNOSE_SHORT
        ));
    }
    if let Some(e) = entries.iter().find(|e| e.recommended) {
        text.push_str(&format!("Recommended: {} (marked *).\n", e.text));
    }
    text.push('\n');
    for (n, e) in entries.iter().enumerate() {
        let mark = if e.recommended { '*' } else { ' ' };
        text.push_str(&format!("  {}{mark} {}\n", n + 1, e.text));
    }
    text.push_str("  Q  Quit\n");
    text
}

/// The prompt for `entries`.
pub fn prompt(entries: &[Entry]) -> String {
    format!("Choose 1-{}, or Q to quit: ", entries.len())
}

/// What a typed answer chooses; `None` when it is not one of the entries.
pub fn parse(answer: &str, entries: &[Entry]) -> Option<Choice> {
    let answer = answer.trim().to_ascii_lowercase();
    if matches!(answer.as_str(), "q" | "quit" | "exit") {
        return Some(Choice::Quit);
    }
    let n: usize = answer.parse().ok()?;
    entries.get(n.checked_sub(1)?).map(|e| e.choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(recommend: Recommend) -> Verdict {
        Verdict {
            wrong: "What is wrong: something.".into(),
            reset: match recommend {
                Recommend::Reset => "Resetting the folders may fix this.".into(),
                _ => "Resetting the folders will not fix this.".into(),
            },
            what_will: None,
            reset_helps: Some(recommend == Recommend::Reset),
            recommend,
        }
    }

    #[test]
    fn finding_out_comes_first_and_only_the_evidence_s_choice_is_recommended() {
        for (recommend, residue, marked) in [
            (Recommend::Reset, false, Some(RESET_BOTH)),
            (Recommend::Repair, false, Some(REPAIR)),
            (Recommend::TurnBackOn, true, Some(TURN_BACK_ON)),
            (Recommend::Nothing, false, None),
        ] {
            let list = entries(&verdict(recommend), residue);
            assert_eq!(list[0].choice, Choice::Diagnose);
            let recommended: Vec<&str> = list
                .iter()
                .filter(|e| e.recommended)
                .map(|e| e.text)
                .collect();
            assert_eq!(
                recommended,
                marked.into_iter().collect::<Vec<_>>(),
                "{recommend:?}"
            );
            assert_eq!(
                list.iter().any(|e| e.choice == Choice::TurnBackOn),
                residue,
                "turning Windows Update back on is offered only when a blocker's change stands"
            );
        }
    }

    #[test]
    fn numbers_follow_the_entries_and_anything_else_is_asked_again() {
        let list = entries(&verdict(Recommend::TurnBackOn), true);
        assert_eq!(parse(" 1 ", &list), Some(Choice::Diagnose));
        assert_eq!(parse("2", &list), Some(Choice::TurnBackOn));
        assert_eq!(parse("3", &list), Some(Choice::Reset(&Folder::ALL)));
        assert_eq!(parse("Q", &list), Some(Choice::Quit));
        assert_eq!(parse(&list.len().to_string(), &list), Some(Choice::Undo));
        for other in ["", "0", "-1", "10", "y", "reset", "1.5"] {
            assert_eq!(parse(other, &list), None, "{other:?}");
        }
        let shorter = entries(&verdict(Recommend::Nothing), false);
        assert_eq!(parse("2", &shorter), Some(Choice::Reset(&Folder::ALL)));
        assert_eq!(prompt(&shorter), "Choose 1-8, or Q to quit: ");
    }

    #[test]
    fn every_command_the_menu_speaks_of_is_one_of_its_entries() {
        let list = entries(&verdict(Recommend::TurnBackOn), true);
        for (_, entry) in COMMANDS {
            assert!(
                list.iter().any(|e| e.text.starts_with(entry)),
                "{entry} is an entry"
            );
        }
    }

    #[test]
    fn the_menu_shows_the_verdict_on_top_without_command_lines() {
        let v = verdict(Recommend::Reset);
        let shown = render(&v, &entries(&v, false));
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[2], "What is wrong: something.");
        assert_eq!(lines[3], "Resetting the folders may fix this.");
        assert_eq!(
            lines[4],
            "Recommended: Reset both update folders (the update cache and the signature catalog) (marked *)."
        );
        assert!(
            shown.contains(
                "\n  2* Reset both update folders (the update cache and the signature catalog)\n"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("\n  3  Reset the update cache only"),
            "{shown}"
        );
        // Every entry fits a console of 80 columns (Wine's; Windows' is 120).
        let mut all = entries(&verdict(Recommend::TurnBackOn), true);
        all[1].recommended = true;
        for line in render(&v, &all).lines().filter(|l| l.starts_with("  ")) {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert!(
            !shown.contains('`') && !shown.contains("wufix reset"),
            "{shown}"
        );
        assert!(shown.lines().all(|l| l.chars().count() <= 120), "{shown}");
    }
}
