//! wufix-testsvc: the Windows-side helper of wufix's Wine suite. Never shipped.
//!
//! - `run NAME`: be service NAME. On STOP it reads `C:\wufix-test\NAME.onstop`: `obey` (or no
//!   file) stops at once; `delay SECS` reports stop-pending with growing checkpoints for SECS
//!   seconds, then stops; `ignore` keeps running, and stops as soon as the file says `obey`;
//!   `revive` stops, and 300 ms later starts itself again, once (as usosvc does to wuauserv);
//!   `start OTHER` starts service OTHER, then stops (a trigger starting a stopped guard);
//!   `hang SECS` blocks the control handler itself for SECS seconds and keeps running (a wedged
//!   service: ControlService does not return meanwhile). `C:\wufix-test\NAME.onstart` = `fail CODE`
//!   makes the service stop right after starting, with that service-specific exit code.
//! - `hold PATH`: open PATH without any sharing, print `holding`, keep it open until stdin closes.
//! - `ctl start|stop|query|disable|demand NAME`: drive the service manager independently of wufix.
//! - `regset KEY NAME TYPE HEX`, `regget KEY NAME`: a value under HKLM written or read exactly, as a
//!   type number and bytes (`regget` prints `TYPE HEX` or `absent`).
//! - copied as `dism.exe` or `sfc.exe`: a stand-in for that program (see `standin`).

#[cfg(windows)]
mod reg;
#[cfg(windows)]
mod standin;
#[cfg(windows)]
mod win;

fn main() {
    #[cfg(windows)]
    std::process::exit(win::main());
    #[cfg(not(windows))]
    {
        eprintln!("wufix-testsvc runs on Windows (or Wine) only");
        std::process::exit(2);
    }
}
