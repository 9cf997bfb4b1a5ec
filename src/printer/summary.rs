//! A plan in a person's words, shown before any question: what will happen (services by the
//! names Windows shows, folders by one name everywhere), how long it takes, whether it can be
//! undone, and what to expect after. The step list stays one key (or `--verbose`) away.

use crate::catalog::{Folder, display_name, service_shown};
use crate::record::{Action, Outcome, StepRecord};

/// A folder, or a backup of one (`SoftwareDistribution.wufix-….bak`), by its one name.
fn folder_of(target: &str) -> String {
    let name = target.rsplit(['\\', '/']).next().unwrap_or(target);
    let name = name.split(".wufix-").next().unwrap_or(name);
    Folder::EVERY
        .iter()
        .find(|f| f.dir_name().eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |f| f.shown())
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// The lines said before the question.
pub fn summary(plan: &[StepRecord]) -> Vec<String> {
    let planned: Vec<&StepRecord> = plan
        .iter()
        .filter(|r| r.outcome == Outcome::Planned)
        .collect();
    let of = |action: Action| -> Vec<&StepRecord> {
        planned
            .iter()
            .copied()
            .filter(|r| r.action == action)
            .collect()
    };
    let stops: Vec<String> = of(Action::StopService)
        .iter()
        .map(|r| display_name(&r.target).unwrap_or(&r.target).to_string())
        .collect();
    let mut actions = Vec::new();
    let renamed: Vec<String> = of(Action::RenameFolder)
        .iter()
        .map(|r| folder_of(&r.target))
        .collect();
    if !renamed.is_empty() {
        actions.push(format!("rename {} to backups", and_list(&renamed)));
    }
    let cleared: Vec<String> = of(Action::ClearFolder)
        .iter()
        .map(|r| folder_of(&r.target))
        .collect();
    if !cleared.is_empty() {
        actions.push(format!("delete what {} holds", and_list(&cleared)));
    }
    let restored: Vec<String> = of(Action::RestoreFolder)
        .iter()
        .map(|r| folder_of(&r.target))
        .collect();
    if !restored.is_empty() {
        actions.push(format!("put back {} from its backup", and_list(&restored)));
    }
    // A blocker's changes by what they are about: a service by its name, a value by its own.
    let residue: Vec<String> = of(Action::Residue)
        .iter()
        .map(|r| match display_name(&r.target) {
            Some(_) => service_shown(&r.target),
            None => r
                .target
                .rsplit('\\')
                .next()
                .unwrap_or(&r.target)
                .to_string(),
        })
        .collect();
    match residue.len() {
        0 => {}
        1..=3 => actions.push(format!(
            "put back what an update blocker changed ({})",
            and_list(&residue)
        )),
        n => actions.push(format!(
            "put back {} an update blocker changed",
            count(n, "setting", "settings")
        )),
    }
    let n = of(Action::RestoreSetting).len();
    if n > 0 {
        actions.push(format!(
            "put back {} the repair changed",
            count(n, "setting", "settings")
        ));
    }
    for (action, words) in [
        (
            Action::ServicePermissions,
            "check the update services' permissions and put back Windows' own",
        ),
        (Action::WsusIdentity, "renew this PC's update identity"),
        (Action::RegisterDlls, "register the update components again"),
        (
            Action::WinsockReset,
            "reset Windows' network catalogue (Winsock)",
        ),
        (
            Action::ProxyReset,
            "reset the update proxy to direct access",
        ),
        (Action::Dism, "repair the component store (DISM)"),
        (Action::Sfc, "check and repair the system files (sfc)"),
    ] {
        if !of(action).is_empty() {
            actions.push(words.to_string());
        }
    }
    if !of(Action::PruneBackups).is_empty() {
        actions.push("delete the oldest wufix backups".to_string());
    }
    let mut lines = Vec::new();
    let what = and_list(&actions);
    lines.push(match (stops.is_empty(), what.is_empty()) {
        (true, true) => "Nothing needs changing.".to_string(),
        (true, false) => format!("wufix will {what}."),
        (false, true) => format!(
            "wufix will pause and restart {}.",
            count(stops.len(), "Windows service", "Windows services")
        ),
        (false, false) => format!(
            "wufix will pause {} ({}), {what}, then start the services again.",
            count(stops.len(), "Windows service", "Windows services"),
            stops.join(", ")
        ),
    });
    let long = !of(Action::Dism).is_empty() || !of(Action::Sfc).is_empty();
    lines.push(if long {
        "It takes 15 to 60 minutes; the PC stays usable meanwhile.".to_string()
    } else {
        "It takes about a minute.".to_string()
    });
    let mut lasting: Vec<&str> = planned
        .iter()
        .filter(|r| {
            !r.reversible && !matches!(r.action, Action::StopService | Action::StartService)
        })
        .map(|r| match r.action {
            Action::PruneBackups => "the oldest wufix backups are deleted",
            Action::ClearFolder => "a cleared folder's files are deleted",
            Action::Dism => "DISM's repairs stay",
            Action::Sfc => "sfc's repairs stay",
            Action::WinsockReset => "the Winsock reset stays",
            Action::RegisterDlls => "the registration stays",
            _ => "some changes stay",
        })
        .collect();
    lasting.dedup();
    lines.push(if lasting.is_empty() {
        "Nothing is deleted: undo puts it all back.".to_string()
    } else {
        format!(
            "Undo puts back the rest, but not everything: {}.",
            lasting.join("; ")
        )
    });
    if renamed
        .iter()
        .chain(&cleared)
        .any(|f| f.contains("SoftwareDistribution"))
    {
        lines.push(
            "Afterwards Update history may look empty, and the next check for updates takes longer while Windows rebuilds the cache.".to_string(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::summary;
    use crate::record::{Action, Outcome, StepRecord};

    fn step(action: Action, target: &str, reversible: bool) -> StepRecord {
        let mut r = StepRecord::new(action, target.to_string(), Outcome::Planned, String::new());
        r.reversible = reversible;
        r
    }

    #[test]
    fn a_reset_is_said_with_the_names_windows_shows_and_what_to_expect() {
        let plan = [
            step(Action::StopService, "wuauserv", true),
            step(Action::StopService, "bits", true),
            step(Action::StopService, "cryptsvc", true),
            step(
                Action::RenameFolder,
                r"C:\Windows\SoftwareDistribution",
                true,
            ),
            step(Action::RenameFolder, r"C:\Windows\System32\catroot2", true),
            step(Action::StartService, "wuauserv", true),
        ];
        assert_eq!(
            summary(&plan),
            [
                "wufix will pause 3 Windows services (Windows Update, Background Intelligent Transfer Service, Cryptographic Services), rename the update cache (SoftwareDistribution) and the signature catalog (catroot2) to backups, then start the services again.",
                "It takes about a minute.",
                "Nothing is deleted: undo puts it all back.",
                "Afterwards Update history may look empty, and the next check for updates takes longer while Windows rebuilds the cache.",
            ]
        );
    }

    #[test]
    fn a_clear_and_the_long_repair_say_what_cannot_be_undone_and_how_long() {
        let plan = [
            step(
                Action::ClearFolder,
                "/mnt/w/Windows/System32/catroot2",
                false,
            ),
            step(Action::Dism, "DISM", true),
            step(Action::Sfc, "sfc", false),
        ];
        let said = summary(&plan);
        assert_eq!(
            said[0],
            "wufix will delete what the signature catalog (catroot2) holds, repair the component store (DISM) and check and repair the system files (sfc)."
        );
        assert_eq!(
            said[1],
            "It takes 15 to 60 minutes; the PC stays usable meanwhile."
        );
        assert_eq!(
            said[2],
            "Undo puts back the rest, but not everything: a cleared folder's files are deleted; sfc's repairs stay."
        );
        assert_eq!(said.len(), 3, "no cache rebuilt: {said:?}");
    }

    #[test]
    fn residue_alone_counts_the_settings_and_skipped_steps_are_not_said() {
        let mut skipped = step(
            Action::RenameFolder,
            r"C:\Windows\SoftwareDistribution",
            true,
        );
        skipped.outcome = Outcome::Skipped;
        let plan = [
            step(Action::Residue, "wuauserv", true),
            step(
                Action::Residue,
                r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\WUServer",
                true,
            ),
            skipped,
        ];
        assert_eq!(
            summary(&plan)[0],
            "wufix will put back what an update blocker changed (Windows Update (wuauserv) and WUServer)."
        );
        let many: Vec<_> = (0..4)
            .map(|i| step(Action::Residue, &format!("v{i}"), true))
            .collect();
        assert_eq!(
            summary(&many)[0],
            "wufix will put back 4 settings an update blocker changed."
        );
        let undo = [step(
            Action::RestoreFolder,
            r"C:\Windows\SoftwareDistribution.wufix-20261202T193710Z.bak",
            true,
        )];
        assert_eq!(
            summary(&undo)[0],
            "wufix will put back the update cache (SoftwareDistribution) from its backup."
        );
        assert_eq!(summary(&[])[0], "Nothing needs changing.");
    }
}
