//! Where `wufix repair` starts for each code the advice table knows: the rung that cures it, the
//! network steps, or nothing wufix can do (then the advice's own fix is the answer). `repair
//! --for`, `repair` without it (the newest failure `diagnose` finds) and `explain` all read it.

use serde::Serialize;

use crate::ladder::{Rung, Start};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Residue,
    Light,
    Full,
    Deep,
    Network,
    Manual,
}

const TABLE: &[(u32, Kind)] = &[
    // A service disabled, DoSvc turned off: what update blockers leave.
    (0x80070422, Kind::Residue),
    (0x80004002, Kind::Residue),
    // The component store: DISM first.
    (0x800F0922, Kind::Deep),
    (0x800F081F, Kind::Deep),
    (0x800F0831, Kind::Deep),
    (0x800F0825, Kind::Deep),
    (0x800F0982, Kind::Deep),
    (0x800F0984, Kind::Deep),
    (0x800F0986, Kind::Deep),
    (0x80073712, Kind::Deep),
    (0x80073701, Kind::Deep),
    (0x8007371B, Kind::Deep),
    (0x800736CC, Kind::Deep),
    (0x80070490, Kind::Deep),
    (0x80070424, Kind::Deep),
    (0x800F0991, Kind::Deep),
    (0x800F0993, Kind::Deep),
    (0x800F0915, Kind::Deep),
    (0x80070306, Kind::Deep),
    (0x80070302, Kind::Deep),
    // The cache, the catalog database and the download queue.
    (0x80070002, Kind::Light),
    (0x80070003, Kind::Light),
    (0x8007000D, Kind::Light),
    (0x800706BE, Kind::Light),
    (0x800B0100, Kind::Light),
    (0x80240034, Kind::Light),
    (0x80246007, Kind::Light),
    (0x80246008, Kind::Light),
    (0x8024001E, Kind::Light),
    (0x80242006, Kind::Light),
    (0x8024000E, Kind::Light),
    (0x8024000B, Kind::Light),
    (0x8024D009, Kind::Light),
    (0x80200053, Kind::Light),
    (0x80070246, Kind::Light),
    (0x80245FFF, Kind::Light),
    // Access denied: the services' permissions.
    (0x80070005, Kind::Full),
    // Network and proxy.
    (0x80072EE2, Kind::Network),
    (0x80072EFD, Kind::Network),
    (0x80072EFE, Kind::Network),
    (0x80072EE7, Kind::Network),
    (0x8024402C, Kind::Network),
    (0x8024401B, Kind::Network),
    (0x8024402F, Kind::Network),
    (0x80D02002, Kind::Network),
    // Not a repair wufix makes: the advice's fix is what to do.
    (0x800F0821, Kind::Manual),
    (0x800F0920, Kind::Manual),
    (0x80070020, Kind::Manual),
    (0x80070070, Kind::Manual),
    (0x80070570, Kind::Manual),
    (0x80070BC9, Kind::Manual),
    (0x800705B4, Kind::Manual),
    (0x800B0101, Kind::Manual),
    (0x80072F8F, Kind::Manual),
    (0x80244022, Kind::Manual),
    (0x80244007, Kind::Manual),
    (0x80240022, Kind::Manual),
    (0x8024002E, Kind::Manual),
    (0x80240020, Kind::Manual),
    (0x80242014, Kind::Manual),
    (0x8024A10A, Kind::Manual),
    (0x80240017, Kind::Manual),
    (0x00240006, Kind::Manual),
    (0x80246017, Kind::Manual),
    (0xC1900101, Kind::Manual),
    (0xC1900107, Kind::Manual),
    (0xC190020E, Kind::Manual),
    (0x800F0923, Kind::Manual),
    (0xC1800118, Kind::Manual),
    // Partitions, Microsoft's own bugs and a cleanup DISM's repair does not run.
    (0x80070643, Kind::Manual),
    (0x80240069, Kind::Manual),
    (0x800F0988, Kind::Manual),
];

/// Where a repair for `code` starts; `None` for a code the advice table does not know.
pub fn start_for(code: u32) -> Option<Start> {
    let key = super::lookup_value(code);
    let kind = TABLE.iter().find(|(c, _)| *c == key)?.1;
    Some(match kind {
        Kind::Residue => Start::At(Rung::Residue),
        Kind::Light => Start::At(Rung::Light),
        Kind::Full => Start::At(Rung::Full),
        Kind::Deep => Start::At(Rung::Deep),
        Kind::Network => Start::Network,
        Kind::Manual => Start::Manual(super::advice(key).map_or("", |a| a.fix)),
    })
}

