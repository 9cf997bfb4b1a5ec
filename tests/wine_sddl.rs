//! wufix's own model of a service DACL (`sddl`, OS-independent, unit-tested on Linux)
//! cross-checked with Windows' reading of the same text (`ConvertStringSecurityDescriptor…` and
//! back) under Wine, on a corpus: every entry is the same kind, flags, rights and account either
//! way, and the DACL wufix would write reads back as itself. Windows build only.
#![cfg(windows)]

use wufix::sddl;

const CORPUS: &[&str] = &[
    // Microsoft's published defaults.
    "D:(A;CI;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)",
    "D:(A;;CCLCSWRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)",
    // What update blockers leave: denies, Everyone with full control, SIDs instead of aliases.
    "D:(D;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)(A;;CCLCSWLOCRRC;;;SY)",
    "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-1-0)(A;;0x2001d;;;S-1-5-18)",
    "D:(A;;RPWPCR;;;S-1-5-21-1-2-3-1001)(A;;GA;;;BA)",
    // Flags before the entries, an inherited-only entry.
    "D:P(A;OICI;GA;;;SY)(A;IO;GR;;;AU)",
];

fn entries(sddl_text: &str) -> Vec<(String, String, u32, String)> {
    sddl::parse(sddl_text)
        .unwrap()
        .into_iter()
        .map(|a| {
            let account = a.account().to_string();
            (a.kind, a.flags, a.rights, account)
        })
        .collect()
}

#[test]
fn wufixs_reading_of_a_dacl_is_windows_own() {
    for text in CORPUS {
        let system = wufix::sys::windows::canonical_dacl(text).expect("Windows reads it");
        assert_eq!(
            entries(text),
            entries(&system),
            "{text} read back as {system}"
        );
    }
    // What a repair writes is read back by Windows as the same DACL.
    let default = sddl::default_for("wuauserv").unwrap();
    for live in CORPUS {
        let repaired = sddl::assess(live, default).unwrap().repaired;
        let system = wufix::sys::windows::canonical_dacl(&repaired).unwrap();
        assert_eq!(
            entries(&repaired),
            entries(&system),
            "{repaired} → {system}"
        );
        assert!(
            !sddl::assess(&system, default).unwrap().differs(),
            "{system}"
        );
    }
}
