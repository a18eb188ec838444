//! `corrcause run` with the built-in baselines and `cmd:` programs: the oracle answers every item
//! of corrected data from its premise alone; programs that die are started again, a crash loop
//! stops the run, and so do SIGINT and SIGTERM, with a journal the same command finishes.

mod common;
#[path = "support/process.rs"]
mod process;

use common::{corr2cause_items, corrcause, temp_dir, FAKE_MODEL};
use process::{line_count, wait_until, whole_journal, Running};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn oracle_f1(report: &Value) -> f64 {
    let m = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "baseline:oracle")
        .unwrap();
    m["metrics"]["f1"]["value"].as_f64().unwrap()
}

#[test]
fn default_run_scores_every_baseline_and_the_oracle_is_perfect() {
    let dir = temp_dir("run", "default");
    let out = corrcause(&["run", "--out", dir.to_str().unwrap(), "--bootstrap", "50"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("baseline:oracle") && table.contains("baseline:correlation"));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["models"].as_array().unwrap().len(), 5);
    assert_eq!(oracle_f1(&report), 1.0);
    assert_eq!(report["models"][0]["name"], "baseline:oracle");
    // By depth (issue 11): the oracle is right at every rung; always-invalid is right on every
    // skeleton and ambiguous item (those labels are all invalid) and wrong on every valid one.
    assert!(table.contains("baseline:oracle by depth: ambiguous accuracy 100.0"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Accuracy by depth"));
    for m in report["models"].as_array().unwrap() {
        let by_depth = m["by_depth"].as_object().unwrap();
        let names: Vec<&str> = by_depth.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "ambiguous",
                "colliders",
                "equivalence",
                "propagation",
                "skeleton"
            ]
        );
        let acc = |d: &str| {
            by_depth[d]["metrics"]["accuracy"]["value"]
                .as_f64()
                .unwrap()
        };
        match m["name"].as_str().unwrap() {
            "baseline:oracle" => assert!(names.iter().all(|d| acc(d) == 1.0)),
            "baseline:always-invalid" => {
                assert_eq!(acc("skeleton"), 1.0);
                assert_eq!(acc("ambiguous"), 1.0);
            }
            "baseline:always-valid" => {
                assert_eq!(acc("skeleton"), 0.0);
                assert_eq!(acc("ambiguous"), 0.0);
            }
            _ => {}
        }
    }
    for model in [
        "baseline-oracle",
        "baseline-random",
        "baseline-always-invalid",
        "baseline-always-valid",
        "baseline-correlation",
    ] {
        let predictions = std::fs::read(dir.join(model).join("predictions.jsonl")).unwrap();
        assert!(dir.join(model).join("report.json").exists(), "{model}");
        // The manifest gives the file's SHA-256, size and lines (hashed as it was written).
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(dir.join(model).join("manifest.json")).unwrap())
                .unwrap();
        let entry = &manifest["files"][0];
        assert_eq!(entry["path"], "predictions.jsonl");
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            format!("{:x}", Sha256::digest(&predictions)),
            "{model}"
        );
        assert_eq!(entry["bytes"].as_u64().unwrap(), predictions.len() as u64);
        let lines = predictions.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(entry["items"].as_u64().unwrap(), lines);
    }
    assert!(std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .contains("<svg"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn oracle_is_perfect_on_every_corrected_form() {
    let dir = temp_dir("run", "forms");
    let cases: [&[&str]; 3] = [
        &["--preset", "corr2cause-v2", "--nodes", "2..=5"],
        &[
            "--preset",
            "default",
            "--nodes",
            "6..=9",
            "--per-n",
            "20",
            "--premise",
            "basis",
            "--names",
            "words",
            "--balance",
            "none",
        ],
        &[
            "--preset",
            "default",
            "--nodes",
            "5..=8",
            "--per-n",
            "20",
            "--premise",
            "minimal",
            "--style",
            "paraphrased",
            "--order",
            "shuffled",
        ],
    ];
    for (k, args) in cases.iter().enumerate() {
        let data = dir.join(format!("data{k}"));
        let mut gen = vec![
            "generate",
            "--out",
            data.to_str().unwrap(),
            "--splits",
            "none",
            "--format",
            "jsonl",
            "--items-per-file",
            "1000000",
        ];
        gen.extend_from_slice(args);
        assert!(corrcause(&gen).status.success(), "{args:?}");
        let run_dir = dir.join(format!("run{k}"));
        let out = corrcause(&[
            "run",
            "--dataset",
            data.join("items.jsonl").to_str().unwrap(),
            "--model",
            "baseline:oracle",
            "--model",
            "baseline:always-invalid",
            "--out",
            run_dir.to_str().unwrap(),
            "--bootstrap",
            "20",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(oracle_f1(&report), 1.0, "{args:?}");
        let m = &report["models"][0];
        assert_eq!(m["metrics"]["accuracy"]["value"], 1.0, "{args:?}");
    }
    let out = corrcause(&["run", "--model", "hf:gpt2", "--out", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("openai:MODEL@BASE_URL, cmd:PROGRAM ARGS")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A stand-in model: answers "Yes" to direct-cause hypotheses, "No" otherwise, after `delay` s.
fn ids_of(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn command_models_answer_once_per_item_even_when_killed() {
    let dir = temp_dir("run", "cmd");
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, FAKE_MODEL).unwrap();
    let data = dir.join("data");
    let dataset = corr2cause_items("2..=4", &data);
    let items = ids_of(&dataset);
    let out = dir.join("out");
    let spec = format!("cmd:python3 {} 0.004", model_py.display());
    let args = [
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        spec.as_str(),
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "20",
    ];
    // Kill the run part way, then run it again with the same arguments.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("cmd-python3"))
        .unwrap();
    let journal = folder.join("journal.jsonl");
    let before = std::fs::read_to_string(&journal)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    assert!(
        before > 0 && before < items.len(),
        "the kill should land mid-run ({before} of {})",
        items.len()
    );
    let rerun = corrcause(&args);
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert!(String::from_utf8_lossy(&rerun.stderr).contains(&format!(
        "{} items: {before} from the journal, 0 from the cache, {} asked now",
        items.len(),
        items.len() - before,
    )));
    // Exactly one answer per item, in the journal and in the predictions.
    let mut journal_ids = ids_of(&journal);
    journal_ids.sort();
    let mut expected = items.clone();
    expected.sort();
    assert_eq!(journal_ids, expected);
    assert_eq!(ids_of(&folder.join("predictions.jsonl")), items);
    // Its answers are scored: "Yes" exactly on the direct-cause hypotheses.
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["models"][0]["unparsed"], 0);
    assert_eq!(
        report["models"][0]["items"].as_u64().unwrap() as usize,
        items.len()
    );
    // A third run asks nothing.
    let again = corrcause(&args);
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!(
        "{n} items: {n} from the journal, 0 from the cache, 0 asked now",
        n = items.len()
    )));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `corrcause run --shots 2` with the `cmd:` model `script` (run as `python3 model.py 0`, in `dir`)
/// on the preset generated on the fly, with `args`; returns the output folder and the model's.
fn run_with_two_shots(
    dir: &std::path::Path,
    script: &str,
    args: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, script).unwrap();
    let spec = format!("cmd:python3 {} 0", model_py.display());
    let out = dir.join("out");
    let mut all = vec!["run", "--model", &spec, "--shots", "2", "--jobs", "3"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap(), "--bootstrap", "10"]);
    let run = corrcause(&all);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("cmd-python3"))
        .unwrap();
    (out, folder)
}

/// Graph items get worked graph examples from the train split: each example's target written as
/// the prompt asks answers to be (edges one per line after Corr2Cause's "Answer:").
#[test]
fn graph_items_get_worked_graph_examples() {
    let dir = temp_dir("run", "graph-shots");
    // A model that answers every graph item with no edges.
    let model = "import json, sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print(json.dumps({\"id\": r[\"id\"], \"output\": \"no edges\"}), flush=True)\n";
    let (out, folder) = run_with_two_shots(&dir, model, &["--task", "graph"]);
    let text = std::fs::read_to_string(folder.join("predictions.jsonl")).unwrap();
    let train = std::fs::read_to_string(out.join("dataset").join("train.jsonl")).unwrap();
    let targets: Vec<Value> = train
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    for line in text.lines().take(5) {
        let v: Value = serde_json::from_str(line).unwrap();
        let prompt = v["request"]["prompt"].as_str().unwrap();
        assert_eq!(
            prompt.matches("Question: ").count(),
            3,
            "two examples, then the item"
        );
        assert!(prompt.ends_with("\n\nAnswer:"), "{prompt}");
        // Each example is a train item followed by its target's edges (the asked item's premise
        // may also be a train item's: two MECs isomorphic under the shuffled names).
        let examples = &prompt[..prompt.rfind("Question: ").unwrap()];
        let shown: Vec<&Value> = targets
            .iter()
            .filter(|t| {
                examples.contains(&format!("Question: {}\n", t["premise"].as_str().unwrap()))
            })
            .collect();
        assert_eq!(shown.len(), 2, "{} shown", shown.len());
        for t in shown {
            let target = &t["target"];
            let mut edges: Vec<String> = Vec::new();
            for [a, b] in
                serde_json::from_value::<Vec<[String; 2]>>(target["directed"].clone()).unwrap()
            {
                edges.push(format!("{a} -> {b}"));
            }
            for [a, b] in
                serde_json::from_value::<Vec<[String; 2]>>(target["undirected"].clone()).unwrap()
            {
                edges.push(format!("{a} -- {b}"));
            }
            let answer = if edges.is_empty() {
                "no edges".to_string()
            } else {
                edges.join("\n")
            };
            assert!(
                examples.contains(&format!("\n\nAnswer:\n{answer}\n\n")),
                "{prompt}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shots_come_from_the_train_split_balanced() {
    let dir = temp_dir("run", "shots");
    let (out, folder) = run_with_two_shots(&dir, FAKE_MODEL, &[]);
    let spec = format!("cmd:python3 {} 0", dir.join("model.py").display());
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(folder.join("predictions.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let prompt = first["request"]["prompt"].as_str().unwrap();
    assert_eq!(
        prompt.matches("Question: ").count(),
        3,
        "two worked examples, then the item"
    );
    assert_eq!(
        prompt.matches("Answer: Yes\n\n").count(),
        1,
        "one valid example"
    );
    assert_eq!(
        prompt.matches("Answer: No\n\n").count(),
        1,
        "one invalid example"
    );
    assert!(first["answer"].is_string());
    // No train split beside the dataset: a clear error.
    let lone = dir.join("lone.jsonl");
    std::fs::copy(out.join("dataset").join("test.jsonl"), &lone).unwrap();
    let err = corrcause(&[
        "run",
        "--dataset",
        lone.to_str().unwrap(),
        "--model",
        &spec,
        "--shots",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("train"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn answers_and_reports_do_not_depend_on_the_thread_count() {
    let dir = temp_dir("run", "threads");
    let data = dir.join("data");
    let dataset = corr2cause_items("2..=5", &data);
    let outs: Vec<std::path::PathBuf> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = dir.join(format!("t{threads}"));
            let run = corrcause(&[
                "--threads",
                threads,
                "run",
                "--dataset",
                dataset.to_str().unwrap(),
                "--model",
                "baseline:oracle",
                "--model",
                "baseline:random",
                "--out",
                out.to_str().unwrap(),
                "--bootstrap",
                "200",
            ]);
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            out
        })
        .collect();
    for file in [
        "report.json",
        "baseline-oracle/predictions.jsonl",
        "baseline-random/predictions.jsonl",
        "baseline-random/report.json",
    ] {
        assert!(
            std::fs::read(outs[0].join(file)).unwrap()
                == std::fs::read(outs[1].join(file)).unwrap(),
            "{file} differs between 1 and 2 threads"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A model that dies after `limit` answers (a crash mid-run), or prints `garbage` when told.
const CRASHING_MODEL: &str = r#"
import json, sys
limit = int(sys.argv[1])
for k, line in enumerate(sys.stdin):
    if sys.argv[2:] == ["garbage"]:
        print("not json", flush=True)
        continue
    if k == limit:
        sys.exit(3)
    r = json.loads(line)
    print(json.dumps({"id": r["id"], "output": "No"}), flush=True)
"#;

/// A test folder `tag` holding the program `source` as `model.py` and Corr2Cause's items on 2
/// and 3 variables (102): the folder, the program and the dataset.
fn with_program(tag: &str, source: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir("run", tag);
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, source).unwrap();
    let dataset = corr2cause_items("2..=3", &dir.join("data"));
    (dir, model_py, dataset)
}

#[test]
fn a_command_model_that_dies_is_restarted_and_one_that_breaks_the_protocol_stops_the_run() {
    let (dir, model_py, dataset) = with_program("crash", CRASHING_MODEL);
    let spec = format!("cmd:python3 {} 7", model_py.display());
    let out = dir.join("out");
    let run = corrcause(&[
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        &spec,
        "--jobs",
        "2",
        "--backoff-ms",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "10",
        "--progress",
        "none",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // 102 items, 7 answers per process: the programs died and were restarted many times.
    assert!(
        stderr.contains("102 items: 0 from the journal, 0 from the cache, 102 asked now"),
        "{stderr}"
    );
    let retries: usize = stderr
        .split("asked now (")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(retries >= 102 / 7 - 2, "{retries} restarts");
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("cmd-"))
        .unwrap();
    assert_eq!(ids_of(&folder.join("predictions.jsonl")), ids_of(&dataset));
    // Out of protocol: the run stops with the program's words.
    let garbage = format!("cmd:python3 {} 7 garbage", model_py.display());
    let run = corrcause(&[
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        &garbage,
        "--out",
        out.to_str().unwrap(),
        "--progress",
        "none",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("answer is not JSON") && stderr.contains("not json"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A model that leaves its process id in the folder `argv[1]`, answers its first 3 requests at
/// once and then, while the file `argv[2]` exists, stalls for a minute per request.
const STALLING_MODEL: &str = r#"
import json, os, sys, time
open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
for k, line in enumerate(sys.stdin):
    if k >= 3 and os.path.exists(sys.argv[2]):
        time.sleep(60)
    r = json.loads(line)
    print(json.dumps({"id": r["id"], "output": "No"}), flush=True)
"#;

#[test]
fn sigterm_ends_the_model_programs_at_once_and_the_same_command_goes_on() {
    let (dir, model_py, dataset) = with_program("sigterm", STALLING_MODEL);
    let pids = dir.join("pids");
    std::fs::create_dir_all(&pids).unwrap();
    let stall = dir.join("stall");
    std::fs::write(&stall, "").unwrap();
    let spec = format!(
        "cmd:python3 {} {} {}",
        model_py.display(),
        pids.display(),
        stall.display()
    );
    let out = dir.join("out");
    let args = [
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        &spec,
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "10",
        "--progress",
        "none",
    ];
    let mut run = Running::start(&args);
    let folder = || {
        std::fs::read_dir(&out)
            .ok()?
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("cmd-"))
    };
    let journal = || folder().map(|f| f.join("journal.jsonl"));
    // Two programs, three answers each, then both stall in the middle of a request.
    assert!(wait_until(Duration::from_secs(30), || journal()
        .is_some_and(|j| line_count(&j) >= 6)));
    std::thread::sleep(Duration::from_millis(200));
    run.signal("TERM");
    let (status, took, stderr) = run.end(Duration::from_secs(30));
    assert!(took < Duration::from_secs(3), "{took:?}: {stderr}");
    assert_eq!(status.code(), Some(143), "{stderr}");
    let journal = journal().unwrap();
    assert_eq!(whole_journal(&journal).len(), 6);
    assert!(
        stderr.contains(
            "interrupted: 6 of 102 answered; the same command continues where this stopped"
        ),
        "{stderr}"
    );
    // The programs, stalled in the middle of a request, were ended.
    let started: Vec<String> = std::fs::read_dir(&pids)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(started.len(), 2, "{started:?}");
    for pid in &started {
        assert!(
            wait_until(Duration::from_secs(5), || !std::path::Path::new(&format!(
                "/proc/{pid}"
            ))
            .exists()),
            "the model program {pid} still runs"
        );
    }
    // Without the stall, the same command asks only the rest.
    std::fs::remove_file(&stall).unwrap();
    let rerun = corrcause(&args);
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{stderr}");
    assert!(
        stderr.contains("102 items: 6 from the journal, 0 from the cache, 96 asked now"),
        "{stderr}"
    );
    assert_eq!(whole_journal(&journal).len(), 102);
    assert_eq!(
        ids_of(&folder().unwrap().join("predictions.jsonl")),
        ids_of(&dataset)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_signal_ends_the_run_at_once() {
    let dir = temp_dir("run", "second-signal");
    let out = dir.join("out");
    // The oracle on the default preset's test split, then a long bootstrap (about 3 s on two
    // idle cores): the first signal waits for the scoring to end, the second does not.
    let mut run = Running::start(&[
        "run",
        "--model",
        "baseline:oracle",
        "--bootstrap",
        "1000000",
        "--out",
        out.to_str().unwrap(),
    ]);
    let manifest = out.join("baseline-oracle").join("manifest.json");
    assert!(wait_until(Duration::from_secs(120), || manifest.exists()));
    run.signal("INT");
    assert!(
        run.wait_for(Duration::from_millis(300)).is_none(),
        "the first signal only asks the run to stop at its next safe point"
    );
    run.signal("INT");
    let (status, took, stderr) = run.end(Duration::from_secs(30));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(status.code(), Some(130));
    assert!(!stderr.contains("interrupted:"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that cannot start: it says why on standard error and exits.
const BROKEN_MODEL: &str = r#"
import sys
print("loading the model", file=sys.stderr, flush=True)
print("ImportError: No module named 'torch_fake'", file=sys.stderr, flush=True)
sys.exit(1)
"#;

#[test]
fn a_command_model_that_keeps_dying_at_start_stops_the_run_with_its_last_words() {
    let (dir, model_py, dataset) = with_program("crash-loop", BROKEN_MODEL);
    let spec = format!("cmd:python3 {}", model_py.display());
    let out = dir.join("out");
    let started = Instant::now();
    let run = corrcause(&[
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        &spec,
        "--jobs",
        "2",
        "--backoff-ms",
        "50",
        "--give-up-after",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--progress",
        "none",
    ]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&run.stderr);
    // 2 s and 5 starts in a row; each start of Python takes 30 ms on an idle machine, seconds on a
    // loaded one. Without the bound, each of the 102 items would be tried 9 times.
    assert!(took < Duration::from_secs(2 + 13), "{took:?}: {stderr}");
    assert_eq!(run.status.code(), Some(75), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the program `python3 {}` keeps dying at start (no success in ",
            model_py.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("exit status: 1"), "{stderr}");
    assert!(
        stderr.contains(
            "0 of 102 answered; the same command continues where this stopped; its last lines on standard error:"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  | loading the model\n  | ImportError: No module named 'torch_fake'"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
