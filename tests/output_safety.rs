//! What a user's outputs survive: two writers on one output (the second is refused at once and
//! the first finishes whole), a killed writer (its lock goes with it), and writes that fail (a
//! full disk, a read-only or vanished folder: the path and the OS reason, no partial file under
//! a final name, no temporary file left, and the same command succeeds once the disk is fine).
//! Write failures are injected through the `CORRCAUSE_FAULT` test hook (src/output.rs), and a
//! real full disk is made with a 1 MiB tmpfs where the test may mount one.

mod common;

use common::{corr2cause_items, corrcause, temp_dir, FAKE_MODEL};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_corrcause");

/// The two shards of a small dataset, generated into `dir/shard0` and `dir/shard1`.
fn two_shards(dir: &Path) -> Vec<String> {
    (0..2)
        .map(|k| {
            let d = dir.join(format!("shard{k}"));
            let o = corrcause(&[
                "generate",
                "--preset",
                "corr2cause-v2",
                "--nodes",
                "2..=3",
                "--shard",
                &format!("{k}/2"),
                "--out",
                &s(&d),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            s(&d)
        })
        .collect()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn no_temp_files(dir: &Path) {
    let temps: Vec<String> = files_under(dir)
        .into_iter()
        .filter(|f| f.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
}

/// A `run` with the slow model on `dataset` into `out`, as a child process.
fn slow_run(model_py: &Path, dataset: &Path, out: &Path, delay: &str) -> std::process::Child {
    Command::new(BIN)
        .args([
            "run",
            "--dataset",
            &s(dataset),
            "--model",
            &format!("cmd:python3 {} {delay}", model_py.display()),
            "--out",
            &s(out),
            "--bootstrap",
            "20",
            "--progress",
            "none",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The folder of the `cmd:` model in a run's output.
fn model_folder(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("cmd-python3"))
        .unwrap()
}

fn journal_lines(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path().join("journal.jsonl"))
        .find(|p| p.exists())
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_second_run_on_one_folder_is_refused_at_once_and_the_first_finishes_whole() {
    let dir = temp_dir("safety", "two-runs");
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, FAKE_MODEL).unwrap();
    let dataset = corr2cause_items("2..=4", &dir.join("data"));
    let items = std::fs::read_to_string(&dataset).unwrap().lines().count();
    let out = dir.join("out");
    let mut first = slow_run(&model_py, &dataset, &out, "0.01");
    wait_for("the first run's answers", Duration::from_secs(60), || {
        journal_lines(&out).len() >= 3
    });
    // The second run: refused at once, naming the first by its pid, with what to do.
    let started = Instant::now();
    let second = corrcause(&[
        "run",
        "--dataset",
        &s(&dataset),
        "--model",
        &format!("cmd:python3 {} 0", model_py.display()),
        "--out",
        &s(&out),
        "--bootstrap",
        "20",
    ]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(
        stderr(&second).trim_end(),
        format!(
            "error: another corrcause run (pid {}) is writing {}; wait for it, or give another --out",
            first.id(),
            out.display()
        )
    );
    assert!(second.stdout.is_empty());
    // The first was not disturbed: it ends well, with one whole record per item.
    let status = first.wait().unwrap();
    assert!(status.success());
    let journal = journal_lines(&out);
    assert_eq!(journal.len(), items);
    for line in &journal {
        serde_json::from_str::<Value>(line).expect("a whole journal record");
    }
    let folder = model_folder(&out);
    let predictions = std::fs::read_to_string(folder.join("predictions.jsonl")).unwrap();
    assert_eq!(predictions.lines().count(), items);
    // Scoring what it wrote works.
    let scored = corrcause(&[
        "score",
        "--dataset",
        &s(&dataset),
        "--predictions",
        &s(&folder.join("predictions.jsonl")),
        "--bootstrap",
        "10",
    ]);
    assert!(scored.status.success(), "{}", stderr(&scored));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_killed_run_leaves_no_lock_behind() {
    let dir = temp_dir("safety", "killed");
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, FAKE_MODEL).unwrap();
    let dataset = corr2cause_items("2..=4", &dir.join("data"));
    let out = dir.join("out");
    let mut first = slow_run(&model_py, &dataset, &out, "0.01");
    wait_for("the first run's answers", Duration::from_secs(60), || {
        journal_lines(&out).len() >= 3
    });
    first.kill().unwrap(); // SIGKILL: no chance to unlock
    first.wait().unwrap();
    let again = slow_run(&model_py, &dataset, &out, "0")
        .wait_with_output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Holds the lock file `path` from another process (python's flock, the same OS lock), writing
/// "PID COMMAND" into it as corrcause does; the lock goes when the returned child is killed.
fn hold_lock(path: &Path, command: &str) -> std::process::Child {
    let script = r#"
import fcntl, os, sys
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0); f.write("%d %s\n" % (os.getpid(), sys.argv[2])); f.flush()
print("locked", flush=True)
sys.stdin.read()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, &s(path), command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "locked\n");
    child
}

#[test]
fn generate_merge_and_import_refuse_an_output_another_process_writes() {
    let dir = temp_dir("safety", "others");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mut holder = hold_lock(&out.join(".corrcause.lock"), "run");
    let refused = |o: &Output, flag: &str, what: &Path| {
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            stderr(o).trim_end(),
            format!(
                "error: another corrcause run (pid {}) is writing {}; wait for it, or give another {flag}",
                holder.id(),
                what.display()
            )
        );
    };
    let g = corrcause(&[
        "generate",
        "--preset",
        "corr2cause-v2",
        "--nodes",
        "2..=3",
        "--out",
        &s(&out),
    ]);
    refused(&g, "--out", &out);
    assert_eq!(
        files_under(&out),
        [".corrcause.lock"],
        "generate wrote nothing"
    );
    // Shards to merge, made elsewhere.
    let shards = two_shards(&dir);
    let m = corrcause(&["merge", &shards[0], &shards[1], "--out", &s(&out)]);
    refused(&m, "--out", &out);
    assert_eq!(
        files_under(&out),
        [".corrcause.lock"],
        "merge wrote nothing"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    let m = corrcause(&["merge", &shards[0], &shards[1], "--out", &s(&out)]);
    assert!(m.status.success(), "{}", stderr(&m));
    // import batch -o FILE: the lock is `.FILE.lock` beside it.
    let results = dir.join("results.jsonl");
    std::fs::write(
        &results,
        r#"{"custom_id": "a", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "Yes"}}]}}}"#.to_string() + "\n",
    )
    .unwrap();
    let target = dir.join("p.jsonl");
    let mut file_holder = hold_lock(&dir.join(".p.jsonl.lock"), "import batch");
    let i = corrcause(&["import", "batch", &s(&results), "-o", &s(&target)]);
    assert_eq!(i.status.code(), Some(1));
    assert_eq!(
        stderr(&i).trim_end(),
        format!(
            "error: another corrcause import batch (pid {}) is writing {}; wait for it, or give another -o",
            file_holder.id(),
            target.display()
        )
    );
    assert!(!target.exists());
    file_holder.kill().unwrap();
    file_holder.wait().unwrap();
    let i = corrcause(&["import", "batch", &s(&results), "-o", &s(&target)]);
    assert!(i.status.success(), "{}", stderr(&i));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs corrcause with the write-failure test hook set to `fault`.
fn with_fault(fault: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("CORRCAUSE_FAULT", fault)
        .output()
        .unwrap()
}

/// A failed command: exit 1, and its message names `path` and the OS reason.
fn failed_naming(o: &Output, action: &str, path: &Path, reason: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    let e = stderr(o);
    assert!(
        e.contains(&format!("{action} {}", path.display())) && e.contains(reason),
        "expected `{action} {}` and {reason:?} in: {e}",
        path.display()
    );
}

#[test]
fn generate_on_a_full_read_only_or_vanished_disk_leaves_nothing_partial_and_reruns() {
    let dir = temp_dir("safety", "generate");
    let clean = dir.join("clean");
    let args = |out: &Path| {
        vec![
            "generate".to_string(),
            "--preset".into(),
            "corr2cause-v2".into(),
            "--nodes".into(),
            "2..=5".into(),
            "--splits".into(),
            "train=0.8,dev=0.1,test=0.1".into(),
            "--out".into(),
            s(out),
        ]
    };
    let ok = corrcause(&args(&clean).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok.status.success(), "{}", stderr(&ok));
    let out = dir.join("out");
    let argv = args(&out);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    for (fault, action, file, reason) in [
        (
            "enospc:test.jsonl",
            "writing",
            "test.jsonl",
            "No space left on device",
        ),
        ("erofs:out/", "creating", "", "Read-only file system"),
        (
            "vanished:manifest.json",
            "putting in place",
            "manifest.json",
            "No such file or directory",
        ),
    ] {
        let o = with_fault(fault, &argv);
        if file.is_empty() {
            // Creating a file in a read-only folder fails on the first one tried.
            assert_eq!(o.status.code(), Some(1));
            assert!(
                stderr(&o).contains(&format!("creating {}", out.display()))
                    && stderr(&o).contains(reason),
                "{}",
                stderr(&o)
            );
        } else {
            failed_naming(&o, action, &out.join(file), reason);
        }
        no_temp_files(&out);
        assert!(
            !out.join("manifest.json").exists(),
            "{fault}: no manifest for a failed dataset"
        );
        assert!(
            !out.join(file).exists() || file.is_empty(),
            "{fault}: {file} is not there"
        );
    }
    let again = corrcause(&argv);
    assert!(again.status.success(), "{}", stderr(&again));
    for f in ["train.jsonl", "dev.jsonl", "test.jsonl"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(clean.join(f)).unwrap(),
            "{f}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_score_export_and_merge_on_a_full_disk_leave_nothing_partial_and_rerun() {
    let dir = temp_dir("safety", "commands");
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, FAKE_MODEL).unwrap();
    let dataset = corr2cause_items("2..=4", &dir.join("data"));
    let items = std::fs::read_to_string(&dataset).unwrap().lines().count();
    let out = dir.join("out");
    let spec = format!("cmd:python3 {} 0", model_py.display());
    let run = [
        "run",
        "--dataset",
        &s(&dataset),
        "--model",
        &spec,
        "--model",
        "baseline:oracle",
        "--out",
        &s(&out),
        "--bootstrap",
        "20",
        "--progress",
        "none",
    ];
    // The journal fills the disk after 10 records: the run stops, naming it; the journal keeps
    // exactly the whole records written.
    let o = with_fault("enospc:journal.jsonl:10", &run);
    let folder = model_folder(&out);
    failed_naming(
        &o,
        "writing",
        &folder.join("journal.jsonl"),
        "No space left on device",
    );
    let journal = std::fs::read_to_string(folder.join("journal.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 10);
    assert!(journal.ends_with('\n'));
    assert!(!folder.join("predictions.jsonl").exists());
    no_temp_files(&out);
    // The baseline's predictions, then the reports, fail the same way.
    for (fault, path) in [
        (
            "enospc:baseline-oracle/predictions.jsonl",
            out.join("baseline-oracle/predictions.jsonl"),
        ),
        ("vanished:out/report.html", out.join("report.html")),
    ] {
        let o = with_fault(fault, &run);
        let action = if fault.starts_with("enospc") {
            "writing"
        } else {
            "putting in place"
        };
        let reason = if fault.starts_with("enospc") {
            "No space left on device"
        } else {
            "No such file or directory"
        };
        failed_naming(&o, action, &path, reason);
        assert!(!path.exists(), "{}", path.display());
        no_temp_files(&out);
    }
    let o = corrcause(&run);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(folder.join("predictions.jsonl"))
            .unwrap()
            .lines()
            .count(),
        items
    );
    let predictions = s(&folder.join("predictions.jsonl"));
    // score --out
    let report = dir.join("report.md");
    let score = [
        "score",
        "--dataset",
        &s(&dataset),
        "--predictions",
        &predictions,
        "--format",
        "markdown",
        "--bootstrap",
        "10",
        "--out",
        &s(&report),
    ];
    failed_naming(
        &with_fault("enospc:report.md", &score),
        "writing",
        &report,
        "No space left on device",
    );
    assert!(!report.exists());
    no_temp_files(&dir);
    assert!(corrcause(&score).status.success());
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("| model |"));
    // export batch
    let requests = dir.join("requests.jsonl");
    let export = [
        "export",
        "batch",
        "--dataset",
        &s(&dataset),
        "--model",
        "m",
        "-o",
        &s(&requests),
    ];
    failed_naming(
        &with_fault("enospc:requests.jsonl", &export),
        "writing",
        &requests,
        "No space left on device",
    );
    assert!(!requests.exists());
    no_temp_files(&dir);
    assert!(corrcause(&export).status.success());
    assert_eq!(
        std::fs::read_to_string(&requests).unwrap().lines().count(),
        items
    );
    // merge
    let shards = two_shards(&dir);
    let merged = dir.join("merged");
    let merge = ["merge", &shards[0], &shards[1], "--out", &s(&merged)];
    failed_naming(
        &with_fault("enospc:merged/items.jsonl", &merge),
        "writing",
        &merged.join("items.jsonl"),
        "No space left on device",
    );
    assert!(!merged.join("items.jsonl").exists() && !merged.join("manifest.json").exists());
    no_temp_files(&merged);
    let o = corrcause(&merge);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A 1 MiB tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", &s(at)])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn generate_on_a_really_full_disk_says_so_and_reruns_elsewhere() {
    let dir = temp_dir("safety", "tmpfs");
    let Some(disk) = Tmpfs::mount(&dir.join("small")) else {
        eprintln!("skipped: this test needs to mount a tmpfs (root); the injected faults above cover the same paths");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    };
    let out = disk.0.join("d");
    // About 30 MB of items: more than the 1 MiB disk holds.
    let argv = [
        "generate",
        "--preset",
        "corr2cause-v2",
        "--nodes",
        "2..=5",
        "--out",
        &s(&out),
    ];
    let o = corrcause(&argv);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("No space left on device") && e.contains(&s(&out)),
        "{e}"
    );
    no_temp_files(&out);
    assert!(!out.join("manifest.json").exists());
    drop(disk);
    // Space freed (the same folder, now on the big disk): the same command succeeds.
    let o = corrcause(&argv);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
