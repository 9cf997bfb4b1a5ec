//! The disk that holds Windows, as the platform reads it (real Windows only: Wine has no
//! partitions). Plain data: the core judges it (`diagnose::partitions`).

/// The EFI system partition's GPT type.
pub const GPT_ESP: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
/// Microsoft's recovery partition GPT type.
pub const GPT_RECOVERY: &str = "de94bba4-06d1-4d40-a16a-bfd50179d6ac";
/// Microsoft reserved (MSR).
pub const GPT_MSR: &str = "e3c9e316-0b5c-4db8-817d-f92df00215ae";
/// Basic data.
pub const GPT_BASIC: &str = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7";
/// MBR partition type of a recovery partition.
pub const MBR_RECOVERY: u8 = 0x27;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Gpt,
    Mbr,
    /// A raw or unknown partitioning.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Esp,
    Recovery,
    Msr,
    Basic,
    Other,
}

/// A folder on a partition and the bytes below it, for "what fills it".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    pub path: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// As diskpart's `list partition` numbers it (1-based).
    pub number: u32,
    pub offset: u64,
    pub size: u64,
    pub kind: Kind,
    /// MBR: the active (boot) partition; System Reserved on an MBR machine.
    pub active: bool,
    /// Free bytes of its volume, where it has one the platform could measure.
    pub free: Option<u64>,
    /// The largest folders on it, when it could be listed (an ESP is FAT32, readable to an
    /// administrator); empty otherwise.
    pub largest: Vec<Usage>,
    /// Why `free` or `largest` could not be read, where they could not.
    pub unreadable: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskLayout {
    /// As diskpart's `list disk` numbers it.
    pub disk: u32,
    pub style: Style,
    /// The Windows volume's partition on this disk.
    pub os_partition: u32,
    /// The Windows volume spans more than one disk (or is a Storage Spaces or dynamic volume):
    /// no step is computed for such a layout.
    pub spanned: bool,
    /// A dynamic disk or Storage Spaces.
    pub virtual_disk: bool,
    /// Whether BitLocker protects the Windows volume; `None` when it could not be told.
    pub bitlocker: Option<bool>,
    pub partitions: Vec<Partition>,
}

impl DiskLayout {
    pub fn partition(&self, number: u32) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.number == number)
    }

    /// The system partition: the ESP on GPT; on MBR the active partition when it is not the
    /// Windows one (System Reserved).
    pub fn system_partition(&self) -> Option<&Partition> {
        match self.style {
            Style::Gpt => self.partitions.iter().find(|p| p.kind == Kind::Esp),
            Style::Mbr => self
                .partitions
                .iter()
                .find(|p| p.active && p.number != self.os_partition),
            Style::Other => None,
        }
    }
}
