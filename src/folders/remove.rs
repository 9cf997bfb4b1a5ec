//! Deleting folder contents safely: links are removed, never followed; locked files are retried
//! for a bounded time; whatever still cannot go is reported entry by entry, and everything else
//! is removed.

use std::fs::{self, FileType, ReadDir};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::sys;

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
}

impl Removal {
    fn fail(&mut self, path: &Path, error: io::Error) {
        self.failures.push(Failure {
            path: path.to_path_buf(),
            error,
        });
    }
}

/// The first retry waits this long; each next one twice as long, up to `MAX_RETRY_DELAY`.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(25);
const MAX_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Delete everything inside `dir`, keeping `dir` itself.
pub fn clear_contents(dir: &Path, clock: &dyn Clock, retry_for: Duration) -> Removal {
    with_retries(clock, retry_for, |out| {
        remove_children(dir, out);
    })
}

/// Delete `path` and everything inside it. A link is removed itself; a missing path is no error.
pub fn remove_tree(path: &Path, clock: &dyn Clock, retry_for: Duration) -> Removal {
    with_retries(clock, retry_for, |out| {
        let file_type = match fs::symlink_metadata(path) {
            Ok(meta) => meta.file_type(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return,
            Err(err) => return out.fail(path, err),
        };
        if file_type.is_dir() && !file_type.is_symlink() {
            if remove_children(path, out) {
                record(out, path, fs::remove_dir(path));
            }
        } else {
            remove_leaf(path, file_type, out);
        }
    })
}

/// Run removal passes until nothing is locked any more or `retry_for` has passed. Each pass
/// sees only what earlier passes left, so a retry costs as much as what is still there.
fn with_retries(
    clock: &dyn Clock,
    retry_for: Duration,
    mut pass: impl FnMut(&mut Removal),
) -> Removal {
    let deadline = clock.now() + retry_for;
    let mut removed = 0;
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let mut out = Removal::default();
        pass(&mut out);
        removed += out.removed;
        let locked = out
            .failures
            .iter()
            .any(|f| sys::is_sharing_violation(&f.error));
        if !locked || clock.now() + delay > deadline {
            return Removal {
                removed,
                failures: out.failures,
            };
        }
        clock.sleep(delay);
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

fn record(out: &mut Removal, path: &Path, result: io::Result<()>) -> bool {
    match result {
        Ok(()) => {
            out.removed += 1;
            true
        }
        Err(err) => {
            out.fail(path, err);
            false
        }
    }
}

/// A file or a link: one call removes it, and a link never leads anywhere.
fn remove_leaf(path: &Path, file_type: FileType, out: &mut Removal) -> bool {
    let result = if file_type.is_symlink() {
        sys::remove_link(path, file_type)
    } else {
        sys::remove_file(path)
    };
    record(out, path, result)
}

struct Frame {
    path: PathBuf,
    entries: ReadDir,
    /// Whether everything below this folder has been removed so far.
    emptied: bool,
}

/// Remove everything below `root` (not `root` itself), depth first with an explicit stack so a
/// deep tree cannot overflow the thread's stack. Returns whether `root` is now empty.
/// A folder whose contents could not all go is left in place without a failure of its own: the
/// entries inside it carry the reasons.
fn remove_children(root: &Path, out: &mut Removal) -> bool {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) => {
            out.fail(root, err);
            return false;
        }
    };
    let mut stack = vec![Frame {
        path: root.to_path_buf(),
        entries,
        emptied: true,
    }];
    while let Some(top) = stack.last_mut() {
        match top.entries.next() {
            Some(Ok(entry)) => {
                let path = entry.path();
                let ok = match entry.file_type() {
                    // DirEntry::file_type does not follow links: a link to a folder is a link here.
                    Ok(ft) if ft.is_dir() && !ft.is_symlink() => match fs::read_dir(&path) {
                        Ok(entries) => {
                            stack.push(Frame {
                                path,
                                entries,
                                emptied: true,
                            });
                            continue;
                        }
                        Err(err) => {
                            out.fail(&path, err);
                            false
                        }
                    },
                    Ok(ft) => remove_leaf(&path, ft, out),
                    Err(err) => {
                        out.fail(&path, err);
                        false
                    }
                };
                top.emptied &= ok;
            }
            Some(Err(err)) => {
                out.fail(&top.path.clone(), err);
                top.emptied = false;
            }
            None => {
                let done = stack
                    .pop()
                    .expect("the loop runs only while the stack has a frame");
                let Some(parent) = stack.last_mut() else {
                    return done.emptied;
                };
                parent.emptied &=
                    done.emptied && record(out, &done.path, fs::remove_dir(&done.path));
            }
        }
    }
    unreachable!("the root frame returns when it is popped")
}

#[cfg(test)]
mod tests {
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
