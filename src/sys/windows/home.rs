//! wufix's own folder (`%ProgramData%\wufix`) made a trust boundary. ProgramData lets ordinary
//! users create folders and files, so a folder wufix finds there may have been made — or
//! junctioned — by one of them. Before an elevated or SYSTEM run writes anything in it:
//! - the folder is opened as itself (never through a reparse point) and held without delete
//!   sharing for the whole run, so it cannot be renamed or replaced while wufix works below it;
//! - one owned by SYSTEM, Administrators or TrustedInstaller (what wufix 0.1 made, with
//!   ProgramData's inherited, user-writable ACL) is re-secured in place with [`HOME_SDDL`];
//!   its journals survive (undo needs them) and each is trusted by its own owner later;
//! - anything else (a junction, a file, a folder a user owns) is set aside by name, never
//!   entered, and the folder made again with the descriptor from the start.
//!
//! Once secured only SYSTEM and Administrators can create anything inside it, so the paths
//! below it name what wufix made; the children it uses (`journal`, `bin`, `reports`, `lock`) are
//! checked the same way.

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, GetLastError, HANDLE, HLOCAL,
    INVALID_HANDLE_VALUE, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT, SetSecurityInfo,
};
use windows_sys::Win32::Security::{
    ACL, DACL_SECURITY_INFORMATION, GetSecurityDescriptorDacl, GetSecurityDescriptorOwner,
    OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, UNPROTECTED_DACL_SECURITY_INFORMATION,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, CreateDirectoryW, CreateFileW, FILE_ATTRIBUTE_DIRECTORY,
    FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_LIST_DIRECTORY,
    FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE, GetFileInformationByHandle,
    OPEN_ALWAYS, OPEN_EXISTING, READ_CONTROL, SYNCHRONIZE, WRITE_DAC, WRITE_OWNER,
};

/// wufix's folder: owner Administrators; SYSTEM and Administrators full control, Users read and
/// execute (status and diagnose read the journal unelevated); inherited by what is made inside;
/// inheritance from ProgramData cut (`P`), so its "Users may create" entry does not come in.
pub const HOME_SDDL: &str = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)";
/// The lock file: SYSTEM and Administrators only, not inherited. A file Users could read could
/// be opened by any of them without sharing and so squat the lock.
pub const LOCK_SDDL: &str = "O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)";
/// Owners whose folder or file wufix takes as its own: SYSTEM, Administrators, TrustedInstaller.
const TRUSTED_OWNERS: [&str; 3] = [
    "S-1-5-18",
    "S-1-5-32-544",
    "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
];

fn wide(path: &OsStr) -> Vec<u16> {
    path.encode_wide().chain(Some(0)).collect()
}

/// Memory LocalAlloc'ed by a conversion function, freed on drop.
struct Local(HLOCAL);

impl Drop for Local {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a function that allocates with LocalAlloc; freed once.
        unsafe { LocalFree(self.0) };
    }
}

/// A security descriptor built from SDDL, with its owner and DACL.
struct Descriptor {
    sd: Local,
}

impl Descriptor {
    fn from_sddl(sddl: &str) -> io::Result<Descriptor> {
        let text: Vec<u16> = sddl.encode_utf16().chain(Some(0)).collect();
        let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: `text` is NUL-terminated; `sd` receives a LocalAlloc'ed descriptor.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Descriptor { sd: Local(sd) })
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.sd.0,
            bInheritHandle: 0,
        }
    }

    fn owner_and_dacl(&self) -> io::Result<(PSID, *mut ACL)> {
        let (mut owner, mut defaulted) = (ptr::null_mut(), 0);
        let (mut present, mut dacl) = (0, ptr::null_mut());
        // SAFETY: the descriptor is live; the outputs point into it and are used while it lives.
        let ok = unsafe {
            GetSecurityDescriptorOwner(self.sd.0, &mut owner, &mut defaulted) != 0
                && GetSecurityDescriptorDacl(self.sd.0, &mut present, &mut dacl, &mut defaulted)
                    != 0
        };
        if !ok {
            return Err(io::Error::last_os_error());
        }
        Ok((owner, dacl))
    }

    /// Apply this owner and DACL (protected or not) to an open handle.
    fn apply(&self, handle: HANDLE, protected: bool) -> io::Result<()> {
        let (owner, dacl) = self.owner_and_dacl()?;
        let protection = if protected {
            PROTECTED_DACL_SECURITY_INFORMATION
        } else {
            UNPROTECTED_DACL_SECURITY_INFORMATION
        };
        // SAFETY: the handle is open with WRITE_DAC and WRITE_OWNER; owner and DACL point into
        // the live descriptor.
        let status = unsafe {
            SetSecurityInfo(
                handle,
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | protection,
                owner,
                ptr::null_mut(),
                dacl,
                ptr::null(),
            )
        };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        Ok(())
    }
}

