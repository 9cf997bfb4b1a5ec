//! The registry as the core sees it: values exactly as Windows stores them (their type and their
//! bytes, nothing decoded away), and one small trait that the live registry, a fake and, for a
//! mounted disk, its hive files can each stand behind. Keys are paths below
//! `HKEY_LOCAL_MACHINE` (the 64-bit view online).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SysError;

pub const REG_NONE: u32 = 0;
pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
pub const REG_LINK: u32 = 6;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_QWORD: u32 = 11;

/// A registry value exactly as stored: what is read is what is written back, byte for byte,
/// whatever its type (an unterminated string, a `REG_MULTI_SZ` holding an empty string, a type
/// number Windows does not name).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegValue {
    pub kind: u32,
    pub data: Vec<u8>,
}

fn utf16_units(data: &[u8]) -> Vec<u16> {
    data.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn utf16_bytes(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.encode_utf16().flat_map(u16::to_le_bytes)
}

impl RegValue {
    pub fn new(kind: u32, data: impl Into<Vec<u8>>) -> Self {
        RegValue {
            kind,
            data: data.into(),
        }
    }

    pub fn dword(n: u32) -> Self {
        RegValue::new(REG_DWORD, n.to_le_bytes())
    }

    pub fn qword(n: u64) -> Self {
        RegValue::new(REG_QWORD, n.to_le_bytes())
    }

    /// `REG_SZ`, terminated as Windows writes it.
    pub fn string(text: &str) -> Self {
        RegValue::new(REG_SZ, utf16_bytes(text).chain([0, 0]).collect::<Vec<u8>>())
    }

    /// `REG_EXPAND_SZ`, terminated.
    pub fn expand_string(text: &str) -> Self {
        RegValue {
            kind: REG_EXPAND_SZ,
            ..RegValue::string(text)
        }
    }

    /// `REG_MULTI_SZ`: each string terminated, then one more terminator.
    pub fn multi_string(items: &[&str]) -> Self {
        let mut data: Vec<u8> = items
            .iter()
            .flat_map(|s| utf16_bytes(s).chain([0, 0]))
            .collect();
        data.extend([0, 0]);
        RegValue::new(REG_MULTI_SZ, data)
    }

    pub fn binary(bytes: impl Into<Vec<u8>>) -> Self {
        RegValue::new(REG_BINARY, bytes)
    }

    /// `REG_SZ`, `REG_DWORD`, ... or `type 42` for a number Windows does not name.
    pub fn kind_name(&self) -> Cow<'static, str> {
        match self.kind {
            REG_NONE => "REG_NONE".into(),
            REG_SZ => "REG_SZ".into(),
            REG_EXPAND_SZ => "REG_EXPAND_SZ".into(),
            REG_BINARY => "REG_BINARY".into(),
            REG_DWORD => "REG_DWORD".into(),
            REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN".into(),
            REG_LINK => "REG_LINK".into(),
            REG_MULTI_SZ => "REG_MULTI_SZ".into(),
            8 => "REG_RESOURCE_LIST".into(),
            9 => "REG_FULL_RESOURCE_DESCRIPTOR".into(),
            10 => "REG_RESOURCE_REQUIREMENTS_LIST".into(),
            REG_QWORD => "REG_QWORD".into(),
            other => format!("type {other}").into(),
        }
    }

    /// A `REG_DWORD` (little-endian) or `REG_DWORD_BIG_ENDIAN` number.
    pub fn as_dword(&self) -> Option<u32> {
        let four: [u8; 4] = self.data.get(..4)?.try_into().ok()?;
        match self.kind {
            REG_DWORD => Some(u32::from_le_bytes(four)),
            REG_DWORD_BIG_ENDIAN => Some(u32::from_be_bytes(four)),
            _ => None,
        }
    }

    pub fn as_qword(&self) -> Option<u64> {
        let eight: [u8; 8] = self.data.get(..8)?.try_into().ok()?;
        (self.kind == REG_QWORD).then(|| u64::from_le_bytes(eight))
    }

    /// The text of a `REG_SZ` or `REG_EXPAND_SZ`, up to its first terminator (an unterminated
    /// one to its end; an odd last byte is dropped).
    pub fn as_text(&self) -> Option<String> {
        if !matches!(self.kind, REG_SZ | REG_EXPAND_SZ) {
            return None;
        }
        let units = utf16_units(&self.data);
        let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
        Some(String::from_utf16_lossy(&units[..end]))
    }

    /// The strings of a `REG_MULTI_SZ`, empty ones inside the list included (a pending rename's
    /// empty target means "delete"); only the terminators at the end are dropped.
    pub fn as_multi(&self) -> Option<Vec<String>> {
        if self.kind != REG_MULTI_SZ {
            return None;
        }
        let units = utf16_units(&self.data);
        let mut out: Vec<String> = units
            .split(|u| *u == 0)
            .map(String::from_utf16_lossy)
            .collect();
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        Some(out)
    }

    /// The data as lower-case hex, two digits a byte.
    pub fn hex(&self) -> String {
        self.data.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for RegValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.as_text(), self.as_dword()) {
            (Some(text), _) => write!(f, "{} {text:?} ({})", self.kind_name(), self.hex()),
            (_, Some(n)) => write!(f, "{} {n}", self.kind_name()),
            _ => write!(f, "{} {}", self.kind_name(), self.hex()),
        }
    }
}

