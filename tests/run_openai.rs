//! `corrcause run --model openai:...` against a real HTTP server on 127.0.0.1 that injects faults:
//! every item is answered exactly once whatever goes wrong, a killed run resumes, the API key is
//! never written anywhere, log-probabilities decide answers, the cache answers a second run, and
//! a server that dies or a signal stops the run with a message and a journal a rerun finishes.

mod common;
#[path = "support/openai_server.rs"]
mod openai_server;
#[path = "support/process.rs"]
mod process;

use common::{corr2cause_items, corrcause, temp_dir};
use openai_server::{expected, Fault, Plan, Server};
use process::{line_count, wait_until, whole_journal, Running};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A small corrected dataset: Corr2Cause's items on 2 and 3 variables (102 items).
fn dataset(dir: &Path) -> PathBuf {
    corr2cause_items("2..=3", &dir.join("data"))
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(path: &Path) -> Vec<String> {
    lines(path)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn run_args<'a>(dataset: &'a str, spec: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--dataset",
        dataset,
        "--model",
        spec,
        "--out",
        out,
        "--bootstrap",
        "20",
        "--progress",
        "none",
    ];
    args.extend_from_slice(extra);
    args
}

/// Checks that `folder` holds exactly one answer per item of `dataset`, each the server's.
fn assert_one_right_answer_per_item(folder: &Path, dataset: &Path) {
    let items = ids(dataset);
    let predictions = lines(&folder.join("predictions.jsonl"));
    assert_eq!(
        predictions
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        items,
        "one prediction per item, in dataset order"
    );
    let mut journal = ids(&folder.join("journal.jsonl"));
    journal.sort();
    let mut sorted = items.clone();
    sorted.sort();
    assert_eq!(journal, sorted, "one journal line per item");
    for p in &predictions {
        let prompt = p["request"]["prompt"].as_str().unwrap();
        assert_eq!(p["output"], expected(prompt), "{}", p["id"]);
        let want = if expected(prompt) == "Yes" {
            "valid"
        } else {
            "invalid"
        };
        assert_eq!(p["answer"], want);
    }
}

fn model_folder(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("openai-")
        })
        .expect("a folder for the model")
}

