//! Where results go: standard output, or a file written atomically (a temporary file beside it,
//! renamed over the target only once everything was written); [`OutputLock`], which keeps a
//! second process from writing the same output at the same time; and [`free_aside`], which lets
//! what a command built go on a thread of its own once it is done with it.
//!
//! Test hook: the environment variable `CORRCAUSE_FAULT` makes writes fail as a full or
//! read-only disk would, so tests can check what every command does then (see [`fault`]). It is
//! for tests only; nothing sets it otherwise.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Lets `value` go on a thread of its own: what a large command builds (a premise cache, a
/// dataset's units and its record of cells) is tens of thousands of small allocations, which
/// freed in line would hold up what comes next with one core at work. Where no thread can be
/// started, it is freed here.
pub fn free_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("corrcause-free".into())
        .spawn(move || drop(value));
}

pub mod fault {
    //! Injected write failures, for tests: `CORRCAUSE_FAULT=KIND:TEXT[:AFTER]` makes file
    //! operations on every path containing TEXT fail, after AFTER successful writes (default 0):
    //! - `enospc`: writes fail with "No space left on device" (a full disk);
    //! - `erofs`: creating files fails with "Read-only file system";
    //! - `vanished`: putting a finished file in place fails with "No such file or directory"
    //!   (its folder was removed meanwhile).
    //!
    //! The writers call [`check`] before each such operation; unset, it costs one load.

    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// An operation on a file, as a fault can hit it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Stage {
        Create,
        Write,
        Commit,
    }

    struct Fault {
        stage: Stage,
        errno: i32,
        text: String,
        after: usize,
    }

    fn configured() -> Option<&'static Fault> {
        static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
        FAULT
            .get_or_init(|| {
                let spec = std::env::var("CORRCAUSE_FAULT").ok()?;
                let mut parts = spec.splitn(3, ':');
                let (stage, errno) = match parts.next()? {
                    "enospc" => (Stage::Write, 28),
                    "erofs" => (Stage::Create, 30),
                    "vanished" => (Stage::Commit, 2),
                    _ => return None,
                };
                let text = parts.next()?.to_string();
                let after = parts.next().map_or(Some(0), |a| a.parse().ok())?;
                Some(Fault {
                    stage,
                    errno,
                    text,
                    after,
                })
            })
            .as_ref()
    }

    /// The injected error for `stage` on `path`, if the test hook asks for one.
    pub fn check(path: &Path, stage: Stage) -> std::io::Result<()> {
        static PASSED: AtomicUsize = AtomicUsize::new(0);
        let Some(f) = configured() else {
            return Ok(());
        };
        if f.stage != stage || !path.to_string_lossy().contains(&f.text) {
            return Ok(());
        }
        if PASSED.fetch_add(1, Ordering::Relaxed) < f.after {
            return Ok(());
        }
        Err(std::io::Error::from_raw_os_error(f.errno))
    }

    /// `w.write_all(bytes)` for the file at `path`, unless a fault is injected: then half of
    /// `bytes` is written before the error, as a disk that fills up mid-write does.
    pub fn write_all(
        w: &mut impl std::io::Write,
        path: &Path,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        if let Err(e) = check(path, Stage::Write) {
            let _ = w.write_all(&bytes[..bytes.len() / 2]);
            return Err(e);
        }
        w.write_all(bytes)
    }
}

