//! A remedy for a Windows that is not running, in commands that run somewhere: the running
//! system's `DISM /Online` and `sfc /scannow` become their Windows PE forms against the disk
//! (`/Image:D:\`, `/offwindir`), a repair source from install media (an offline image cannot fetch
//! repair files from Windows Update), and "restart" becomes "start that Windows". The letters are
//! explained once.

const LETTERS: &str = " (From Windows PE: D: is this Windows's volume and E: install media of the same build and edition; `diskpart`, `list volume` shows the letters, and `DISM /Get-WimInfo /WimFile:E:\\sources\\install.wim` the index.)";

/// `remedy` as it reads for a disk from Windows PE; unchanged when it names no command of the
/// running system.
pub fn remedy(remedy: &str) -> String {
    if !remedy.contains("/Online") && !remedy.contains("sfc /scannow") {
        return remedy.to_string();
    }
    let mut out = remedy.to_string();
    // The longest forms first: a source the text already names is the media's install.wim.
    for (from, to) in [
        (
            "DISM /Online /Cleanup-Image /RestoreHealth /Source:WIM:X:\\sources\\install.wim:N /LimitAccess",
            "DISM /Image:D:\\ /Cleanup-Image /RestoreHealth /Source:WIM:E:\\sources\\install.wim:1 /LimitAccess",
        ),
        (
            " (with `/Source:WIM:X:\\sources\\install.wim:1 /LimitAccess` from media of the same build if it fails)",
            "",
        ),
        (
            "DISM /Online /Cleanup-Image /RestoreHealth",
            "DISM /Image:D:\\ /Cleanup-Image /RestoreHealth /Source:WIM:E:\\sources\\install.wim:1 /LimitAccess",
        ),
        ("DISM /Online ", "DISM /Image:D:\\ "),
        (
            "sfc /scannow",
            "sfc /scannow /offbootdir=D:\\ /offwindir=D:\\Windows",
        ),
        ("Restart Windows", "Start that Windows"),
        ("restart Windows", "start that Windows"),
        (", restart and ", ", start that Windows and "),
        ("restart and ", "start that Windows and "),
    ] {
        out = out.replace(from, to);
    }
    format!("{}{LETTERS}", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_systems_commands_become_windows_pe_ones() {
        let online = "Run `DISM /Online /Cleanup-Image /RestoreHealth` (with `/Source:WIM:X:\\sources\\install.wim:1 /LimitAccess` from media of the same build if it fails), restart and retry; then `sfc /scannow`.";
        let pe = remedy(online);
        assert!(
            pe.contains("`DISM /Image:D:\\ /Cleanup-Image /RestoreHealth /Source:WIM:E:\\sources\\install.wim:1 /LimitAccess`"),
            "{pe}"
        );
        assert!(
            pe.contains("`sfc /scannow /offbootdir=D:\\ /offwindir=D:\\Windows`"),
            "{pe}"
        );
        assert!(pe.contains("start that Windows and retry"), "{pe}");
        assert!(!pe.contains("/Online") && !pe.contains("X:\\"), "{pe}");
        assert!(pe.contains("E: install media"), "{pe}");
        assert_eq!(
            remedy("Run `DISM /Online /Cleanup-Image /StartComponentCleanup`."),
            format!("Run `DISM /Image:D:\\ /Cleanup-Image /StartComponentCleanup`.{LETTERS}")
        );
        // Nothing of the running system: left as it is.
        let plain = "Free space on the disk.";
        assert_eq!(remedy(plain), plain);
    }
}
