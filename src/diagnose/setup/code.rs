//! Setup's codes: the two-part form `0xC1900101-0x20017` (the result, then an extended code whose
//! first digit is the phase the upgrade failed in and whose last four its operation), and the
//! codes Setup "remaps for telemetry".

/// A Setup result as its logs print it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetupCode {
    pub result: u32,
    /// The extended code, when the log gives the two-part form.
    pub extended: Option<u32>,
}

impl SetupCode {
    /// `0xC1900101-0x20017`, or `0xC1900101` alone: Setup's own form, kept as it is.
    pub fn text(&self) -> String {
        match self.extended {
            Some(ext) => format!("0x{:08X}-0x{ext:05X}", self.result),
            None => format!("0x{:08X}", self.result),
        }
    }

    /// The phase the extended code names, in Microsoft's words for it.
    pub fn phase(&self) -> Option<&'static str> {
        let ext = self.extended?;
        Some(match ext >> 16 {
            0 => "unknown phase (SP_EXECUTION_UNKNOWN)",
            1 => "downlevel: the old Windows preparing the upgrade (SP_EXECUTION_DOWNLEVEL)",
            2 => "Safe OS: the Windows Recovery Environment installing it (SP_EXECUTION_SAFEOS)",
            3 => {
                "first boot of the new Windows: drivers and settings migrate (SP_EXECUTION_FIRSTBOOT)"
            }
            4 => "second boot, the out-of-box experience (SP_EXECUTION_OOBEBOOT)",
            5 => "uninstall: going back to the old Windows (SP_EXECUTION_UNINSTALL)",
            _ => return None,
        })
    }

    /// A user's cancel: not a failure.
    pub fn is_cancel(&self) -> bool {
        self.result == 0x8007_04C7
    }

    pub fn is_success(&self) -> bool {
        self.result == 0
    }
}

fn hex_run(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_hexdigit).count()
}

/// Every `0x…` of 1–8 hex digits in `text`, with the position after it.
fn hexes(text: &str) -> impl Iterator<Item = (usize, u32, usize)> + '_ {
    text.match_indices("0x")
        .chain(text.match_indices("0X"))
        .filter_map(move |(at, _)| {
            let digits = hex_run(&text[at + 2..]);
            if digits == 0 || digits > 8 || !text.is_char_boundary(at + 2 + digits) {
                return None;
            }
            let value = u32::from_str_radix(&text[at + 2..at + 2 + digits], 16).ok()?;
            Some((at, value, at + 2 + digits))
        })
}

/// The first Setup code in `text`: the two-part form (`0xC1900101 - 0x20017`,
/// `0xC1900101-0x20017`) when it is there, else the first full 8-digit code.
pub fn find(text: &str) -> Option<SetupCode> {
    let mut all: Vec<(usize, u32, usize)> = hexes(text).collect();
    all.sort_by_key(|h| h.0);
    for (i, &(_, value, end)) in all.iter().enumerate() {
        let Some(&(next_at, ext, _)) = all.get(i + 1) else {
            break;
        };
        let between = &text[end..next_at];
        if value & 0x8000_0000 != 0 && between.trim() == "-" && ext <= 0xF_FFFF {
            return Some(SetupCode {
                result: value,
                extended: Some(ext),
            });
        }
    }
    all.into_iter()
        .find(|&(at, _, end)| end - at == 10)
        .map(|(_, value, _)| SetupCode {
            result: value,
            extended: None,
        })
}

/// `Remapping install error [0x80070032] -> [0xC1900108]`: the real error, and the one Setup
/// reported instead.
pub fn remap(message: &str) -> Option<(u32, u32)> {
    let rest = &message[message.find("Remapping")?..];
    let mut codes = hexes(rest).map(|(_, v, _)| v);
    Some((codes.next()?, codes.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_part_form_keeps_both_parts_and_names_the_phase() {
        for text in [
            "Error: 0xC1900101 - 0x20017",
            "failed with 0xC1900101-0x20017 during install",
            "0xc1900101 -0x20017",
        ] {
            let code = find(text).unwrap();
            assert_eq!(code.text(), "0xC1900101-0x20017", "{text}");
            assert!(code.phase().unwrap().starts_with("Safe OS"), "{text}");
        }
        let first_boot = find("0xC1900101-0x30018").unwrap();
        assert!(first_boot.phase().unwrap().contains("FIRSTBOOT"));
        assert!(
            find("0xC1900101-0x4000D")
                .unwrap()
                .phase()
                .unwrap()
                .contains("OOBE")
        );
        assert!(
            find("0xC1900101-0x50016")
                .unwrap()
                .phase()
                .unwrap()
                .contains("UNINSTALL")
        );
        assert!(
            find("0xC1900101-0x10016")
                .unwrap()
                .phase()
                .unwrap()
                .contains("DOWNLEVEL")
        );
        // One code alone: no phase is invented.
        let alone = find("Result = 0xC1900208").unwrap();
        assert_eq!(
            (alone.text(), alone.phase()),
            ("0xC1900208".to_string(), None)
        );
        // A date's dash between two numbers is not a two-part code.
        assert_eq!(find("no code here 2026-05-01"), None);
        assert!(find("Result = 0x800704C7").unwrap().is_cancel());
    }

    #[test]
    fn a_remapped_code_gives_the_real_one_first() {
        assert_eq!(
            remap("MOUPG  Remapping install error [0x80070032] -> [0xC1900108]"),
            Some((0x80070032, 0xC1900108))
        );
        assert_eq!(remap("Result = 0xC1900108"), None);
    }
}