/// A file that fails on demand (see [`fault`]).
struct Sink {
    file: File,
    path: PathBuf,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        fault::write_all(&mut self.file, &self.path, buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// A file that appears at its path only when [`AtomicFile::commit`] succeeds; dropped without
/// commit, it leaves the target untouched and removes its temporary file.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<Sink>>,
}

impl AtomicFile {
    /// Starts writing `target` (through `target.<pid>.tmp` in the same directory).
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::Usage(format!("{} is not a file path", target.display())))?;
        let mut temp_name = name.to_os_string();
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = fault::check(&temp, fault::Stage::Create)
            .and_then(|()| File::create(&temp))
            .map_err(|e| Error::io_at("creating", temp.display(), e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            writer: Some(BufWriter::with_capacity(
                1 << 16,
                Sink {
                    file,
                    path: temp.clone(),
                },
            )),
            temp,
        })
    }

    /// Flushes and renames the temporary file over the target. A run killed at any point leaves
    /// either the old file or the complete new one; the data is not fsynced (outputs can be
    /// regenerated, and manifests carry their hashes).
    /// On failure the temporary file is removed and the target left as it was.
    pub fn commit(self) -> Result<()> {
        self.finish()?.commit()
    }

    /// Flushes and closes the temporary file without putting it in place yet, so that many
    /// files can be finished without holding a descriptor each; [`Finished::commit`] puts it in
    /// place. On failure the temporary file is removed.
    pub fn finish(mut self) -> Result<Finished> {
        let writer = self.writer.take().expect("not yet committed");
        let temp = std::mem::take(&mut self.temp);
        match writer.into_inner() {
            Ok(sink) => {
                drop(sink);
                Ok(Finished {
                    target: std::mem::take(&mut self.target),
                    temp,
                })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                Err(Error::writing(self.target.display(), e.into_error()))
            }
        }
    }
}

/// A file written in full whose temporary file is not yet at its path: [`Finished::commit`]
/// renames it; dropped without commit, it is removed.
#[derive(Debug)]
pub struct Finished {
    target: PathBuf,
    temp: PathBuf,
}

impl Finished {
    /// Renames the temporary file over the target; on failure removes it.
    pub fn commit(mut self) -> Result<()> {
        let temp = std::mem::take(&mut self.temp);
        let done = fault::check(&self.target, fault::Stage::Commit)
            .and_then(|()| std::fs::rename(&temp, &self.target))
            .map_err(|e| Error::io_at("putting in place", self.target.display(), e));
        if done.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        done
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.as_mut().expect("open").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.as_mut().expect("open").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// An exclusive hold on an output (a folder, or one file) for as long as it lives: an OS advisory
/// lock (`flock`) on a lock file, which the OS releases when the process ends however it ends, so
/// a killed writer never blocks the next one. The lock file holds the holder's pid and command,
/// for the message a second writer gets. It is removed when the hold ends normally (a killed
/// writer leaves it, unlocked, for the next one to take); a taker checks that the file it locked
/// is still the one at the path, so removal cannot let two writers in.
#[derive(Debug)]
pub struct OutputLock {
    file: Option<File>,
    path: PathBuf,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked, then unlocked by closing.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Whether `file` is still the file at `path` (not removed or replaced since it was opened).
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// The name of the lock file inside a locked folder.
pub const LOCK_FILE: &str = ".corrcause.lock";

impl OutputLock {
    /// Locks the folder `dir` (created if missing) for `command` (`run`, `generate`, `merge`);
    /// fails at once when another process holds it, naming it and `flag` (the option that gives
    /// another output).
    pub fn folder(dir: &Path, command: &str, flag: &'static str) -> Result<OutputLock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io_at("creating folder", dir.display(), e))?;
        OutputLock::take(&dir.join(LOCK_FILE), dir, command, flag, false)
    }

    /// Like [`OutputLock::folder`], but waits for the holder to finish instead of failing (for
    /// outputs that processes share on purpose, such as the dataset of `run --shard`).
    pub fn folder_waiting(dir: &Path, command: &str) -> Result<OutputLock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io_at("creating folder", dir.display(), e))?;
        OutputLock::take(&dir.join(LOCK_FILE), dir, command, "--out", true)
    }

    /// Locks the one file `target` (through `.NAME.lock` beside it) for `command`.
    pub fn file(target: &Path, command: &str, flag: &'static str) -> Result<OutputLock> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::Usage(format!("{} is not a file path", target.display())))?;
        let mut lock_name = std::ffi::OsString::from(".");
        lock_name.push(name);
        lock_name.push(".lock");
        OutputLock::take(
            &target.with_file_name(lock_name),
            target,
            command,
            flag,
            false,
        )
    }

    fn take(
        lock_path: &Path,
        what: &Path,
        command: &str,
        flag: &'static str,
        wait: bool,
    ) -> Result<OutputLock> {
        let locking = |e| Error::io_at("locking", lock_path.display(), e);
        let mut file = loop {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(lock_path)
                .map_err(|e| Error::io_at("opening lock file", lock_path.display(), e))?;
            if wait {
                file.lock().map_err(locking)?;
            } else {
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        let (holder, pid) = holder(lock_path);
                        return Err(Error::Locked {
                            holder,
                            pid,
                            path: what.display().to_string(),
                            flag,
                        });
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(locking(e)),
                }
            }
            // The holder before us may have removed the file between our open and our lock.
            if still_at(&file, lock_path) {
                break file;
            }
        };
        let writing = |e| Error::writing(lock_path.display(), e);
        file.set_len(0).map_err(writing)?;
        file.write_all(format!("{} {command}\n", std::process::id()).as_bytes())
            .map_err(writing)?;
        Ok(OutputLock {
            file: Some(file),
            path: lock_path.to_path_buf(),
        })
    }
}

