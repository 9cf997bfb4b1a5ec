//! Permissions as SDDL: Windows' default DACLs for the update services, the comparison
//! of a live DACL with them, and the DACL wufix writes when they differ. Never a blind overwrite
//! (Microsoft warns `sc sdset` replaces whatever an organisation set): the default's grants are
//! restored, deny entries removed, and every other grant kept, minus any right that would let a
//! non-administrator reconfigure the service.

/// The default DACL of each service wufix checks, where Microsoft publishes one (its Windows
/// Update reset procedure). CryptSvc's and TrustedInstaller's are not published: they are read
/// and recorded, never written.
pub const DEFAULTS: &[(&str, Option<&str>)] = &[
    (
        "bits",
        Some(
            "D:(A;CI;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)",
        ),
    ),
    (
        "wuauserv",
        Some(
            "D:(A;;CCLCSWRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)",
        ),
    ),
    ("cryptsvc", None),
    ("trustedinstaller", None),
];

const RIGHTS: &[(&str, u32)] = &[
    ("CC", 0x1),
    ("DC", 0x2),
    ("LC", 0x4),
    ("SW", 0x8),
    ("RP", 0x10),
    ("WP", 0x20),
    ("DT", 0x40),
    ("LO", 0x80),
    ("CR", 0x100),
    ("SD", 0x1_0000),
    ("RC", 0x2_0000),
    ("WD", 0x4_0000),
    ("WO", 0x8_0000),
    ("GA", 0x1000_0000),
    ("GX", 0x2000_0000),
    ("GW", 0x4000_0000),
    ("GR", 0x8000_0000),
    ("FA", 0x1F_01FF),
    ("FR", 0x12_0089),
    ("FW", 0x12_0116),
    ("FX", 0x12_00A0),
    ("KA", 0xF_003F),
    ("KR", 0x2_0019),
    ("KW", 0x2_0006),
    ("KX", 0x2_0019),
];

/// Rights that let a holder reconfigure a service (its program, its account) or its
/// permissions: change config, delete, write DAC, write owner, generic all, generic write.
const PRIVILEGED: u32 = 0x2 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000;

/// One access control entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ace {
    /// `A` (allow), `D` (deny) or another type, upper case.
    pub kind: String,
    pub flags: String,
    pub rights: u32,
    /// The account as written: an SDDL alias (`SY`, `BA`) or a SID string, upper case.
    pub sid: String,
}

/// The SDDL aliases of the accounts a service's DACL names, with their SIDs: one account
/// written two ways (`SY`, `S-1-5-18`) is one account.
const ALIASES: &[(&str, &str)] = &[
    ("SY", "S-1-5-18"),
    ("BA", "S-1-5-32-544"),
    ("BU", "S-1-5-32-545"),
    ("AU", "S-1-5-11"),
    ("IU", "S-1-5-4"),
    ("SU", "S-1-5-6"),
    ("NU", "S-1-5-2"),
    ("WD", "S-1-1-0"),
    ("LS", "S-1-5-19"),
    ("NS", "S-1-5-20"),
    ("PU", "S-1-5-32-547"),
    ("SO", "S-1-5-32-549"),
    ("AO", "S-1-5-32-548"),
    ("IS", "S-1-5-32-568"),
    ("RD", "S-1-5-32-555"),
    ("AC", "S-1-15-2-1"),
];

impl Ace {
    /// The account as a SID string, whichever way it was written.
    pub fn account(&self) -> &str {
        sid_of(&self.sid)
    }
}

/// The SID string of an account written as an alias or a SID (upper case).
pub fn sid_of(written: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == written)
        .map_or(written, |(_, sid)| sid)
}

/// A DACL's entries, in order; `Err` for text that is not a DACL.
pub fn parse(sddl: &str) -> Result<Vec<Ace>, String> {
    let text = sddl.trim();
    let body = text
        .strip_prefix("D:")
        .ok_or_else(|| format!("not a DACL: {text}"))?;
    // Flags (P, AI, AR, NO_ACCESS_CONTROL) come before the first entry.
    let first = body.find('(').unwrap_or(body.len());
    let mut aces = Vec::new();
    let mut rest = &body[first..];
    while !rest.is_empty() {
        let end = rest
            .find(')')
            .ok_or_else(|| format!("unterminated entry in {text}"))?;
        let inner = rest
            .strip_prefix('(')
            .ok_or_else(|| format!("unexpected text in {text}"))?;
        let fields: Vec<&str> = inner[..end - 1].split(';').collect();
        if fields.len() < 6 {
            return Err(format!("malformed entry ({}) in {text}", &inner[..end - 1]));
        }
        aces.push(Ace {
            kind: fields[0].to_ascii_uppercase(),
            flags: fields[1].to_ascii_uppercase(),
            rights: parse_rights(fields[2])
                .ok_or_else(|| format!("unknown rights {}", fields[2]))?,
            sid: fields[5].to_ascii_uppercase(),
        });
        rest = &rest[end + 1..];
    }
    Ok(aces)
}

