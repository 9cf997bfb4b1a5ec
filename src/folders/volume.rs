//! The state of a mounted Windows's volume that makes any change to it harmful: hibernated by
//! Fast Startup (the `hiberfil.sys` header says `hibr`: Windows resumes from it and changes made
//! meanwhile can be lost or corrupt the file system), or mounted read-only (every write would
//! fail half-way). Found before anything is planned.

use std::io::Read;
use std::path::Path;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VolumeState {
    pub hibernated: bool,
    pub read_only: bool,
}

impl VolumeState {
    /// Why nothing may be written, and what to do; `None` when writing is safe.
    pub fn refusal(&self) -> Option<String> {
        if self.hibernated {
            Some("this Windows is hibernated (Fast Startup left hiberfil.sys in use): a change made now can be lost or corrupt the volume when it resumes. Start that Windows and shut it down fully (hold Shift while choosing Shut down, or `shutdown /s /t 0`), or turn Fast Startup off, then try again".into())
        } else if self.read_only {
            Some("the volume is mounted read-only: remount it read-write (on Linux, `mount -o remount,rw`; an NTFS volume Windows left unclean may need `ntfsfix` or a start of Windows first), then try again".into())
        } else {
            None
        }
    }
}

/// The hibernation file's first four bytes: `hibr`/`HIBR` while Windows is hibernated (`wake`,
/// `RSTR` or zeros otherwise).
pub fn is_hibernated(root: &Path) -> bool {
    let Some(path) = super::layout::find_children(root, "hiberfil.sys")
        .into_iter()
        .next()
    else {
        return false;
    };
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head.eq_ignore_ascii_case(b"hibr")
}

#[cfg(unix)]
fn is_read_only(root: &Path) -> bool {
    rustix::fs::statvfs(root)
        .is_ok_and(|s| s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
}

/// On Windows a read-only volume shows in the first write's error; not probed here.
#[cfg(not(unix))]
fn is_read_only(_root: &Path) -> bool {
    false
}

pub fn state(root: &Path) -> VolumeState {
    VolumeState {
        hibernated: is_hibernated(root),
        read_only: is_read_only(root),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hibernation_file_s_header_tells() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(state(dir.path()).refusal(), None);
        for (head, hibernated) in [
            (&b"hibr"[..], true),
            (b"HIBR", true),
            (b"wake", false),
            (b"\0\0\0\0", false),
            (b"RSTR", false),
        ] {
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(&[0; 60]);
            std::fs::write(dir.path().join("HiberFil.sys"), bytes).unwrap();
            assert_eq!(is_hibernated(dir.path()), hibernated, "{head:?}");
        }
        std::fs::write(dir.path().join("HiberFil.sys"), b"hibr").unwrap();
        assert!(
            state(dir.path())
                .refusal()
                .unwrap()
                .contains("shut it down fully")
        );
        let ro = VolumeState {
            hibernated: false,
            read_only: true,
        };
        assert!(ro.refusal().unwrap().contains("read-only"));
    }
}