/// The owner of an open file or folder, as a string SID.
fn owner_of(handle: HANDLE) -> io::Result<String> {
    let mut owner: PSID = ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: the handle is open with READ_CONTROL; `owner` points into `sd`, which the call
    // allocates with LocalAlloc and `Local` frees.
    let status = unsafe {
        GetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut sd,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let _sd = Local(sd);
    sid_text(owner)
}

fn sid_text(sid: PSID) -> io::Result<String> {
    if sid.is_null() {
        return Ok(String::new());
    }
    let mut text: *mut u16 = ptr::null_mut();
    // SAFETY: `sid` is a valid SID; `text` receives a LocalAlloc'ed, NUL-terminated string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let _text = Local(text.cast());
    // SAFETY: the conversion wrote a NUL-terminated string; read up to the NUL.
    let units = unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        std::slice::from_raw_parts(text, len)
    };
    Ok(String::from_utf16_lossy(units))
}

/// Whether a string SID is one whose files wufix trusts. Under Wine every file reads back as
/// owned by Wine's one user, whatever was set, so there that user is trusted too: Wine cannot
/// tell owners apart, and the refusal of a planted file is proven with the fake platform.
pub fn trusted_owner(sid: &str) -> bool {
    TRUSTED_OWNERS.iter().any(|t| t.eq_ignore_ascii_case(sid))
        || (super::wine::under_wine() && token_user().is_ok_and(|me| me.eq_ignore_ascii_case(sid)))
}