#[test]
fn every_item_is_answered_once_whatever_faults_strike() {
    let dir = temp_dir("run-openai", "faults");
    let data = dataset(&dir);
    let server = Server::start(Plan {
        fault_rate: 0.5,
        failing_attempts: 2,
        faults: vec![
            Fault::ServerError,
            Fault::TooMany { retry_after_s: 1 },
            Fault::Slow(Duration::from_millis(2500)),
            Fault::Truncated,
            Fault::Malformed,
            Fault::Drop,
        ],
        ..Plan::default()
    });
    let spec = format!("openai:test-model@{}", server.base_url());
    let out = dir.join("out");
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &[
            "--jobs",
            "16",
            "--timeout",
            "1",
            "--backoff-ms",
            "20",
            "--retries",
            "4",
        ],
    );
    let run = corrcause(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("102 items: 0 from the journal, 0 from the cache, 102 asked now"),
        "{stderr}"
    );
    assert!(stderr.contains("0 without an answer"), "{stderr}");
    for kind in ["500", "429", "slow", "truncated", "malformed", "drop"] {
        assert!(server.faults(kind) > 0, "no {kind} fault was injected");
    }
    // Retry-After was honoured: no retry of a rate-limited prompt came sooner than asked.
    let gaps = server.stats.retry_gaps.lock().unwrap().clone();
    assert!(!gaps.is_empty());
    for (gap, wanted) in gaps {
        assert!(
            gap >= wanted,
            "retried after {gap:?}, asked to wait {wanted:?}"
        );
    }
    let folder = model_folder(&out);
    assert_one_right_answer_per_item(&folder, &data);
    // The record of a request: prompt, parameters, latency, attempts, tokens.
    let first = &lines(&folder.join("predictions.jsonl"))[0];
    let request = &first["request"];
    assert_eq!(request["model"], spec.as_str());
    assert_eq!(request["parameters"]["temperature"], 0.0);
    assert_eq!(request["parameters"]["max_tokens"], 16);
    assert!(request["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(request["attempts"].as_u64().unwrap() >= 1);
    assert!(request["prompt_tokens"].as_u64().unwrap() > 0);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["models"][0]["items"], 102);
    assert_eq!(report["models"][0]["unparsed"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run's setting against a server that answers after 20 ms: 102 items, output in `out`.
struct SlowRun {
    dir: PathBuf,
    data: PathBuf,
    server: Server,
    spec: String,
    out: PathBuf,
}

impl SlowRun {
    fn start(tag: &str) -> SlowRun {
        let dir = temp_dir("run-openai", tag);
        let data = dataset(&dir);
        let server = Server::start(slow());
        let spec = format!("openai:test-model@{}", server.base_url());
        let out = dir.join("out");
        SlowRun {
            dir,
            data,
            server,
            spec,
            out,
        }
    }
}

/// A server that answers after 20 ms.
fn slow() -> Plan {
    Plan {
        delay: Duration::from_millis(20),
        ..Plan::default()
    }
}

#[test]
fn a_run_killed_mid_way_resumes_with_one_answer_per_item() {
    let SlowRun {
        dir,
        data,
        server,
        spec,
        out,
    } = SlowRun::start("kill");
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &["--jobs", "2"],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once some answers are journaled.
    let journal = out
        .join(format!(
            "openai-test-model-http---127.0.0.1-{}-v1",
            server.port
        ))
        .join("journal.jsonl");
    let started = std::time::Instant::now();
    while ids(&journal).len() < 20 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(
        (20..102).contains(&before),
        "the kill should land mid-run ({before} of 102)"
    );
    let asked_before = server
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    let rerun = corrcause(&args);
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "102 items: {before} from the journal, 0 from the cache, {} asked now",
            102 - before
        )),
        "{stderr}"
    );
    // The rerun asked only what the journal lacked.
    let asked_after = server
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(asked_after - asked_before, 102 - before as u64);
    assert_one_right_answer_per_item(&model_folder(&out), &data);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_api_key_is_sent_but_never_written() {
    let dir = temp_dir("run-openai", "key");
    let data = dataset(&dir);
    let key = "sk-test-5ecret-KEY-4242";
    let server = Server::start(Plan {
        key: Some(key.into()),
        fault_rate: 0.3,
        failing_attempts: 1,
        faults: vec![Fault::ServerError, Fault::Malformed],
        ..Plan::default()
    });
    let spec = format!("openai:test-model@{}", server.base_url());
    let out = dir.join("out");
    let cache = dir.join("cache");
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &[
            "--api-key-env",
            "CORRCAUSE_TEST_KEY",
            "--backoff-ms",
            "5",
            "--cache",
            cache.to_str().unwrap(),
        ],
    );
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(&args)
        .env("CORRCAUSE_TEST_KEY", key)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let sent = server.stats.authorizations.lock().unwrap().clone();
    assert!(!sent.is_empty(), "the key was never sent");
    assert!(
        sent.iter().all(|a| a == &format!("Bearer {key}")),
        "{sent:?}"
    );
    assert_one_right_answer_per_item(&model_folder(&out), &data);
    let written: Vec<PathBuf> = files_under(&out)
        .into_iter()
        .chain(files_under(&cache))
        .collect();
    assert!(written.len() > 100);
    for file in written {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{} holds the key",
            file.display()
        );
    }
    for stream in [&run.stdout, &run.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(key));
    }
    // A wrong key stops the run at once with a message that names the variable, not the key.
    let out3 = dir.join("out3");
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out3.to_str().unwrap(),
        &["--api-key-env", "CORRCAUSE_TEST_KEY", "--backoff-ms", "5"],
    );
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(&args)
        .env("CORRCAUSE_TEST_KEY", "sk-wrong-key-999")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success());
    assert!(
        stderr.contains("401") && stderr.contains("--api-key-env"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-wrong-key-999"), "{stderr}");
    // An unset variable is a usage error before anything is asked.
    let unset = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(&args)
        .env_remove("CORRCAUSE_TEST_KEY")
        .output()
        .unwrap();
    assert!(!unset.status.success());
    assert!(String::from_utf8_lossy(&unset.stderr).contains("CORRCAUSE_TEST_KEY"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logprobs_decide_and_the_cache_answers_a_second_run() {
    let dir = temp_dir("run-openai", "logprobs");
    let data = dataset(&dir);
    let server = Server::start(Plan::default());
    let spec = format!("openai:test-model@{}", server.base_url());
    let cache = dir.join("cache");
    let out = dir.join("out");
    let extra = [
        "--logprobs",
        "--api",
        "completions",
        "--cache",
        cache.to_str().unwrap(),
        "--jobs",
        "4",
    ];
    let run = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &extra,
    ));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let body = server.stats.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["logprobs"], 10, "the completions form of logprobs");
    assert!(body["prompt"].as_str().unwrap().starts_with("Question: "));
    let predictions = lines(&model_folder(&out).join("predictions.jsonl"));
    assert_eq!(predictions.len(), 102);
    for p in &predictions {
        let yes = p["answer_probabilities"]["yes"].as_f64().unwrap();
        let no = p["answer_probabilities"]["no"].as_f64().unwrap();
        let want = if yes > no { "valid" } else { "invalid" };
        assert_eq!(p["prediction"], want);
        assert_eq!(p["answer"], want);
        let expected_yes = expected(p["request"]["prompt"].as_str().unwrap()) == "Yes";
        assert_eq!(yes > no, expected_yes);
    }
    let asked = server
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(asked, 102);
    // A second run elsewhere: every answer comes from the cache, nothing reaches the server.
    let out2 = dir.join("out2");
    let again = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        out2.to_str().unwrap(),
        &extra,
    ));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 from the journal, 102 from the cache, 0 asked now"),
        "{stderr}"
    );
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        102
    );
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(out2.join("report.json")).unwrap()
    );
    // Other parameters are other answers: a miss.
    let out3 = dir.join("out3");
    let mut other = extra.to_vec();
    other.extend(["--temperature", "0.7"]);
    let third = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        out3.to_str().unwrap(),
        &other,
    ));
    assert!(String::from_utf8_lossy(&third.stderr).contains("0 from the cache, 102 asked now"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn items_that_never_get_an_answer_fail_the_run_and_are_asked_again() {
    let dir = temp_dir("run-openai", "exhausted");
    let data = dataset(&dir);
    let server = Server::start(Plan {
        fault_rate: 0.2,
        failing_attempts: 3,
        faults: vec![Fault::ServerError],
        ..Plan::default()
    });
    let spec = format!("openai:test-model@{}", server.base_url());
    let out = dir.join("out");
    let first = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &["--retries", "1", "--backoff-ms", "1"],
    ));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!first.status.success());
    assert!(
        stderr.contains("got no answer after 1 retries") && stderr.contains("HTTP 500"),
        "{stderr}"
    );
    let folder = model_folder(&out);
    let answered = ids(&folder.join("predictions.jsonl")).len();
    assert!((50..102).contains(&answered), "{answered}");
    assert!(
        out.join("report.json").exists(),
        "the report is written all the same"
    );
    // The faults stop after 3 attempts: a second run with 1 retry answers the rest.
    let second = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &["--retries", "1", "--backoff-ms", "1"],
    ));
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_one_right_answer_per_item(&folder, &data);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wrong_address_fails_fast_with_a_clear_message() {
    let dir = temp_dir("run-openai", "address");
    let data = dataset(&dir);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = format!("openai:m@http://127.0.0.1:{port}/v1");
    let started = std::time::Instant::now();
    let run = corrcause(&run_args(
        data.to_str().unwrap(),
        &spec,
        dir.join("out").to_str().unwrap(),
        &[],
    ));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("cannot reach") && stderr.contains("is the server running"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    for bad in [
        "openai:m",
        "openai:m@ftp://x",
        "openai:@http://127.0.0.1:1/v1",
    ] {
        let run = corrcause(&run_args(
            data.to_str().unwrap(),
            bad,
            dir.join("out").to_str().unwrap(),
            &[],
        ));
        assert!(!run.status.success());
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("--model"),
            "{bad}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The journal of the test model served by `server`, under `out`.
fn journal_of(out: &Path, server: &Server) -> PathBuf {
    out.join(format!(
        "openai-test-model-http---127.0.0.1-{}-v1",
        server.port
    ))
    .join("journal.jsonl")
}

/// Runs `args` again against a server answering on `port`, and checks that it finishes with
/// exactly one right answer per item, asking only what the journal's `n` lines lack.
fn rerun_finishes(args: &[&str], out: &Path, data: &Path, n: usize) {
    let rerun = corrcause(args);
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "102 items: {n} from the journal, 0 from the cache, {} asked now",
            102 - n
        )),
        "{stderr}"
    );
    assert_one_right_answer_per_item(&model_folder(out), data);
}

