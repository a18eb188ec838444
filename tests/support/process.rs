//! `corrcause` as a real process that a test can signal and time, and checks of what a stopped
//! run leaves behind.
#![allow(dead_code)]

use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `corrcause`, its standard error read as it comes.
pub struct Running {
    pub child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    /// Starts `corrcause ARGS`.
    pub fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corrcause"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        });
        Running {
            child,
            stderr: Some(stderr),
        }
    }

    /// Sends the signal `name` (INT, TERM) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// Its exit status, if it ends within `limit`.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if started.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for it to end, at most `limit`: its status, how long it took from now, and what it
    /// wrote on standard error.
    pub fn end(&mut self, limit: Duration) -> (ExitStatus, Duration, String) {
        let started = Instant::now();
        let status = self.wait_for(limit).expect("the run ends");
        (status, started.elapsed(), self.stderr())
    }

    /// Everything it wrote on standard error (once it has ended).
    pub fn stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` holds, at most `limit`; whether it did.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// The records of a journal, checked whole: every line a complete JSON record with its newline,
/// each id once.
pub fn whole_journal(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{}: a torn last line",
        path.display()
    );
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "an id answered twice in {}", path.display());
    records
}

/// Lines of a file, 0 when it does not exist.
pub fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}
