//! What a code means when wufix has no words for the code itself: the family its name belongs to
//! (the Windows Update agent component that raised it, BITS, the network stack, servicing, Windows
//! itself), with the family's usual cause and first fix. Written for wufix; the prefixes are the
//! headers' naming conventions.

/// A family of codes, recognised by the prefix of a name.
pub struct Family {
    pub prefix: &'static str,
    /// The family's name, shown beside the code.
    pub name: &'static str,
    pub meaning: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
}

const RESET: &str = "Run `wufix reset` as administrator, restart Windows and try the update again.";
const NETWORK_FIX: &str = "Check that this computer reaches the internet (or its WSUS server): `netsh winhttp show proxy` must show the proxy it really uses, the clock must be right, and a firewall or filtering proxy must let Windows Update through; then try again.";
const SERVICING_FIX: &str = "Run `DISM /Online /Cleanup-Image /RestoreHealth`, then `sfc /scannow`, restart and try the update again.";

/// Longest prefixes first: the first match wins.
pub static FAMILIES: &[Family] = &[
    Family {
        prefix: "MOSETUP_E_COMPAT_SCANONLY",
        name: "Windows Setup compatibility scan",
        meaning: "Windows Setup ran a compatibility scan only and found nothing that blocks the upgrade.",
        cause: "Nothing went wrong: `setup.exe /Compat ScanOnly` reports this when the scan passes.",
        fix: "Nothing to repair: the upgrade can go ahead.",
    },
    Family {
        prefix: "MOSETUP_E_UA_",
        name: "Windows Setup update agent",
        meaning: "The agent that downloads and unpacks a feature update for Windows Setup failed.",
        cause: "A damaged or incomplete download, or a version mismatch between the agent and the update.",
        fix: "Run `wufix reset` as administrator (it sets the download cache aside), restart and start the feature update again, or upgrade from fresh installation media.",
    },
    Family {
        prefix: "MOSETUP_E_COMPAT_",
        name: "Windows Setup compatibility check",
        meaning: "Windows Setup's compatibility check stopped the upgrade: the hardware, a driver, an app or the chosen upgrade path does not pass (a code ending in _CANCEL means someone chose to stop at that point).",
        cause: "The computer falls short of the new version's requirements, or an app or driver known to break after the upgrade is installed; the compatibility report (Panther logs, `setup.exe /Compat ScanOnly`) names it.",
        fix: "Read the compatibility report under C:\\$WINDOWS.~BT\\Sources\\Panther, update or remove the app or driver it names, then try the upgrade again.",
    },
    Family {
        prefix: "MOSETUP_E_",
        name: "Windows Setup (feature update)",
        meaning: "Windows Setup, which installs feature updates and upgrades, stopped with this result.",
        cause: "Depends on the code: disk space, a cancelled or timed-out step, damaged installation files, a pending cleanup or rollback, or a driver failing during the upgrade; the Panther logs under C:\\$WINDOWS.~BT\\Sources\\Panther say which.",
        fix: "Free at least 20 GB on the system drive, restart Windows (a pending cleanup or rollback needs it), disconnect devices you do not need, then try the upgrade again; if it fails again, upgrade from fresh installation media.",
    },
    Family {
        prefix: "DO_E_BLOCKED_BY_",
        name: "Delivery Optimization (paused)",
        meaning: "Delivery Optimization paused the download on purpose: a metered or cellular network, battery power, a VPN, no network, or low memory.",
        cause: "A passing condition or a policy, not a fault.",
        fix: "Nothing to repair: connect to an unmetered network and mains power, or change the policy that pauses downloads; the download resumes by itself.",
    },
    Family {
        prefix: "DO_E_",
        name: "Delivery Optimization",
        meaning: "Delivery Optimization, which downloads updates from Microsoft and from other computers, failed the download.",
        cause: "The network, a proxy or content filter, a server that does not answer byte-range requests, download settings or policy, or a damaged cache.",
        fix: "Check the network and proxy, then run `wufix reset` as administrator (it stops Delivery Optimization and sets the download cache aside), restart and try again.",
    },
    Family {
        prefix: "WU_S_",
        name: "Windows Update status",
        meaning: "A status the Windows Update agent reports: the operation succeeded, perhaps with a remark (already installed, restart required, skipped).",
        cause: "Nothing went wrong.",
        fix: "Nothing to repair; if it says a restart is required, restart Windows.",
    },
    Family {
        prefix: "WU_E_PT_",
        name: "Windows Update protocol talker (talking to the update server)",
        meaning: "The Windows Update agent could not complete its conversation with the update server (Microsoft's, or a WSUS server).",
        cause: "Usually the network: no connection, a proxy or firewall in the way, a WSUS server that is down or misconfigured, or a server answer the agent could not use.",
        fix: NETWORK_FIX,
    },
    Family {
        prefix: "WU_E_DS_",
        name: "Windows Update datastore",
        meaning: "The Windows Update agent's own database (SoftwareDistribution\\DataStore) could not be read or written, or holds something inconsistent.",
        cause: "A damaged or inconsistent DataStore, often after an interrupted update or an unclean shutdown.",
        fix: RESET,
    },
    Family {
        prefix: "WU_E_DM_",
        name: "Windows Update download manager",
        meaning: "Downloading the update's files failed.",
        cause: "A network problem, a damaged download cache, BITS or Delivery Optimization not working, or too little disk space.",
        fix: "Free some disk space, then run `wufix reset` as administrator (it sets the download cache aside and restarts BITS), restart and try again.",
    },
    Family {
        prefix: "WU_E_UH_",
        name: "Windows Update update handler (installing one kind of update)",
        meaning: "The part of the agent that installs this kind of update (a servicing package, a driver, an installer) failed.",
        cause: "Damaged downloaded files, a damaged component store, or the update's own installer failing.",
        fix: "Run `wufix reset` as administrator; if the update fails again, run `DISM /Online /Cleanup-Image /RestoreHealth` and `sfc /scannow`, restart and retry.",
    },
    Family {
        prefix: "WU_E_METADATATRUST_",
        name: "Windows Update metadata trust",
        meaning: "The update's description (metadata) failed its trust check.",
        cause: "A wrong clock, a damaged signature catalog (catroot2), or a proxy that alters what the server sent.",
        fix: "Set the clock right, then run `wufix reset` as administrator (it also sets catroot2 aside), restart and try again.",
    },
    Family {
        prefix: "WU_E_METADATA_",
        name: "Windows Update metadata",
        meaning: "The update's description (metadata) could not be verified or used.",
        cause: "A wrong clock, a damaged signature catalog (catroot2) or datastore, or a proxy that alters what the server sent.",
        fix: "Set the clock right, then run `wufix reset` as administrator, restart and try again.",
    },
    Family {
        prefix: "WU_E_FILETRUST_",
        name: "Windows Update file trust",
        meaning: "A downloaded update file failed its signature check.",
        cause: "A damaged download, a damaged signature catalog (catroot2), a wrong clock, or a proxy that alters downloads.",
        fix: "Set the clock right, then run `wufix reset` as administrator, restart and try again.",
    },
    Family {
        prefix: "WU_E_TRUST_",
        name: "Windows Update trust",
        meaning: "Something the update agent received failed its trust check.",
        cause: "A wrong clock, a damaged signature catalog (catroot2), or tampering on the way.",
        fix: "Set the clock right, then run `wufix reset` as administrator, restart and try again.",
    },
    Family {
        prefix: "WU_E_SIH_",
        name: "Windows Update self-healing (SIH)",
        meaning: "Windows' service-initiated healing, which repairs update components in the background, failed a step.",
        cause: "Usually passing: a network hiccup or a busy machine.",
        fix: "Nothing at first; if updates fail too, run `wufix reset` as administrator.",
    },
    Family {
        prefix: "WU_E_SETUP_",
        name: "Windows Update agent setup (updating itself)",
        meaning: "The Windows Update agent failed to update or register its own components.",
        cause: "Damaged system files, or an agent update interrupted midway.",
        fix: SERVICING_FIX,
    },
    Family {
        prefix: "WU_E_SELFUPDATE_",
        name: "Windows Update agent self-update",
        meaning: "The Windows Update agent could not update itself.",
        cause: "Damaged system files, or the agent's own update could not be reached.",
        fix: SERVICING_FIX,
    },
    Family {
        prefix: "WU_E_REDIRECTOR_",
        name: "Windows Update redirector (finding the update service)",
        meaning: "The agent could not find out where the update service lives, or could not use what it was told.",
        cause: "Microsoft's endpoints blocked by a firewall, proxy or DNS filter, or a damaged redirector file in the cache.",
        fix: "Check that Microsoft's update addresses are reachable (firewall, proxy, DNS filtering), then run `wufix reset` as administrator and try again.",
    },
    Family {
        prefix: "WU_E_DRV_",
        name: "Windows Update driver updates",
        meaning: "A driver offered through Windows Update could not be checked or installed.",
        cause: "A driver package that does not match the device, damaged driver metadata, or a device that blocks the install.",
        fix: "Install the driver from the device maker instead, or hide this driver update; run `wufix reset` if every driver update fails.",
    },
    Family {
        prefix: "WU_E_EE_",
        name: "Windows Update expression evaluator (applicability rules)",
        meaning: "The agent could not evaluate the rules that decide whether an update applies to this computer.",
        cause: "Damaged or unexpected update metadata, or a damaged datastore.",
        fix: RESET,
    },
    Family {
        prefix: "WU_E_INVENTORY_",
        name: "Windows Update inventory",
        meaning: "Collecting the list of what is installed, for the update server, failed.",
        cause: "Usually passing; sometimes a damaged WMI repository or datastore.",
        fix: "Try again later; if it repeats, run `wufix reset` as administrator.",
    },
    Family {
        prefix: "WU_E_REPORTER_",
        name: "Windows Update reporter",
        meaning: "Sending status reports to the update server failed.",
        cause: "A network or server problem; installs are not affected.",
        fix: "Usually nothing to do; if it repeats, check the network and the WSUS server.",
    },
    Family {
        prefix: "WU_E_AUCLIENT_",
        name: "Windows Update client interface",
        meaning: "The part of Windows that shows update progress and asks for a restart failed.",
        cause: "A user session or interface problem; the updates themselves may be fine.",
        fix: "Restart Windows and look again in Settings → Windows Update.",
    },
    Family {
        prefix: "WU_E_AU_",
        name: "Automatic Updates",
        meaning: "The part of the agent that schedules automatic scans, downloads and installs failed.",
        cause: "A policy, a disabled service, or a damaged datastore.",
        fix: "Check `wufix diagnose` for policies and services, then run `wufix reset` as administrator.",
    },
    Family {
        prefix: "WU_E_",
        name: "Windows Update agent",
        meaning: "The Windows Update agent reported a failure of its own; the name says which.",
        cause: "Most often a damaged update cache or datastore, sometimes the network or a policy.",
        fix: "Run `wufix diagnose`; if nothing else stands out, run `wufix reset` as administrator, restart and try again.",
    },
    Family {
        prefix: "BG_S_",
        name: "BITS status",
        meaning: "A status the Background Intelligent Transfer Service reports: not a failure.",
        cause: "Nothing went wrong.",
        fix: "Nothing to repair.",
    },
    Family {
        prefix: "BG_E_",
        name: "BITS (background transfers)",
        meaning: "The Background Intelligent Transfer Service, which downloads updates, failed a transfer.",
        cause: "The network, a proxy, the server's answer, or a damaged BITS queue or download cache.",
        fix: "Check the network and proxy, then run `wufix reset` as administrator (it restarts BITS and sets the download cache aside).",
    },
    Family {
        prefix: "ERROR_WINHTTP_",
        name: "WinHTTP (the network stack Windows Update uses)",
        meaning: "A network request failed: the connection, the name lookup, the proxy, TLS, or the server's answer.",
        cause: "No connection, a proxy setting that does not match the network, a firewall, a TLS-inspecting proxy, or a wrong clock.",
        fix: NETWORK_FIX,
    },
    Family {
        prefix: "ERROR_INTERNET_",
        name: "WinINet (Windows' internet functions)",
        meaning: "A network request failed: the connection, the name lookup, the proxy, TLS, or the server's answer.",
        cause: "No connection, a proxy setting that does not match the network, a firewall, a TLS-inspecting proxy, or a wrong clock.",
        fix: NETWORK_FIX,
    },
    Family {
        prefix: "CBS_E_",
        name: "component-based servicing",
        meaning: "Windows' servicing stack, which installs updates into the component store, failed.",
        cause: "A damaged component store, a pending operation, or an installer inside the update failing; CBS.log says which.",
        fix: SERVICING_FIX,
    },
    Family {
        prefix: "PSFX_E_",
        name: "servicing (express/delta packages)",
        meaning: "Windows' servicing stack could not apply an express or delta update package.",
        cause: "A damaged component store or a damaged download.",
        fix: SERVICING_FIX,
    },
    Family {
        prefix: "SPAPI_E_",
        name: "device installation (SetupAPI)",
        meaning: "Installing a driver or device package failed.",
        cause: "A driver package that does not fit, a damaged driver store, or a policy blocking device installs.",
        fix: "Install the driver from the device maker, or hide the driver update; C:\\Windows\\INF\\setupapi.dev.log names the failing device.",
    },
    Family {
        prefix: "CRYPT_E_",
        name: "cryptography",
        meaning: "Checking a signature or certificate failed.",
        cause: "A damaged signature catalog (catroot2), a wrong clock, or missing root certificates.",
        fix: "Set the clock right, then run `wufix reset` as administrator (it sets catroot2 aside), restart and try again.",
    },
    Family {
        prefix: "TRUST_E_",
        name: "signature trust",
        meaning: "A file's signature could not be trusted.",
        cause: "A damaged signature catalog (catroot2), a wrong clock, or a damaged file.",
        fix: "Set the clock right, then run `wufix reset` as administrator, restart and try again.",
    },
    Family {
        prefix: "CERT_E_",
        name: "certificates",
        meaning: "A certificate in a signature chain was not accepted.",
        cause: "A wrong clock, expired or missing root certificates, or a TLS-inspecting proxy.",
        fix: "Set the clock right and let Windows update its root certificates (or fix the proxy), then try again.",
    },
    Family {
        prefix: "ERROR_SUCCESS",
        name: "Windows status",
        meaning: "The operation succeeded; the name adds a remark (for instance, a restart is needed to finish).",
        cause: "Nothing went wrong.",
        fix: "Nothing to repair; restart Windows if the name asks for it.",
    },
    Family {
        prefix: "ERROR_",
        name: "Windows system error",
        meaning: "Windows itself reported this error (a Win32 error) while the update ran: the name says what the operating system could not do.",
        cause: "Depends on the operation; with updates, most often files in use, permissions, disk space or damaged system files.",
        fix: "Run `wufix diagnose`; if it repeats, run `DISM /Online /Cleanup-Image /RestoreHealth` and `sfc /scannow`, restart and retry.",
    },
    Family {
        prefix: "S_",
        name: "success",
        meaning: "A success status.",
        cause: "Nothing went wrong.",
        fix: "Nothing to repair.",
    },
    Family {
        prefix: "",
        name: "Windows (COM) error",
        meaning: "A general Windows error code (an HRESULT) that a component returned while the update ran; the name says what went wrong.",
        cause: "Depends on the component; with updates, most often damaged registrations, permissions or system files.",
        fix: "Run `wufix diagnose`; if it repeats, run `DISM /Online /Cleanup-Image /RestoreHealth` and `sfc /scannow`, restart and retry.",
    },
];

/// The family of a name: the first (longest-listed) prefix that matches.
pub fn of(name: &str) -> &'static Family {
    FAMILIES
        .iter()
        .find(|f| name.starts_with(f.prefix))
        .expect("the last family matches every name")
}

/// Whether a name marks a success although its code has the failure bit set: Win32 success codes
/// (ERROR_SUCCESS_REBOOT_REQUIRED, 3010) wrapped in an HRESULT by the update agent.
pub fn is_success_name(name: &str) -> bool {
    name.starts_with("ERROR_SUCCESS") || name == "MOSETUP_E_COMPAT_SCANONLY"
}
