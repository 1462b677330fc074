//! The output folder's life: one writer at a time, staged beside it, swapped
//! into place all at once, and never lose a folder or a file indus did not
//! write.
//!
//! * **Lock.** `.NAME.indus-lock` beside the output is held (`flock`,
//!   exclusive) from before the staging folder exists until the swap is
//!   done; a second run into the same folder exits 2 naming the first one's
//!   pid. The lock file stays (removing it would let a third run lock a
//!   different file while the second still holds the old one).
//! * **What may be replaced.** Only a folder that holds exactly what an indus
//!   command of the same kind wrote there: its `manifest.json` and the files
//!   that manifest lists. Anything else in it (an operator's notes, the
//!   inputs copied in) refuses the run before any work.
//! * **Swap.** The staging folder `.NAME.indus-tmp-PID` is fsynced, then
//!   exchanged with the old folder in one `renameat2(RENAME_EXCHANGE)`: at no
//!   instant is there no output folder. The old folder, now at the staging
//!   path, is then removed and the parent fsynced. Where the kernel or file
//!   system has no exchange, the old folder is first renamed to
//!   `.NAME.indus-old` and the next run puts it back if it finds no output.
//! * **Recovery.** Holding the lock, a run first removes the staging folders
//!   that killed runs left (no other writer can own them) and restores a
//!   `.NAME.indus-old` left without its output.
//!
//! Test builds (debug assertions) honour `INDUS_FAULT=before-swap` and
//! `INDUS_FAULT=after-swap`: the process aborts there, as a kill would, so
//! that the tests can show the next run recovers.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// What an output folder holds: a run's outputs or a report's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FolderKind {
    Run,
    Report,
}

impl FolderKind {
    fn name(self) -> &'static str {
        match self {
            FolderKind::Run => "a run's output",
            FolderKind::Report => "a report",
        }
    }
}

/// A staging folder beside the destination, swapped into place by
/// [`Staging::commit`] and removed if dropped before (a failed run leaves no
/// partial output); the destination's lock is held until then.
pub(crate) struct Staging {
    pub dir: PathBuf,
    dest: PathBuf,
    committed: bool,
    _lock: File,
}

/// `dest`'s parent, `.` for a bare name.
fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(dest: &Path) -> String {
    dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into())
}

impl Staging {
    /// Locks `dest`, recovers what a killed run left beside it, checks that
    /// it may be replaced, and creates the staging folder.
    pub fn new(dest: &Path, kind: FolderKind) -> Result<Staging, Error> {
        let parent = parent_of(dest);
        fs::create_dir_all(&parent).map_err(|e| Error::output(&parent, e))?;
        let name = file_name(dest);
        let lock = lock(&parent.join(format!(".{name}.indus-lock")), dest)?;
        recover(&parent, &name, dest)?;
        if dest.exists() {
            replaceable(dest, kind)?;
        }
        let dir = parent.join(format!(".{name}.indus-tmp-{}", std::process::id()));
        fs::create_dir(&dir).map_err(|e| {
            Error::output(dest, format!("cannot create its staging folder {} beside it: {e}", dir.display()))
        })?;
        Ok(Staging { dir, dest: dest.to_path_buf(), committed: false, _lock: lock })
    }