/// In a journal: `{"type": 1, "data": "<hex>"}`, the type by number so that any type survives.
impl Serialize for RegValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Raw<'a> {
            #[serde(rename = "type")]
            kind: u32,
            data: &'a str,
        }
        Raw {
            kind: self.kind,
            data: &self.hex(),
        }
        .serialize(serializer)
    }
}

/// Reads the form above, and the one wufix 0.1 wrote (`{"type": "dword", "data": 5}`, decoded
/// values), so the journals it left can still be put back.
impl<'de> Deserialize<'de> for RegValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Raw {
                #[serde(rename = "type")]
                kind: u32,
                data: String,
            },
            Decoded(Decoded),
        }
        #[derive(Deserialize)]
        #[serde(tag = "type", content = "data", rename_all = "kebab-case")]
        enum Decoded {
            Dword(u32),
            Qword(u64),
            String(String),
            MultiString(Vec<String>),
            Binary(Vec<u8>),
        }
        Ok(match Form::deserialize(deserializer)? {
            Form::Raw { kind, data } => {
                RegValue::new(kind, unhex(&data).map_err(D::Error::custom)?)
            }
            Form::Decoded(Decoded::Dword(n)) => RegValue::dword(n),
            Form::Decoded(Decoded::Qword(n)) => RegValue::qword(n),
            Form::Decoded(Decoded::String(s)) => RegValue::string(&s),
            Form::Decoded(Decoded::MultiString(items)) => {
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                RegValue::multi_string(&items)
            }
            Form::Decoded(Decoded::Binary(bytes)) => RegValue::binary(bytes),
        })
    }
}

use serde::de::Error as _;

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("registry data must be hex digits, two a byte".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// The registry of the Windows a command works on. Online that is the live registry; for a
/// mounted disk, its hive files (read-only); without either, every call says why not.
pub trait Registry: Sync {
    /// Whether the key exists.
    fn key_exists(&self, key: &str) -> Result<bool, SysError>;
    /// The value `name` of `key`; `None` when the key or the value is absent.
    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError>;
    /// Every value of `key`, by name; empty when the key is absent.
    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError>;
    /// The names of `key`'s subkeys; empty when the key is absent.
    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError>;
    /// The key's owner and DACL as SDDL (`O:…D:…`); `None` when the key is absent.
    fn key_security(&self, key: &str) -> Result<Option<String>, SysError>;
    /// Write `value` exactly (creating the key), or delete the value for `None` (absent already
    /// is fine). A registry that cannot be written says so.
    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        let _ = (key, name, value);
        Err(SysError::ReadOnly)
    }
    /// Write the key's DACL (and its owner, when `sddl` begins with `O:`), taking ownership for
    /// Administrators first where the key is locked against them.
    fn set_key_security(&self, key: &str, sddl: &str) -> Result<(), SysError> {
        let _ = (key, sddl);
        Err(SysError::ReadOnly)
    }
    /// Make Administrators the key's owner (the privilege allows it whatever its DACL says): its
    /// owner may then read and write its permissions.
    fn take_key_ownership(&self, key: &str) -> Result<(), SysError> {
        let _ = key;
        Err(SysError::ReadOnly)
    }
}

/// No registry to read (a mounted disk whose hives are not read): every call says so.
pub struct NoRegistry;

