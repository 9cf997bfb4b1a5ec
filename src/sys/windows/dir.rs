//! A directory held open by handle, and its entries opened, listed and deleted relative to that
//! handle (NtCreateFile with a root directory, `FILE_OPEN_REPARSE_POINT`, delete disposition set
//! on the entry's own handle). A junction or symlink swapped in mid-walk is opened as itself and
//! deleted as itself: nothing is ever resolved through it. Names are single components, so depth
//! costs no path length.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{
    FILE_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_FOR_BACKUP_INTENT, FILE_OPEN_REPARSE_POINT,
    FILE_SYNCHRONOUS_IO_NONALERT, NtCreateFile,
};
use windows_sys::Win32::Foundation::{
    ERROR_INVALID_PARAMETER, ERROR_NO_MORE_FILES, ERROR_NOT_SUPPORTED, HANDLE,
    INVALID_HANDLE_VALUE, OBJ_CASE_INSENSITIVE, RtlNtStatusToDosError, UNICODE_STRING,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, CreateFileW, DELETE, FILE_ATTRIBUTE_DIRECTORY,
    FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_READONLY, FILE_ATTRIBUTE_REPARSE_POINT,
    FILE_ATTRIBUTE_TAG_INFO, FILE_BASIC_INFO, FILE_DISPOSITION_FLAG_DELETE,
    FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE, FILE_DISPOSITION_FLAG_POSIX_SEMANTICS,
    FILE_DISPOSITION_INFO, FILE_DISPOSITION_INFO_EX, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_ID_BOTH_DIR_INFO, FILE_LIST_DIRECTORY, FILE_READ_ATTRIBUTES,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES,
    FileAttributeTagInfo, FileBasicInfo, FileDispositionInfo, FileDispositionInfoEx,
    FileIdBothDirectoryInfo, FileIdBothDirectoryRestartInfo, GetFileInformationByHandle,
    GetFileInformationByHandleEx, OPEN_EXISTING, SYNCHRONIZE, SetFileInformationByHandle,
};
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
const DIR_ACCESS: u32 = FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE;

/// An open handle and what the file system says it is.
pub struct Handle {
    handle: OwnedHandle,
    pub attributes: u32,
    /// The reparse tag, when it is a reparse point.
    pub tag: u32,
    pub volume: u64,
    pub index: u64,
}

/// Whether a reparse point with this tag names another place (a symbolic link, a junction or
/// mount point): Microsoft's name-surrogate bit. Others — deduplicated files, cloud placeholders
/// — are the file or folder itself, stored differently. An unknown tag (0) counts as a link.
pub fn names_another_place(tag: u32) -> bool {
    tag == 0 || tag & 0x2000_0000 != 0
}

impl Handle {
    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }

    pub fn is_link(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 && names_another_place(self.tag)
    }

    pub fn is_dir(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_DIRECTORY != 0
    }
}

