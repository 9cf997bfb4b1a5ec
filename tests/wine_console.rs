//! A double-click, and Ctrl+C during a reset, as closely as Wine allows: wufix.exe started with no arguments in a console
//! of its own (a pseudo-terminal, through util-linux `script`), so `GetConsoleProcessList`
//! finds it alone. It must show the menu of quick fixes, run each entry as its command line
//! does (a reset shows its plan and asks; "n" is honoured), come back to the menu, and close
//! only on Q. Runs on the Linux side against the Windows build; `scripts/test.sh` sets
//! `WUFIX_WINE_EXE` once the Wine prefix is up.
#![cfg(unix)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Session {
    child: Child,
    seen: Arc<Mutex<String>>,
    /// How much of the screen earlier waits matched: a menu shown again is a new match.
    consumed: Mutex<usize>,
}

impl Session {
    /// What the console showed, as one line with single spaces: Wine's console wraps at 80
    /// columns and adds cursor escapes, and wufix wraps long lines at words; none of that is
    /// wufix's text.
    fn screen(&self) -> String {
        let raw = self.seen.lock().unwrap().clone();
        let mut text = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                // CSI: ESC [ parameters, ending with a letter.
                '\u{1b}' => {
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
                '\r' | '\n' => {}
                // A line wufix wrapped at a word continues under an indent: one space, as
                // the words were.
                ' ' if text.ends_with(' ') => {}
                c => text.push(c),
            }
        }
        text
    }

    /// The screen as a person sees it: everything shown so far through a terminal emulator
    /// 120 columns wide (tall enough to keep every line), trailing blanks trimmed.
    fn rendered(&self) -> String {
        let raw = self.seen.lock().unwrap().clone();
        let mut terminal = vt100::Parser::new(2000, 120, 0);
        terminal.process(raw.as_bytes());
        let text = terminal.screen().contents();
        text.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// What a person must never see in the menu: a line wider than the console, Markdown, or a
    /// wufix command line (technicians' Windows commands on their own are allowed).
    fn assert_reads_for_people(&self, what: &str) {
        let screen = self.rendered();
        for line in screen.lines() {
            assert!(line.chars().count() <= 120, "{what}: too wide: {line:?}");
            assert!(!line.contains('`'), "{what}: Markdown: {line:?}");
            for sub in [
                "reset", "repair", "undo", "diagnose", "explain", "status", "logs",
            ] {
                assert!(
                    !line.contains(&format!("wufix {sub} --"))
                        && !line.contains(&format!("run wufix {sub}")),
                    "{what}: a command line in the menu: {line:?}"
                );
            }
        }
    }

    /// Wait until `text` appears after whatever the previous wait matched.
    fn wait_for(&self, text: &str, limit: Duration) {
        let from = *self.consumed.lock().unwrap();
        let end = poll(limit, || {
            let screen = self.screen();
            let rest = screen.get(from..)?;
            rest.find(text).map(|at| from + at + text.len())
        })
        .unwrap_or_else(|| self.fail(&format!("no {text:?} within {limit:?}")));
        *self.consumed.lock().unwrap() = end;
    }

    /// The screen since the previous wait's match began being waited for: what one step showed.
    fn since(&self, mark: usize) -> String {
        self.screen().get(mark..).unwrap_or("").to_string()
    }

    fn mark(&self) -> usize {
        *self.consumed.lock().unwrap()
    }

    /// wufix's exit code, once it has exited (`script -e` hands it on).
    fn wait_exit(&mut self, limit: Duration) -> i32 {
        let status = poll(limit, || self.child.try_wait().unwrap())
            .unwrap_or_else(|| self.fail(&format!("wufix still running after {limit:?}")));
        status.code().expect("script exits with a code")
    }

    fn has_exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}; saw:\n{}", self.seen.lock().unwrap())
    }

    /// Whether Wine's console reads keys yet. It puts the terminal in raw mode only at the first
    /// console read; keys typed before that are cooked by the terminal (Enter becomes a line feed,
    /// which Wine reads as Ctrl+Enter, and a prompt never returns).
    fn reading(&self) -> bool {
        let Some(tty) = self.terminal() else {
            return false;
        };
        let Ok(settings) = Command::new("stty").arg("-F").arg(&tty).arg("-a").output() else {
            return false;
        };
        String::from_utf8_lossy(&settings.stdout)
            .split_whitespace()
            .any(|flag| flag == "-icanon")
    }

    /// The pseudo-terminal `script` made: the standard input of its child (wine, after `exec`).
    fn terminal(&self) -> Option<PathBuf> {
        let pid = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        children.split_whitespace().find_map(|child| {
            let tty = std::fs::read_link(format!("/proc/{child}/fd/0")).ok()?;
            tty.starts_with("/dev/pts/").then_some(tty)
        })
    }

    /// Choose the menu entry that says `text`, by the number the newest menu gives it (entries
    /// are numbered by position, and the evidence decides which are there).
    fn choose(&mut self, text: &str) {
        let screen = self.screen();
        let at = screen
            .rfind(text)
            .unwrap_or_else(|| self.fail(&format!("no menu entry {text:?}")));
        let number = screen[..at]
            .split_whitespace()
            .next_back()
            .map(|n| n.trim_end_matches('*'))
            .filter(|n| n.parse::<u32>().is_ok())
            .unwrap_or_else(|| self.fail(&format!("no number before {text:?}")))
            .to_string();
        self.type_keys(&format!("{number}\r"));
    }

    /// Types once the console reads raw keys (see `reading`).
    fn type_keys(&mut self, keys: &str) {
        let limit = Duration::from_secs(30);
        poll(limit, || self.reading().then_some(())).unwrap_or_else(|| {
            self.fail(&format!("the console did not read keys within {limit:?}"))
        });
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
}

