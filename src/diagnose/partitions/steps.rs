//! Microsoft's KB5028997 resize of the recovery partition, as text for this disk: computed only
//! for the plain layout the article assumes, because wrong numbers in diskpart destroy data.

use crate::sys::disk::{DiskLayout, GPT_RECOVERY, Kind, Partition, Style};

use super::{MB, WINRE_NEED};

/// Why this layout is not the plain one KB5028997's steps assume; `None` when it is.
pub fn not_plain(disk: &DiskLayout, recovery: &Partition) -> Option<String> {
    if disk.spanned {
        return Some("the Windows volume spans more than one disk".into());
    }
    if disk.virtual_disk {
        return Some("the disk is a dynamic disk or Storage Spaces".into());
    }
    if disk.style == Style::Other {
        return Some("the disk is neither GPT nor MBR".into());
    }
    let Some(os) = disk.partition(disk.os_partition) else {
        return Some("the Windows partition is not on the disk read".into());
    };
    if recovery.kind != Kind::Recovery {
        return Some("WinRE's partition is not a recovery partition".into());
    }
    if recovery.offset < os.offset {
        return Some("the recovery partition sits before the Windows partition".into());
    }
    let next = disk
        .partitions
        .iter()
        .filter(|p| p.offset > os.offset)
        .min_by_key(|p| p.offset);
    if next.map(|p| p.number) != Some(recovery.number) {
        return Some("the recovery partition is not right after the Windows partition".into());
    }
    // 250 MB of the Windows partition, with room to spare.
    if os.free.is_some_and(|free| free < WINRE_NEED + 1024 * MB) {
        return Some("the Windows partition has too little free space to shrink".into());
    }
    None
}

/// The steps, numbered, for the plain layout.
pub fn resize(disk: &DiskLayout, recovery: &Partition) -> String {
    let shrink = WINRE_NEED / MB;
    let create = match disk.style {
        Style::Gpt => format!(
            "create partition primary id={GPT_RECOVERY}, then gpt attributes=0x8000000000000001"
        ),
        _ => "create partition primary id=27".to_string(),
    };
    let bitlocker = match disk.bitlocker {
        Some(true) => {
            "BitLocker protects C:: keep its recovery key at hand and suspend it first (`manage-bde -protectors -disable C:`), and resume it after (`manage-bde -protectors -enable C:`). "
        }
        Some(false) => "",
        None => {
            "If BitLocker protects C:, keep its recovery key at hand and suspend it first (`manage-bde -protectors -disable C:`). "
        }
    };
    format!(
        "{bitlocker}Microsoft's KB5028997 steps for this disk, as administrator: (1) `reagentc /disable`; (2) in `diskpart`: select disk {d}, select partition {os} (Windows, C:), shrink desired={shrink} minimum={shrink}, select partition {r} (recovery), delete partition override, {create}, format quick fs=ntfs label=\"Windows RE tools\", exit; (3) `reagentc /enable`. Check each number against diskpart's `list disk` and `list partition` before you type it: a wrong one destroys data",
        d = disk.disk,
        os = disk.os_partition,
        r = recovery.number,
    )
}
