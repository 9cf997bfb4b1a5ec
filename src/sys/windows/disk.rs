//! The disk Windows runs from: its partition table (IOCTL_DISK_GET_DRIVE_LAYOUT_EX), which
//! volume is which partition (IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS), free space by volume GUID
//! path, and the largest folders of the system partition. Real Windows only: Wine has no
//! partitions, and every call here fails there (said as "unavailable" by the core).

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};

use windows_sys::Win32::Foundation::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_MORE_DATA, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_SHARE_READ, FILE_SHARE_WRITE, FindFirstVolumeW, FindNextVolumeW,
    FindVolumeClose, GetDiskFreeSpaceExW, GetVolumeNameForVolumeMountPointW, GetVolumePathNameW,
    IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS, OPEN_EXISTING,
};
use windows_sys::Win32::System::IO::DeviceIoControl;
use windows_sys::Win32::System::Ioctl::{
    DRIVE_LAYOUT_INFORMATION_EX, IOCTL_DISK_GET_DRIVE_LAYOUT_EX, PARTITION_INFORMATION_EX,
    VOLUME_DISK_EXTENTS,
};
use windows_sys::core::GUID;

use crate::sys::disk::{
    DiskLayout, GPT_BASIC, GPT_ESP, GPT_MSR, GPT_RECOVERY, Kind, MBR_RECOVERY, Partition, Style,
    Usage,
};

/// LDM (dynamic disk) metadata and Storage Spaces: layouts no step is computed for.
const GPT_VIRTUAL: [&str; 2] = [
    "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3",
    "e75caf8f-f680-4cee-afa3-b001e56efc2d",
];
const MBR_VIRTUAL: [u8; 2] = [0x42, 0xE7];
/// At most this many entries are walked to find what fills a partition.
const WALK_LIMIT: usize = 20_000;

fn wide(text: &OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

fn from_wide(buf: &[u16]) -> String {
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    String::from_utf16_lossy(&buf[..end])
}

fn guid_text(g: &GUID) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        g.data1,
        g.data2,
        g.data3,
        g.data4[0],
        g.data4[1],
        g.data4[2],
        g.data4[3],
        g.data4[4],
        g.data4[5],
        g.data4[6],
        g.data4[7]
    )
}

/// A device opened for queries only (no read or write access: the IOCTLs used here need none).
fn open_device(path: &str) -> io::Result<OwnedHandle> {
    let name = wide(OsStr::new(path));
    // SAFETY: `name` is NUL-terminated and outlives the call; null security and template are
    // allowed.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            0,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            0,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a valid handle just returned by CreateFileW, owned by nobody else.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle as _) })
}

/// An IOCTL whose output grows until it fits; 8-byte aligned, as the structures need.
fn ioctl(device: &OwnedHandle, code: u32) -> io::Result<Vec<u64>> {
    let mut words = 512usize;
    loop {
        let mut buf = vec![0u64; words];
        let mut returned = 0u32;
        // SAFETY: `device` is a live handle; `buf` is writable for the byte length given; no
        // input buffer and no OVERLAPPED (the handle is synchronous).
        let ok = unsafe {
            DeviceIoControl(
                device.as_raw_handle() as HANDLE,
                code,
                std::ptr::null(),
                0,
                buf.as_mut_ptr().cast(),
                (words * 8) as u32,
                &mut returned,
                std::ptr::null_mut(),
            )
        };
        if ok != 0 {
            return Ok(buf);
        }
        let err = io::Error::last_os_error();
        let more = matches!(
            err.raw_os_error().map(|c| c as u32),
            Some(ERROR_INSUFFICIENT_BUFFER | ERROR_MORE_DATA)
        );
        if !more || words >= 1 << 20 {
            return Err(err);
        }
        words *= 4;
    }
}