fn describe(handle: OwnedHandle) -> io::Result<Handle> {
    let raw = handle.as_raw_handle() as HANDLE;
    // SAFETY: BY_HANDLE_FILE_INFORMATION is plain data; zeroes are a valid value to overwrite.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `raw` is a live handle owned by `handle`; `info` is writable and of the right type.
    if unsafe { GetFileInformationByHandle(raw, &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut tag = FILE_ATTRIBUTE_TAG_INFO {
        FileAttributes: info.dwFileAttributes,
        ReparseTag: 0,
    };
    // SAFETY: as above; the buffer is a FILE_ATTRIBUTE_TAG_INFO of the size passed. A failure
    // leaves the attributes GetFileInformationByHandle gave.
    unsafe {
        GetFileInformationByHandleEx(
            raw,
            FileAttributeTagInfo,
            (&mut tag as *mut FILE_ATTRIBUTE_TAG_INFO).cast(),
            size_of::<FILE_ATTRIBUTE_TAG_INFO>() as u32,
        )
    };
    Ok(Handle {
        handle,
        tag: tag.ReparseTag,
        attributes: tag.FileAttributes,
        volume: info.dwVolumeSerialNumber as u64,
        index: ((info.nFileIndexHigh as u64) << 32) | info.nFileIndexLow as u64,
    })
}

/// Open `path` itself (never what a link there points to) as a directory handle.
pub fn open_path(path: &Path) -> io::Result<Handle> {
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
    // SAFETY: `wide` is NUL-terminated and outlives the call; no security attributes or template.
    let raw = unsafe {
        CreateFileW(
            wide.as_ptr(),
            DIR_ACCESS,
            SHARE_ALL,
            std::ptr::null(),
            OPEN_EXISTING,
            FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
            std::ptr::null_mut(),
        )
    };
    if raw == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CreateFileW succeeded: `raw` is a handle this process owns, closed once by OwnedHandle.
    describe(unsafe { OwnedHandle::from_raw_handle(raw as _) })
}

/// Open the entry `name` of the directory `parent`, relative to its handle, as itself.
pub fn open_relative(
    parent: &Handle,
    name: &OsStr,
    access: u32,
    options: u32,
) -> io::Result<Handle> {
    let mut units: Vec<u16> = name.encode_wide().collect();
    let bytes = (units.len() * 2) as u16;
    let object_name = UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        Buffer: units.as_mut_ptr(),
    };
    let attributes = OBJECT_ATTRIBUTES {
        Length: size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: parent.raw(),
        ObjectName: &object_name,
        Attributes: OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: std::ptr::null(),
        SecurityQualityOfService: std::ptr::null(),
    };
    let mut raw: HANDLE = std::ptr::null_mut();
    // SAFETY: IO_STATUS_BLOCK is plain data written by the call.
    let mut status_block: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    // SAFETY: every pointer refers to a live local (the name's buffer outlives the call); the
    // parent handle is open; no allocation size or extended attributes are passed.
    let status = unsafe {
        NtCreateFile(
            &mut raw,
            access | SYNCHRONIZE,
            &attributes,
            &mut status_block,
            std::ptr::null(),
            FILE_ATTRIBUTE_NORMAL,
            SHARE_ALL,
            FILE_OPEN,
            options
                | FILE_OPEN_REPARSE_POINT
                | FILE_SYNCHRONOUS_IO_NONALERT
                | FILE_OPEN_FOR_BACKUP_INTENT,
            std::ptr::null(),
            0,
        )
    };
    if status < 0 {
        // SAFETY: a pure conversion of a status code.
        let code = unsafe { RtlNtStatusToDosError(status) };
        return Err(io::Error::from_raw_os_error(code as i32));
    }
    // SAFETY: NtCreateFile succeeded: `raw` is a handle this process owns, closed once.
    describe(unsafe { OwnedHandle::from_raw_handle(raw as _) })
}

/// Open a child as a directory to walk (it may turn out to be a link: the caller checks).
pub fn open_child_dir(parent: &Handle, name: &OsStr) -> io::Result<Handle> {
    open_relative(parent, name, DIR_ACCESS, 0)
}

/// Every entry but `.` and `..`: name, attributes, and the reparse tag of a reparse point (the
/// listing carries it in `EaSize`).
pub fn entries(dir: &Handle) -> io::Result<Vec<(OsString, u32, u32)>> {
    let mut out = Vec::new();
    // u64 slots keep the buffer aligned for the records the call writes.
    let mut buf = vec![0u64; 8192];
    let mut class = FileIdBothDirectoryRestartInfo;
    loop {
        // SAFETY: the handle is an open directory; `buf` is writable for the size passed.
        let ok = unsafe {
            GetFileInformationByHandleEx(
                dir.raw(),
                class,
                buf.as_mut_ptr().cast(),
                (buf.len() * size_of::<u64>()) as u32,
            )
        };
        if ok == 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(ERROR_NO_MORE_FILES as i32) {
                return Ok(out);
            }
            return Err(err);
        }
        class = FileIdBothDirectoryInfo;
        let base = buf.as_ptr().cast::<u8>();
        let total = buf.len() * size_of::<u64>();
        let header = std::mem::offset_of!(FILE_ID_BOTH_DIR_INFO, FileName);
        let malformed = || io::Error::other("the folder listing came back malformed");
        let mut offset = 0usize;
        loop {
            // Every record, and its name, must lie inside what the buffer holds: a record that
            // claims more is refused, never read past the end.
            if offset % 8 != 0 || offset + header > total {
                return Err(malformed());
            }
            // SAFETY: checked above: the record's fixed part lies inside `buf`, 8-byte aligned.
            let record = unsafe { &*base.add(offset).cast::<FILE_ID_BOTH_DIR_INFO>() };
            let bytes = record.FileNameLength as usize;
            if bytes % 2 != 0 || offset + header + bytes > total {
                return Err(malformed());
            }
            // SAFETY: checked above: the name's `bytes / 2` UTF-16 units lie inside `buf`, right
            // after the fixed part, 2-byte aligned.
            let name = unsafe {
                std::slice::from_raw_parts(base.add(offset + header).cast::<u16>(), bytes / 2)
            };
            if name != [b'.' as u16] && name != [b'.' as u16, b'.' as u16] {
                let tag = if record.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
                    record.EaSize
                } else {
                    0
                };
                out.push((OsString::from_wide(name), record.FileAttributes, tag));
            }
            if record.NextEntryOffset == 0 {
                break;
            }
            offset += record.NextEntryOffset as usize;
        }
    }
}

