//! The loaded hives' decisions with a fake loader and a fake live registry: where each key lands,
//! that nothing stays loaded after a failure, and that every way out unloads.

use std::sync::Arc;

use super::{MountedHives, place};
use crate::sys::fake::FakePlatform;
use crate::sys::fake_hives::{Live, Loader};
use crate::sys::registry::{RegValue, Registry};

/// A Windows folder with both hive files (their bytes never read: the loader is fake).
fn disk() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("Windows").join("System32").join("config");
    std::fs::create_dir_all(&config).unwrap();
    for hive in ["SYSTEM", "SOFTWARE"] {
        std::fs::write(config.join(hive), b"regf").unwrap();
    }
    dir
}

fn live(current: Option<u32>) -> Arc<FakePlatform> {
    let mut sys = FakePlatform::new().registry_value(
        r"WUFIX_SYSTEM_7\ControlSet002\Services\wuauserv",
        "Start",
        RegValue::dword(4),
    );
    if let Some(n) = current {
        sys = sys.registry_value(r"WUFIX_SYSTEM_7\Select", "Current", RegValue::dword(n));
    }
    Arc::new(sys)
}

#[test]
fn keys_named_as_online_land_in_the_loaded_hives_and_both_are_unloaded() {
    let dir = disk();
    let loader = Loader::default();
    let sys = live(Some(2));
    let hives = MountedHives::load(
        Box::new(loader.clone()),
        Box::new(Live(sys.clone())),
        &dir.path().join("Windows"),
        7,
    )
    .unwrap();
    assert_eq!(
        loader.calls(),
        [
            "load WUFIX_SYSTEM_7 SYSTEM",
            "load WUFIX_SOFTWARE_7 SOFTWARE"
        ]
    );
    let key = r"SYSTEM\CurrentControlSet\Services\wuauserv";
    assert_eq!(hives.value(key, "Start").unwrap(), Some(RegValue::dword(4)));
    hives
        .set_value(key, "Start", Some(&RegValue::dword(3)))
        .unwrap();
    assert_eq!(
        sys.value(r"WUFIX_SYSTEM_7\ControlSet002\Services\wuauserv", "Start")
            .unwrap(),
        Some(RegValue::dword(3)),
        "written in the control set the disk boots with"
    );
    hives
        .set_value(
            r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate",
            "WUServer",
            None,
        )
        .unwrap();
    hives.unload().unwrap();
    assert_eq!(
        loader.calls()[2..],
        [
            "flush WUFIX_SOFTWARE_7",
            "unload WUFIX_SOFTWARE_7",
            "flush WUFIX_SYSTEM_7",
            "unload WUFIX_SYSTEM_7"
        ]
    );
    drop(hives);
    assert_eq!(loader.calls().len(), 6, "never unloaded twice");
}

#[test]
fn a_hive_that_will_not_load_leaves_nothing_loaded_and_says_which_and_why() {
    let dir = disk();
    let loader = Loader {
        refuse_load: Some("SOFTWARE"),
        ..Loader::default()
    };
    let err = MountedHives::load(
        Box::new(loader.clone()),
        Box::new(Live(live(Some(1)))),
        &dir.path().join("Windows"),
        7,
    )
    .err()
    .unwrap();
    assert!(
        err.contains("SOFTWARE could not be loaded as HKLM\\WUFIX_SOFTWARE_7"),
        "{err}"
    );
    assert!(err.contains("access denied"), "{err}");
    assert_eq!(
        loader.calls(),
        [
            "load WUFIX_SYSTEM_7 SYSTEM",
            "load WUFIX_SOFTWARE_7 SOFTWARE",
            "flush WUFIX_SYSTEM_7",
            "unload WUFIX_SYSTEM_7"
        ]
    );
}

