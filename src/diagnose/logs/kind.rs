//! What a handed file is, told by its content (never its name): the first lines, cleaned of an
//! editor's prefixes, name the component that wrote them.

use crate::diagnose::servicing_logs::handed::Cleaner;
use crate::diagnose::servicing_logs::line;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LogKind {
    /// CBS.log, CbsPersist_*.log, an sfcdetails.txt-style extract.
    Cbs,
    Dism,
    /// Windows Setup's setupact.log or setuperr.log.
    Setup,
    /// Sysprep's setupact.log.
    Sysprep,
    /// SetupDiag's results file.
    Setupdiag,
    /// The text `Get-WindowsUpdateLog` writes.
    WindowsUpdate,
    /// Nothing wufix reads.
    Unrecognised,
}

/// Lines looked at to tell what a file is.
pub const SNIFF_LINES: usize = 400;

/// Tells the kind from the first lines (already decoded).
pub fn recognise<'a>(lines: impl IntoIterator<Item = &'a str>) -> LogKind {
    let mut cleaner = Cleaner::default();
    let mut votes = [0usize; 6];
    for raw in lines.into_iter().take(SNIFF_LINES) {
        if raw.contains("<SetupDiag") {
            return LogKind::Setupdiag;
        }
        if is_wu_line(raw.trim_start()) {
            votes[5] += 1;
            continue;
        }
        let text = cleaner.line(raw);
        let Some(l) = line::parse(&text) else {
            continue;
        };
        let slot = match l.component {
            "CBS" | "CSI" | "SXS" | "TI" => 0,
            "DISM" => 1,
            "MOUPG" | "SP" | "SETUP" | "CONX" | "PANTHR" | "MIG" => 2,
            "SYSPRP" => 3,
            _ => continue,
        };
        votes[slot] += 1;
        // `[SR]` lines are CBS.log's (an sfcdetails.txt extract holds nothing else).
        if l.message.contains("[SR]") {
            votes[0] += 1;
        }
    }
    let (best, n) = votes
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .expect("six kinds");
    if *n == 0 {
        return LogKind::Unrecognised;
    }
    [
        LogKind::Cbs,
        LogKind::Dism,
        LogKind::Setup,
        LogKind::Sysprep,
        LogKind::Setupdiag,
        LogKind::WindowsUpdate,
    ][best]
}

/// `2026/11/20 08:15:00.1234567 1234  5678  Agent …`: Get-WindowsUpdateLog's line.
pub fn is_wu_line(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() > 20
        && digits(0..4)
        && b[4] == b'/'
        && digits(5..7)
        && b[7] == b'/'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_by_its_lines_whatever_the_file_is_called() {
        let cbs = [
            "2026-11-20 08:15:00, Info                  CBS    Session: 1_1 initialized by client WindowsUpdateAgent",
        ];
        assert_eq!(recognise(cbs), LogKind::Cbs);
        let sfc = [
            "2026-11-20 08:15:00, Info                  CSI    00000008 [SR] Cannot repair member file [l:10]'winlogon.exe'",
        ];
        assert_eq!(recognise(sfc), LogKind::Cbs);
        let pasted = [
            "\tLine 118: Error                 CBS    Failed to resolve package 'X' [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]",
        ];
        assert_eq!(recognise(pasted), LogKind::Cbs);
        let dism = [
            "2026-11-20 08:15:00, Info                  DISM   DISM.EXE: <----- Starting Dism.exe session ----->",
        ];
        assert_eq!(recognise(dism), LogKind::Dism);
        let setup = [
            "2026-05-14 10:31:07, Info                  MOUPG  SetupHost::Execute(513): Result = 0xC1900101",
        ];
        assert_eq!(recognise(setup), LogKind::Setup);
        let sysprep = [
            "2026-08-01 09:00:02, Error                 SYSPRP ActionListManager::ExecuteSysprepActions: Result = 0x80073CF2",
        ];
        assert_eq!(recognise(sysprep), LogKind::Sysprep);
        assert_eq!(
            recognise(["<?xml version=\"1.0\"?>", "<SetupDiag xmlns=\"x\">"]),
            LogKind::Setupdiag
        );
        let wu = [
            "2026/11/20 08:15:00.1234567 1234  5678  Agent           *FAILED* [80240022] Method failed",
        ];
        assert_eq!(recognise(wu), LogKind::WindowsUpdate);
        assert_eq!(
            recognise(["my shopping list", "eggs"]),
            LogKind::Unrecognised
        );
    }
}