/// Delete the entry `name` of `parent`: a file, a link (as itself), or an empty directory.
/// `want_dir` says which kind is expected; the other kind is refused (a swap mid-walk).
pub fn delete_relative(parent: &Handle, name: &OsStr, want_dir: bool) -> io::Result<()> {
    let options = if want_dir { FILE_DIRECTORY_FILE } else { 0 };
    // DELETE alone (and attributes to look at): a read-only entry is deleted with the POSIX
    // disposition's own flag; only the older fallback below asks to change attributes.
    let entry = open_relative(parent, name, DELETE | FILE_READ_ATTRIBUTES, options)?;
    if !want_dir && entry.is_dir() && !entry.is_link() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder"));
    }
    let posix = FILE_DISPOSITION_INFO_EX {
        Flags: FILE_DISPOSITION_FLAG_DELETE
            | FILE_DISPOSITION_FLAG_POSIX_SEMANTICS
            | FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE,
    };
    // SAFETY: the handle is open with DELETE; the buffer is the struct of the size passed.
    let ok = unsafe {
        SetFileInformationByHandle(
            entry.raw(),
            FileDispositionInfoEx,
            (&posix as *const FILE_DISPOSITION_INFO_EX).cast(),
            size_of::<FILE_DISPOSITION_INFO_EX>() as u32,
        )
    };
    if ok != 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Before Windows 10 1809 (and in Wine) there is no POSIX delete: the classic disposition,
    // after clearing a read-only attribute it refuses.
    let unsupported = [ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED]
        .iter()
        .any(|&c| err.raw_os_error() == Some(c as i32));
    if !unsupported {
        return Err(err);
    }
    if entry.attributes & FILE_ATTRIBUTE_READONLY != 0 {
        // The one case that needs it: reopen with FILE_WRITE_ATTRIBUTES to clear read-only.
        let entry = open_relative(
            parent,
            name,
            DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
            options,
        )?;
        let basic = FILE_BASIC_INFO {
            CreationTime: 0,
            LastAccessTime: 0,
            LastWriteTime: 0,
            ChangeTime: 0,
            // Zero would mean "unchanged": NORMAL stands for "no attributes".
            FileAttributes: (entry.attributes & !FILE_ATTRIBUTE_READONLY)
                .max(FILE_ATTRIBUTE_NORMAL),
        };
        // SAFETY: the handle is open with FILE_WRITE_ATTRIBUTES; the buffer is the struct passed.
        unsafe {
            SetFileInformationByHandle(
                entry.raw(),
                FileBasicInfo,
                (&basic as *const FILE_BASIC_INFO).cast(),
                size_of::<FILE_BASIC_INFO>() as u32,
            )
        };
    }
    let classic = FILE_DISPOSITION_INFO { DeleteFile: true };
    // SAFETY: as above, with FILE_DISPOSITION_INFO.
    let ok = unsafe {
        SetFileInformationByHandle(
            entry.raw(),
            FileDispositionInfo,
            (&classic as *const FILE_DISPOSITION_INFO).cast(),
            size_of::<FILE_DISPOSITION_INFO>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reparse_points_that_name_another_place_are_links() {
        for (tag, link) in [
            (0xA000_000C, true),  // IO_REPARSE_TAG_SYMLINK
            (0xA000_0003, true),  // IO_REPARSE_TAG_MOUNT_POINT (a junction)
            (0x8000_0013, false), // IO_REPARSE_TAG_DEDUP
            (0x9000_001A, false), // IO_REPARSE_TAG_CLOUD (OneDrive placeholder)
            (0x8000_0017, false), // IO_REPARSE_TAG_WOF (compressed system file)
            (0, true),            // unknown: the safe side
        ] {
            assert_eq!(names_another_place(tag), link, "{tag:08X}");
        }
    }

    #[test]
    fn a_listing_of_many_long_names_reads_every_entry_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let long = "n".repeat(200);
        for i in 0..300 {
            std::fs::write(dir.path().join(format!("{long}{i:03}")), "x").unwrap();
        }
        let handle = open_path(dir.path()).unwrap();
        let names = entries(&handle).unwrap();
        assert_eq!(names.len(), 300);
        assert!(names.iter().all(|(n, _, tag)| n.len() == 203 && *tag == 0));
    }
}
