//! `wufix explain`: what an error code means, offline. Names come from the public headers
//! (`generated.rs`); plain words, causes and fixes for the codes users meet most are written here
//! (`curated.rs`). Any other 32-bit value still gets its anatomy.

mod anatomy;
mod curated;
mod families;
mod generated;
mod parse;
pub mod rungs;

use serde::Serialize;

pub use anatomy::Anatomy;
pub use parse::{Read, parse, read};

/// Where a code's name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Source {
    #[serde(rename = "wuerror.h")]
    WuErrorH,
    #[serde(rename = "bitsmsg.h")]
    BitsMsgH,
    #[serde(rename = "winhttp.h")]
    WinHttpH,
    #[serde(rename = "wininet.h")]
    WinInetH,
    #[serde(rename = "winerror.h")]
    WinErrorH,
    /// Names and numbers from Microsoft's public tables (Windows Setup, Delivery Optimization),
    /// kept in scripts/data.
    #[serde(rename = "microsoft-docs")]
    MicrosoftDocs,
    /// Written for wufix from Microsoft's documentation and CBS.log's own names.
    #[serde(rename = "wufix")]
    Wufix,
}

/// A code and its symbolic name, from a header.
#[derive(Clone, Copy, Debug)]
pub struct Named {
    pub code: u32,
    pub name: &'static str,
    pub source: Source,
}

/// What wufix knows to say about a code.
#[derive(Clone, Copy, Debug)]
pub struct Advice {
    pub code: u32,
    pub name: &'static str,
    pub meaning: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
}

/// Names a code went by in earlier Windows versions, as Microsoft's tables still print them.
static LEGACY: [Named; 1] = [Named {
    code: 0x80245FFF,
    name: "WU_E_REDIRECTOR_UNEXPECTED",
    source: Source::MicrosoftDocs,
}];

/// Every named code, from the headers, the legacy names and the curated table.
pub fn names() -> impl Iterator<Item = Named> {
    generated::NAMED.iter().copied().chain(LEGACY).chain(
        curated::ADVICE
            .iter()
            .filter(|a| !a.name.is_empty())
            .map(|a| Named {
                code: a.code,
                name: a.name,
                source: Source::Wufix,
            }),
    )
}

/// The code of a symbolic name, ignoring case.
pub fn code_of(name: &str) -> Option<u32> {
    names()
        .find(|n| n.name.eq_ignore_ascii_case(name))
        .map(|n| n.code)
}

/// Everything wufix can say about one code.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explanation {
    /// As the user typed it.
    pub input: String,
    /// `0x800F0922`. A bare Win32 number (`5`) is shown as the HRESULT that wraps it
    /// (`0x80070005`), as everywhere in wufix's reports.
    pub code: String,
    /// The same value as a signed 32-bit number, as some logs print it.
    pub hresult: i32,
    /// Whether `wufix reset` (the folders only) cures it: `yes`, `sometimes`, `no`, or `unknown`
    /// for a code wufix has no advice for.
    pub reset_helps: &'static str,
    /// Whether wufix's database has this code.
    pub known: bool,
    /// Symbolic names (a few codes have more than one), with where each comes from.
    pub names: Vec<NameRef>,
    /// A success or informational status, not a failure (WU_S_*, ERROR_SUCCESS_REBOOT_REQUIRED).
    pub success: bool,
    /// When the meaning is the family's rather than the code's own: the family.
    pub family: Option<&'static str>,
    pub meaning: Option<&'static str>,
    pub cause: Option<&'static str>,
    pub fix: Option<&'static str>,
    pub anatomy: Anatomy,
    /// Windows' own text for the code (FormatMessage), on Windows only.
    pub system_message: Option<String>,
    /// Where `wufix repair --for` this code starts, or that wufix cannot repair it.
    pub repair: Option<rungs::RepairHint>,
    /// Microsoft's own bugs known to show this code (`data/known-issues.json`), with what to do
    /// and the public source: when the failing update is one of them, that is the answer.
    pub known_issues: Vec<crate::known_issues::KnownIssue>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NameRef {
    pub name: &'static str,
    pub source: Source,
}

pub use crate::code::lookup_value;

/// Explain a parsed code.
pub fn explain(input: &str, code: u32) -> Explanation {
    let key = lookup_value(code);
    let mut found: Vec<NameRef> = Vec::new();
    for named in names().filter(|n| n.code == key) {
        if !found.iter().any(|n| n.name == named.name) {
            found.push(NameRef {
                name: named.name,
                source: named.source,
            });
        }
    }
    let advice = advice(key);
    let family = match (advice, found.first()) {
        (None, Some(first)) => Some(families::of(first.name)),
        _ => None,
    };
    let success = is_success(key);
    Explanation {
        input: input.to_string(),
        code: format!("0x{key:08X}"),
        hresult: key as i32,
        reset_helps: rungs::reset_helps(key),
        known: !found.is_empty() || advice.is_some(),
        names: found,
        success,
        family: family.map(|f| f.name),
        meaning: advice.map(|a| a.meaning).or(family.map(|f| f.meaning)),
        cause: advice.map(|a| a.cause).or(family.map(|f| f.cause)),
        fix: advice.map(|a| a.fix).or(family.map(|f| f.fix)),
        anatomy: Anatomy::of(key),
        system_message: crate::sys::system_message(key),
        repair: if success { None } else { rungs::hint(key) },
        known_issues: crate::known_issues::for_code(crate::known_issues::table(), key)
            .into_iter()
            .cloned()
            .collect(),
    }
}

