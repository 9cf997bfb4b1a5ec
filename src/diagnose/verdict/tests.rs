//! The verdict from findings: what is wrong, and whether a reset fixes it.

use super::{Recommend, verdict};
use crate::diagnose::{Finding, Severity};

fn ok(id: &str) -> Finding {
    Finding::new(id, Severity::Ok, "fine", "evidence")
}

#[test]
fn a_clean_machine_has_no_problem_and_no_reset_is_recommended() {
    let v = verdict(&[ok("service"), ok("pending-reboot")]);
    assert!(v.wrong.starts_with("No problem found"), "{v:?}");
    assert_eq!(v.reset_helps, None);
    assert_eq!(v.recommend, Recommend::Nothing);
}

#[test]
fn nothing_checkable_says_why_instead_of_no_problem() {
    let v = verdict(&[Finding::unavailable(
        "service",
        "update services",
        "access denied",
    )]);
    assert_eq!(v.wrong, "Nothing could be checked here: access denied");
    assert_eq!(v.recommend, Recommend::Nothing);
    // One check that could run, and found nothing: then "no problem", not "nothing checked".
    let v = verdict(&[
        Finding::unavailable("events", "the event log", "not here"),
        ok("service"),
    ]);
    assert!(v.wrong.starts_with("No problem found"), "{v:?}");
}

#[test]
fn a_failure_a_reset_cannot_fix_says_so_and_what_will() {
    let secure_boot = Finding::new(
        "servicing-failure",
        Severity::Error,
        "the Secure Boot update's installer failed (0x800F0922)",
        "CBS.log",
    )
    .remedy("install the firmware update from your PC's maker");
    let v = verdict(&[ok("service"), secure_boot]);
    assert_eq!(
        v.wrong,
        "What is wrong: The Secure Boot update's installer failed (0x800F0922)."
    );
    assert_eq!(v.reset, "Resetting the folders will not fix this.");
    assert_eq!(
        v.what_will.as_deref(),
        Some("Install the firmware update from your PC's maker.")
    );
    assert_eq!(v.reset_helps, Some(false));
    assert_eq!(v.recommend, Recommend::Nothing);
}

#[test]
fn the_worst_problem_comes_first_and_the_rest_are_counted() {
    let warn = Finding::new(
        "pending-reboot",
        Severity::Warn,
        "a restart is pending",
        "x",
    );
    let error =
        Finding::new("cache", Severity::Error, "the update cache is damaged", "y").reset_helps();
    let v = verdict(&[warn.clone(), error]);
    assert_eq!(
        v.wrong,
        "What is wrong: The update cache is damaged (and 1 more problem)."
    );
    assert_eq!(v.reset, "Resetting the folders may fix this.");
    assert_eq!(v.recommend, Recommend::Reset);
    let three = verdict(&[warn.clone(), warn.clone(), warn]);
    assert!(three.wrong.ends_with("(and 2 more problems)."), "{three:?}");
}

#[test]
fn blocker_residue_comes_before_a_reset_and_a_repair() {
    let mut residue = Finding::new(
        "residue",
        Severity::Error,
        "wuauserv is disabled",
        "Start=4",
    )
    .fixed_by("repair");
    residue.facts.rule = Some("service-disabled".into());
    let cache = Finding::new("cache", Severity::Warn, "damaged cache", "y").reset_helps();
    let v = verdict(&[cache, residue]);
    assert_eq!(v.recommend, Recommend::TurnBackOn);
    assert_eq!(v.reset_helps, Some(false));
    assert!(v.reset.contains("turned back on first"), "{v:?}");
}

#[test]
fn a_failure_the_repair_fixes_recommends_the_repair() {
    let store = Finding::new(
        "component-store",
        Severity::Error,
        "the component store is damaged",
        "z",
    )
    .fixed_by("repair");
    let v = verdict(&[store]);
    assert_eq!(v.recommend, Recommend::Repair);
    assert_eq!(
        v.reset,
        "Resetting the folders will not fix this; the step-by-step repair may."
    );
}

#[test]
fn info_findings_and_unavailable_checks_are_not_problems() {
    let info = Finding::new("windows-version", Severity::Info, "Windows 11 Pro", "x");
    let mut gone = Finding::new("cache", Severity::Error, "x", "y");
    gone.available = false;
    assert_eq!(verdict(&[info, gone]).recommend, Recommend::Nothing);
}
