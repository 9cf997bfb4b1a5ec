use std::path::Path;

use super::*;
use crate::sys::fake::FakePlatform;

#[test]
fn each_outcome_gets_its_event_and_nothing_changed_gets_none() {
    assert_eq!(EventId::of(Exit::Ok, None, false), Some(EventId::Success));
    assert_eq!(
        EventId::of(Exit::Ok, None, true),
        Some(EventId::InterruptedRecovered)
    );
    assert_eq!(
        EventId::of(Exit::Failed, Some(Reason::StepFailed), false),
        Some(EventId::StepFailed)
    );
    assert_eq!(
        EventId::of(Exit::Failed, Some(Reason::NotFixed), false),
        Some(EventId::StepFailed)
    );
    assert_eq!(
        EventId::of(Exit::Refused, Some(Reason::Refused), false),
        Some(EventId::Refused)
    );
    assert_eq!(
        EventId::of(Exit::Failed, Some(Reason::Interrupted), false),
        Some(EventId::InterruptedRecovered)
    );
    for (exit, reason) in [
        (Exit::Failed, Some(Reason::Busy)),
        (Exit::Failed, Some(Reason::Declined)),
        (Exit::Usage, Some(Reason::NotConfirmed)),
        (Exit::Usage, Some(Reason::Usage)),
        (Exit::NotElevated, Some(Reason::NotElevated)),
    ] {
        assert_eq!(
            EventId::of(exit, reason, false),
            None,
            "{exit:?} {reason:?}"
        );
    }
    assert_eq!(EventId::StepFailed.level(), Level::Error);
    assert_eq!(EventId::Refused.level(), Level::Warning);
    assert_eq!(EventId::Success.level(), Level::Information);
}

#[test]
fn data_that_fits_is_kept_whole_and_a_long_report_is_cut_with_a_marker() {
    let short = "{\"ok\": true}";
    assert_eq!(data(short), short);
    let exact = "x".repeat(MAX_DATA);
    assert_eq!(data(&exact), exact);
    // Multi-byte characters across the cut: never split.
    let long = "é".repeat(MAX_DATA);
    let cut = data(&long);
    assert!(cut.len() <= MAX_DATA, "{}", cut.len());
    assert!(cut.starts_with("éé"));
    assert!(
        cut.ends_with(&format!(
            "[wufix: the report is cut here; whole, it was {} characters]",
            long.len()
        )),
        "{}",
        &cut[cut.len() - 80..]
    );
}

fn event() -> Event {
    Event {
        id: EventId::StepFailed,
        message: "wufix reset: one step failed | exit 1".into(),
        data: "{\"ok\": false}".into(),
    }
}

#[test]
fn the_source_is_registered_with_the_stable_copy_and_the_event_written() {
    let sys = FakePlatform::new().event_log();
    let file = Path::new(r"C:\ProgramData\wufix\bin\wufix.exe");
    write(&sys, Some(file), &event()).unwrap();
    assert_eq!(
        sys.registry()
            .value(SOURCE_KEY, "EventMessageFile")
            .unwrap(),
        Some(RegValue::expand_string(
            r"C:\ProgramData\wufix\bin\wufix.exe"
        ))
    );
    assert_eq!(
        sys.registry().value(SOURCE_KEY, "TypesSupported").unwrap(),
        Some(RegValue::dword(7))
    );
    let written = sys.written_events();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].source, "wufix");
    assert_eq!(written[0].id, 1001);
    assert_eq!(written[0].level, Level::Error);
    assert_eq!(written[0].message, event().message);
    assert_eq!(written[0].data, b"{\"ok\": false}");
}

#[test]
fn a_source_registered_elsewhere_is_pointed_at_the_stable_copy() {
    // An old registration names an exe that moved (a Downloads folder): its events would lose
    // their text.
    let sys = FakePlatform::new().event_log().registry_value(
        SOURCE_KEY,
        "EventMessageFile",
        RegValue::expand_string(r"C:\Users\ann\Downloads\wufix.exe"),
    );
    let file = Path::new(r"C:\ProgramData\wufix\bin\wufix.exe");
    write(&sys, Some(file), &event()).unwrap();
    assert_eq!(
        sys.registry()
            .value(SOURCE_KEY, "EventMessageFile")
            .unwrap(),
        Some(RegValue::expand_string(
            r"C:\ProgramData\wufix\bin\wufix.exe"
        ))
    );
}

#[test]
fn a_log_that_refuses_the_event_is_an_error_for_the_caller_to_say() {
    let sys = FakePlatform::new().event_log().events_fail();
    let err = write(&sys, Some(Path::new(r"C:\x.exe")), &event()).unwrap_err();
    assert!(err.to_string().contains("full"), "{err}");
    assert!(sys.written_events().is_empty());
}

#[test]
fn without_a_message_file_the_registration_is_left_alone_and_the_event_still_written() {
    let sys = FakePlatform::new().event_log().registry_value(
        SOURCE_KEY,
        "EventMessageFile",
        RegValue::expand_string(r"C:\ProgramData\wufix\bin\wufix.exe"),
    );
    write(&sys, None, &event()).unwrap();
    assert_eq!(
        sys.registry()
            .value(SOURCE_KEY, "EventMessageFile")
            .unwrap(),
        Some(RegValue::expand_string(
            r"C:\ProgramData\wufix\bin\wufix.exe"
        ))
    );
    assert_eq!(
        sys.registry().value(SOURCE_KEY, "TypesSupported").unwrap(),
        None
    );
    assert_eq!(sys.written_events().len(), 1);
}