/// `probe`'s first `Some` within `limit`, asked every 20 ms.
fn poll<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One wufix at a time: both tests drive the same machine (and a second reset would be refused).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `wufix.exe` with no arguments in a console of its own; `None` outside scripts/test.sh.
fn double_click() -> Option<Session> {
    in_console(&[])
}

/// `wufix.exe args` in a console of its own (a pseudo-terminal); `None` outside scripts/test.sh.
fn in_console(args: &[&str]) -> Option<Session> {
    let Ok(exe) = std::env::var("WUFIX_WINE_EXE") else {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return None;
    };
    let args: String = args.iter().map(|a| format!(" '{a}'")).collect();
    // A typed Ctrl+C reaches the terminal's whole foreground group as SIGINT (Wine turns it
    // into the console's Ctrl+C). A shell waiting there may die of it, dash does, bash does
    // not; so `exec` leaves no shell in the group, and `script -e` returns wufix's exit code.
    let mut child = Command::new("script")
        .args([
            "-qec",
            // A console of 120 columns and 30 rows, as Windows opens one.
            &format!("stty cols 120 rows 30; exec '{}' '{exe}'{args}", wine64()),
            "/dev/null",
        ])
        .env("SHELL", "/bin/sh")
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
    Some(Session {
        child,
        seen,
        consumed: Mutex::new(0),
    })
}

fn wine64() -> String {
    std::env::var("WUFIX_WINE64").unwrap_or_else(|_| "/usr/lib/wine/wine64".to_string())
}

/// The prefix's `C:\`, as Linux sees it.
fn drive_c() -> PathBuf {
    PathBuf::from(std::env::var("WINEPREFIX").expect("scripts/env.sh sets WINEPREFIX"))
        .join("drive_c")
}

