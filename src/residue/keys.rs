//! The registry keys of the update services locked by a blocker (Windows Update Blocker and
//! scripts like it): a deny entry, SYSTEM or Administrators granted nothing, or an owner other
//! than SYSTEM, Administrators or a service. Read on a running Windows only (a disk's
//! hives are read without their descriptors). What puts one back keeps every grant that is not
//! a deny, gives SYSTEM full control, Administrators full control where they had nothing, and a
//! foreign key to Administrators; the DACL's own flags (protected, inherited) stay as they were.

use crate::sddl::{self, Ace};

/// Full control of a key (`KA`), and generic all, which includes it.
const KEY_ALL: u32 = 0xF_003F;
const GENERIC_ALL: u32 = 0x1000_0000;

/// A descriptor's owner (`O:`) and DACL (`D:…`), as SDDL parts.
pub struct Parts<'a> {
    pub owner: Option<&'a str>,
    pub dacl: Option<&'a str>,
}

pub fn split(sd: &str) -> Parts<'_> {
    let at = |tag: &str| sd.find(tag);
    let end_of = |start: usize| {
        ["O:", "G:", "D:", "S:"]
            .iter()
            .filter_map(|t| sd[start..].find(t).map(|i| start + i))
            .min()
            .unwrap_or(sd.len())
    };
    let owner = at("O:").map(|i| &sd[i + 2..end_of(i + 2)]);
    let dacl = at("D:").map(|i| &sd[i..end_of(i + 2)]);
    Parts { owner, dacl }
}

fn account(written: &str) -> String {
    sddl::sid_of(&written.to_ascii_uppercase()).to_string()
}

/// SYSTEM, Administrators, or a service's own SID (TrustedInstaller's among them).
fn trusted_owner(owner: &str) -> bool {
    let sid = account(owner);
    matches!(sid.as_str(), "S-1-5-18" | "S-1-5-32-544") || sid.starts_with("S-1-5-80-")
}

fn full_control(aces: &[Ace], sid: &str) -> bool {
    aces.iter()
        .filter(|a| a.kind == "A" && a.account() == sid && !a.flags.contains("IO"))
        .any(|a| a.rights & KEY_ALL == KEY_ALL || a.rights & GENERIC_ALL != 0)
}

/// What is wrong with the descriptor `sd`, in words; empty when nothing is.
pub fn problems(sd: &str) -> Vec<String> {
    let parts = split(sd);
    let mut out = Vec::new();
    if let Some(owner) = parts.owner.filter(|o| !trusted_owner(o)) {
        out.push(format!("owned by {owner}"));
    }
    let Some(Ok(aces)) = parts.dacl.map(sddl::parse) else {
        return out;
    };
    let denies: Vec<&str> = aces
        .iter()
        .filter(|a| a.kind == "D")
        .map(|a| a.sid.as_str())
        .collect();
    if !denies.is_empty() {
        out.push(format!("denies {}", denies.join(", ")));
    }
    for (alias, sid) in [("SYSTEM", "S-1-5-18"), ("Administrators", "S-1-5-32-544")] {
        if !granted(&aces, sid) {
            out.push(format!("nothing granted to {alias}"));
        }
    }
    out
}

/// Whether `sid` is allowed anything on the key itself. Only a grant taken away counts: some
/// keys Windows protects (WaaSMedicSvc's) give Administrators less than full control by design,
/// and that is not a blocker's lock.
fn granted(aces: &[Ace], sid: &str) -> bool {
    aces.iter()
        .any(|a| a.kind == "A" && a.account() == sid && !a.flags.contains("IO") && a.rights != 0)
}

/// The descriptor that puts `sd` back: denies gone, every other entry kept, SYSTEM's full control
/// and (where they had nothing) Administrators' added, a foreign owner replaced by Administrators.
/// `None` when `sd` cannot be read as SDDL (it is then left alone).
pub fn repaired(sd: &str) -> Option<String> {
    let parts = split(sd);
    let dacl = parts.dacl?;
    let mut aces = sddl::parse(dacl).ok()?;
    // Object and conditional entries carry fields this does not write back: left alone.
    if aces.iter().any(|a| a.kind != "A" && a.kind != "D") {
        return None;
    }
    let flags_end = dacl.find('(').unwrap_or(dacl.len());
    let flags = &dacl[2..flags_end];
    aces.retain(|a| a.kind != "D");
    // SYSTEM has full control of every service key; Administrators get it back only where the
    // lock took every grant from them (a protected key's lesser grant is Windows' own).
    for sid in ["SY", "BA"] {
        let missing = if sid == "SY" {
            !full_control(&aces, &account(sid))
        } else {
            !granted(&aces, &account(sid))
        };
        if missing {
            aces.push(Ace {
                kind: "A".into(),
                flags: "CI".into(),
                rights: KEY_ALL,
                sid: sid.into(),
            });
        }
    }
    let owner = match parts.owner {
        Some(owner) if trusted_owner(owner) => format!("O:{owner}"),
        _ => "O:BA".to_string(),
    };
    let entries: String = aces
        .iter()
        .map(|a| {
            format!(
                "({};{};{};;;{})",
                a.kind,
                a.flags,
                key_rights(a.rights),
                a.sid
            )
        })
        .collect();
    Some(format!("{owner}D:{flags}{entries}"))
}

