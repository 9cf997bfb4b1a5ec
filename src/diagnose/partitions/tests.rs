use super::*;
use crate::sys::disk::{Kind, Usage};

const GB: u64 = 1024 * MB;

fn part(number: u32, offset: u64, size: u64, kind: Kind, free: Option<u64>) -> Partition {
    Partition {
        number,
        offset,
        size,
        kind,
        active: false,
        free,
        largest: Vec::new(),
        unreadable: None,
    }
}

/// GPT as Windows Setup lays it out: ESP, MSR, Windows, recovery right after.
fn gpt(esp_free: u64, recovery_free: u64) -> DiskLayout {
    let mut esp = part(1, MB, 100 * MB, Kind::Esp, Some(esp_free));
    esp.largest = vec![
        Usage {
            path: r"EFI\Microsoft".into(),
            bytes: 60 * MB,
        },
        Usage {
            path: r"EFI\HP".into(),
            bytes: 25 * MB,
        },
    ];
    DiskLayout {
        disk: 0,
        style: Style::Gpt,
        os_partition: 3,
        spanned: false,
        virtual_disk: false,
        bitlocker: Some(false),
        partitions: vec![
            esp,
            part(2, 101 * MB, 16 * MB, Kind::Msr, None),
            part(3, 117 * MB, 200 * GB, Kind::Basic, Some(80 * GB)),
            part(
                4,
                117 * MB + 200 * GB,
                600 * MB,
                Kind::Recovery,
                Some(recovery_free),
            ),
        ],
    }
}

fn reagent_at(offset: u64) -> ReAgent {
    ReAgent {
        enabled: true,
        offset: Some(offset),
        path: Some(r"\Recovery\WindowsRE".into()),
    }
}

fn by_id<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| f.id == id).unwrap()
}

#[test]
fn a_full_esp_warns_with_0x800f0922_and_names_what_fills_it() {
    let disk = gpt(9 * MB, 400 * MB);
    let offset = disk.partitions[3].offset;
    let found = judge(Ok(disk), Some(&reagent_at(offset)), None);
    let esp = by_id(&found, "system-partition");
    assert_eq!(esp.severity, Severity::Warn);
    assert_eq!(esp.facts.code.as_deref(), Some("0x800F0922"));
    assert_eq!((esp.facts.disk, esp.facts.partition), (Some(0), Some(1)));
    assert_eq!(esp.facts.free_bytes, Some(9 * MB));
    assert!(esp.evidence.contains(r"EFI\HP 25.0 MB"), "{}", esp.evidence);
    let remedy = esp.remedy.as_deref().unwrap();
    assert!(
        remedy.contains("mountvol Y: /s") && remedy.contains(r"EFI\Microsoft\Boot\Fonts"),
        "{remedy}"
    );
    assert!(
        remedy.contains(r"outside EFI\Microsoft") && remedy.contains(r"EFI\HP"),
        "{remedy}"
    );
    assert!(!esp.repair_fixes() && !esp.reset_would_help);
    // The line is 15 MB, not 10: the May 2026 failures had 10 MB or less.
    let low = judge(Ok(gpt(14 * MB, 400 * MB)), Some(&reagent_at(offset)), None);
    assert_eq!(by_id(&low, "system-partition").severity, Severity::Warn);
    let fine = judge(Ok(gpt(15 * MB, 400 * MB)), Some(&reagent_at(offset)), None);
    assert_eq!(by_id(&fine, "system-partition").severity, Severity::Ok);
    assert_eq!(by_id(&fine, "recovery-partition").severity, Severity::Ok);
}

#[test]
fn a_small_recovery_partition_right_after_windows_gets_the_kb5028997_steps_for_this_disk() {
    let mut disk = gpt(50 * MB, 120 * MB);
    disk.bitlocker = Some(true);
    let offset = disk.partitions[3].offset;
    let found = judge(
        Ok(disk),
        Some(&reagent_at(offset)),
        Some("2026-01-10T08:00:00Z".into()),
    );
    let winre = by_id(&found, "recovery-partition");
    assert_eq!(winre.severity, Severity::Warn);
    assert_eq!(winre.facts.code.as_deref(), Some("0x80070643"));
    assert!(winre.evidence.contains("event 4502"), "{}", winre.evidence);
    let steps = winre.remedy.as_deref().unwrap();
    for part in [
        "manage-bde -protectors -disable C:",
        "reagentc /disable",
        "select disk 0",
        "select partition 3",
        "shrink desired=250 minimum=250",
        "select partition 4",
        "delete partition override",
        "id=de94bba4-06d1-4d40-a16a-bfd50179d6ac",
        "gpt attributes=0x8000000000000001",
        "reagentc /enable",
    ] {
        assert!(steps.contains(part), "{part:?} not in {steps}");
    }
}