/// Whether a status reports success: the failure bit is clear, or its name says success although
/// the bit is set (ERROR_SUCCESS_REBOOT_REQUIRED wrapped as 0x80070BC2).
pub fn is_success(code: u32) -> bool {
    let key = lookup_value(code);
    key & 0x8000_0000 == 0 || success_with_failure_bit().contains(&key)
}

/// The few codes with the failure bit set whose name says success, found once: the servicing
/// log reader asks for every status it reads.
fn success_with_failure_bit() -> &'static [u32] {
    static CODES: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let mut codes: Vec<u32> = names()
            .filter(|n| n.code & 0x8000_0000 != 0 && families::is_success_name(n.name))
            .map(|n| n.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    })
}

/// The first name of a code (as [`explain`] would list it first), found in constant time.
pub fn first_name(code: u32) -> Option<&'static str> {
    static FIRST: std::sync::OnceLock<std::collections::HashMap<u32, &'static str>> =
        std::sync::OnceLock::new();
    FIRST
        .get_or_init(|| {
            let mut map = std::collections::HashMap::new();
            for named in names() {
                map.entry(named.code).or_insert(named.name);
            }
            map
        })
        .get(&lookup_value(code))
        .copied()
}

/// The curated advice for a code, if any.
pub fn advice(code: u32) -> Option<&'static Advice> {
    curated::ADVICE.iter().find(|a| a.code == code)
}

/// The result of `wufix explain`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExplainReport {
    pub ok: bool,
    pub command: &'static str,
    /// One entry per input that named a code, or tried to: its explanation, or why it is not a
    /// code (`{input, error}`).
    pub codes: Vec<Entry>,
    /// Inputs with no code in them at all (words of pasted text), when another input gave one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