#[test]
fn a_hive_file_in_use_points_at_an_earlier_run_left_loaded() {
    let dir = disk();
    let loader = Loader {
        in_use: true,
        ..Loader::default()
    };
    let err = MountedHives::load(
        Box::new(loader),
        Box::new(Live(live(Some(1)))),
        &dir.path().join("Windows"),
        7,
    )
    .err()
    .unwrap();
    assert!(err.contains("`reg unload` it first"), "{err}");
}

#[test]
fn a_system_hive_without_a_current_control_set_is_unloaded_and_refused() {
    let dir = disk();
    let loader = Loader::default();
    let err = MountedHives::load(
        Box::new(loader.clone()),
        Box::new(Live(live(None))),
        &dir.path().join("Windows"),
        7,
    )
    .err()
    .unwrap();
    assert!(err.contains("no current control set"), "{err}");
    assert!(
        loader
            .calls()
            .contains(&"unload WUFIX_SYSTEM_7".to_string())
    );
    assert!(
        loader
            .calls()
            .contains(&"unload WUFIX_SOFTWARE_7".to_string())
    );
}

#[test]
fn a_missing_hive_file_is_named_and_nothing_is_loaded() {
    let dir = disk();
    std::fs::remove_file(dir.path().join("Windows/System32/config/SOFTWARE")).unwrap();
    let loader = Loader::default();
    let err = MountedHives::load(
        Box::new(loader.clone()),
        Box::new(Live(live(Some(1)))),
        &dir.path().join("Windows"),
        7,
    )
    .err()
    .unwrap();
    assert!(err.contains("SOFTWARE is absent"), "{err}");
    assert_eq!(loader.calls().last().unwrap(), "unload WUFIX_SYSTEM_7");
}

#[test]
fn a_way_out_that_skips_the_unload_still_unloads_and_a_failed_unload_names_the_command() {
    let dir = disk();
    let loader = Loader::default();
    let hives = MountedHives::load(
        Box::new(loader.clone()),
        Box::new(Live(live(Some(1)))),
        &dir.path().join("Windows"),
        7,
    )
    .unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _hives = hives;
        panic!("a step panicked");
    }));
    assert!(panicked.is_err());
    assert!(loader.calls().ends_with(&[
        "flush WUFIX_SYSTEM_7".to_string(),
        "unload WUFIX_SYSTEM_7".to_string()
    ]));

    let stuck = Loader {
        refuse_unload: Some("SOFTWARE"),
        ..Loader::default()
    };
    let hives = MountedHives::load(
        Box::new(stuck.clone()),
        Box::new(Live(live(Some(1)))),
        &dir.path().join("Windows"),
        7,
    )
    .unwrap();
    let err = hives.unload().unwrap_err();
    assert!(
        err.contains("run `reg unload HKLM\\WUFIX_SOFTWARE_7` before shutting Windows PE down"),
        "{err}"
    );
    assert!(err.contains("in the file already"), "{err}");
    assert!(
        stuck.calls().contains(&"unload WUFIX_SYSTEM_7".to_string()),
        "the other hive is still unloaded"
    );
}

#[test]
fn only_system_and_software_are_on_a_disk_and_case_does_not_matter() {
    let at = |key: &str| place(key, "S", "W", "ControlSet003");
    assert_eq!(
        at(r"system\currentcontrolset\Services\bits").unwrap(),
        r"S\ControlSet003\Services\bits"
    );
    assert_eq!(at(r"SYSTEM\CurrentControlSet").unwrap(), r"S\ControlSet003");
    assert_eq!(at(r"SYSTEM\Select").unwrap(), r"S\Select");
    assert_eq!(at("SYSTEM").unwrap(), "S");
    assert_eq!(at(r"Software\Policies").unwrap(), r"W\Policies");
    assert_eq!(
        at(r"SYSTEM\CurrentControlSetX\a").unwrap(),
        r"S\CurrentControlSetX\a",
        "only the whole name is the current set"
    );
    let err = at(r"HARDWARE\DESCRIPTION").unwrap_err().to_string();
    assert!(err.contains("not on a mounted disk"), "{err}");
}
