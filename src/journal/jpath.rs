//! A path as the journal keeps it: relative to the volume root (the folder that holds the Windows
//! folder), one component at a time, each exactly as the system gave it. Relative, so that a run
//! made offline (a technician's disk mounted on Linux) and an undo made online (the same disk,
//! booted) speak of the same place; lossless, so that a volume mounted at a path that is not valid
//! Unicode is journaled like any other. A journal path is evidence of what was done: `undo` never
//! acts on one without finding the place again from its own layout.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum JPath {
    /// Below the volume root, component by component.
    Relative(Vec<OsString>),
    /// An absolute path: what wufix 0.1 wrote (as text), or a place outside the volume.
    Absolute(PathBuf),
}

impl JPath {
    /// `path` as the journal keeps it for a run on the volume at `root`.
    pub fn of(root: &Path, path: &Path) -> JPath {
        match path.strip_prefix(root) {
            Ok(rest) if rest.iter().all(plain_name) => {
                JPath::Relative(rest.iter().map(OsStr::to_os_string).collect())
            }
            _ => JPath::Absolute(path.to_path_buf()),
        }
    }

    /// Where it is on the volume at `root` (an absolute path stays as it was written).
    pub fn resolve(&self, root: &Path) -> PathBuf {
        match self {
            JPath::Relative(parts) => parts.iter().fold(root.to_path_buf(), |p, c| p.join(c)),
            JPath::Absolute(path) => path.clone(),
        }
    }

    pub fn file_name(&self) -> Option<&OsStr> {
        match self {
            JPath::Relative(parts) => parts.last().map(OsString::as_os_str),
            JPath::Absolute(path) => path.file_name(),
        }
    }
}

impl fmt::Debug for JPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JPath::Relative(parts) => write!(
                f,
                "<volume>/{}",
                Path::new("")
                    .join(parts.iter().collect::<PathBuf>())
                    .display()
            ),
            JPath::Absolute(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A name that joins onto a folder as one entry below it: not empty, not `.` or `..`, and read
/// as a single plain component here (on Windows `a:x` is a drive, `\\x` a root).
fn plain_name(name: &OsStr) -> bool {
    let mut parts = Path::new(name).components();
    matches!(parts.next(), Some(Component::Normal(n)) if n == name) && parts.next().is_none()
}

/// One component: text where it is Unicode, else its raw form (`{"bytes": hex}` as a Unix name's
/// bytes, `{"utf16": hex}` as a Windows name's UTF-16 units, little-endian).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Part {
    Text(String),
    Bytes { bytes: String },
    Utf16 { utf16: String },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("a path component in hex must be hex digits, two a byte".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn to_part(part: &OsStr) -> Part {
    if let Some(text) = part.to_str() {
        return Part::Text(text.to_string());
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Part::Bytes {
            bytes: hex(part.as_bytes()),
        }
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        let bytes: Vec<u8> = part.encode_wide().flat_map(u16::to_le_bytes).collect();
        Part::Utf16 { utf16: hex(&bytes) }
    }
}

fn from_part(part: Part) -> Result<OsString, String> {
    Ok(match part {
        Part::Text(text) => OsString::from(text),
        Part::Bytes { bytes } => {
            let bytes = unhex(&bytes)?;
            #[cfg(unix)]
            {
                use std::os::unix::ffi::OsStringExt;
                OsString::from_vec(bytes)
            }
            #[cfg(windows)]
            {
                OsString::from(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
        Part::Utf16 { utf16 } => {
            let units: Vec<u16> = unhex(&utf16)?
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            #[cfg(windows)]
            {
                use std::os::windows::ffi::OsStringExt;
                OsString::from_wide(&units)
            }
            #[cfg(unix)]
            {
                OsString::from(String::from_utf16_lossy(&units))
            }
        }
    })
}

/// `["Windows", "SoftwareDistribution"]` below the root; `{"absolute": "…"}` otherwise, the whole
/// path as one part (split into components, a Windows path like `\a:` would not rebuild as it
/// was: `a:` is a drive).
impl Serialize for JPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JPath::Relative(parts) => parts
                .iter()
                .map(|p| to_part(p))
                .collect::<Vec<_>>()
                .serialize(serializer),
            JPath::Absolute(path) => {
                #[derive(Serialize)]
                struct Absolute {
                    absolute: Part,
                }
                Absolute {
                    absolute: to_part(path.as_os_str()),
                }
                .serialize(serializer)
            }
        }
    }
}

/// The forms above, and wufix 0.1's: an absolute path as one string.
impl<'de> Deserialize<'de> for JPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Relative(Vec<Part>),
            Absolute { absolute: Part },
        }
        let parts = |parts: Vec<Part>| -> Result<Vec<OsString>, D::Error> {
            parts
                .into_iter()
                .map(|p| from_part(p).map_err(D::Error::custom))
                .collect()
        };
        Ok(match Form::deserialize(deserializer)? {
            Form::Text(text) => JPath::Absolute(PathBuf::from(text)),
            Form::Relative(list) => {
                let list = parts(list)?;
                // Only plain names: a journal cannot climb out of the volume with `..`.
                if !list.iter().all(|p| plain_name(p)) {
                    return Err(D::Error::custom("a journal path holds only plain names"));
                }
                JPath::Relative(list)
            }
            Form::Absolute { absolute } => JPath::Absolute(PathBuf::from(
                from_part(absolute).map_err(D::Error::custom)?,
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_below_the_root_is_kept_relative_and_read_back_anywhere() {
        let root = Path::new("/mnt/disk");
        let p = JPath::of(root, Path::new("/mnt/disk/Windows/SoftwareDistribution"));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["Windows","SoftwareDistribution"]"#);
        let back: JPath = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        // The same disk, booted: the same place on another root.
        assert_eq!(
            back.resolve(Path::new("C:/")),
            Path::new("C:/")
                .join("Windows")
                .join("SoftwareDistribution")
        );
        assert_eq!(p.file_name().unwrap(), "SoftwareDistribution");
    }

    #[test]
    fn wufix_0_1_paths_read_as_absolute_and_climbing_is_refused() {
        let old: JPath = serde_json::from_str(r#""/tmp/v/Windows/SoftwareDistribution""#).unwrap();
        assert_eq!(
            old,
            JPath::Absolute("/tmp/v/Windows/SoftwareDistribution".into())
        );
        for bad in [r#"["..","etc"]"#, r#"["a/b"]"#, r#"[""]"#, r#"["."]"#] {
            assert!(serde_json::from_str::<JPath>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_absolute_path_rebuilds_exactly_even_where_a_component_looks_like_a_drive() {
        for text in [r"\a:", "/tmp/x", r"C:\Windows", "a:"] {
            let p = JPath::Absolute(PathBuf::from(text));
            let back: JPath = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(back, p, "{text}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_unicode_is_kept_byte_for_byte() {
        use std::os::unix::ffi::OsStrExt;
        let root = Path::new(OsStr::from_bytes(b"/media/disque\xe9"));
        let path = root.join("Windows").join(OsStr::from_bytes(b"caf\xe9"));
        let p = JPath::of(root, &path);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["Windows",{"bytes":"636166e9"}]"#);
        assert_eq!(
            serde_json::from_str::<JPath>(&json).unwrap().resolve(root),
            path
        );
        // Outside the root (or the root itself unnamed): absolute, still exact.
        let outside = JPath::of(Path::new("/elsewhere"), &path);
        let json = serde_json::to_string(&outside).unwrap();
        assert_eq!(
            serde_json::from_str::<JPath>(&json).unwrap().resolve(root),
            path
        );
    }
}