/// The command and pid a held lock file names; the holder writes them just after locking, so a
/// blank file is read again for a moment.
fn holder(lock_path: &Path) -> (String, Option<u32>) {
    for _ in 0..50 {
        let text = std::fs::read_to_string(lock_path).unwrap_or_default();
        if let Some((pid, command)) = text.trim_end().split_once(' ') {
            if let Ok(pid) = pid.parse() {
                return (command.to_string(), Some(pid));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    ("process".to_string(), None)
}

/// Standard output or an atomic file, chosen by an optional path.
pub enum Output {
    Stdout(BufWriter<std::io::Stdout>),
    File(AtomicFile),
}

impl Output {
    /// Standard output when `path` is `None` or `-`, else an [`AtomicFile`].
    pub fn open(path: Option<&Path>) -> Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            ))),
            Some(p) if p == Path::new("-") => Output::open(None),
            Some(p) => Ok(Output::File(AtomicFile::create(p)?)),
        }
    }

    /// Writes `bytes`, naming the destination in the error.
    pub fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.write_all(bytes)
            .map_err(|e| Error::writing(self.name(), e))
    }

    fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "<stdout>".into(),
            Output::File(f) => f.target.display().to_string(),
        }
    }

    /// Finishes the output: flushes stdout, or commits the file.
    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => match w.flush() {
                // A closed pipe (`| head`) is not an error of ours.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::writing("<stdout>", e))
                }
                _ => Ok(()),
            },
            Output::File(f) => f.commit(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(f) => f.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_names_its_holder_and_is_released_on_drop() {
        let dir = std::env::temp_dir().join(format!("corrcause-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let held = OutputLock::folder(&dir, "run", "--out").unwrap();
        // A second open file description of the same lock file conflicts, even in one process.
        let err = OutputLock::folder(&dir, "generate", "--out").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "another corrcause run (pid {}) is writing {}; wait for it, or give another --out",
                std::process::id(),
                dir.display()
            )
        );
        drop(held);
        let again = OutputLock::folder(&dir, "merge", "--out").unwrap();
        let target = dir.join("p.jsonl");
        let one = OutputLock::file(&target, "import batch", "-o").unwrap();
        let err = OutputLock::file(&target, "import batch", "-o").unwrap_err();
        assert!(err.to_string().contains("import batch"), "{err}");
        assert!(err.to_string().ends_with("give another -o"), "{err}");
        drop((one, again));
        // Released normally, the lock files are gone.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("corrcause-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.jsonl");
        std::fs::write(&target, "old\n").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"new\n").unwrap();
            // Dropped without commit: the old content stays, no temp file is left.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new\n").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
