//! `corrcause run` with the built-in baselines: the oracle answers every item of corrected data
//! from its premise alone.

mod common;

use common::{corr2cause_items, corrcause, temp_dir, FAKE_MODEL};
use serde_json::Value;

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
    for model in [
        "baseline-oracle",
        "baseline-random",
        "baseline-always-invalid",
        "baseline-always-valid",
        "baseline-correlation",
    ] {
        assert!(
            dir.join(model).join("predictions.jsonl").exists(),
            "{model}"
        );
        assert!(dir.join(model).join("report.json").exists(), "{model}");
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

#[test]
fn shots_come_from_the_train_split_balanced() {
    let dir = temp_dir("run", "shots");
    let model_py = dir.join("model.py");
    std::fs::write(&model_py, FAKE_MODEL).unwrap();
    let spec = format!("cmd:python3 {} 0", model_py.display());
    let out = dir.join("out");
    let run = corrcause(&[
        "run",
        "--model",
        &spec,
        "--shots",
        "2",
        "--jobs",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "10",
    ]);
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

#[test]
fn a_command_model_that_dies_is_restarted_and_one_that_breaks_the_protocol_stops_the_run() {
    let dir = temp_dir("run", "crash");
    let model_py = dir.join("crash.py");
    std::fs::write(&model_py, CRASHING_MODEL).unwrap();
    let dataset = corr2cause_items("2..=3", &dir.join("data"));
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