/// An input's entry in `codes`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Entry {
    Explained(Box<Explanation>),
    Invalid { input: String, error: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_table_has_every_wu_e_code_of_wuerror_h() {
        let wu_e = generated::NAMED
            .iter()
            .filter(|n| n.name.starts_with("WU_E_"))
            .count();
        assert_eq!(wu_e, 447);
        assert!(
            generated::NAMED
                .iter()
                .filter(|n| n.name.starts_with("WU_E_"))
                .all(|n| n.code >> 16 == 0x8024)
        );
    }

    #[test]
    fn curated_names_agree_with_the_headers() {
        for advice in curated::ADVICE {
            if let Some(named) = generated::NAMED.iter().find(|n| n.name == advice.name) {
                assert_eq!(named.code, advice.code, "{}", advice.name);
            }
        }
    }

    #[test]
    fn at_least_forty_codes_have_plain_words_and_a_fix() {
        let complete = curated::ADVICE
            .iter()
            .filter(|a| !a.meaning.is_empty() && !a.cause.is_empty() && !a.fix.is_empty())
            .count();
        assert!(complete >= 40, "{complete}");
        let mut codes: Vec<u32> = curated::ADVICE.iter().map(|a| a.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(
            codes.len(),
            curated::ADVICE.len(),
            "a code is curated twice"
        );
    }

    #[test]
    fn a_known_code_is_explained_with_its_fix() {
        let e = explain("0x800f0922", 0x800F0922);
        assert!(e.known);
        assert_eq!(e.names[0].name, "CBS_E_INSTALLERS_FAILED");
        assert_eq!(e.hresult, -2146498270);
        assert!(e.fix.unwrap().contains("DISM"));
        let reset = explain("0x80242006", 0x80242006);
        assert!(reset.fix.unwrap().contains("wufix reset"));
    }

    #[test]
    fn an_unknown_code_still_has_its_anatomy() {
        // No header names Win32 error 8191.
        let e = explain("0x80071FFF", 0x80071FFF);
        assert!(!e.known);
        assert_eq!(e.anatomy.win32_error, Some(0x1FFF));
        assert!(e.meaning.is_none());
    }
}

#[cfg(test)]
mod coverage_tests {
    use super::*;

    #[test]
    fn every_known_code_has_a_meaning_a_cause_and_a_fix() {
        let missing: Vec<&str> = names()
            .filter(|n| {
                let e = explain("", n.code);
                e.meaning.is_none() || e.cause.is_none() || e.fix.is_none()
            })
            .map(|n| n.name)
            .collect();
        assert!(missing.is_empty(), "no meaning for {missing:?}");
        assert!(names().count() > 3000, "winerror.h is part of the table");
    }

    #[test]
    fn every_win32_error_carries_its_name_and_every_name_is_accepted() {
        let e = explain("", 0x8007_0005);
        let named: Vec<&str> = e.names.iter().map(|n| n.name).collect();
        assert_eq!(named, ["E_ACCESSDENIED", "ERROR_ACCESS_DENIED"]);
        assert_eq!(parse("ERROR_ACCESS_DENIED"), Ok(0x8007_0005));
        assert_eq!(parse("error_invalid_parameter"), Ok(0x8007_0057));
        for (code, name) in [
            (0x8004_0154, "REGDB_E_CLASSNOTREG"),
            (0x8009_2003, "CRYPT_E_FILE_ERROR"),
            (0x8007_05B9, "ERROR_XML_PARSE_ERROR"),
            (0x8007_370B, "ERROR_SXS_INVALID_IDENTITY_ATTRIBUTE_NAME"),
        ] {
            let e = explain("", code);
            assert!(e.known, "{name}");
            assert!(
                e.names.iter().any(|n| n.name == name),
                "{code:08X}: {:?}",
                e.names
            );
        }
        // Every name in the database reads back as its code.
        for named in names()
            .filter(|n| n.source == Source::WinErrorH)
            .step_by(97)
        {
            let back = parse(named.name).unwrap();
            assert!(
                explain("", back).names.iter().any(|n| n.name == named.name),
                "{}",
                named.name
            );
        }
    }

    #[test]
    fn the_codes_microsofts_tables_list_are_known() {
        for code in [
            0xC190_0101,
            0xC190_0107,
            0xC190_0200,
            0xC190_0201,
            0xC190_0202,
            0xC190_0203,
            0xC190_0204,
            0xC190_0205,
            0xC190_0206,
            0xC190_0207,
            0xC190_0208,
            0xC190_0209,
            0xC190_020E,
            0xC190_0400,
            0xC190_0401,
            0xC190_0402,
            0xC190_0403,
            0xC190_0404,
            0xC190_0405,
            0x80D0_1001,
            0x80D0_2002,
            0x80D0_3805,
            0x80D0_5011,
            0x8004_0154,
            0x8007_0057,
            0x8007_0246,
            0x8007_05B9,
            0x8007_370A,
            0x8007_370B,
            0x8007_370D,
            0x8009_2003,
            0xC180_0118,
            0x800F_0923,
            0x8007_3B92,
            0x8024_5FFF,
        ] {
            let e = explain("", code);
            assert!(e.known && e.meaning.is_some(), "0x{code:08X}");
        }
        for (name, code) in [
            ("WININET_E_TIMEOUT", 0x8007_2EE2),
            ("WININET_E_CONNECTION_ABORTED", 0x8007_2EFE),
            ("WININET_E_DECODING_FAILED", 0x8007_2F8F),
        ] {
            assert_eq!(parse(name), Ok(code), "{name}");
            assert!(
                explain("", code).names.iter().any(|n| n.name == name),
                "{name}"
            );
        }
        // The old value keeps its old name beside the words.
        let old = explain("", 0x8024_5FFF);
        assert_eq!(old.names[0].name, "WU_E_REDIRECTOR_UNEXPECTED");
        assert_eq!(parse("WU_E_REDIRECTOR_UNEXPECTED"), Ok(0x8024_50FF));
        assert!(
            explain("", 0xC190_0210).success,
            "a scan that found nothing is no failure"
        );
    }

    #[test]
    fn a_bare_win32_number_is_read_as_the_error_it_names() {
        let e = explain("5", 5);
        assert!(e.names.iter().any(|n| n.name == "ERROR_ACCESS_DENIED"));
        assert!(!e.success);
        assert_eq!(e.anatomy.win32_error, Some(5));
    }

    #[test]
    fn success_codes_are_never_called_failures() {
        for code in [0x8007_0BC2, 0x0024_0006, 0x0024_0005, 3010] {
            let e = explain("", code);
            assert!(e.success, "0x{code:08X}");
        }
        for code in [0x8024_402C, 0x8007_0005, 0x800F_0922] {
            assert!(!explain("", code).success, "0x{code:08X}");
        }
    }

    #[test]
    fn where_microsofts_mitigation_differs_both_are_given() {
        for (code, theirs) in [
            (0x800F_0922, "System32\\spp"),
            (0x8007_0490, "`Arch`"),
            (0x8007_06BE, "`CurrentState`"),
        ] {
            let cause = explain("", code).cause.unwrap();
            assert!(cause.contains(theirs), "0x{code:08X}: {cause}");
            assert!(
                cause.contains("(1)") && cause.contains("(2)"),
                "0x{code:08X}: {cause}"
            );
        }
        for code in [0x8024_6017, 0x8024_000B, 0x8024_D009] {
            let e = explain("", code);
            assert_eq!(e.family, None, "0x{code:08X} has words of its own");
        }
    }

    #[test]
    fn a_code_without_words_of_its_own_gets_its_family() {
        let e = explain("", 0x8024_8007);
        assert_eq!(e.family, Some("Windows Update datastore"));
        assert!(e.fix.unwrap().contains("wufix reset"));
        // A code with words of its own shows them, not the family's.
        assert_eq!(explain("", 0x800F_0922).family, None);
    }
}