/// This process's user, as a string SID.
fn token_user() -> io::Result<String> {
    use windows_sys::Win32::Security::{GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser};
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    let mut raw: HANDLE = ptr::null_mut();
    // SAFETY: the pseudo-handle needs no closing; `raw` is a valid out-pointer.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut raw) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call succeeded: a token handle this process owns, closed once.
    let token = unsafe { OwnedHandle::from_raw_handle(raw as _) };
    // u64 slots keep the buffer aligned for the TOKEN_USER the call writes.
    let mut buf = vec![0u64; 64];
    let mut needed = 0u32;
    // SAFETY: the token is open for query; `buf` is writable for the length passed.
    let ok = unsafe {
        GetTokenInformation(
            token.as_raw_handle() as HANDLE,
            TokenUser,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call wrote a TOKEN_USER at the start of the aligned buffer; its SID points
    // into the same buffer, which lives until the conversion is done.
    let sid = unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid };
    sid_text(sid)
}

/// Whether the file at `path` (itself, never a link's target) is owned by SYSTEM,
/// Administrators or TrustedInstaller: a journal an ordinary user planted is owned by that user.
pub fn owned_by_trusted(path: &Path) -> io::Result<bool> {
    let handle = open_as_itself(
        path,
        READ_CONTROL | FILE_READ_ATTRIBUTES,
        OPEN_EXISTING,
        None,
    )?;
    Ok(trusted_owner(&owner_of(handle.as_raw_handle() as HANDLE)?))
}

/// Open `path` itself (a reparse point is opened as itself), directory or file.
fn open_as_itself(
    path: &Path,
    access: u32,
    disposition: u32,
    security: Option<&Descriptor>,
) -> io::Result<OwnedHandle> {
    let name = wide(path.as_os_str());
    let attributes = security.map(Descriptor::attributes);
    let share = FILE_SHARE_READ | FILE_SHARE_WRITE;
    // SAFETY: `name` is NUL-terminated; the security attributes (and the descriptor they point
    // to) outlive the call; no template.
    let raw = unsafe {
        CreateFileW(
            name.as_ptr(),
            access | SYNCHRONIZE,
            share,
            attributes
                .as_ref()
                .map_or(ptr::null(), |a| a as *const SECURITY_ATTRIBUTES),
            disposition,
            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
            ptr::null_mut(),
        )
    };
    if raw == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CreateFileW succeeded: `raw` is a handle this process owns, closed once.
    Ok(unsafe { OwnedHandle::from_raw_handle(raw as _) })
}

fn attributes_of(handle: &OwnedHandle) -> io::Result<u32> {
    // SAFETY: plain data; zeroes are a valid value to overwrite.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open; `info` is writable and of the right type.
    if unsafe { GetFileInformationByHandle(handle.as_raw_handle() as HANDLE, &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info.dwFileAttributes)
}

/// Move what stands at `path` out of the way (`<name>.untrusted-<n>`), by name: a junction or
/// link is moved as itself, nothing behind it is touched.
fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    for n in 1..1000 {
        let aside = path.with_file_name(format!("{name}.untrusted-{n}"));
        match super::files::move_noreplace(path, &aside) {
            Ok(()) => return Ok(aside),
            // ERROR_FILE_EXISTS (80) or ERROR_ALREADY_EXISTS (183): the name is taken.
            Err(err) if matches!(err.raw_os_error(), Some(80) | Some(183)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::other("no free name to set it aside"))
}

/// A folder wufix made or took as its own, held open without delete sharing.
pub struct Held {
    pub path: PathBuf,
    _handle: OwnedHandle,
    /// What stood there before and was set aside, to say.
    pub set_aside: Option<PathBuf>,
}

/// Make or take the folder at `path` with `descriptor` (protected: the home; inherited: the
/// folders inside it).
fn secure_dir(path: &Path, descriptor: &Descriptor, protected: bool) -> io::Result<Held> {
    let mut set_aside_from = None;
    for _ in 0..2 {
        let attributes = descriptor.attributes();
        let name = wide(path.as_os_str());
        // SAFETY: `name` is NUL-terminated; the attributes and descriptor outlive the call.
        let created = unsafe { CreateDirectoryW(name.as_ptr(), &attributes) } != 0;
        if !created {
            // SAFETY: reads this thread's last-error value, set by CreateDirectoryW.
            let code = unsafe { GetLastError() };
            if code != ERROR_ALREADY_EXISTS {
                return Err(io::Error::from_raw_os_error(code as i32));
            }
        }
        let access = READ_CONTROL | WRITE_DAC | WRITE_OWNER | FILE_LIST_DIRECTORY;
        let handle = open_as_itself(path, access | FILE_READ_ATTRIBUTES, OPEN_EXISTING, None)?;
        let kind = attributes_of(&handle)?;
        let plain_dir =
            kind & FILE_ATTRIBUTE_DIRECTORY != 0 && kind & FILE_ATTRIBUTE_REPARSE_POINT == 0;
        let raw = handle.as_raw_handle() as HANDLE;
        if plain_dir && (created || trusted_owner(&owner_of(raw)?)) {
            descriptor.apply(raw, protected)?;
            return Ok(Held {
                path: path.to_path_buf(),
                _handle: handle,
                set_aside: set_aside_from,
            });
        }
        drop(handle);
        set_aside_from = Some(set_aside(path)?);
    }
    Err(io::Error::other(format!(
        "{} is taken again as soon as it is set aside: not used",
        path.display()
    )))
}

/// The home folder and its children, secured, and the lock file, open; the folders stay held
/// (not renameable) until this is dropped.
pub struct Home {
    pub folders: Vec<Held>,
    pub lock: std::fs::File,
    lock_set_aside: Option<PathBuf>,
}

impl Home {
    /// What stood in the way and was set aside.
    pub fn set_aside(&self) -> Vec<PathBuf> {
        self.folders
            .iter()
            .filter_map(|f| f.set_aside.clone())
            .chain(self.lock_set_aside.clone())
            .collect()
    }
}

/// Secure `home` (`…\ProgramData\wufix`) and its `children`, and open its lock file.
pub fn secure(home: &Path, children: &[&str]) -> io::Result<Home> {
    let own = Descriptor::from_sddl(HOME_SDDL)?;
    let mut folders = vec![secure_dir(home, &own, true)?];
    // Inside, entries inherit the home's: an empty explicit DACL, unprotected.
    let inherit = Descriptor::from_sddl("O:BAD:AI")?;
    for child in children {
        folders.push(secure_dir(&home.join(child), &inherit, false)?);
    }
    let (lock, lock_set_aside) = lock_file(&home.join("lock"))?;
    Ok(Home {
        folders,
        lock,
        lock_set_aside,
    })
}

/// Open (or make) the lock file with its own descriptor. One that is not a plain file, or that
/// someone else owns, is set aside first.
fn lock_file(path: &Path) -> io::Result<(std::fs::File, Option<PathBuf>)> {
    let descriptor = Descriptor::from_sddl(LOCK_SDDL)?;
    let mut aside = None;
    for _ in 0..2 {
        let access = FILE_GENERIC_READ | FILE_GENERIC_WRITE | WRITE_DAC | WRITE_OWNER;
        let handle = open_as_itself(path, access, OPEN_ALWAYS, Some(&descriptor))?;
        // SAFETY: reads this thread's last-error value: ERROR_ALREADY_EXISTS when it was there.
        let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
        let kind = attributes_of(&handle)?;
        let plain = kind & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT) == 0;
        let raw = handle.as_raw_handle() as HANDLE;
        if plain && (!existed || trusted_owner(&owner_of(raw)?)) {
            descriptor.apply(raw, true)?;
            return Ok((std::fs::File::from(handle), aside));
        }
        drop(handle);
        aside = Some(set_aside(path)?);
    }
    Err(io::Error::other(
        "the lock file is taken again as soon as it is set aside",
    ))
}

/// Whether a run holds the lock of `home`: the lock file opened without making anything.
pub fn lock_file_if_any(home: &Path) -> io::Result<Option<std::fs::File>> {
    match open_as_itself(&home.join("lock"), FILE_GENERIC_READ, OPEN_EXISTING, None) {
        Ok(handle) => Ok(Some(std::fs::File::from(handle))),
        Err(err)
            if matches!(
                err.raw_os_error(),
                Some(c) if c == ERROR_FILE_NOT_FOUND as i32 || c == ERROR_PATH_NOT_FOUND as i32
            ) =>
        {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_made_once_is_taken_as_its_own_the_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wufix");
        let first = secure(&home, &["journal"]).unwrap();
        assert!(first.set_aside().is_empty());
        let handle = open_as_itself(&home.join("lock"), READ_CONTROL, OPEN_EXISTING, None).unwrap();
        let owner = owner_of(handle.as_raw_handle() as HANDLE).unwrap();
        drop(first);
        let second = secure(&home, &["journal"]).unwrap();
        assert!(
            second.set_aside().is_empty(),
            "owner {owner}: {:?}",
            second.set_aside()
        );
        // Wine answers every file's DACL from its Unix mode (what was set is not kept), so the
        // call is proven here and the descriptor below; that Windows applies it is real Windows
        // only.
        assert!(dacl_of(&home).starts_with("D:"));
        // Held: while a run works below it, its folder cannot be renamed away.
        let moved = super::super::files::move_noreplace(&home, &dir.path().join("elsewhere"));
        assert!(moved.is_err());
    }

    fn dacl_of(path: &Path) -> String {
        use windows_sys::Win32::Security::Authorization::ConvertSecurityDescriptorToStringSecurityDescriptorW;
        let handle = open_as_itself(path, READ_CONTROL, OPEN_EXISTING, None).unwrap();
        let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: the handle is open with READ_CONTROL; `sd` is LocalAlloc'ed, freed by Local.
        let status = unsafe {
            GetSecurityInfo(
                handle.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                &mut sd,
            )
        };
        assert_eq!(status, 0);
        let _sd = Local(sd);
        let mut text: *mut u16 = ptr::null_mut();
        // SAFETY: `sd` is a live descriptor; `text` is LocalAlloc'ed, freed by Local.
        let ok = unsafe {
            ConvertSecurityDescriptorToStringSecurityDescriptorW(
                sd,
                SDDL_REVISION_1,
                DACL_SECURITY_INFORMATION,
                &mut text,
                ptr::null_mut(),
            )
        };
        assert_ne!(ok, 0);
        let _text = Local(text.cast());
        // SAFETY: a NUL-terminated string written by the conversion.
        let units = unsafe {
            let len = (0..).take_while(|&i| *text.add(i) != 0).count();
            std::slice::from_raw_parts(text, len)
        };
        String::from_utf16_lossy(units)
    }

    #[test]
    fn the_descriptors_read_back_from_the_os_as_written() {
        use windows_sys::Win32::Security::Authorization::ConvertSecurityDescriptorToStringSecurityDescriptorW;
        for (sddl, expect) in [
            (
                HOME_SDDL,
                "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
            ),
            (LOCK_SDDL, "O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)"),
        ] {
            let descriptor = Descriptor::from_sddl(sddl).unwrap();
            let mut text: *mut u16 = ptr::null_mut();
            // SAFETY: a live descriptor; `text` is LocalAlloc'ed and freed by Local.
            let ok = unsafe {
                ConvertSecurityDescriptorToStringSecurityDescriptorW(
                    descriptor.sd.0,
                    SDDL_REVISION_1,
                    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                    &mut text,
                    ptr::null_mut(),
                )
            };
            assert_ne!(ok, 0);
            let _text = Local(text.cast());
            // SAFETY: a NUL-terminated string written by the conversion.
            let units = unsafe {
                let len = (0..).take_while(|&i| *text.add(i) != 0).count();
                std::slice::from_raw_parts(text, len)
            };
            assert_eq!(String::from_utf16_lossy(units), expect);
        }
    }

    #[test]
    fn a_file_standing_where_the_home_goes_is_set_aside_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wufix");
        std::fs::write(&home, "planted").unwrap();
        let held = secure(&home, &["journal"]).unwrap();
        assert_eq!(held.set_aside(), [dir.path().join("wufix.untrusted-1")]);
        assert!(home.join("journal").is_dir());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("wufix.untrusted-1")).unwrap(),
            "planted"
        );
    }
}
