//! Files and sets of files are written whole or not at all. One file: write a temporary file in
//! the same folder, flush it to disk, then rename it over the target (rename is atomic within one
//! filesystem). A command's set of files ([`OutputSet`]): write them all into a staging folder
//! beside the target, under a lock, then swap the folder into place.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("creating folder {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("flushing {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Test-only hook: `SHORTFALL_TEST_PAUSE_BEFORE_COMMIT=SECONDS` sleeps after every file of a set
/// is written and before the set is swapped into place, so a test can kill the process there.
pub(crate) const PAUSE_ENV: &str = "SHORTFALL_TEST_PAUSE_BEFORE_COMMIT";

/// Why an output set could not be started: another writer holds the folder, or the folder is
/// not one shortfall may replace. Both are the user's to fix (`cli` maps this to exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OutputRefused(pub String);

/// The files a command writes, built in a staging folder beside the target and swapped into
/// place as one: a reader of the target sees the previous set or the new one, never a mix.
///
/// Start it before simulating ([`OutputSet::begin`]: takes the lock, clears what killed runs left
/// behind, proves the place is writable), write every file into [`OutputSet::dir`], then
/// [`OutputSet::commit`]. Dropped without committing (an error, Ctrl-C), it removes the staging
/// folder and the lock and leaves the target as it was.
#[derive(Debug)]
pub(crate) struct OutputSet {
    target: PathBuf,
    staging: PathBuf,
    lock: PathBuf,
    committed: bool,
}

/// Every file name a command writes at the top of its folder; a folder holding other files is
/// not replaced (it may be the user's).
const OWN_FILES: &[&str] = &[
    "summary.json",
    "summary.csv",
    "timeseries.csv",
    "manifest.json",
    "check.json",
    "report.html",
    "tail_attribution.csv",
    "parameter_bands.csv",
    "convergence.json",
    "sweep.csv",
    "sweep.json",
    "stress-cap.csv",
    "stress-cap-materials.csv",
    "stress-cap.json",
    "sweep-compliance.csv",
    "summary-a.json",
    "summary-b.json",
    "comparison.csv",
    "comparison.json",
    "sensitivity.csv",
    "sensitivity.json",
    // Written at the top of a sensitivity folder before charts/ held every chart.
    "tornado.png",
    "tornado.svg",
];

impl OutputSet {
    /// Lock `target`, remove stale staging and temporary files of dead processes, and create an
    /// empty staging folder next to it. Fails before any simulation if the place cannot be
    /// written, if another process is writing the same folder, or if the folder holds files
    /// shortfall did not write.
    pub(crate) fn begin(target: &Path) -> Result<OutputSet> {
        let name = target
            .file_name()
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .ok_or_else(|| {
                OutputRefused(format!(
                    "output folder `{}` must end in a folder name",
                    target.display()
                ))
            })?
            .to_string_lossy()
            .into_owned();
        let parent = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        fs::create_dir_all(&parent).map_err(|e| {
            OutputRefused(format!(
                "cannot create output folder {}: {e}",
                parent.display()
            ))
        })?;
        let lock = parent.join(format!(".{name}.lock"));
        take_lock(&lock, target)?;
        let mut set = OutputSet {
            target: target.to_path_buf(),
            staging: parent.join(format!("{name}.staging-{}", std::process::id())),
            lock,
            committed: false,
        };
        set.committed = true; // until the staging folder exists, Drop must only free the lock
        let ready = (|| -> Result<()> {
            clear_stale(&parent, &name, target)?;
            refuse_foreign(target)?;
            let _ = fs::remove_dir_all(&set.staging);
            fs::create_dir(&set.staging).map_err(|e| {
                OutputRefused(format!(
                    "cannot write in {}: {e} (creating {})",
                    parent.display(),
                    set.staging.display()
                ))
            })?;
            Ok(())
        })();
        if let Err(e) = ready {
            let _ = fs::remove_file(&set.lock);
            set.lock = PathBuf::new();
            return Err(e);
        }
        set.committed = false;
        Ok(set)
    }

    /// The folder to write the set's files into.
    pub(crate) fn dir(&self) -> &Path {
        &self.staging
    }

    /// Swap the staging folder into place. Subfolders of the previous set other than `charts/`
    /// move into the new one: every command now writes its own sibling folder
    /// (`output/eu-2030+stress-cap`), but a folder from an older version may still hold another
    /// command's set, such as `stress-cap/` under a run's folder.
    pub(crate) fn commit(mut self) -> Result<()> {
        pause_for_tests();
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = self
            .staging
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if self.target.is_dir() {
            for entry in fs::read_dir(&self.target)
                .with_context(|| format!("reading {}", self.target.display()))?
            {
                let entry = entry?;
                let file_name = entry.file_name();
                let keep = entry.file_type()?.is_dir()
                    && file_name != "charts"
                    && !is_scratch(&file_name.to_string_lossy())
                    && !self.staging.join(&file_name).exists();
                if keep {
                    fs::rename(entry.path(), self.staging.join(&file_name)).with_context(|| {
                        format!("moving {} into the new set", entry.path().display())
                    })?;
                }
            }
            let old = parent.join(format!("{name}.old-{}", std::process::id()));
            let _ = fs::remove_dir_all(&old);
            fs::rename(&self.target, &old)
                .with_context(|| format!("moving the previous {} aside", self.target.display()))?;
            if let Err(e) = fs::rename(&self.staging, &self.target) {
                let _ = fs::rename(&old, &self.target);
                return Err(anyhow::Error::new(e)
                    .context(format!("moving the new set into {}", self.target.display())));
            }
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&self.staging, &self.target)
                .with_context(|| format!("moving the new set into {}", self.target.display()))?;
        }
        sync_dir(&parent);
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
        if !self.lock.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.lock);
        }
    }
}