/// (disk, offset) of each extent of a volume.
fn extents(volume: &str) -> io::Result<Vec<(u32, u64)>> {
    let device = open_device(volume.trim_end_matches('\\'))?;
    let buf = ioctl(&device, IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS)?;
    let head = buf.as_ptr().cast::<VOLUME_DISK_EXTENTS>();
    // SAFETY: the buffer holds a VOLUME_DISK_EXTENTS the IOCTL wrote, and is large enough for
    // NumberOfDiskExtents entries (else the call would have failed with ERROR_MORE_DATA).
    let count = unsafe { (*head).NumberOfDiskExtents } as usize;
    // SAFETY: as above; `Extents` is the start of `count` contiguous DISK_EXTENT entries.
    let first = unsafe {
        std::ptr::addr_of!((*head).Extents).cast::<windows_sys::Win32::System::Ioctl::DISK_EXTENT>()
    };
    Ok((0..count)
        .map(|i| {
            // SAFETY: `i < count`, inside the buffer as above.
            let e = unsafe { *first.add(i) };
            (e.DiskNumber, e.StartingOffset as u64)
        })
        .collect())
}

/// Every volume's GUID path (`\\?\Volume{…}\`).
fn volumes() -> io::Result<Vec<String>> {
    let mut buf = [0u16; 64];
    // SAFETY: `buf` is writable for its length in characters.
    let find = unsafe { FindFirstVolumeW(buf.as_mut_ptr(), buf.len() as u32) };
    if find == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    struct Find(HANDLE);
    impl Drop for Find {
        fn drop(&mut self) {
            // SAFETY: a search handle FindFirstVolumeW returned, closed once.
            unsafe { FindVolumeClose(self.0) };
        }
    }
    let find = Find(find);
    let mut out = vec![from_wide(&buf)];
    loop {
        // SAFETY: a live search handle; `buf` writable for its length.
        if unsafe { FindNextVolumeW(find.0, buf.as_mut_ptr(), buf.len() as u32) } == 0 {
            break;
        }
        out.push(from_wide(&buf));
    }
    Ok(out)
}

