//! A double-click, as closely as Wine allows: wufix.exe started with no arguments in a console
//! of its own (a pseudo-terminal, through util-linux `script`), so `GetConsoleProcessList`
//! finds it alone. It must show the guided reset, ask, honour "n", and keep its window open
//! until Enter. Runs on the Linux side against the Windows build; `scripts/test.sh` sets
//! `WUFIX_WINE_EXE` once the Wine prefix is up.
#![cfg(unix)]

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Session {
    child: Child,
    seen: Arc<Mutex<String>>,
}

impl Session {
    fn wait_for(&self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.seen.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} within {limit:?}; saw:\n{}",
                self.seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_keys(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_double_click_shows_the_plan_asks_and_waits_for_enter() {
    let Ok(exe) = std::env::var("WUFIX_WINE_EXE") else {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    };
    let wine = std::env::var("WUFIX_WINE64").unwrap_or_else(|_| "/usr/lib/wine/wine64".to_string());
    let mut child = Command::new("script")
        .args(["-qec", &format!("{wine} {exe}; echo EXIT=$?"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script runs");
    let mut out = child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut session = Session { child, seen };

    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    assert!(
        session.seen.lock().unwrap().contains("rename-folder"),
        "the plan is shown first"
    );
    // A console's Enter is a carriage return.
    session.type_keys("n\r");
    session.wait_for("cancelled; nothing was changed", Duration::from_secs(30));
    session.wait_for("Press Enter to close this window.", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !session.seen.lock().unwrap().contains("EXIT="),
        "the window must wait for Enter"
    );
    session.type_keys("\r");
    session.wait_for("EXIT=1", Duration::from_secs(30));
}
