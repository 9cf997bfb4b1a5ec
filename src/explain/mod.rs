//! `wufix explain`: what an error code means, offline. Names come from the public headers
//! (`generated.rs`); plain words, causes and fixes for the codes users meet most are written here
//! (`curated.rs`). Any other 32-bit value still gets its anatomy.

mod anatomy;
mod curated;
mod generated;
mod parse;

use serde::Serialize;

pub use anatomy::Anatomy;
pub use parse::parse;

/// Where a code's name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    #[serde(rename = "wuerror.h")]
    WuErrorH,
    #[serde(rename = "bitsmsg.h")]
    BitsMsgH,
    #[serde(rename = "winhttp.h")]
    WinHttpH,
    #[serde(rename = "wininet.h")]
    WinInetH,
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

/// Every named code, from the headers and from the curated table.
pub fn names() -> impl Iterator<Item = Named> {
    generated::NAMED.iter().copied().chain(
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
pub struct Explanation {
    /// As the user typed it.
    pub input: String,
    /// `0x800F0922`.
    pub code: String,
    /// The same value as a signed 32-bit number, as some logs print it.
    pub decimal: i32,
    /// Whether wufix's database has this code.
    pub known: bool,
    /// Symbolic names (a few codes have more than one), with where each comes from.
    pub names: Vec<NameRef>,
    pub meaning: Option<&'static str>,
    pub cause: Option<&'static str>,
    pub fix: Option<&'static str>,
    pub anatomy: Anatomy,
    /// Windows' own text for the code (FormatMessage), on Windows only.
    pub system_message: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NameRef {
    pub name: &'static str,
    pub source: Source,
}

/// Explain a parsed code.
pub fn explain(input: &str, code: u32) -> Explanation {
    let mut found: Vec<NameRef> = Vec::new();
    for named in names().filter(|n| n.code == code) {
        if !found.iter().any(|n| n.name == named.name) {
            found.push(NameRef {
                name: named.name,
                source: named.source,
            });
        }
    }
    let advice = advice(code);
    Explanation {
        input: input.to_string(),
        code: format!("0x{code:08X}"),
        decimal: code as i32,
        known: !found.is_empty() || advice.is_some(),
        names: found,
        meaning: advice.map(|a| a.meaning),
        cause: advice.map(|a| a.cause),
        fix: advice.map(|a| a.fix),
        anatomy: Anatomy::of(code),
        system_message: crate::sys::system_message(code),
    }
}

/// The curated advice for a code, if any.
pub fn advice(code: u32) -> Option<&'static Advice> {
    curated::ADVICE.iter().find(|a| a.code == code)
}

/// The result of `wufix explain`.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainReport {
    pub ok: bool,
    pub command: &'static str,
    pub codes: Vec<Explanation>,
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
        assert_eq!(e.decimal, -2146498270);
        assert!(e.fix.unwrap().contains("DISM"));
        let reset = explain("0x80242006", 0x80242006);
        assert!(reset.fix.unwrap().contains("wufix reset"));
    }

    #[test]
    fn an_unknown_code_still_has_its_anatomy() {
        let e = explain("0x80070001", 0x80070001);
        assert!(!e.known);
        assert_eq!(e.anatomy.win32_error, Some(1));
        assert!(e.meaning.is_none());
    }
}
