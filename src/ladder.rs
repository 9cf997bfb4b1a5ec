//! The repair ladder's vocabulary: its rungs, where a failure says to start, and which rungs a
//! repair runs. Pure decisions with no imports, unit-tested here, so that `explain`, the request
//! and the fixes can all speak of rungs from below; running a rung is the engine's work.

use serde::Serialize;

/// A rung of the ladder, lightest first. Each runs only its own steps: climbing from light to
/// full adds full's steps, it does not reset the folders again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Rung {
    /// What update blockers left behind put back (a disabled service's start type, a fake WSUS
    /// server, hidden or paused updates), journaled: it blocks every rung above it.
    Residue,
    /// The update folders and the BITS queue set aside.
    Light,
    /// Service permissions, the WSUS client identity, the update DLLs (and, with `--network`,
    /// Winsock and the WinHTTP proxy).
    Full,
    /// The component store repaired by DISM, then system files by sfc.
    Deep,
}

impl Rung {
    pub const ALL: [Rung; 4] = [Rung::Residue, Rung::Light, Rung::Full, Rung::Deep];

    pub fn as_str(self) -> &'static str {
        match self {
            Rung::Residue => "residue",
            Rung::Light => "light",
            Rung::Full => "full",
            Rung::Deep => "deep",
        }
    }

    /// What the rung does, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            Rung::Residue => {
                "puts back what an update blocker left: update services' start types, a fake WSUS server, Windows Update access, the Settings page, automatic updates and pauses (never an organisation's policy)"
            }
            Rung::Light => "sets aside the update cache, catroot2 and the BITS queue",
            Rung::Full => {
                "restores the update services' permissions where they differ from Windows' defaults, resets the WSUS client identity on a WSUS-managed machine and re-registers the update DLLs"
            }
            Rung::Deep => {
                "repairs the component store (DISM /RestoreHealth), then system files (sfc /scannow)"
            }
        }
    }
}

/// Where a failure says the ladder starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    At(Rung),
    /// A network or proxy failure: only the network steps (Winsock, the WinHTTP proxy) can help,
    /// and they run only with `--network`.
    Network,
    /// Not something wufix repairs: the manual fix.
    Manual(&'static str),
}

impl Start {
    /// `light`, `full`, `deep`, `network` or `none`, as reports and `explain` print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Start::At(rung) => rung.as_str(),
            Start::Network => "network",
            Start::Manual(_) => "none",
        }
    }
}

/// One run of the engine within a repair, followed by a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stage {
    pub rung: Rung,
    /// The full rung's network steps only (a network failure): nothing else of it runs.
    pub network_only: bool,
    /// The full rung's network steps run too (`--network`).
    pub network: bool,
}

impl Stage {
    /// What this stage does, in a few words.
    pub fn summary(&self) -> &'static str {
        if self.network_only {
            "resets Winsock and the WinHTTP proxy"
        } else {
            self.rung.summary()
        }
    }
}

/// Why a repair runs nothing: each says what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The failure is not one wufix repairs.
    Manual(&'static str),
    /// A network failure and no `--network`.
    NeedsNetwork,
    /// The start is above `--up-to`.
    AboveCap { start: Rung, cap: Rung },
}

/// The stages a repair starting at `start` may run, lightest first, up to `cap`.
pub fn ladder(start: Start, cap: Rung, network: bool) -> Result<Vec<Stage>, Blocked> {
    let (first, network_only) = match start {
        Start::Manual(fix) => return Err(Blocked::Manual(fix)),
        Start::Network if !network => return Err(Blocked::NeedsNetwork),
        Start::Network => (Rung::Full, true),
        Start::At(rung) => (rung, false),
    };
    if first > cap {
        return Err(Blocked::AboveCap { start: first, cap });
    }
    Ok(Rung::ALL
        .iter()
        .filter(|r| (first..=cap).contains(r))
        .map(|&rung| Stage {
            rung,
            network_only: network_only && rung == Rung::Full,
            network: network && rung == Rung::Full,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rungs(stages: &[Stage]) -> Vec<Rung> {
        stages.iter().map(|s| s.rung).collect()
    }

    #[test]
    fn the_ladder_climbs_from_the_start_to_the_cap_and_no_further() {
        let all = ladder(Start::At(Rung::Residue), Rung::Deep, false).unwrap();
        assert_eq!(rungs(&all), Rung::ALL);
        let from_light = ladder(Start::At(Rung::Light), Rung::Deep, false).unwrap();
        assert_eq!(rungs(&from_light), [Rung::Light, Rung::Full, Rung::Deep]);
        let residue = ladder(Start::At(Rung::Residue), Rung::Residue, false).unwrap();
        assert_eq!(rungs(&residue), [Rung::Residue]);
        let capped = ladder(Start::At(Rung::Light), Rung::Full, false).unwrap();
        assert_eq!(rungs(&capped), [Rung::Light, Rung::Full]);
        let one = ladder(Start::At(Rung::Full), Rung::Full, false).unwrap();
        assert_eq!(rungs(&one), [Rung::Full]);
        assert!(one.iter().all(|s| !s.network && !s.network_only));
    }

    #[test]
    fn a_start_above_the_cap_runs_nothing_and_says_so() {
        assert_eq!(
            ladder(Start::At(Rung::Deep), Rung::Full, false),
            Err(Blocked::AboveCap {
                start: Rung::Deep,
                cap: Rung::Full
            })
        );
    }

    #[test]
    fn network_failures_need_the_flag_and_then_skip_the_folder_rung() {
        assert_eq!(
            ladder(Start::Network, Rung::Full, false),
            Err(Blocked::NeedsNetwork)
        );
        let stages = ladder(Start::Network, Rung::Deep, true).unwrap();
        assert_eq!(rungs(&stages), [Rung::Full, Rung::Deep]);
        assert!(stages[0].network_only && stages[0].network);
        assert!(!stages[1].network_only && !stages[1].network);
        // --network on a light start adds the network steps to full, not a stage of its own.
        let stages = ladder(Start::At(Rung::Light), Rung::Full, true).unwrap();
        assert_eq!(rungs(&stages), [Rung::Light, Rung::Full]);
        assert!(stages[1].network && !stages[1].network_only);
    }

    #[test]
    fn a_manual_fix_runs_nothing() {
        assert_eq!(
            ladder(Start::Manual("free space"), Rung::Deep, true),
            Err(Blocked::Manual("free space"))
        );
    }
}