impl Registry for NoRegistry {
    fn key_exists(&self, _key: &str) -> Result<bool, SysError> {
        Err(SysError::Offline)
    }
    fn value(&self, _key: &str, _name: &str) -> Result<Option<RegValue>, SysError> {
        Err(SysError::Offline)
    }
    fn values(&self, _key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        Err(SysError::Offline)
    }
    fn subkeys(&self, _key: &str) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
    fn key_security(&self, _key: &str) -> Result<Option<String>, SysError> {
        Err(SysError::Offline)
    }
}

/// Every kind of value the registry can hold, with the awkward ones Windows allows.
#[cfg(test)]
pub(crate) fn every_kind() -> Vec<RegValue> {
    vec![
        RegValue::string("C:\\Windows"),
        RegValue::expand_string("%SystemRoot%\\system32"),
        RegValue::multi_string(&["a", "", "b"]),
        RegValue::dword(0x8007_0005),
        RegValue::new(REG_DWORD_BIG_ENDIAN, [0, 0, 0, 7]),
        RegValue::qword(u64::MAX - 1),
        RegValue::binary([0, 1, 2, 255]),
        RegValue::new(REG_NONE, [9, 9]),
        RegValue::new(REG_LINK, RegValue::string("\\Registry\\Machine\\X").data),
        RegValue::new(REG_SZ, Vec::new()),
        RegValue::new(REG_MULTI_SZ, Vec::new()),
        RegValue::new(REG_BINARY, Vec::new()),
        // Unterminated, and with an odd byte at the end.
        RegValue::new(REG_SZ, b"a\0b\0c".to_vec()),
        RegValue::new(REG_EXPAND_SZ, b"x\0".to_vec()),
        RegValue::new(42, [1, 2, 3]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_keeps_its_type_and_bytes_through_json() {
        for value in every_kind() {
            let json = serde_json::to_string(&value).unwrap();
            let back: RegValue = serde_json::from_str(&json).unwrap();
            assert_eq!(back, value, "{json}");
            assert_eq!(back.data, value.data, "{json}");
        }
    }

    #[test]
    fn values_decode_as_windows_reads_them() {
        assert_eq!(
            RegValue::string("x").data,
            [b'x', 0, 0, 0],
            "terminated as Windows writes it"
        );
        assert_eq!(
            RegValue::new(REG_SZ, b"a\0b\0c".to_vec())
                .as_text()
                .unwrap(),
            "ab"
        );
        assert_eq!(RegValue::new(REG_SZ, Vec::new()).as_text().unwrap(), "");
        assert_eq!(RegValue::expand_string("%x%").as_text().unwrap(), "%x%");
        assert_eq!(RegValue::dword(5).as_text(), None);
        assert_eq!(
            RegValue::multi_string(&["a", "", "b"]).as_multi().unwrap(),
            ["a", "", "b"],
            "an empty string inside is kept"
        );
        assert_eq!(
            RegValue::new(REG_MULTI_SZ, Vec::new()).as_multi().unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            RegValue::multi_string(&["a", "b"]).as_multi().unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            RegValue::new(REG_DWORD_BIG_ENDIAN, [0, 0, 1, 0]).as_dword(),
            Some(256)
        );
        assert_eq!(
            RegValue::new(REG_DWORD, [1, 0]).as_dword(),
            None,
            "too short"
        );
        assert_eq!(RegValue::qword(7).as_qword(), Some(7));
        assert_eq!(RegValue::new(42, []).kind_name(), "type 42");
    }

    #[test]
    fn the_values_wufix_0_1_journaled_read_back_as_what_it_wrote() {
        let old = [
            (r#"{"type":"dword","data":5}"#, RegValue::dword(5)),
            (r#"{"type":"qword","data":6}"#, RegValue::qword(6)),
            (r#"{"type":"string","data":"id"}"#, RegValue::string("id")),
            (
                r#"{"type":"multi-string","data":["a","b"]}"#,
                RegValue::multi_string(&["a", "b"]),
            ),
            (
                r#"{"type":"binary","data":[24,0,0,0]}"#,
                RegValue::binary([24, 0, 0, 0]),
            ),
        ];
        for (json, value) in old {
            assert_eq!(
                serde_json::from_str::<RegValue>(json).unwrap(),
                value,
                "{json}"
            );
        }
        for bad in [r#"{"type":1,"data":"abc"}"#, r#"{"type":1,"data":"zz"}"#] {
            assert!(serde_json::from_str::<RegValue>(bad).is_err(), "{bad}");
        }
    }
}
