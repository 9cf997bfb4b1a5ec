//! The installation a command acts on: the running Windows (its platform and folder), or a
//! mounted one given by `--windows-dir` (files only), never the running one by another path.

use std::path::Path;

use crate::folders::Layout;
use crate::machine::Mode;
use crate::printer::Printer;
use crate::request::{Location, UsageError};
use crate::sys::{self, Platform};

/// Where a command acts, and through what.
pub struct Target {
    pub sys: Box<dyn Platform>,
    pub layout: Layout,
    pub mode: Mode,
}

impl Target {
    /// The installation `location` names; when there is none, say why (a usage error, printed
    /// for `command`).
    pub fn find(location: &Location, command: &'static str, printer: &Printer) -> Option<Target> {
        resolve(location)
            .map_err(|err| printer.error(command, &err.0))
            .ok()
    }

    /// The running Windows, quietly (the menu says itself what it could not check).
    pub fn online() -> Result<Target, UsageError> {
        resolve(&Location::Online)
    }

    /// The installation `location` names, quietly: the command that follows says why not.
    pub fn quietly(location: &Location) -> Option<Target> {
        resolve(location).ok()
    }
}

fn resolve(location: &Location) -> Result<Target, UsageError> {
    match location {
        Location::Offline(dir) => {
            let layout = Layout::offline(dir).map_err(UsageError)?;
            refuse_running_windows(dir, &layout)?;
            Ok(Target {
                sys: Box::new(sys::offline::Offline::new(layout.windows_dir.clone())),
                layout,
                mode: Mode::Offline,
            })
        }
        Location::Online => match sys::online() {
            Some((sys, windows_dir)) => Ok(Target {
                sys,
                layout: Layout::online(windows_dir),
                mode: Mode::Online,
            }),
            None => Err(UsageError(
                "there is no running Windows here to repair; pass --windows-dir DIR to work on a mounted Windows installation"
                    .into(),
            )),
        },
    }
}

/// `--windows-dir` names a mounted installation. Pointed at the Windows that is running, offline
/// mode would skip the services, the elevation check and the lock and cut under live services:
/// refused. Compared by file identity, so `C:\`, `c:\windows\` or another path to it all count.
fn refuse_running_windows(dir: &Path, layout: &Layout) -> Result<(), UsageError> {
    let Some(running) = sys::running_windows_dir() else {
        return Ok(());
    };
    if same_file::is_same_file(&layout.windows_dir, &running).unwrap_or(false) {
        return Err(UsageError(format!(
            "--windows-dir {} is the running Windows ({}); run wufix without --windows-dir to reset it with its services stopped",
            dir.display(),
            running.display()
        )));
    }
    Ok(())
}
