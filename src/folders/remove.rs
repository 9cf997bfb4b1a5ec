//! Deleting folder contents safely: every entry is acted on relative to its open parent
//! (`sys::dir`), so a folder swapped for a link mid-walk is removed as a link, never followed; a
//! mount point is never crossed; locked files are retried for a bounded time; whatever still cannot
//! go is reported entry by entry, and everything else is removed. Depth costs neither stack, nor
//! path length, nor (on Unix) more than `sys::dir::MAX_OPEN` open directories.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::Clock;
use crate::sys;
use crate::sys::dir::{Dir, DirId, Entry, Kind, OpenChild};

/// An entry that could not be removed, with the operating system's reason.
#[derive(Debug)]
pub struct Failure {
    pub path: PathBuf,
    pub error: io::Error,
}

/// What one removal did.
#[derive(Debug, Default)]
pub struct Removal {
    /// Entries removed: files, links and folders.
    pub removed: u64,
    pub failures: Vec<Failure>,
    /// Counts removals as they happen, for a progress bar on another thread.
    counter: Option<Arc<AtomicU64>>,
}

impl Removal {
    fn removed_one(&mut self) {
        self.removed += 1;
        if let Some(counter) = &self.counter {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn fail(&mut self, path: PathBuf, error: io::Error) {
        self.failures.push(Failure { path, error });
    }
}

/// The first retry waits this long; each next one twice as long, up to `MAX_RETRY_DELAY`.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(25);
const MAX_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Delete everything inside `dir`, keeping `dir` itself.
pub fn clear_contents(dir: &Path, clock: &dyn Clock, retry_for: Duration) -> Removal {
    clear_contents_counted(dir, clock, retry_for, None)
}

/// [`clear_contents`], adding each removal to `counter` as it happens.
pub fn clear_contents_counted(
    dir: &Path,
    clock: &dyn Clock,
    retry_for: Duration,
    counter: Option<Arc<AtomicU64>>,
) -> Removal {
    with_retries(clock, retry_for, counter, |out| match Dir::open(dir) {
        Ok(root) => {
            remove_below(root, dir, out, clock);
        }
        Err(err) => out.fail(dir.to_path_buf(), err),
    })
}

/// Delete `path` and everything inside it. A link is removed itself; a missing path is no error.
pub fn remove_tree(path: &Path, clock: &dyn Clock, retry_for: Duration) -> Removal {
    with_retries(clock, retry_for, None, |out| {
        let (Some(parent_path), Some(name)) = (path.parent(), path.file_name()) else {
            return out.fail(path.to_path_buf(), io::Error::other("not a removable path"));
        };
        let parent = match Dir::open(parent_path) {
            Ok(parent) => parent,
            Err(err) => return out.fail(parent_path.to_path_buf(), err),
        };
        match parent.open_child(name) {
            OpenChild::Dir(dir) => {
                if remove_below(dir, path, out, clock) {
                    record(out, path.to_path_buf(), parent.remove_dir(name));
                }
            }
            OpenChild::NotADir => {
                record(out, path.to_path_buf(), parent.remove_file(name));
            }
            OpenChild::OtherMount => out.fail(path.to_path_buf(), mount_point()),
            OpenChild::Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            OpenChild::Err(err) => out.fail(path.to_path_buf(), err),
        }
    })
}

fn mount_point() -> io::Error {
    io::Error::other("another file system is mounted here; wufix does not cross into it")
}

/// Run removal passes until nothing is locked any more or `retry_for` has passed. Each pass
/// sees only what earlier passes left, so a retry costs as much as what is still there.
fn with_retries(
    clock: &dyn Clock,
    retry_for: Duration,
    counter: Option<Arc<AtomicU64>>,
    mut pass: impl FnMut(&mut Removal),
) -> Removal {
    let deadline = clock.now() + retry_for;
    let mut removed = 0;
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let mut out = Removal {
            counter: counter.clone(),
            ..Removal::default()
        };
        pass(&mut out);
        removed += out.removed;
        let locked = out
            .failures
            .iter()
            .any(|f| sys::is_sharing_violation(&f.error));
        if !locked || clock.cancelled() || clock.now() + delay > deadline {
            return Removal {
                removed,
                failures: out.failures,
                counter: None,
            };
        }
        clock.sleep(delay);
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

/// Count a removal, or record why it failed. A vanished entry is neither.
fn record(out: &mut Removal, path: PathBuf, result: io::Result<()>) -> bool {
    match result {
        Ok(()) => {
            out.removed_one();
            true
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => true,
        Err(err) => {
            out.fail(path, err);
            false
        }
    }
}

/// One open (or, deep in a tree, temporarily closed) directory of the walk.
struct Frame {
    /// Its name in its parent (empty for the root).
    name: OsString,
    id: DirId,
    dir: Option<Dir>,
    /// Entries still to handle.
    entries: Vec<Entry>,
    /// Whether everything below it has been removed so far.
    emptied: bool,
}

/// The walk's position: the root's path plus each frame's name, built only to report a failure.
fn path_of(root: &Path, stack: &[Frame], name: Option<&OsStr>) -> PathBuf {
    let mut path = root.to_path_buf();
    for frame in stack.iter().skip(1) {
        path.push(&frame.name);
    }
    if let Some(name) = name {
        path.push(name);
    }
    path
}

/// Remove everything below `root` (not `root` itself), depth first with an explicit stack.
/// Returns whether `root` is now empty. A folder whose contents could not all go is left in place
/// without a failure of its own: the entries inside it carry the reasons. Once the run is
/// interrupted (`clock.cancelled()`) it stops before the next entry and says so.
fn remove_below(root: Dir, root_path: &Path, out: &mut Removal, clock: &dyn Clock) -> bool {
    let entries = match root.entries() {
        Ok(entries) => entries,
        Err(err) => {
            out.fail(root_path.to_path_buf(), err);
            return false;
        }
    };
    let mut stack = vec![Frame {
        name: OsString::new(),
        id: root.id(),
        dir: Some(root),
        entries,
        emptied: true,
    }];
    loop {
        if clock.cancelled() {
            out.fail(
                root_path.to_path_buf(),
                io::Error::new(
                    io::ErrorKind::Interrupted,
                    "interrupted: the rest was left as it was",
                ),
            );
            return false;
        }
        let top = stack.len() - 1;
        let Some(entry) = stack[top].entries.pop() else {
            let done = stack
                .pop()
                .expect("the loop runs while the stack has a frame");
            if stack.is_empty() {
                return done.emptied;
            }
            if !reopen_parent(&mut stack, &done, root_path, out) {
                // The parent was moved or replaced under the walk: stop acting on it.
                return false;
            }
            // The finished folder's own handle goes first: Windows removes a folder only once
            // nothing holds it open.
            let Frame {
                name, emptied, dir, ..
            } = done;
            drop(dir);
            let parent = stack.last_mut().expect("a parent frame");
            let dir = parent.dir.as_ref().expect("reopened above");
            let ok = emptied && {
                let result = dir.remove_dir(&name);
                let path = || path_of(root_path, &stack, Some(&name));
                match result {
                    Ok(()) => {
                        out.removed_one();
                        true
                    }
                    Err(err) if err.kind() == io::ErrorKind::NotFound => true,
                    Err(err) => {
                        let path = path();
                        out.fail(path, err);
                        false
                    }
                }
            };
            stack.last_mut().expect("a parent frame").emptied &= ok;
            continue;
        };
        let ok = match entry.kind {
            Kind::Dir => descend(&mut stack, entry.name, root_path, out),
            Kind::Link | Kind::Other => {
                let dir = stack[top].dir.as_ref().expect("the top frame is open");
                match dir.remove_file(&entry.name) {
                    // Swapped for a folder since it was listed: walk it as one.
                    Err(err) if sys::dir::is_a_directory(&err) => {
                        descend(&mut stack, entry.name, root_path, out)
                    }
                    result => {
                        let path = path_of(root_path, &stack, Some(&entry.name));
                        record(out, path, result)
                    }
                }
            }
        };
        // `descend` may have pushed a frame: the entry's own parent is still at `top`.
        stack[top].emptied &= ok;
    }
}

/// Enter the child folder `name` of the top frame. Returns false when it failed (already
/// recorded); true when it was entered (its frame decides later) or turned out to be a link or
/// file that was removed as itself.
fn descend(stack: &mut Vec<Frame>, name: OsString, root_path: &Path, out: &mut Removal) -> bool {
    let top = stack.len() - 1;
    let dir = stack[top].dir.as_ref().expect("the top frame is open");
    match dir.open_child(&name) {
        OpenChild::Dir(child) => match child.entries() {
            Ok(entries) => {
                stack.push(Frame {
                    name,
                    id: child.id(),
                    dir: Some(child),
                    entries,
                    emptied: true,
                });
                close_beyond_window(stack);
                true
            }
            Err(err) => {
                let path = path_of(root_path, stack, Some(&name));
                out.fail(path, err);
                false
            }
        },
        // A link (or file) where a folder was listed: removed as itself, never followed.
        OpenChild::NotADir => {
            let result = dir.remove_file(&name);
            let path = path_of(root_path, stack, Some(&name));
            record(out, path, result)
        }
        OpenChild::OtherMount => {
            let path = path_of(root_path, stack, Some(&name));
            out.fail(path, mount_point());
            false
        }
        OpenChild::Err(err) => {
            let path = path_of(root_path, stack, Some(&name));
            record(out, path, Err(err))
        }
    }
}

/// Keep at most `sys::dir::MAX_OPEN` directories open: close the shallowest ones (never the
/// root's).
fn close_beyond_window(stack: &mut [Frame]) {
    let open = stack.iter().filter(|f| f.dir.is_some()).count();
    if open <= sys::dir::MAX_OPEN {
        return;
    }
    if let Some(frame) = stack.iter_mut().skip(1).find(|f| f.dir.is_some()) {
        frame.dir = None;
    }
}

/// Make sure the frame now on top (the parent of `done`) is open. A closed one is reopened as
/// `..` of `done`, and must be the very directory it was: otherwise it was moved or replaced
/// mid-walk, and the walk stops rather than act on something else.
fn reopen_parent(stack: &mut [Frame], done: &Frame, root_path: &Path, out: &mut Removal) -> bool {
    let parent = stack.last_mut().expect("a parent frame");
    if parent.dir.is_some() {
        return true;
    }
    let child = done.dir.as_ref().expect("a finished frame is open");
    match child.open_parent() {
        Ok(dir) if dir.id() == parent.id => {
            parent.dir = Some(dir);
            true
        }
        other => {
            let err = other.err().unwrap_or_else(|| {
                io::Error::other("moved or replaced while being cleared; left as it is")
            });
            let path = path_of(root_path, stack, None);
            out.fail(path, err);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::clock::SystemClock;

    fn populate(dir: &Path) {
        fs::create_dir_all(dir.join("a/b/c")).unwrap();
        fs::write(dir.join("top.txt"), "x").unwrap();
        fs::write(dir.join("a/one.bin"), [0u8; 100]).unwrap();
        fs::write(dir.join("a/b/c/deep.txt"), "deep").unwrap();
    }

    #[test]
    fn clear_removes_everything_and_keeps_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        populate(tmp.path());
        let removal = clear_contents(tmp.path(), &SystemClock, Duration::ZERO);
        assert!(removal.failures.is_empty(), "{:?}", removal.failures);
        assert_eq!(removal.removed, 6);
        assert!(tmp.path().is_dir());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn remove_tree_removes_the_folder_and_ignores_a_missing_one() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        populate(&target);
        assert!(
            remove_tree(&target, &SystemClock, Duration::ZERO)
                .failures
                .is_empty()
        );
        assert!(!target.exists());
        let again = remove_tree(&target, &SystemClock, Duration::ZERO);
        assert_eq!((again.removed, again.failures.len()), (0, 0));
    }

    #[test]
    fn read_only_files_and_folders_of_them_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("cat")).unwrap();
        for path in [tmp.path().join("top.cat"), tmp.path().join("cat/inner.cat")] {
            fs::write(&path, "x").unwrap();
            let mut perms = fs::metadata(&path).unwrap().permissions();
            perms.set_readonly(true);
            fs::set_permissions(&path, perms).unwrap();
        }
        let removal = clear_contents(tmp.path(), &SystemClock, Duration::ZERO);
        assert!(removal.failures.is_empty(), "{:?}", removal.failures);
        assert_eq!(removal.removed, 3);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_deep_tree_is_removed_completely() {
        let tmp = tempfile::tempdir().unwrap();
        let mut dir = tmp.path().to_path_buf();
        for _ in 0..200 {
            dir.push("d");
        }
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("leaf"), "x").unwrap();
        let removal = clear_contents(tmp.path(), &SystemClock, Duration::ZERO);
        assert!(removal.failures.is_empty(), "{:?}", removal.failures);
        assert_eq!(removal.removed, 201);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_removed_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir_all(outside.join("sub")).unwrap();
        fs::write(outside.join("keep.txt"), "precious").unwrap();
        fs::write(outside.join("sub/keep2.txt"), "precious").unwrap();
        let inside = tmp.path().join("inside");
        fs::create_dir_all(inside.join("nested")).unwrap();
        std::os::unix::fs::symlink(&outside, inside.join("dirlink")).unwrap();
        std::os::unix::fs::symlink(&outside, inside.join("nested/dirlink2")).unwrap();
        std::os::unix::fs::symlink(outside.join("keep.txt"), inside.join("filelink")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), inside.join("dangling")).unwrap();

        let removal = clear_contents(&inside, &SystemClock, Duration::ZERO);
        assert!(removal.failures.is_empty(), "{:?}", removal.failures);
        assert_eq!(fs::read_dir(&inside).unwrap().count(), 0);
        assert_eq!(
            fs::read_to_string(outside.join("keep.txt")).unwrap(),
            "precious"
        );
        assert_eq!(
            fs::read_to_string(outside.join("sub/keep2.txt")).unwrap(),
            "precious"
        );
    }
}