fn ctl(verb: &str, name: &str) {
    let run = || {
        Command::new(wine64())
            .args([r"C:\wufix-test\testsvc.exe", "ctl", verb, name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    // A start can fail while the service is still stopping from the test before (a slow stop
    // on a loaded machine) or when Wine loses the new process at birth: asked again for a while.
    let mut ok = run();
    for _ in 0..10 {
        if ok || verb != "start" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        ok = run();
    }
    assert!(ok, "ctl {verb} {name}");
}

const MENU_PROMPT: &str = "Choose 1-8, or Q to quit:";
const FIND_OUT: &str = "Find out what is wrong";
const RESET_BOTH: &str = "Reset both update folders";
const TURN_BACK_ON: &str = "Turn Windows Update back on";
const RESET_CACHE: &str = "Reset the update cache only";
const REPAIR: &str = "Repair step by step";
const UNDO: &str = "Undo the last reset or repair";
const BACK: &str = "Press Enter to return to the menu.";

#[test]
fn a_double_click_shows_the_menu_and_a_reset_asks_before_acting() {
    let _machine = serial();
    let Some(mut session) = double_click() else {
        return;
    };
    session.wait_for("wufix — repair Windows Update", Duration::from_secs(60));
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    // A console's Enter is a carriage return. Anything but an entry is asked again.
    session.type_keys("9\r");
    session.wait_for("Type a number from 1 to 8, or Q.", Duration::from_secs(30));
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose(RESET_BOTH);
    let mark = session.mark();
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    assert!(
        session.since(mark).contains("wufix will pause")
            && session.since(mark).contains("It takes about a minute.")
            && session.since(mark).to_lowercase().contains("undo puts"),
        "the plan is said first, in words: {}",
        session.since(mark)
    );
    // Every step on request, then the same question again.
    session.type_keys("d\r");
    let mark = session.mark();
    session.wait_for("Proceed? [y/N]", Duration::from_secs(30));
    assert!(
        session.since(mark).contains("rename-folder"),
        "{}",
        session.since(mark)
    );
    session.type_keys("n\r");
    session.wait_for("cancelled; nothing was changed", Duration::from_secs(30));
    session.wait_for(BACK, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!session.has_exited(), "the window must wait for Enter");
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!session.has_exited(), "the menu stays until Q");
    // The repair shows every rung's plan and asks too.
    session.choose(REPAIR);
    session.wait_for("Proceed?", Duration::from_secs(60));
    session.type_keys("d\r");
    let mark = session.mark();
    session.wait_for("Proceed?", Duration::from_secs(60));
    let shown = session.since(mark);
    assert!(
        shown.contains("rename-folder") && shown.contains("service-permissions"),
        "{shown}"
    );
    session.type_keys("n\r");
    session.wait_for("cancelled; nothing was changed", Duration::from_secs(30));
    session.wait_for(BACK, Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    assert_eq!(
        session.wait_exit(Duration::from_secs(30)),
        1,
        "the last action, the repair, was cancelled"
    );
}

/// Every screen of the menu's flow, as a person sees it in a console of 120 columns: nothing
/// wider, no Markdown, no command line; the menu and an explained code kept as snapshots.
#[test]
fn every_screen_of_the_menu_reads_for_people() {
    let _machine = serial();
    let Some(mut session) = double_click() else {
        return;
    };
    session.wait_for(MENU_PROMPT, Duration::from_secs(60));
    session.assert_reads_for_people("the menu");
    insta::assert_snapshot!("menu_on_a_clean_machine", session.rendered());
    session.choose("Explain an error code");
    session.wait_for("or Enter to go back:", Duration::from_secs(30));
    // What Settings shows, pasted whole; then a word that is no code, asked again.
    session.type_keys("Error 0x800f0922\r");
    session.wait_for(BACK, Duration::from_secs(30));
    session.assert_reads_for_people("explain");
    let mark = session.mark();
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    let explained = session.rendered();
    let at = explained
        .find("0x800F0922  CBS_E_INSTALLERS_FAILED")
        .expect("explained");
    let end = explained[at..]
        .find("Press Enter")
        .map_or(explained.len(), |e| at + e);
    insta::assert_snapshot!("explain_0x800f0922_in_the_menu", explained[at..end].trim());
    assert!(
        session
            .since(mark)
            .contains("wufix — repair Windows Update"),
        "back in the menu"
    );
    session.choose(FIND_OUT);
    session.wait_for(BACK, Duration::from_secs(60));
    session.assert_reads_for_people("diagnose");
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose("Explain an error code");
    session.wait_for("or Enter to go back:", Duration::from_secs(30));
    session.type_keys("no code here\r");
    session.wait_for("Try again.", Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose(RESET_BOTH);
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    session.assert_reads_for_people("the reset's question");
    session.type_keys("n\r");
    session.wait_for(BACK, Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    session.wait_exit(Duration::from_secs(30));
    session.assert_reads_for_people("the whole session");
}

/// Puts a service's start type back to on-demand, whatever the test did.
struct StartTypeBack(&'static str);

impl Drop for StartTypeBack {
    fn drop(&mut self) {
        ctl("demand", self.0);
    }
}

/// The menu follows the quick checks: with wuauserv disabled (a blocker's signature) its verdict
/// says a reset will not fix it, recommends turning Windows Update back on, says so again when
/// a reset is chosen anyway, and the entry puts the start type back; every change ends with how
/// to restart and where undo is, never a command line.
#[test]
fn the_menu_follows_the_diagnosis_and_turns_a_disabled_windows_update_back_on() {
    let _machine = serial();
    if std::env::var("WUFIX_WINE_EXE").is_err() {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    }
    let _back = StartTypeBack("wuauserv");
    ctl("stop", "wuauserv");
    ctl("disable", "wuauserv");
    let mut session = double_click().expect("WUFIX_WINE_EXE is set");
    let mark = session.mark();
    session.wait_for("or Q to quit:", Duration::from_secs(60));
    let menu = session.since(mark);
    assert!(
        menu.contains("Resetting the folders will not fix this: what an update blocker turned off must be turned back on first.")
            && menu.contains("Recommended: Turn Windows Update back on")
            && !menu.contains('`'),
        "{menu}"
    );
    session.choose(RESET_BOTH);
    let mark = session.mark();
    session.wait_for("Reset anyway? [y/N]", Duration::from_secs(30));
    assert!(
        session
            .since(mark)
            .contains("Resetting the folders will not fix this:"),
        "{}",
        session.since(mark)
    );
    session.type_keys("n\r");
    session.wait_for("or Q to quit:", Duration::from_secs(60));
    session.choose(TURN_BACK_ON);
    let mark = session.mark();
    session.wait_for("Proceed?", Duration::from_secs(60));
    assert!(
        session.since(mark).contains("wuauserv"),
        "{}",
        session.since(mark)
    );
    session.type_keys("y\r");
    session.wait_for(BACK, Duration::from_secs(120));
    let done = session.since(mark);
    assert!(
        done.contains(
            "Restart your PC (Start → Power → Restart) before you try Windows Update again."
        ) && done.contains("To put things back: choose \"Undo the last reset or repair"),
        "{done}"
    );
    let key = r"HKLM\SYSTEM\CurrentControlSet\Services\wuauserv";
    let start = Command::new(wine64())
        .args(["reg", "query", key, "/v", "Start"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let start = String::from_utf8_lossy(&start.stdout);
    assert!(start.contains("0x3"), "back to on demand: {start}");
    session.type_keys("\r");
    session.wait_for("or Q to quit:", Duration::from_secs(60));
    let mark = session.mark();
    session.type_keys("q\r");
    // Wine's update agent implements no scan: the repair is done but not verified (exit 1).
    session.wait_exit(Duration::from_secs(30));
    assert!(
        session.screen()[mark..].contains("Restart your PC"),
        "Q after a change reminds of the restart: {}",
        session.since(mark)
    );
}

#[test]
fn the_menu_diagnoses_resets_the_cache_only_then_undoes_it_and_restores_the_services() {
    let _machine = serial();
    if std::env::var("WUFIX_WINE_EXE").is_err() {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    }
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        ctl("start", name);
    }
    let windows = drive_c().join("windows");
    let sd = windows.join("SoftwareDistribution");
    let catroot2 = windows.join("system32").join("catroot2");
    std::fs::create_dir_all(&sd).unwrap();
    std::fs::write(sd.join("DataStore.edb"), "x").unwrap();
    std::fs::create_dir_all(&catroot2).unwrap();
    std::fs::write(catroot2.join("catdb"), "x").unwrap();
    let backups = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("SoftwareDistribution.wufix-"))
            .collect()
    };
    let before = backups(&windows);

    let mut session = double_click().expect("WUFIX_WINE_EXE is set");
    session.wait_for(MENU_PROMPT, Duration::from_secs(60));
    session.choose(FIND_OUT);
    let mark = session.mark();
    session.wait_for(BACK, Duration::from_secs(60));
    assert!(
        session.since(mark).contains("free on the Windows volume"),
        "diagnose ran: {}",
        session.since(mark)
    );
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose(RESET_CACHE);
    let mark = session.mark();
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    let plan = session.since(mark);
    assert!(plan.contains("SoftwareDistribution"), "{plan}");
    assert!(!plan.contains("catroot2"), "the cache only: {plan}");
    session.type_keys("y\r");
    session.wait_for(
        "Restart Windows now to finish? [y/N]",
        Duration::from_secs(90),
    );
    let done = session.since(mark);
    assert!(done.contains("Reset complete."), "{done}");
    assert!(done.contains("To undo"), "{done}");
    session.type_keys("n\r");
    session.wait_for(BACK, Duration::from_secs(30));
    // One new backup (older ones beyond --keep's 3 may have been pruned).
    let new: Vec<String> = backups(&windows)
        .into_iter()
        .filter(|b| !before.contains(b))
        .collect();
    assert_eq!(new.len(), 1, "one new backup: {new:?}");
    assert!(!sd.exists() || !sd.join("DataStore.edb").exists());
    assert!(catroot2.join("catdb").exists(), "catroot2 untouched");

    // The undo entry puts the cache back, asking first.
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose(UNDO);
    let mark = session.mark();
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    assert!(
        session
            .since(mark)
            .contains("put back the update cache (SoftwareDistribution) from its backup"),
        "{}",
        session.since(mark)
    );
    session.type_keys("y\r");
    session.wait_for("Undo complete", Duration::from_secs(90));
    // A restart is offered after an undo too, never forced.
    session.wait_for(
        "Restart Windows now to finish? [y/N]",
        Duration::from_secs(30),
    );
    session.type_keys("n\r");
    session.wait_for(BACK, Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    assert_eq!(session.wait_exit(Duration::from_secs(30)), 0);
    assert_eq!(
        std::fs::read_to_string(sd.join("DataStore.edb")).unwrap(),
        "x"
    );
    assert!(catroot2.join("catdb").exists(), "catroot2 untouched");
    for name in ["wuauserv", "bits", "cryptsvc"] {
        let state = Command::new(wine64())
            .args([r"C:\wufix-test\testsvc.exe", "ctl", "query", name])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&state.stdout).starts_with("Running"),
            "{name} runs again"
        );
    }
}

/// Puts cryptsvc back to obeying STOP, whatever the assertions say.
struct ObeyAgain(PathBuf);

impl Drop for ObeyAgain {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The four services running, cryptsvc taking 5 s to stop (so that a Ctrl+C typed once the stops
/// have begun arrives while they go on), until the guard is dropped.
fn slow_cryptsvc() -> ObeyAgain {
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        ctl("start", name);
    }
    let on_stop = drive_c().join("wufix-test").join("cryptsvc.onstop");
    std::fs::write(&on_stop, "delay 5").unwrap();
    ObeyAgain(on_stop)
}

#[test]
fn ctrl_c_during_a_reset_skips_the_rest_and_restarts_the_services() {
    let _machine = serial();
    if std::env::var("WUFIX_WINE_EXE").is_err() {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    }
    let _obey = slow_cryptsvc();
    let sd = drive_c().join("windows").join("SoftwareDistribution");
    std::fs::create_dir_all(&sd).unwrap();
    std::fs::write(sd.join("keep.me"), "x").unwrap();

    let mut session = double_click().expect("WUFIX_WINE_EXE is set");
    session.wait_for(MENU_PROMPT, Duration::from_secs(60));
    session.choose(RESET_BOTH);
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    session.type_keys("y\r");
    // Said once Ctrl+C is caught and the stops have begun; cryptsvc then takes 5 s.
    session.wait_for("stopping wuauserv", Duration::from_secs(30));
    session.type_keys("\u{3}");
    session.wait_for(BACK, Duration::from_secs(60));
    let seen = session.screen();
    assert!(seen.contains("interrupted before this step"), "{seen}");
    assert!(
        seen.contains(
            "Interrupted: the remaining steps were skipped and the services started again"
        ),
        "{seen}"
    );
    assert!(sd.join("keep.me").exists(), "the folder must be left alone");
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    assert_eq!(
        session.wait_exit(Duration::from_secs(30)),
        1,
        "an interrupted reset did not finish"
    );
    // A start reported by wufix may still be settling when it exits: watched for a while, and
    // the screen shown if it never runs (the run's own words say whether its start failed).
    let mut state = String::new();
    for _ in 0..30 {
        let query = Command::new(wine64())
            .args([r"C:\wufix-test\testsvc.exe", "ctl", "query", "cryptsvc"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        state = String::from_utf8_lossy(&query.stdout).trim().to_string();
        if state.starts_with("Running") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        state.starts_with("Running"),
        "cryptsvc runs again (it is: {state}); the screen was:\n{seen}"
    );
}

/// An interrupt belongs to the run it interrupted: in the same menu, the next reset runs whole.
/// (Before each run made its own interrupt guard, the first Ctrl+C stayed set and every later
/// reset of the session was "interrupted" before its first step.)
#[test]
fn after_ctrl_c_a_second_reset_from_the_same_menu_completes() {
    let _machine = serial();
    if std::env::var("WUFIX_WINE_EXE").is_err() {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    }
    let obey = slow_cryptsvc();
    let windows = drive_c().join("windows");
    let sd = windows.join("SoftwareDistribution");
    std::fs::create_dir_all(&sd).unwrap();
    std::fs::write(sd.join("second.run"), "x").unwrap();
    let backups_before: Vec<_> = std::fs::read_dir(&windows)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();

    let mut session = double_click().expect("WUFIX_WINE_EXE is set");
    session.wait_for(MENU_PROMPT, Duration::from_secs(60));
    session.choose(RESET_BOTH);
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    session.type_keys("y\r");
    session.wait_for("stopping wuauserv", Duration::from_secs(30));
    session.type_keys("\u{3}");
    session.wait_for("Interrupted:", Duration::from_secs(60));
    session.wait_for(BACK, Duration::from_secs(60));
    assert!(sd.join("second.run").exists(), "the first reset left it");
    // The second reset: cryptsvc obeys at once.
    std::fs::remove_file(&obey.0).unwrap();
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.choose(RESET_BOTH);
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    let mark = session.mark();
    session.type_keys("y\r");
    session.wait_for(
        "Restart Windows now to finish? [y/N]",
        Duration::from_secs(90),
    );
    let second = session.since(mark);
    assert!(second.contains("Reset complete."), "{second}");
    assert!(!second.contains("interrupted before this step"), "{second}");
    session.type_keys("n\r");
    session.wait_for(BACK, Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    assert_eq!(session.wait_exit(Duration::from_secs(30)), 0);
    let made: Vec<_> = std::fs::read_dir(&windows)
        .unwrap()
        .flatten()
        .filter(|e| !backups_before.contains(&e.file_name()))
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("SoftwareDistribution.wufix-")
        })
        .collect();
    assert_eq!(made.len(), 1, "the second reset set the cache aside");
    assert!(made[0].path().join("second.run").exists());
}

#[test]
fn a_question_waiting_for_a_person_holds_no_lock_and_the_plan_is_made_again_after() {
    let _machine = serial();
    let Ok(exe) = std::env::var("WUFIX_WINE_EXE") else {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    };
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        ctl("start", name);
    }
    let windows = drive_c().join("windows");
    let catroot2 = windows.join("system32").join("catroot2");
    std::fs::create_dir_all(&catroot2).unwrap();
    std::fs::write(catroot2.join("catdb"), "x").unwrap();
    std::fs::create_dir_all(windows.join("SoftwareDistribution")).unwrap();

    let mut session = double_click().expect("WUFIX_WINE_EXE is set");
    session.wait_for(MENU_PROMPT, Duration::from_secs(60));
    session.choose(RESET_BOTH);
    session.wait_for("Proceed? [y/N]", Duration::from_secs(60));
    // Someone else resets catroot2 while the question waits (an RMM run, say): it is not locked out.
    let other = Command::new(wine64())
        .args([exe.as_str(), "reset", "--yes", "--only", "catroot2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        other.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    assert!(!catroot2.exists());
    session.type_keys("y\r");
    session.wait_for(
        "Restart Windows now to finish? [y/N]",
        Duration::from_secs(60),
    );
    let seen = session.screen();
    // The plan was made again: catroot2 is gone now, so there is nothing to do for it.
    assert!(
        seen.contains("catroot2 (not present; nothing to do)"),
        "{seen}"
    );
    session.type_keys("\r");
    session.wait_for(BACK, Duration::from_secs(30));
    session.type_keys("\r");
    session.wait_for(MENU_PROMPT, Duration::from_secs(30));
    session.type_keys("q\r");
    assert_eq!(session.wait_exit(Duration::from_secs(30)), 0, "{seen}");
    assert!(!windows.join("SoftwareDistribution").exists());
}

/// Puts Wine's own System32 program back over a stand-in, and its load order, on drop.
struct StandIn(PathBuf);

impl Drop for StandIn {
    fn drop(&mut self) {
        let name = self.0.file_name().unwrap().to_string_lossy().into_owned();
        let saved = self.0.with_extension("wine");
        if saved.exists() {
            let _ = std::fs::rename(&saved, &self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
        let _ = Command::new(wine64())
            .args([
                "reg",
                "delete",
                r"HKCU\Software\Wine\DllOverrides",
                "/v",
                &name,
                "/f",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
    }
}

fn stand_in(name: &str) -> StandIn {
    let path = drive_c().join("windows").join("system32").join(name);
    if path.exists() && !path.with_extension("wine").exists() {
        std::fs::rename(&path, path.with_extension("wine")).unwrap();
    }
    std::fs::copy(drive_c().join("wufix-test").join("testsvc.exe"), &path).unwrap();
    let ok = Command::new(wine64())
        .args([
            "reg",
            "add",
            r"HKCU\Software\Wine\DllOverrides",
            "/v",
            name,
            "/d",
            "native",
            "/f",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "DllOverrides for {name}");
    StandIn(path)
}

#[test]
fn dism_progress_is_drawn_live_in_a_console() {
    let _machine = serial();
    if std::env::var("WUFIX_WINE_EXE").is_err() {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    }
    let _dism = stand_in("dism.exe");
    let _sfc = stand_in("sfc.exe");
    let _ = std::fs::remove_file(drive_c().join("wufix-test").join("dism.exit"));
    let mut session = in_console(&[
        "repair",
        "--from",
        "deep",
        "--up-to",
        "deep",
        "--no-verify",
        "--yes",
    ])
    .expect("WUFIX_WINE_EXE is set");
    assert_eq!(
        session.wait_exit(Duration::from_secs(120)),
        0,
        "{}",
        session.screen()
    );
    let seen = session.screen();
    // The stand-in prints its bar at 10, 55.5 and 100 %, 300 ms apart; the bar shows them live,
    // and the report keeps none of them.
    assert!(
        seen.contains("DISM 55.5%") || seen.contains("DISM 10.0%"),
        "{seen}"
    );
    assert!(seen.contains("no integrity violations"), "{seen}");
}