#[test]
fn every_other_layout_names_the_article_and_computes_nothing() {
    let refusals: Vec<(&str, DiskLayout)> = vec![
        ("before the Windows partition", {
            // WinRE first, as older OEM images lay it out.
            let mut d = gpt(50 * MB, 120 * MB);
            d.partitions[3].offset = MB / 2;
            d
        }),
        ("spans more than one disk", {
            let mut d = gpt(50 * MB, 120 * MB);
            d.spanned = true;
            d
        }),
        ("Storage Spaces", {
            let mut d = gpt(50 * MB, 120 * MB);
            d.virtual_disk = true;
            d
        }),
        ("not right after", {
            let mut d = gpt(50 * MB, 120 * MB);
            let data = part(5, 117 * MB + 200 * GB, 10 * GB, Kind::Basic, None);
            d.partitions[3].offset += 10 * GB;
            d.partitions.push(data);
            d
        }),
        ("too little free space to shrink", {
            let mut d = gpt(50 * MB, 120 * MB);
            d.partitions[2].free = Some(700 * MB);
            d
        }),
    ];
    for (why, disk) in refusals {
        let offset = disk.partitions[3].offset;
        let found = judge(Ok(disk), Some(&reagent_at(offset)), None);
        let winre = by_id(&found, "recovery-partition");
        assert_eq!(winre.severity, Severity::Warn, "{why}");
        let remedy = winre.remedy.as_deref().unwrap();
        assert!(
            remedy.contains("KB5028997") && remedy.contains(why),
            "{why}: {remedy}"
        );
        assert!(
            !remedy.contains("select partition") && !remedy.contains("shrink desired"),
            "{why}: {remedy}"
        );
    }
}

#[test]
fn mbr_with_system_reserved() {
    let mut reserved = part(1, MB, 50 * MB, Kind::Basic, Some(4 * MB));
    reserved.active = true;
    let mut recovery = part(
        3,
        51 * MB + 100 * GB,
        500 * MB,
        Kind::Recovery,
        Some(100 * MB),
    );
    recovery.largest = Vec::new();
    let disk = DiskLayout {
        disk: 1,
        style: Style::Mbr,
        os_partition: 2,
        spanned: false,
        virtual_disk: false,
        bitlocker: None,
        partitions: vec![
            reserved,
            part(2, 51 * MB, 100 * GB, Kind::Basic, Some(30 * GB)),
            recovery,
        ],
    };
    let offset = disk.partitions[2].offset;
    let found = judge(Ok(disk), Some(&reagent_at(offset)), None);
    let esp = by_id(&found, "system-partition");
    assert_eq!(esp.severity, Severity::Warn);
    assert!(
        esp.summary
            .starts_with("the System Reserved partition has only 4.0 MB"),
        "{}",
        esp.summary
    );
    assert!(
        esp.remedy
            .as_deref()
            .unwrap()
            .contains(r"takeown /d y /r /f Y:\Boot\Fonts")
    );
    let steps = by_id(&found, "recovery-partition").remedy.clone().unwrap();
    assert!(
        steps.contains("select disk 1") && steps.contains("id=27"),
        "{steps}"
    );
    assert!(!steps.contains("gpt attributes"), "{steps}");
    assert!(steps.starts_with("If BitLocker protects C:"), "{steps}");
}

#[test]
fn winre_disabled_absent_or_on_the_windows_partition() {
    let disk = gpt(50 * MB, 120 * MB);
    let disabled = ReAgent {
        enabled: false,
        offset: None,
        path: None,
    };
    let found = judge(Ok(disk.clone()), Some(&disabled), None);
    let winre = by_id(&found, "recovery-partition");
    assert_eq!(winre.severity, Severity::Info);
    assert!(winre.summary.starts_with("WinRE is disabled"));
    assert!(
        winre
            .remedy
            .as_deref()
            .unwrap()
            .contains("reagentc /enable")
    );
    let none = judge(Ok(disk.clone()), None, None);
    assert!(
        by_id(&none, "recovery-partition")
            .summary
            .starts_with("no ReAgent.xml")
    );
    // No recovery partition: WinRE on C: itself.
    let mut no_recovery = disk.clone();
    no_recovery.partitions.pop();
    let on_c = reagent_at(no_recovery.partitions[2].offset);
    let found = judge(Ok(no_recovery), Some(&on_c), None);
    let winre = by_id(&found, "recovery-partition");
    assert_eq!(winre.severity, Severity::Ok);
    assert!(winre.summary.contains("on the Windows partition"));
}

#[test]
fn unelevated_or_offline_is_unavailable_with_the_reason_never_a_guess() {
    let r = reagent_at(5);
    for (err, says) in [
        (SysError::AccessDenied, "needs administrator rights"),
        (
            SysError::Offline,
            "a mounted disk's partitions are not measured",
        ),
    ] {
        let found = judge(Err(err), Some(&r), None);
        assert_eq!(found.len(), 2);
        for f in &found {
            assert!(!f.available, "{f:?}");
            assert!(f.reason.as_deref().unwrap().contains(says), "{f:?}");
        }
        assert!(
            found[1].evidence.contains("WinRE enabled"),
            "{:?}",
            found[1]
        );
    }
    // Through the fake platform: without rights the disk is not opened.
    let sys = crate::sys::fake::FakePlatform::new()
        .disk(gpt(9 * MB, 400 * MB))
        .not_elevated();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("Windows/System32")).unwrap();
    let layout = Layout::offline(&tmp.path().join("Windows")).unwrap();
    let found = check(&layout, &sys, Mode::Online);
    assert!(found.iter().all(|f| !f.available), "{found:?}");
}
