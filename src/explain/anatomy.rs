//! The parts of an HRESULT: severity, facility, code.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Anatomy {
    /// `failure` when the top bit is set, else `success`.
    pub severity: &'static str,
    pub facility: u16,
    pub facility_name: Option<&'static str>,
    /// The low 16 bits.
    pub code: u16,
    /// For facility 7 (WIN32): the Win32 error number the HRESULT wraps.
    pub win32_error: Option<u16>,
    /// Bit 29: a customer (non-Microsoft) code.
    pub customer: bool,
}

impl Anatomy {
    pub fn of(value: u32) -> Anatomy {
        // A bare Win32 error number is the code of the HRESULT that wraps it.
        let value = super::lookup_value(value);
        let facility = ((value >> 16) & 0x7FF) as u16;
        let code = (value & 0xFFFF) as u16;
        let failure = value & 0x8000_0000 != 0;
        Anatomy {
            severity: if failure { "failure" } else { "success" },
            facility,
            facility_name: facility_name(facility),
            code,
            win32_error: (facility == 7 && failure).then_some(code),
            customer: value & 0x2000_0000 != 0,
        }
    }

    /// One line: `failure, facility 7 (WIN32), code 2 — Win32 error 2`.
    pub fn describe(&self) -> String {
        let facility = match self.facility_name {
            Some(name) => format!("facility {} ({name})", self.facility),
            None => format!("facility {}", self.facility),
        };
        let mut text = format!(
            "{}, {facility}, code {} (0x{:04X})",
            self.severity, self.code, self.code
        );
        if let Some(win32) = self.win32_error {
            text.push_str(&format!(": Win32 error {win32}"));
        }
        text
    }
}

/// Facility numbers from winerror.h that show up in update failures.
fn facility_name(facility: u16) -> Option<&'static str> {
    Some(match facility {
        0 => "NULL",
        1 => "RPC",
        2 => "DISPATCH",
        3 => "STORAGE",
        4 => "ITF",
        7 => "WIN32",
        8 => "WINDOWS",
        9 => "SECURITY",
        10 => "CONTROL",
        11 => "CERT",
        12 => "INTERNET",
        15 => "SETUPAPI (servicing, CBS)",
        16 => "SCARD",
        17 => "COMPLUS",
        18 => "AAF",
        19 => "URT",
        20 => "ACS",
        21 => "DPLAY",
        22 => "UMI",
        23 => "SXS",
        24 => "WINDOWS_CE",
        25 => "HTTP",
        26 => "USERMODE_COMMONLOG",
        31 => "USERMODE_FILTER_MANAGER",
        32 => "BACKGROUNDCOPY (BITS)",
        33 => "CONFIGURATION",
        34 => "STATE_MANAGEMENT",
        35 => "METADIRECTORY",
        36 => "WINDOWSUPDATE",
        37 => "DIRECTORYSERVICE",
        38 => "GRAPHICS",
        39 => "SHELL",
        40 => "TPM_SERVICES",
        41 => "TPM_SOFTWARE",
        48 => "PLA",
        49 => "FVE",
        50 => "FWP",
        51 => "WINRM",
        52 => "NDIS",
        53 => "USERMODE_HYPERVISOR",
        54 => "CMI",
        55 => "USERMODE_VIRTUALIZATION",
        56 => "USERMODE_VOLMGR",
        57 => "BCD",
        58 => "USERMODE_VHD",
        60 => "SDIAG",
        61 => "WEBSERVICES",
        80 => "WINDOWS_DEFENDER",
        81 => "OPC",
        208 => "DELIVERY_OPTIMIZATION",
        400 => "SETUP (feature update)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_an_hresult() {
        let a = Anatomy::of(0x80070422);
        assert_eq!(
            (a.severity, a.facility, a.code, a.win32_error),
            ("failure", 7, 0x422, Some(1058))
        );
        assert_eq!(
            a.describe(),
            "failure, facility 7 (WIN32), code 1058 (0x0422): Win32 error 1058"
        );
        let wu = Anatomy::of(0x8024402C);
        assert_eq!((wu.facility, wu.facility_name), (36, Some("WINDOWSUPDATE")));
        assert_eq!(Anatomy::of(0x00240006).severity, "success");
    }
}