/// The same owner and the same entries, however Windows writes them back (order, aliases or
/// SIDs, rights by name or number): what undo compares a live descriptor with.
pub fn same(a: &str, b: &str) -> bool {
    let norm = |sd: &str| {
        let parts = split(sd);
        let owner = parts.owner.map(account);
        let mut aces: Vec<(String, String, u32, String)> = parts
            .dacl
            .and_then(|d| sddl::parse(d).ok())?
            .into_iter()
            .map(|a| {
                let mut flags: Vec<char> = a.flags.chars().collect();
                flags.sort_unstable();
                let sid = a.account().to_string();
                (a.kind, flags.into_iter().collect(), a.rights, sid)
            })
            .collect();
        aces.sort();
        Some((owner, aces))
    };
    match (norm(a), norm(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// `sd` with Administrators as owner and in full control, everything else kept: for one write
/// to a key Windows lets them only read (WaaSMedicSvc's), put back right after.
pub fn opened_for_administrators(sd: &str) -> Option<String> {
    let parts = split(sd);
    let dacl = parts.dacl?;
    let aces = sddl::parse(dacl).ok()?;
    if aces.iter().any(|a| a.kind != "A" && a.kind != "D") {
        return None;
    }
    let end = dacl.rfind(')').map_or(dacl.len(), |i| i + 1);
    Some(format!("O:BA{}(A;CI;KA;;;BA)", &dacl[..end]))
}

/// A key's access mask as SDDL writes it: a key right's name, else the number.
fn key_rights(mask: u32) -> String {
    match mask {
        KEY_ALL => "KA".into(),
        0x2_0019 => "KR".into(),
        0x2_0006 => "KW".into(),
        GENERIC_ALL => "GA".into(),
        0x8000_0000 => "GR".into(),
        _ => format!("0x{mask:x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blockers_lock_is_named_and_put_back_keeping_every_other_grant() {
        let locked = "O:S-1-5-21-1-2-3-1001D:PAI(D;CI;KA;;;WD)(A;CI;KR;;;BU)(A;CI;KR;;;BA)";
        assert_eq!(
            problems(locked),
            [
                "owned by S-1-5-21-1-2-3-1001",
                "denies WD",
                "nothing granted to SYSTEM"
            ]
        );
        let fixed = repaired(locked).unwrap();
        // Administrators kept their read: a lesser grant is not a lock.
        assert_eq!(fixed, "O:BAD:PAI(A;CI;KR;;;BU)(A;CI;KR;;;BA)(A;CI;KA;;;SY)");
        assert!(problems(&fixed).is_empty(), "{fixed}");
        // As Windows may read it back: SIDs for aliases, another order, rights as numbers.
        let read_back = "O:S-1-5-32-544D:PAI(A;CI;KA;;;S-1-5-18)(A;CI;0x20019;;;BU)(A;CI;KR;;;BA)";
        assert!(same(&fixed, read_back));
        assert!(!same(&fixed, locked));
    }

    #[test]
    fn windows_own_descriptors_are_left_as_they_are() {
        // A service key as Windows ships it (inherited from Services), and one owned by
        // TrustedInstaller's service SID.
        for sd in [
            "O:SYG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;GA;;;CO)",
            "O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:P(A;CI;GA;;;SY)(A;CI;KA;;;BA)",
        ] {
            assert!(problems(sd).is_empty(), "{sd}: {:?}", problems(sd));
        }
        // WaaSMedicSvc's kind: Administrators may only read (Windows' own protection).
        assert!(problems("O:SYD:P(A;CI;KA;;;SY)(A;CI;KR;;;BA)(A;CI;KR;;;BU)").is_empty());
        // A grant only for sub-keys (inherit-only) is no grant on the key.
        assert_eq!(
            problems("O:BAD:(A;CIIO;KA;;;SY)(A;;KA;;;BA)"),
            ["nothing granted to SYSTEM"]
        );
        // Every grant taken from Administrators: given full control back.
        assert_eq!(
            repaired("O:SYD:(A;;KA;;;SY)(D;;KA;;;BA)").unwrap(),
            "O:SYD:(A;;KA;;;SY)(A;CI;KA;;;BA)"
        );
        assert_eq!(repaired("not sddl"), None);
        assert_eq!(
            repaired("O:BAD:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(D;;KA;;;WD)"),
            None
        );
    }
}