/// Whether a reset of the folders alone cures `code`: `yes` for the cache's own failures,
/// `sometimes` where the repair that cures it includes a reset (the services' permissions),
/// `no` for the component store, the network and what only a person fixes, `unknown` for a code
/// with no advice.
pub fn reset_helps(code: u32) -> &'static str {
    let key = super::lookup_value(code);
    match TABLE.iter().find(|(c, _)| *c == key).map(|(_, k)| *k) {
        Some(Kind::Light) => "yes",
        Some(Kind::Full) => "sometimes",
        Some(Kind::Residue | Kind::Deep | Kind::Network | Kind::Manual) => "no",
        None => "unknown",
    }
}

/// What `explain` says about repairing a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RepairHint {
    /// `light`, `full`, `deep`, `network`, or `none` (not a wufix repair).
    pub starts_at: &'static str,
    /// The command to run; `None` when wufix cannot repair it.
    pub command: Option<String>,
    pub note: String,
}

pub fn hint(code: u32) -> Option<RepairHint> {
    let start = start_for(code)?;
    let hex = format!("0x{:08X}", super::lookup_value(code));
    let (command, note) = match start {
        Start::At(Rung::Deep) => {
            let command = format!("wufix repair --for {hex} --up-to deep");
            let note = format!(
                "`{command}` starts at the deep rung: DISM repairs the component store, then sfc the system files"
            );
            (Some(command), note)
        }
        Start::At(rung) => {
            let command = format!("wufix repair --for {hex}");
            let note = format!(
                "`{command}` starts at the {} rung: it {}",
                rung.as_str(),
                rung.summary()
            );
            (Some(command), note)
        }
        Start::Network => {
            let command = format!("wufix repair --for {hex} --network");
            let note = format!(
                "a network or proxy failure: folder resets do not cure it. Check the proxy and DNS first; `{command}` resets Winsock and the WinHTTP proxy (undo puts the proxy back)"
            );
            (Some(command), note)
        }
        Start::Manual(_) => (
            None,
            "not a wufix repair: the fix above is what to do".to_string(),
        ),
    };
    Some(RepairHint {
        starts_at: start.as_str(),
        command,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_with_a_remedy_has_a_rung_or_says_it_is_not_a_wufix_repair() {
        for advice in super::super::curated::ADVICE {
            let start = start_for(advice.code);
            assert!(
                start.is_some(),
                "0x{:08X} has advice but no rung",
                advice.code
            );
            if let Some(Start::Manual(fix)) = start {
                assert_eq!(fix, advice.fix, "0x{:08X}", advice.code);
            }
        }
        for (code, _) in TABLE {
            assert!(
                super::super::advice(*code).is_some(),
                "0x{code:08X} has a rung but no advice"
            );
        }
    }

    #[test]
    fn the_issue_codes_point_where_the_evidence_says() {
        assert_eq!(start_for(0x800F081F), Some(Start::At(Rung::Deep)));
        assert_eq!(start_for(0x80073712), Some(Start::At(Rung::Deep)));
        assert_eq!(start_for(0x8024402C), Some(Start::Network));
        assert_eq!(start_for(0x80072EFD), Some(Start::Network));
        assert_eq!(start_for(0x80070002), Some(Start::At(Rung::Light)));
        // A bare Win32 number is looked up as the HRESULT wrapping it.
        assert_eq!(start_for(2), Some(Start::At(Rung::Light)));
        assert!(matches!(start_for(0x80070070), Some(Start::Manual(fix)) if fix.contains("10 GB")));
        assert_eq!(start_for(0x12345678), None);
        let h = hint(0x800F081F).unwrap();
        assert_eq!(h.starts_at, "deep");
        assert_eq!(
            h.command.as_deref(),
            Some("wufix repair --for 0x800F081F --up-to deep")
        );
        assert_eq!(hint(0x80070070).unwrap().command, None);
    }

    #[test]
    fn the_2024_2026_codes_are_known_and_none_is_sent_to_a_reset() {
        for code in [
            0x80240069, 0x80070306, 0x80070302, 0x800F0991, 0x800F0993, 0x800F0915, 0x800F0988,
            0x80070643, 0x800F0922, 0x80073712, 0x800F081F,
        ] {
            assert!(super::super::advice(code).is_some(), "0x{code:08X}");
            assert_eq!(reset_helps(code), "no", "0x{code:08X}");
            assert_ne!(
                start_for(code),
                Some(Start::At(Rung::Light)),
                "0x{code:08X}"
            );
        }
        // Where the answer is no, the light rung (a reset) is never the pointer.
        for (code, _) in TABLE {
            if reset_helps(*code) == "no" {
                assert!(!matches!(start_for(*code), Some(Start::At(Rung::Light))));
            }
        }
        // 0x80070643 is answered by its advice: the recovery partition, not a generic Win32 text.
        let advice = super::super::advice(0x80070643).unwrap();
        assert!(advice.cause.contains("recovery partition") && advice.fix.contains("KB5028997"));
        assert!(
            matches!(start_for(0x80070643), Some(Start::Manual(fix)) if fix.contains("KB5034957"))
        );
    }
}