fn parse_rights(text: &str) -> Option<u32> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if text.len() % 2 != 0 {
        return None;
    }
    let mut mask = 0;
    for pair in text.as_bytes().chunks(2) {
        let code = std::str::from_utf8(pair).ok()?.to_ascii_uppercase();
        mask |= RIGHTS.iter().find(|(c, _)| *c == code)?.1;
    }
    Some(mask)
}

fn render_rights(mask: u32) -> String {
    let mut left = mask;
    let mut out = String::new();
    for (code, bit) in RIGHTS.iter().filter(|(_, b)| b.count_ones() == 1) {
        if left & bit != 0 {
            out.push_str(code);
            left &= !bit;
        }
    }
    if left != 0 {
        format!("0x{mask:x}")
    } else {
        out
    }
}

fn render(aces: &[Ace]) -> String {
    let mut out = String::from("D:");
    for ace in aces {
        out.push_str(&format!(
            "({};{};{};;;{})",
            ace.kind,
            ace.flags,
            render_rights(ace.rights),
            ace.sid
        ));
    }
    out
}

/// Accounts that hold full control of the update services by design: SYSTEM, Administrators,
/// and service SIDs (NT SERVICE\..., TrustedInstaller among them). `account` is a SID string.
fn trusted(account: &str) -> bool {
    matches!(account, "S-1-5-18" | "S-1-5-32-544") || account.starts_with("S-1-5-80-")
}

/// Grants of rights that let an untrusted account take over the service: each as `ACCOUNT
/// RIGHTS`. A DACL with any is never written by wufix, from a journal or otherwise.
pub fn takeover_grants(aces: &[Ace]) -> Vec<String> {
    aces.iter()
        .filter(|a| a.kind == "A" && !trusted(a.account()) && a.rights & PRIVILEGED != 0)
        .map(|a| format!("{} {}", a.sid, render_rights(a.rights & PRIVILEGED)))
        .collect()
}

/// How a live DACL compares with the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// Default grants the live DACL lacks, as `ACCOUNT RIGHTS`.
    pub missing: Vec<String>,
    /// Deny entries (the defaults have none).
    pub denies: Vec<String>,
    /// Grants that would let a non-administrator take the service over.
    pub takeovers: Vec<String>,
    /// The DACL to write when anything differs: the default's grants, plus every other allow
    /// entry without the takeover rights, one entry per account.
    pub repaired: String,
}

/// The command a person runs as SYSTEM to write `sddl` when wufix may not (the service's
/// permissions deny even reading them): `sc.exe sdset`, which replaces the whole DACL.
pub fn manual_step(service: &str, sddl: &str) -> String {
    format!(
        "as SYSTEM (for example `psexec -s cmd`), run `sc.exe sdset {service} \"{sddl}\"` — it replaces the whole DACL, so first save the current one with `sc.exe sdshow {service}` if it can be read"
    )
}

impl Assessment {
    pub fn differs(&self) -> bool {
        !(self.missing.is_empty() && self.denies.is_empty() && self.takeovers.is_empty())
    }

    /// The differences in words.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing {}", self.missing.join(", ")));
        }
        if !self.denies.is_empty() {
            parts.push(format!("denies {}", self.denies.join(", ")));
        }
        if !self.takeovers.is_empty() {
            parts.push(format!("lets {} reconfigure it", self.takeovers.join(", ")));
        }
        parts.join("; ")
    }
}

/// Compare `live` with `default`, account by account (an account is one whichever way it is
/// written, and whatever inheritance flags its entry carries: a service has no children).
pub fn assess(live: &str, default: &str) -> Result<Assessment, String> {
    let current = parse(live)?;
    let wanted = parse(default)?;
    let granted = |account: &str| -> u32 {
        current
            .iter()
            .filter(|a| a.kind == "A" && a.account() == account)
            .fold(0, |m, a| m | a.rights)
    };
    let missing = wanted
        .iter()
        .filter(|w| granted(w.account()) & w.rights != w.rights)
        .map(|w| {
            format!(
                "{} {}",
                w.sid,
                render_rights(w.rights & !granted(w.account()))
            )
        })
        .collect();
    let denies = current
        .iter()
        .filter(|a| a.kind != "A")
        .map(|a| format!("{} {}", a.sid, render_rights(a.rights)))
        .collect();
    let takeovers = takeover_grants(&current);
    let mut repaired: Vec<Ace> = wanted.clone();
    for ace in current.iter().filter(|a| a.kind == "A") {
        let rights = if trusted(ace.account()) {
            ace.rights
        } else {
            ace.rights & !PRIVILEGED
        };
        // Merged into the entry the account already has (the default's flags kept).
        match repaired.iter_mut().find(|r| r.account() == ace.account()) {
            Some(existing) => existing.rights |= rights,
            None if rights != 0 => repaired.push(Ace {
                rights,
                ..ace.clone()
            }),
            None => {}
        }
    }
    Ok(Assessment {
        missing,
        denies,
        takeovers,
        repaired: render(&repaired),
    })
}

