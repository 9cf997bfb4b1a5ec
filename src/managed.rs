//! Whether an organisation manages this computer: an Active Directory domain, MDM enrolment
//! (Intune and others), a WSUS server. wufix never touches what they control (policy keys,
//! Group Policy, secedit); the report says they were seen and left alone.

use serde::Serialize;

use crate::catalog::WU_POLICY;
use crate::sys::Platform;

const ENROLLMENTS: &str = r"SOFTWARE\Microsoft\Enrollments";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Managed {
    /// The Active Directory domain, when joined to one.
    pub domain: Option<String>,
    /// The MDM provider of an enrolment (for Intune, `MS DM Server`).
    pub mdm: Option<String>,
    /// The WSUS server set by policy.
    pub wsus: Option<String>,
    /// What the organisation controls and what wufix did about it, in words; empty when unmanaged.
    pub note: String,
}

/// This Windows installation's identity (`HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid`),
/// when it can be read.
pub fn machine_guid(sys: &dyn Platform) -> Option<String> {
    sys.registry()
        .value(r"SOFTWARE\Microsoft\Cryptography", "MachineGuid")
        .ok()
        .flatten()
        .and_then(|v| v.as_text())
        .filter(|t| !t.trim().is_empty())
}

/// A WSUS address an organisation could run: `http(s)://host[:port]`, the host neither blank nor
/// this machine. Nothing is probed on the network.
pub fn is_real_server(url: &str) -> bool {
    let url = url.trim();
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .or_else(|| {
            let lower = url.to_ascii_lowercase();
            (lower.starts_with("http://") || lower.starts_with("https://"))
                .then(|| url.split_once("://").map(|(_, r)| r))
                .flatten()
        })
    else {
        return false;
    };
    let host = rest
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host == "[::1]"
        || host == "[::]";
    !host.is_empty()
        && !loopback
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_[]".contains(c))
}

pub fn detect(sys: &dyn Platform) -> Managed {
    let domain = sys.joined_domain().ok().flatten().filter(|d| !d.is_empty());
    let mdm = sys.registry().subkeys(ENROLLMENTS).ok().and_then(|keys| {
        keys.iter().find_map(|k| {
            match sys
                .registry()
                .value(&format!(r"{ENROLLMENTS}\{k}"), "ProviderID")
            {
                Ok(Some(value)) => value.as_text().filter(|p| !p.trim().is_empty()),
                _ => None,
            }
        })
    });
    // Only a server an organisation could run: a blank or loopback one is a blocker's residue.
    let wsus = match sys.registry().value(WU_POLICY, "WUServer") {
        Ok(Some(value)) => value.as_text().filter(|s| is_real_server(s)),
        _ => None,
    };
    let mut by = Vec::new();
    if let Some(d) = &domain {
        by.push(format!("joined to the domain {d} (Group Policy)"));
    }
    if let Some(p) = &mdm {
        by.push(format!("enrolled in device management ({p})"));
    }
    if let Some(s) = &wsus {
        by.push(format!("gets its updates from the WSUS server {s}"));
    }
    let note = if by.is_empty() {
        String::new()
    } else {
        format!(
            "This computer is managed: it is {}. Your organisation controls its update policies; wufix left every policy, Group Policy and security setting alone. If updates stay blocked, ask your IT department.",
            by.join(", ")
        )
    };
    Managed {
        domain,
        mdm,
        wsus,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::RegValue;
    use crate::sys::fake::FakePlatform;

    #[test]
    fn an_unmanaged_machine_says_nothing_and_a_managed_one_names_each_controller() {
        assert_eq!(detect(&FakePlatform::new()), Managed::default());
        let sys = FakePlatform::new()
            .registry_value(WU_POLICY, "WUServer", RegValue::string("http://wsus:8530"))
            .registry_value(
                &format!(r"{ENROLLMENTS}\{{A1}}"),
                "ProviderID",
                RegValue::string("MS DM Server"),
            )
            .joined_to("corp.example");
        let m = detect(&sys);
        assert_eq!(m.domain.as_deref(), Some("corp.example"));
        assert_eq!(m.mdm.as_deref(), Some("MS DM Server"));
        assert_eq!(m.wsus.as_deref(), Some("http://wsus:8530"));
        for part in [
            "corp.example",
            "MS DM Server",
            "http://wsus:8530",
            "left every policy",
        ] {
            assert!(m.note.contains(part), "{}", m.note);
        }
    }
}