/// The lock of one output folder, released when dropped (`shortfall plot` holds it while it
/// redraws a finished run's charts, so it never interleaves with a run replacing the folder).
#[derive(Debug)]
pub(crate) struct FolderLock(PathBuf);

impl FolderLock {
    /// Lock `target` (which need not exist yet): `.<name>.lock` beside it.
    pub(crate) fn take(target: &Path) -> Result<FolderLock> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let parent = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let lock = parent.join(format!(".{name}.lock"));
        take_lock(&lock, target)?;
        Ok(FolderLock(lock))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Hold the folder for one writer: the lock file is created only if absent and holds our pid.
/// A lock whose process is gone (killed) is taken over.
fn take_lock(lock: &Path, target: &Path) -> Result<()> {
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(lock)
        {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(lock)
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok());
                match holder {
                    Some(pid) if pid_alive(pid) => {
                        return Err(OutputRefused(format!(
                            "{} is being written by another shortfall process (pid {pid}); wait for it to finish or choose another --out (lock file {})",
                            target.display(),
                            lock.display()
                        ))
                        .into())
                    }
                    _ => {
                        let _ = fs::remove_file(lock);
                    }
                }
            }
            Err(e) => {
                return Err(OutputRefused(format!(
                    "cannot write in {}: {e} (creating the lock file {})",
                    lock.parent().unwrap_or(Path::new(".")).display(),
                    lock.display()
                ))
                .into())
            }
        }
    }
    Err(OutputRefused(format!(
        "could not take the lock {} (another writer keeps recreating it)",
        lock.display()
    ))
    .into())
}

/// Whether a process with this id is running. Only Linux can tell cheaply (`/proc`); elsewhere
/// a lock is assumed held, and a stale one must be deleted by hand (the message names it).
fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        // A lock or staging folder with our own id is from an earlier process that had it.
        return false;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// A staging, set-aside or temporary name (`x.staging-12`, `x.old-12`, `.f.tmp-12`), with its pid.
fn scratch_pid(name: &str) -> Option<u32> {
    for marker in [".staging-", ".old-", ".tmp-"] {
        if let Some(i) = name.rfind(marker) {
            let digits: String = name[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            return digits.parse().ok();
        }
    }
    None
}

fn is_scratch(name: &str) -> bool {
    scratch_pid(name).is_some()
}

/// Remove what a killed writer of `target` left: its staging folder, temporary files inside the
/// target and its `charts/`; a previous set moved aside but never replaced is moved back.
fn clear_stale(parent: &Path, name: &str, target: &Path) -> Result<()> {
    let entries = fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))?;
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(name) else {
            continue;
        };
        let Some(pid) = scratch_pid(rest) else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        if rest.starts_with(".old-") && !target.exists() {
            let _ = fs::rename(entry.path(), target);
        } else if rest.starts_with(".staging-") || rest.starts_with(".old-") {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    for dir in [target.to_path_buf(), target.join("charts")] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') && file_name.contains(".tmp-") {
                if let Some(pid) = scratch_pid(&file_name) {
                    if !pid_alive(pid) {
                        let _ = fs::remove_file(entry.path());
                    }
                }
            }
        }
    }
    Ok(())
}

/// An existing target is replaced only if it is a folder holding nothing but what shortfall
/// writes: `--out ~/Documents` must not delete anyone's files.
fn refuse_foreign(target: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Err(OutputRefused(format!(
            "output folder {} exists and is not a folder; choose another --out",
            target.display()
        ))
        .into());
    }
    let foreign = fs::read_dir(target)
        .with_context(|| format!("reading {}", target.display()))?
        .flatten()
        .find(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let own = is_dir
                || OWN_FILES.contains(&n.as_str())
                || n.ends_with(".lock")
                || (n.starts_with('.') && is_scratch(&n));
            !own
        });
    match foreign {
        Some(e) => Err(OutputRefused(format!(
            "{} holds `{}`, which shortfall did not write; a run replaces its folder as a whole, so choose an empty or new folder for --out",
            target.display(),
            e.file_name().to_string_lossy()
        ))
        .into()),
        None => Ok(()),
    }
}

fn pause_for_tests() {
    if let Some(secs) = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
    {
        std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(600.0)));
    }
}

/// Flush a folder's entries (the renames) to disk where the platform allows opening a folder.
fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub").join("out.json");
        write_atomic(&target, b"{\"a\": 1}").unwrap();
        write_atomic(&target, b"{\"a\": 2}").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "{\"a\": 2}");
        let leftovers: Vec<_> = fs::read_dir(target.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        write_atomic(&target, b"old").unwrap();
        // A directory in the way of the rename makes the write fail.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("x")).unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
    }
}