/// The published default DACL of `service`, if wufix knows one.
pub fn default_for(service: &str) -> Option<&'static str> {
    DEFAULTS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(service))
        .and_then(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WUAUSERV: &str = "D:(A;;CCLCSWRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)";

    #[test]
    fn the_default_itself_matches_and_so_does_a_reordered_hex_copy_with_extra_harmless_grants() {
        for (_, default) in DEFAULTS {
            let Some(default) = default else { continue };
            assert!(!assess(default, default).unwrap().differs(), "{default}");
        }
        let live = "D:(A;;0xf01ff;;;SY)(A;;CCLCSWRPLORC;;;au)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLORC;;;S-1-5-80-1)(A;;RPWP;;;IU)";
        let a = assess(live, WUAUSERV).unwrap();
        assert!(!a.differs(), "{a:?}");
    }

    #[test]
    fn a_dacl_without_start_for_users_is_repaired_keeping_other_grants() {
        // Authenticated users may no longer start it: "access denied" when Windows Update starts it.
        let live = "D:(A;;CCLCSWLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCLCSWRPLORC;;;S-1-5-80-42)";
        let a = assess(live, WUAUSERV).unwrap();
        assert!(a.differs());
        assert_eq!(a.missing, ["AU RP"]);
        let repaired = parse(&a.repaired).unwrap();
        assert!(assess(&a.repaired, WUAUSERV).unwrap().missing.is_empty());
        assert!(
            repaired.iter().any(|r| r.sid == "S-1-5-80-42"),
            "{}",
            a.repaired
        );
    }

    #[test]
    fn denies_and_takeover_grants_are_removed_and_named() {
        let live = format!(
            "{}(D;;RP;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)",
            WUAUSERV
        );
        let a = assess(&live, WUAUSERV).unwrap();
        assert_eq!(a.denies, ["AU RP"]);
        assert_eq!(a.takeovers.len(), 1, "{a:?}");
        assert!(a.takeovers[0].starts_with("WD "), "{a:?}");
        let repaired = parse(&a.repaired).unwrap();
        assert!(repaired.iter().all(|r| r.kind == "A"));
        assert!(takeover_grants(&repaired).is_empty(), "{}", a.repaired);
        // Everyone keeps what is harmless (query, start), not the right to reconfigure.
        let wd = repaired.iter().find(|r| r.sid == "WD").unwrap();
        assert_eq!(wd.rights & PRIVILEGED, 0);
        assert_ne!(wd.rights & 0x10, 0);
    }

    #[test]
    fn an_empty_dacl_lacks_everything() {
        let a = assess("D:", WUAUSERV).unwrap();
        assert_eq!(a.missing.len(), 3);
        assert_eq!(parse(&a.repaired).unwrap(), parse(WUAUSERV).unwrap());
    }

    #[test]
    fn text_that_is_not_a_dacl_is_an_error_not_a_guess() {
        for bad in [
            "",
            "O:BA",
            "D:(A;;CCLC;;)",
            "D:(A;;ZZ;;;SY)",
            "D:(A;;CC;;;SY",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("D:PAI(A;;CC;;;SY)").is_ok());
    }

    #[test]
    fn one_account_is_one_entry_whatever_its_spelling_or_inheritance_flags() {
        // The bits default as Windows may give it back: no CI flag, SYSTEM as a SID string.
        let bits = default_for("bits").unwrap();
        let read_back = "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-18)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;S-1-5-4)(A;;CCLCSWLOCRRC;;;SU)";
        let a = assess(read_back, bits).unwrap();
        assert!(!a.differs(), "{a:?}");
        // Missing a default grant: repaired with one SYSTEM entry, not a second.
        let lacking = "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-18)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;SU)";
        let a = assess(lacking, bits).unwrap();
        assert_eq!(a.missing, ["IU CCLCSWLOCRRC"]);
        let repaired = parse(&a.repaired).unwrap();
        let system: Vec<&Ace> = repaired
            .iter()
            .filter(|e| e.account() == "S-1-5-18")
            .collect();
        assert_eq!(system.len(), 1, "{}", a.repaired);
        assert_eq!(system[0].flags, "CI", "the default's flags are kept");
        // A takeover grant is judged by the account, not by its spelling.
        let everyone = "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-1-0)";
        assert_eq!(takeover_grants(&parse(everyone).unwrap()).len(), 1);
        let system_sid = "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-18)";
        assert!(takeover_grants(&parse(system_sid).unwrap()).is_empty());
    }
}