#[test]
fn a_server_that_dies_mid_run_stops_it_within_the_bound_and_a_rerun_finishes() {
    let SlowRun {
        dir,
        data,
        mut server,
        spec,
        out,
    } = SlowRun::start("gone");
    let (port, url) = (server.port, server.base_url());
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &["--jobs", "2", "--give-up-after", "2"],
    );
    let journal = journal_of(&out, &server);
    let mut run = Running::start(&args);
    assert!(wait_until(Duration::from_secs(30), || line_count(&journal) >= 20));
    server.kill();
    let (status, took, stderr) = run.end(Duration::from_secs(60));
    // The documented bound: 2 s without a sign of life (and 5 failures in a row), checked every
    // 50 ms; a few seconds more for a loaded machine.
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(2 + 6),
        "stopped {took:?} after the server died: {stderr}"
    );
    assert_eq!(status.code(), Some(75), "{stderr}");
    let n = whole_journal(&journal).len();
    assert!((20..102).contains(&n), "{n}");
    assert!(
        stderr.contains(&format!(
            "the server at {url} stopped answering (last success "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed attempts in a row, the last: "),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "; {n} of 102 answered; the same command continues where this stopped"
        )),
        "{stderr}"
    );
    // What the outage left unasked is not "failed", and nothing else is said as an error.
    assert!(
        !stderr.contains("error:") && !stderr.contains("without an answer"),
        "{stderr}"
    );
    // The server is back where it was: the same command finishes the run.
    let _server = Server::start_on(port, slow());
    rerun_finishes(&args, &out, &data, n);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigint_stops_asking_keeps_every_answer_and_the_same_command_goes_on() {
    let SlowRun {
        dir,
        data,
        server,
        spec,
        out,
    } = SlowRun::start("sigint");
    let args = run_args(
        data.to_str().unwrap(),
        &spec,
        out.to_str().unwrap(),
        &["--jobs", "2"],
    );
    let journal = journal_of(&out, &server);
    let mut run = Running::start(&args);
    assert!(wait_until(Duration::from_secs(30), || line_count(&journal) >= 20));
    run.signal("INT");
    let (status, took, stderr) = run.end(Duration::from_secs(30));
    assert!(took < Duration::from_secs(3), "{took:?}: {stderr}");
    assert_eq!(status.code(), Some(130), "{stderr}");
    let n = whole_journal(&journal).len();
    assert!((20..102).contains(&n), "{n}");
    assert!(
        stderr.contains(&format!(
            "interrupted: {n} of 102 answered; the same command continues where this stopped"
        )),
        "{stderr}"
    );
    // Nothing was asked after the signal but what was in flight (one request per job).
    let answers = server
        .stats
        .answers
        .load(std::sync::atomic::Ordering::Relaxed) as usize;
    assert!(
        (n..=n + 2).contains(&answers),
        "{answers} answers, {n} journaled"
    );
    rerun_finishes(&args, &out, &data, n);
    std::fs::remove_dir_all(&dir).unwrap();
}
