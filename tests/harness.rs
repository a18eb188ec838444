//! Harness logs back into `corrcause score`, on small logs made by the real tools
//! (tests/fixtures/harness, see its README): lm-evaluation-harness's samples, inspect_ai's
//! `.eval` (zstd members) and `.json`. The logs answered a test server whose answer is a function
//! of the prompt (scripts/fake_openai_server.py), so the expected answer of each item is computed
//! here from the item's prompt, independently of the log; the expected metrics are the harness's
//! own, read from its results.

mod common;

use common::{corrcause, json_of, temp_dir};
use corrcause::run::prompt::Prompt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/harness")
        .join(name)
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// What the test server answers to a prompt (scripts/fake_openai_server.py's `answer_for`).
fn served(prompt: &str) -> &'static str {
    const ANSWERS: [&str; 8] = [
        "Yes",
        "No",
        " No.",
        "yes",
        "Answer: Yes",
        "The hypothesis does not follow, so the answer is no.",
        "I cannot tell.",
        "{\"answer\": \"yes\"}",
    ];
    ANSWERS[Sha256::digest(prompt.as_bytes())[0] as usize % ANSWERS.len()]
}

fn items() -> Vec<Value> {
    std::fs::read_to_string(fixture("items.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const LOGS: [&str; 3] = [
    "fake/samples_corrcause.jsonl",
    "inspect.eval",
    "inspect.json",
];

#[test]
fn every_log_imports_what_the_server_answered_for_each_item() {
    let expected: BTreeMap<String, String> = items()
        .iter()
        .map(|i| {
            let prompt = Prompt::Corr2Cause.render(
                i["premise"].as_str().unwrap(),
                i["hypothesis"].as_str().unwrap(),
            );
            (
                i["id"].as_str().unwrap().to_string(),
                served(&prompt).to_string(),
            )
        })
        .collect();
    for log in LOGS {
        let out = corrcause(&[
            "score",
            "--dataset",
            s(&fixture("items.jsonl")),
            "--predictions",
            s(&fixture(log)),
            "--explain-parse",
        ]);
        assert!(
            out.status.success(),
            "{log}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let imported: BTreeMap<String, String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().to_string(),
                    v["output"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(imported, expected, "{log}");
    }
}

#[test]
fn scores_equal_the_harnesses_own_and_several_logs_compare() {
    let lm_eval: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("fake/results.json")).unwrap())
            .unwrap();
    let lm = &lm_eval["results"]["corrcause"];
    let inspect: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("inspect.json")).unwrap()).unwrap();
    let metrics = &inspect["results"]["scores"][0]["metrics"];
    let harness = [
        (
            lm["acc,none"].as_f64().unwrap(),
            lm["f1,none"].as_f64().unwrap(),
            lm["mcc,none"].as_f64().unwrap(),
        ),
        (
            metrics["accuracy"]["value"].as_f64().unwrap(),
            metrics["f1"]["value"].as_f64().unwrap(),
            metrics["mcc"]["value"].as_f64().unwrap(),
        ),
    ];
    let mut args = vec![
        "score".to_string(),
        "--dataset".into(),
        s(&fixture("items.jsonl")).into(),
        "--format".into(),
        "json".into(),
        "--bootstrap".into(),
        "20".into(),
    ];
    for log in LOGS {
        args.extend(["--predictions".into(), s(&fixture(log)).into()]);
    }
    let report = json_of(&corrcause(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let models = report["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    for (model, (acc, f1, mcc)) in models.iter().zip([harness[0], harness[1], harness[1]]) {
        let m = &model["metrics"];
        assert!(
            (m["accuracy"]["value"].as_f64().unwrap() - acc).abs() < 1e-12,
            "{model}"
        );
        assert!(
            (m["f1"]["value"].as_f64().unwrap() - f1).abs() < 1e-12,
            "{model}"
        );
        assert!(
            (m["mcc"]["value"].as_f64().unwrap() - mcc).abs() < 1e-12,
            "{model}"
        );
        assert_eq!(model["items"], 6);
        assert_eq!(model["missing"], 0);
    }
    assert_eq!(report["comparisons"].as_array().unwrap().len(), 3);
    // Default names: the model folder lm-eval wrote to, inspect's model.
    assert_eq!(models[0]["name"], "fake");
    assert_eq!(models[1]["name"], "openai-api/local/fake");
}

#[test]
fn a_log_of_another_dataset_or_an_unknown_id_is_an_error_naming_file_and_line() {
    let dir = temp_dir("harness", "errors");
    let items = items();
    // The same ids with other labels: another dataset.
    let flipped: String = items
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i["label"] = Value::from(1 - i["label"].as_u64().unwrap());
            i.to_string() + "\n"
        })
        .collect();
    std::fs::write(dir.join("flipped.jsonl"), flipped).unwrap();
    // The third item left out: its answer names an unknown id.
    let missing: String = items
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != 2)
        .map(|(_, i)| i.to_string() + "\n")
        .collect();
    std::fs::write(dir.join("missing.jsonl"), missing).unwrap();
    let third = items[2]["id"].as_str().unwrap();
    let score = |dataset: &str, log: &str| {
        let out = corrcause(&[
            "score",
            "--dataset",
            s(&dir.join(dataset)),
            "--predictions",
            s(&fixture(log)),
        ]);
        assert!(!out.status.success(), "{dataset} {log} should fail");
        String::from_utf8(out.stderr).unwrap()
    };
    for log in LOGS {
        let e = score("flipped.jsonl", log);
        assert!(e.contains("another dataset") && e.contains(log), "{e}");
        let e = score("missing.jsonl", log);
        assert!(
            e.contains(&format!("{third:?} is not an item of the dataset")),
            "{e}"
        );
        assert!(e.contains("field `id`"), "{e}");
    }
    // Where: the line of the samples file, the member of the archive, the line in the JSON log.
    let e = score("missing.jsonl", "fake/samples_corrcause.jsonl");
    assert!(e.contains("samples_corrcause.jsonl:3:"), "{e}");
    let e = score("missing.jsonl", "inspect.eval");
    assert!(
        e.contains(&format!("inspect.eval!samples/{third}_epoch_1.json:1:")),
        "{e}"
    );
    let e = score("missing.jsonl", "inspect.json");
    let json = std::fs::read_to_string(fixture("inspect.json")).unwrap();
    let at = json.find(&format!("\"id\": \"{third}\"")).unwrap();
    let line = json[..at].matches('\n').count() + 1;
    assert!(e.contains(&format!("inspect.json:{line}:")), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exports_write_tasks_the_harnesses_load() {
    let dir = temp_dir("harness", "exports");
    for (kind, file) in [("lm-eval", "corrcause.yaml"), ("inspect", "corrcause.py")] {
        let out_dir = dir.join(kind);
        let out = corrcause(&[
            "export",
            kind,
            "--dataset",
            s(&fixture("items.jsonl")),
            "--out",
            s(&out_dir),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out_dir.join(file).exists());
        let rows: Vec<Value> = std::fs::read_to_string(out_dir.join("corrcause.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for (row, item) in rows.iter().zip(items()) {
            assert_eq!(row["id"], item["id"]);
            assert_eq!(row["label"], item["label"]);
            let prompt = Prompt::Corr2Cause.render(
                item["premise"].as_str().unwrap(),
                item["hypothesis"].as_str().unwrap(),
            );
            assert_eq!(row["prompt"], prompt.as_str());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
