//! The partitions updates need room on: the EFI system partition (System Reserved on MBR),
//! where cumulative updates write boot files (below 15 MB free they roll back with 0x800F0922,
//! as the May 2026 update did), and the recovery partition, where the WinRE update (KB5034441)
//! needs 250 MB free or fails with 0x80070643. Read-only: wufix deletes nothing there and
//! repartitions nothing; it says what takes the room and gives the steps.

mod reagent;
mod steps;

use super::{Finding, Severity};
use crate::folders::Layout;
use crate::machine::Mode;
use crate::sys::disk::{DiskLayout, Partition, Style};
use crate::sys::{Platform, SysError};
pub use reagent::ReAgent;

pub const MB: u64 = 1024 * 1024;
/// Below this the May 2026 cumulative update rolled back (it failed with 10 MB or less).
pub const ESP_LOW: u64 = 15 * MB;
/// What KB5034441 needs free in the recovery partition.
pub const WINRE_NEED: u64 = 250 * MB;

const ESP_ID: &str = "system-partition";
const WINRE_ID: &str = "recovery-partition";

pub fn check(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<Finding> {
    let reagent = read_reagent(layout);
    let disk = if mode == Mode::Online {
        sys.disk_layout()
    } else {
        Err(SysError::Offline)
    };
    let winre_event = (mode == Mode::Online)
        .then(|| winre_failed_at(sys))
        .flatten();
    judge(disk, reagent.as_ref(), winre_event)
}

/// Both findings from what was read: the disk (or why not), ReAgent.xml, and when event 4502
/// (WinRE servicing failed) was last logged.
pub fn judge(
    disk: Result<DiskLayout, SysError>,
    reagent: Option<&ReAgent>,
    winre_event: Option<String>,
) -> Vec<Finding> {
    let disk = match disk {
        Ok(disk) => disk,
        Err(err) => {
            let why = why(&err);
            let mut winre =
                Finding::unavailable(WINRE_ID, "the recovery partition's free space", &why);
            if let Some(r) = reagent {
                winre.evidence = format!("{why}; ReAgent.xml: {}", describe(r));
            }
            return vec![
                Finding::unavailable(ESP_ID, "the EFI system / System Reserved partition", why),
                winre,
            ];
        }
    };
    vec![esp(&disk), winre(&disk, reagent, winre_event)]
}

fn why(err: &SysError) -> String {
    match err {
        SysError::AccessDenied => {
            "reading the disk layout needs administrator rights: run wufix diagnose as administrator".into()
        }
        SysError::Offline => {
            "a mounted disk's partitions are not measured: run wufix diagnose on the machine itself".into()
        }
        other => format!("the disk layout could not be read here: {other}"),
    }
}

fn describe(r: &ReAgent) -> String {
    let state = if r.enabled { "enabled" } else { "disabled" };
    match r.offset {
        Some(offset) => format!("WinRE {state}, its partition at byte offset {offset}"),
        None => format!("WinRE {state}, no partition recorded"),
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / MB as f64)
}

fn where_is(disk: &DiskLayout, p: &Partition) -> String {
    format!("disk {} partition {}", disk.disk, p.number)
}

fn sized(mut finding: Finding, disk: &DiskLayout, p: &Partition) -> Finding {
    finding.facts.disk = Some(disk.disk);
    finding.facts.partition = Some(p.number);
    finding.facts.size_bytes = Some(p.size);
    finding.facts.free_bytes = p.free;
    finding
}

fn esp(disk: &DiskLayout) -> Finding {
    let name = match disk.style {
        Style::Mbr => "the System Reserved partition",
        _ => "the EFI system partition",
    };
    let Some(p) = disk.system_partition() else {
        return Finding::new(
            ESP_ID,
            Severity::Info,
            format!(
                "no EFI system or System Reserved partition on disk {}",
                disk.disk
            ),
            "the Windows disk's partition table",
        );
    };
    let place = where_is(disk, p);
    let Some(free) = p.free else {
        let why = p
            .unreadable
            .clone()
            .unwrap_or_else(|| "not measured".into());
        let mut f = Finding::unavailable(ESP_ID, &format!("{name}'s free space ({place})"), why);
        f = sized(f, disk, p);
        return f;
    };
    let fills = if p.largest.is_empty() {
        p.unreadable
            .clone()
            .map(|w| format!("; its folders could not be listed: {w}"))
            .unwrap_or_default()
    } else {
        let list: Vec<String> = p
            .largest
            .iter()
            .map(|u| format!("{} {}", u.path, mb(u.bytes)))
            .collect();
        format!("; largest: {}", list.join(", "))
    };
    let evidence = format!("{place}: {} free of {}{fills}", mb(free), mb(p.size));
    if free >= ESP_LOW {
        return sized(
            Finding::new(
                ESP_ID,
                Severity::Ok,
                format!("{name} has {} free", mb(free)),
                evidence,
            ),
            disk,
            p,
        );
    }
    let vendor: Vec<&str> = p
        .largest
        .iter()
        .map(|u| u.path.as_str())
        .filter(|path| !path.to_ascii_lowercase().starts_with(r"efi\microsoft"))
        .collect();
    let vendor = if vendor.is_empty() {
        String::new()
    } else {
        format!(
            " Folders outside EFI\\Microsoft belong to other boot loaders or vendor tools ({}): remove one only with its maker's tool or instructions.",
            vendor.join(", ")
        )
    };
    let remedy = match disk.style {
        Style::Mbr => format!(
            "Free space on System Reserved, never touching its boot files: Microsoft's guidance for a full system partition (Microsoft Support, \"We couldn't update system reserved partition\") is to give it a letter in Disk Management (Y:), then as administrator `takeown /d y /r /f Y:\\Boot\\Fonts`, `icacls Y:\\Boot\\Fonts /grant administrators:F /t`, delete the font files in Y:\\Boot\\Fonts, and remove the letter.{vendor} Then retry the update."
        ),
        _ => format!(
            "Free space on the EFI system partition, never touching its boot files: Microsoft's guidance for a full system partition (Microsoft Support, \"We couldn't update system reserved partition\") is, as administrator, `mountvol Y: /s`, delete the font files in Y:\\EFI\\Microsoft\\Boot\\Fonts, then `mountvol Y: /d`.{vendor} Then retry the update."
        ),
    };
    let mut f = Finding::new(
        ESP_ID,
        Severity::Warn,
        format!(
            "{name} has only {} free: below 15 MB, cumulative updates roll back with 0x800F0922 (the May 2026 update did with 10 MB or less)",
            mb(free)
        ),
        evidence,
    )
    .with_code(Some(0x800F_0922))
    .remedy(remedy);
    f.facts.named = vendor_names(p);
    sized(f, disk, p)
}

fn vendor_names(p: &Partition) -> Vec<String> {
    p.largest.iter().map(|u| u.path.clone()).collect()
}

fn winre(disk: &DiskLayout, reagent: Option<&ReAgent>, event: Option<String>) -> Finding {
    let event_note = event
        .map(|at| format!("; event 4502 (WinRE servicing failed) at {at}"))
        .unwrap_or_default();
    let Some(r) = reagent else {
        return Finding::new(
            WINRE_ID,
            Severity::Info,
            "no ReAgent.xml: WinRE's state is not recorded on this installation",
            format!("System32\\Recovery\\ReAgent.xml is absent{event_note}"),
        );
    };
    if !r.enabled {
        return Finding::new(
            WINRE_ID,
            Severity::Info,
            "WinRE is disabled: Windows cannot service it, and the WinRE update (KB5034441) fails with 0x80070643 where it is offered",
            format!("ReAgent.xml: {}{event_note}", describe(r)),
        )
        .remedy("Enable it with `reagentc /enable` (it needs a recovery partition or the Windows partition to hold it); if WinRE is not wanted, hide the WinRE update");
    }
    let found = r
        .offset
        .and_then(|o| disk.partitions.iter().find(|p| p.offset == o));
    let Some(p) = found else {
        return Finding::new(
            WINRE_ID,
            Severity::Info,
            "WinRE is enabled, but its partition is not on the Windows disk as read",
            format!("ReAgent.xml: {}{event_note}", describe(r)),
        );
    };
    let place = where_is(disk, p);
    if p.number == disk.os_partition {
        return sized(
            Finding::new(
                WINRE_ID,
                Severity::Ok,
                "WinRE lives on the Windows partition: its updates need room there, not in a recovery partition",
                format!("ReAgent.xml: {}; {place}{event_note}", describe(r)),
            ),
            disk,
            p,
        );
    }
    let Some(free) = p.free else {
        let why = p
            .unreadable
            .clone()
            .unwrap_or_else(|| "not measured".into());
        return sized(
            Finding::unavailable(
                WINRE_ID,
                &format!("the recovery partition's free space ({place})"),
                why,
            ),
            disk,
            p,
        );
    };
    let evidence = format!(
        "ReAgent.xml: {}; {place}: {} free of {}{event_note}",
        describe(r),
        mb(free),
        mb(p.size)
    );
    if free >= WINRE_NEED {
        return sized(
            Finding::new(
                WINRE_ID,
                Severity::Ok,
                format!(
                    "the recovery partition has {} free, enough for WinRE's updates",
                    mb(free)
                ),
                evidence,
            ),
            disk,
            p,
        );
    }
    let remedy = match steps::not_plain(disk, p) {
        None => steps::resize(disk, p),
        Some(why) => format!(
            "Grow the recovery partition by Microsoft's KB5028997, or patch WinRE with the KB5034957 script. wufix computes no diskpart numbers here: {why}, and KB5028997's steps assume the recovery partition right after the Windows partition on one plain disk"
        ),
    };
    sized(
        Finding::new(
            WINRE_ID,
            Severity::Warn,
            format!(
                "the recovery partition has {} free: the WinRE update (KB5034441) needs 250 MB and fails with 0x80070643",
                mb(free)
            ),
            evidence,
        )
        .with_code(Some(0x8007_0643))
        .remedy(remedy),
        disk,
        p,
    )
}

fn read_reagent(layout: &Layout) -> Option<ReAgent> {
    let parts = ["System32", "Recovery", "ReAgent.xml"];
    let path = super::setup::locate(&layout.windows_dir, &parts, &mut Vec::new())?;
    reagent::parse(&super::setup::read_text(&path)?)
}

/// When the System log last recorded event 4502 (WinRE servicing failed).
fn winre_failed_at(sys: &dyn Platform) -> Option<String> {
    let xml = sys
        .query_events("System", "*[System[(EventID=4502)]]", 1)
        .ok()?
        .into_iter()
        .next()?;
    let at = xml.find("SystemTime=")? + "SystemTime=".len() + 1;
    let end = xml[at..].find(['\'', '"'])? + at;
    Some(xml[at..end].to_string())
}

#[cfg(test)]
mod tests;