    /// Replaces the destination with the staged folder.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        let dest = self.dest.clone();
        let parent = parent_of(&dest);
        sync_dir(&self.dir).map_err(|e| Error::output(&self.dir, e))?;
        fault("before-swap");
        if dest.exists() {
            match exchange(&self.dir, &dest) {
                Ok(()) => {
                    // The staging path now holds the old folder.
                    self.committed = true;
                    fault("after-swap");
                    sync_dir(&parent).map_err(|e| Error::output(&parent, e))?;
                    let _ = fs::remove_dir_all(&self.dir);
                }
                Err(_) => {
                    // No exchange here: the old folder steps aside under a
                    // name the next run restores from if this one dies.
                    let old = parent.join(format!(".{}.indus-old", file_name(&dest)));
                    fs::rename(&dest, &old).map_err(|e| Error::output(&dest, e))?;
                    fs::rename(&self.dir, &dest).map_err(|e| Error::output(&dest, e))?;
                    self.committed = true;
                    sync_dir(&parent).map_err(|e| Error::output(&parent, e))?;
                    let _ = fs::remove_dir_all(&old);
                }
            }
        } else {
            fs::rename(&self.dir, &dest).map_err(|e| Error::output(&dest, e))?;
            self.committed = true;
        }
        sync_dir(&parent).map_err(|e| Error::output(&parent, e))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Aborts where a test asked a kill to land (test builds only).
fn fault(at: &str) {
    if cfg!(debug_assertions) && std::env::var("INDUS_FAULT").is_ok_and(|v| v == at) {
        std::process::abort();
    }
}

/// Takes the exclusive lock of `dest`, or says which process holds it.
fn lock(path: &Path, dest: &Path) -> Result<File, Error> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::output(dest, format!("cannot open its lock file {}: {e}", path.display())))?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let mut holder = String::new();
        let _ = f.read_to_string(&mut holder);
        let holder = holder.trim();
        let who = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
        return Err(Error::output(dest, format!("another run is writing it{who}; try again when it is done")));
    }
    let _ = f.set_len(0);
    let _ = f.rewind();
    let _ = writeln!(f, "{}", std::process::id());
    Ok(f)
}

/// What killed runs left beside `dest`: staging folders (removed: with the
/// lock held, no live run owns one) and an old folder set aside by a swap
/// without exchange (restored when the output is missing, else removed).
fn recover(parent: &Path, name: &str, dest: &Path) -> Result<(), Error> {
    let old = parent.join(format!(".{name}.indus-old"));
    if old.is_dir() {
        if dest.exists() {
            fs::remove_dir_all(&old)
                .map_err(|e| Error::output(&old, format!("cannot remove a killed run's leftover: {e}")))?;
        } else {
            fs::rename(&old, dest)
                .map_err(|e| Error::output(dest, format!("cannot restore it from {}: {e}", old.display())))?;
        }
    }
    let prefix = format!(".{name}.indus-tmp-");
    let entries = fs::read_dir(parent).map_err(|e| Error::output(parent, e))?;
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) && e.path().is_dir() {
            let p = e.path();
            fs::remove_dir_all(&p)
                .map_err(|err| Error::output(&p, format!("cannot remove a killed run's staging folder: {err}")))?;
        }
    }
    Ok(())
}

/// Refuses a destination that holds anything but what an indus command of
/// this kind wrote there (its manifest and the files it lists).
fn replaceable(dest: &Path, kind: FolderKind) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::output(dest, format!("{why}: refusing to replace it")));
    if !dest.is_dir() {
        return refuse("it exists and is not a folder".into());
    }
    let entries: Vec<String> = fs::read_dir(dest)
        .map_err(|e| Error::output(dest, e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let manifest =
        fs::read(dest.join("manifest.json")).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let Some(manifest) = manifest else {
        return refuse("the folder exists and is not an indus output (no readable manifest.json)".into());
    };
    let found = if manifest.get("kind").and_then(|k| k.as_str()) == Some("report") {
        FolderKind::Report
    } else if manifest.get("rule_set").is_some() {
        FolderKind::Run
    } else {
        return refuse("its manifest.json is not an indus manifest".into());
    };
    if found != kind {
        return refuse(format!("it holds {}, not {}", found.name(), kind.name()));
    }
    let listed: Vec<&str> = manifest
        .get("outputs")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().filter_map(|o| o.get("file").and_then(|f| f.as_str())).collect())
        .unwrap_or_default();
    let mut foreign: Vec<&String> =
        entries.iter().filter(|e| e.as_str() != "manifest.json" && !listed.contains(&e.as_str())).collect();
    foreign.sort();
    if !foreign.is_empty() {
        let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
        let more = if foreign.len() > 5 { format!(" and {} more", foreign.len() - 5) } else { String::new() };
        return refuse(format!("it holds files indus did not write there ({}{more})", shown.join(", ")));
    }
    Ok(())
}

/// Swaps two paths at once (Linux `renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: two NUL-terminated paths relative to the working directory.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes a folder's entries durable (a rename is only on disk once its
/// folder is synced).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
