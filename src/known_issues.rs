//! Microsoft's own bugs behind update failures: a dated table kept as data
//! (`data/known-issues.json`, schema in `docs/schema/known-issues.schema.json`), embedded at build
//! time so it works offline. An entry matches a failure by its update (KB) or by the package's
//! build and UBR, and by its code; a match replaces the code's generic advice, because for these
//! the cure is Microsoft's (a restart, a replacement update, a Known Issue Rollback), not a repair.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const TABLE: &str = include_str!("../data/known-issues.json");

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    pub about: String,
    /// When the whole table was last checked against its sources: `YYYY-MM` or `YYYY-MM-DD`.
    pub checked: String,
    pub entries: Vec<KnownIssue>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KnownIssue {
    /// Stable, lower-case, for fleets to group by.
    pub id: String,
    pub title: String,
    /// The updates it concerns: `KB5034441`.
    pub kbs: Vec<String>,
    /// Cumulative updates as CBS.log names them (`Package_for_RollupFix~…~19041.5131.1.10`):
    /// a build and a UBR range, where the source gives them.
    pub packages: Vec<BuildRange>,
    /// The codes it shows as: `0x80070643`. Empty: it matches an update whatever its code.
    pub codes: Vec<String>,
    pub symptom: String,
    /// `YYYY-MM`.
    pub since: String,
    pub action: Action,
    /// The update that fixes it, where there is one.
    pub fixed_in: Option<String>,
    pub source: SourceRef,
    /// When this entry was last checked against its source: `YYYY-MM` or `YYYY-MM-DD`.
    pub checked: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BuildRange {
    /// The build: `19041` (Windows 10 22H2's packages carry 19041), `26100`.
    pub build: u32,
    pub ubr_from: u32,
    pub ubr_to: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub kind: ActionKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Restart,
    InstallUpdate,
    KnownIssueRollback,
    FreePartitionSpace,
    ResizeRecovery,
    UpdateSoftware,
    Wait,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub url: String,
    pub title: String,
    /// `microsoft`: Microsoft's own page; `news`: a third party's report of Microsoft's word.
    pub confidence: Confidence,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Microsoft,
    News,
}

/// The table wufix carries. A malformed table is a build defect the integrity test catches, so
/// a failure to read it here is a panic, not a runtime state.
pub fn table() -> &'static Table {
    static PARSED: OnceLock<Table> = OnceLock::new();
    PARSED.get_or_init(|| parse(TABLE).expect("data/known-issues.json is valid"))
}

pub fn parse(text: &str) -> Result<Table, serde_json::Error> {
    serde_json::from_str(text)
}

/// A failure as the known-issue table can match it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Failure<'a> {
    pub code: Option<u32>,
    /// `KB5046613`.
    pub kb: Option<&'a str>,
    /// A CBS package name or version: `Package_for_RollupFix~…~19041.5131.1.10`, `19041.5131.1.10`.
    pub package: Option<&'a str>,
}

impl KnownIssue {
    fn has_code(&self, code: u32) -> bool {
        let key = crate::code::lookup_value(code);
        self.codes.iter().any(|c| code_value(c) == Some(key))
    }

    /// Whether `failure` is this issue: the same update (by KB, or by the package's build and
    /// UBR), and one of its codes when it lists any.
    pub fn matches(&self, failure: &Failure) -> bool {
        let update = failure
            .kb
            .is_some_and(|kb| self.kbs.iter().any(|k| k.eq_ignore_ascii_case(kb)))
            || failure
                .package
                .and_then(build_of)
                .is_some_and(|(build, ubr)| {
                    self.packages
                        .iter()
                        .any(|r| r.build == build && (r.ubr_from..=r.ubr_to).contains(&ubr))
                });
        let code = self.codes.is_empty() || failure.code.is_some_and(|c| self.has_code(c));
        update && code
    }
}

/// The entries that list `code`, for `explain`.
pub fn for_code(table: &Table, code: u32) -> Vec<&KnownIssue> {
    table.entries.iter().filter(|e| e.has_code(code)).collect()
}

/// The first entry `failure` is.
pub fn find<'t>(table: &'t Table, failure: &Failure) -> Option<&'t KnownIssue> {
    table.entries.iter().find(|e| e.matches(failure))
}

/// The KB number in a package name or an update's title: `KB5046613` (six or seven digits).
pub fn kb_in(text: &str) -> Option<&str> {
    text.match_indices("KB").find_map(|(at, _)| {
        let digits = text[at + 2..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        (digits >= 6).then(|| &text[at..at + 2 + digits])
    })
}

/// `0x80070643` as a number.
pub fn code_value(text: &str) -> Option<u32> {
    let hex = text.strip_prefix("0x")?;
    (hex.len() == 8)
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

/// The build and UBR of a package version at the end of a CBS package name: `…~19041.5131.1.10`
/// or `Package_for_RollupFix 19041.5131.1.10` gives (19041, 5131).
pub fn build_of(package: &str) -> Option<(u32, u32)> {
    let version = package.rsplit(['~', ' ']).next()?;
    let mut parts = version.split('.');
    let build = parts.next()?.parse().ok()?;
    let ubr = parts.next()?.parse().ok()?;
    Some((build, ubr))
}

#[cfg(test)]
mod tests;