fn free_bytes(volume: &str) -> io::Result<u64> {
    let path = wide(OsStr::new(volume));
    let mut free = 0u64;
    // SAFETY: `path` is NUL-terminated; the out pointers are either valid or null.
    let ok = unsafe {
        GetDiskFreeSpaceExW(
            path.as_ptr(),
            &mut free,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(free)
}

/// The GUID path of the volume holding `path`.
fn volume_of(path: &Path) -> io::Result<String> {
    let name = wide(path.as_os_str());
    let mut mount = [0u16; 520];
    // SAFETY: `name` NUL-terminated; `mount` writable for its length.
    if unsafe { GetVolumePathNameW(name.as_ptr(), mount.as_mut_ptr(), mount.len() as u32) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut guid = [0u16; 64];
    // SAFETY: `mount` NUL-terminated by the call above; `guid` writable for its length.
    let ok = unsafe {
        GetVolumeNameForVolumeMountPointW(mount.as_ptr(), guid.as_mut_ptr(), guid.len() as u32)
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(from_wide(&guid))
}

fn partition_of(entry: &PARTITION_INFORMATION_EX, style: Style) -> (Kind, bool, bool) {
    match style {
        Style::Gpt => {
            // SAFETY: the layout is GPT, so the union holds its GPT member.
            let kind_guid = guid_text(unsafe { &entry.Anonymous.Gpt.PartitionType });
            let kind = match kind_guid.as_str() {
                GPT_ESP => Kind::Esp,
                GPT_RECOVERY => Kind::Recovery,
                GPT_MSR => Kind::Msr,
                GPT_BASIC => Kind::Basic,
                _ => Kind::Other,
            };
            (kind, false, GPT_VIRTUAL.contains(&kind_guid.as_str()))
        }
        _ => {
            // SAFETY: the layout is MBR, so the union holds its MBR member.
            let mbr = unsafe { entry.Anonymous.Mbr };
            let kind = match mbr.PartitionType {
                MBR_RECOVERY => Kind::Recovery,
                0x07 => Kind::Basic,
                _ => Kind::Other,
            };
            (
                kind,
                mbr.BootIndicator,
                MBR_VIRTUAL.contains(&mbr.PartitionType),
            )
        }
    }
}

/// The largest folders two levels down (`EFI\HP`, `Boot\Fonts`), links not followed, the walk
/// bounded.
fn largest(root: &Path) -> io::Result<Vec<Usage>> {
    let mut sizes: Vec<Usage> = Vec::new();
    let mut seen = 0usize;
    for top in std::fs::read_dir(root)? {
        let top = top?;
        if !top.file_type()?.is_dir() {
            continue;
        }
        for second in std::fs::read_dir(top.path())? {
            let second = second?;
            let meta = std::fs::symlink_metadata(second.path())?;
            let name = format!(
                "{}\\{}",
                top.file_name().to_string_lossy(),
                second.file_name().to_string_lossy()
            );
            let bytes = if meta.is_dir() {
                tree_bytes(&second.path(), &mut seen)
            } else {
                meta.len()
            };
            sizes.push(Usage { path: name, bytes });
        }
    }
    sizes.sort_by(|a, b| b.bytes.cmp(&a.bytes));
    sizes.truncate(6);
    Ok(sizes)
}

fn tree_bytes(dir: &Path, seen: &mut usize) -> u64 {
    let mut total = 0;
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            *seen += 1;
            if *seen > WALK_LIMIT {
                return total;
            }
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                total += meta.len();
            }
        }
    }
    total
}

pub fn layout() -> io::Result<DiskLayout> {
    let windows = crate::sys::running_windows_dir()
        .ok_or_else(|| io::Error::other("the Windows folder is not known"))?;
    let os_volume = volume_of(&windows)?;
    let os_extents = extents(&os_volume)?;
    let &(disk, os_offset) = os_extents
        .first()
        .ok_or_else(|| io::Error::other("the Windows volume has no disk extent"))?;
    let device = open_device(&format!(r"\\.\PhysicalDrive{disk}"))?;
    let buf = ioctl(&device, IOCTL_DISK_GET_DRIVE_LAYOUT_EX)?;
    let head = buf.as_ptr().cast::<DRIVE_LAYOUT_INFORMATION_EX>();
    // SAFETY: the IOCTL wrote a DRIVE_LAYOUT_INFORMATION_EX at the start of the buffer.
    let (raw_style, count) = unsafe { ((*head).PartitionStyle, (*head).PartitionCount as usize) };
    let style = match raw_style {
        0 => Style::Mbr,
        1 => Style::Gpt,
        _ => Style::Other,
    };
    // SAFETY: `PartitionEntry` starts `count` contiguous entries inside the buffer (the call
    // fails with ERROR_INSUFFICIENT_BUFFER otherwise).
    let first =
        unsafe { std::ptr::addr_of!((*head).PartitionEntry).cast::<PARTITION_INFORMATION_EX>() };
    let mut virtual_disk = false;
    let mut partitions = Vec::new();
    let mut os_partition = 0;
    for i in 0..count {
        // SAFETY: `i < count`, inside the buffer as above.
        let entry = unsafe { &*first.add(i) };
        // Unused MBR slots and extended containers carry number 0.
        if entry.PartitionNumber == 0 {
            continue;
        }
        let (kind, active, is_virtual) = partition_of(entry, style);
        virtual_disk |= is_virtual;
        let offset = entry.StartingOffset as u64;
        if offset == os_offset {
            os_partition = entry.PartitionNumber;
        }
        partitions.push(Partition {
            number: entry.PartitionNumber,
            offset,
            size: entry.PartitionLength as u64,
            kind,
            active,
            free: None,
            largest: Vec::new(),
            unreadable: None,
        });
    }
    // Each partition's volume, for its free space; the system partition's folders too.
    let volumes = volumes().unwrap_or_default();
    let system = DiskLayout {
        disk,
        style,
        os_partition,
        spanned: os_extents.len() > 1,
        virtual_disk,
        bitlocker: None,
        partitions: partitions.clone(),
    }
    .system_partition()
    .map(|p| p.number);
    for p in &mut partitions {
        let volume = volumes
            .iter()
            .find(|v| extents(v).is_ok_and(|e| e.first() == Some(&(disk, p.offset))));
        let Some(volume) = volume else {
            p.unreadable = Some("no volume of this partition was found".into());
            continue;
        };
        match free_bytes(volume) {
            Ok(free) => p.free = Some(free),
            Err(err) => p.unreadable = Some(err.to_string()),
        }
        if Some(p.number) == system {
            match largest(Path::new(volume)) {
                Ok(sizes) => p.largest = sizes,
                Err(err) => p.unreadable = Some(format!("its folders could not be listed: {err}")),
            }
        }
    }
    Ok(DiskLayout {
        disk,
        style,
        os_partition,
        spanned: os_extents.len() > 1,
        virtual_disk,
        bitlocker: None,
        partitions,
    })
}
