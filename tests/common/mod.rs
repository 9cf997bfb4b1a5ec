//! Helpers shared by the integration tests (native and Wine).
#![allow(dead_code)]

pub mod volume;
#[cfg(windows)]
pub mod wine;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Run the real wufix binary with no stdin (as a fleet tool or CI would).
pub fn wufix(args: &[&str]) -> Output {
    output(
        Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args(args)
            .stdin(Stdio::null()),
    )
    .expect("wufix runs")
}

/// `Command::output`, tried again when the child never started (see `started`).
pub fn output(command: &mut Command) -> io::Result<Output> {
    started(|| command.output())
}

/// `Command::spawn`, tried again when the child never started (see `started`).
pub fn spawn(command: &mut Command) -> io::Result<Child> {
    started(|| command.spawn())
}

/// Wine 8 now and then loses a new process during its own startup, before any of the child's
/// code runs: CreateProcess then fails with ERROR_INTERNAL_ERROR (1359). Nothing ran, so
/// starting it again is safe; any other error, or a third 1359, is the test's to see.
fn started<T>(mut start: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    const ERROR_INTERNAL_ERROR: i32 = 1359;
    let mut attempt = 1;
    loop {
        match start() {
            Err(err)
                if cfg!(windows)
                    && err.raw_os_error() == Some(ERROR_INTERNAL_ERROR)
                    && attempt < 3 =>
            {
                eprintln!("process start failed with 1359 (Wine); trying again");
                attempt += 1;
                std::thread::sleep(Duration::from_millis(250));
            }
            result => return result,
        }
    }
}

/// The one JSON document on stdout. Under `scripts/test.sh` each is also kept (in
/// `WUFIX_REPORTS`, a folder; `WUFIX_REPORTS_WIN` for the Windows build, as Wine names it), for
/// `scripts/validate-reports.py` to check against the published schema.
pub fn json(output: &Output) -> serde_json::Value {
    keep(&output.stdout);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not one JSON document ({err}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Write `count` files spread over a few subfolders, with contents that tell them apart.
pub fn populate(dir: &Path, count: usize) {
    for i in 0..count {
        let sub = dir
            .join(format!("sub{}", i % 4))
            .join(if i % 3 == 0 { "deeper" } else { "" });
        fs::create_dir_all(&sub).unwrap();
        fs::write(
            sub.join(format!("file{i}.dat")),
            format!("contents of file {i}"),
        )
        .unwrap();
    }
}

/// Every entry below `dir` with its size (folders as `None`): equal trees, equal maps.
pub fn tree(dir: &Path) -> BTreeMap<String, Option<u64>> {
    let mut map = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                map.insert(rel, None);
                pending.push(path);
            } else {
                map.insert(rel, Some(meta.len()));
            }
        }
    }
    map
}

/// A folder's entries with their sizes or hashes.
pub type Tree = BTreeMap<String, Option<u64>>;

/// Every file below `dir` with a hash of its contents (folders as `None`): what "the same
/// contents" means for undo.
pub fn digest(dir: &Path) -> BTreeMap<String, Option<u64>> {
    use std::hash::{Hash, Hasher};
    tree(dir)
        .into_iter()
        .map(|(rel, size)| {
            let hash = size.map(|_| {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                fs::read(dir.join(&rel)).unwrap().hash(&mut hasher);
                hasher.finish()
            });
            (rel, hash)
        })
        .collect()
}

/// The steps of a JSON report with this action, as (target, outcome, detail).
pub fn steps<'a>(report: &'a serde_json::Value, action: &str) -> Vec<&'a serde_json::Value> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == action)
        .collect()
}

fn keep(stdout: &[u8]) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let var = if cfg!(windows) {
        "WUFIX_REPORTS_WIN"
    } else {
        "WUFIX_REPORTS"
    };
    let Some(dir) = std::env::var_os(var) else {
        return;
    };
    let name = format!(
        "{}-{}-{}.json",
        std::process::id(),
        std::thread::current()
            .name()
            .unwrap_or("main")
            .replace("::", "-"),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let _ = std::fs::write(std::path::Path::new(&dir).join(name), stdout);
}

/// `from`'s tree copied to `to` (folders made as needed), for the corpora.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}
