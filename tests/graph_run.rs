//! `corrcause run` on graph items: the oracle recovers every target exactly (every preset and
//! naming), the other baselines behave as defined, `cmd:` requests carry the graph fields, and
//! `export batch` writes the graph prompt.

mod common;

use common::{corrcause, generate_graph, temp_dir};
use serde_json::Value;
use std::path::Path;

fn generate(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    generate_graph(dir, args);
    dir.to_path_buf()
}

fn run(dataset: &Path, out: &Path, models: &[&str]) -> Value {
    let mut args = vec![
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--bootstrap",
        "0",
        "--progress",
        "none",
    ];
    for m in models {
        args.extend(["--model", m]);
    }
    let o = corrcause(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn metric(report: &Value, model: &str, k: &str) -> f64 {
    let m = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == model)
        .unwrap_or_else(|| panic!("{model} not in the report"));
    m["metrics"][k]["value"].as_f64().unwrap()
}

#[test]
fn the_oracle_is_exact_on_every_preset_and_naming() {
    let root = temp_dir("graph_run", "oracle");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("v2", vec!["--preset", "corr2cause-v2"]),
        ("default", vec!["--preset", "default"]),
        (
            "v2-words",
            vec![
                "--preset",
                "corr2cause-v2",
                "--nodes",
                "2..=5",
                "--names",
                "words",
            ],
        ),
        (
            "v2-reversed",
            vec![
                "--preset",
                "corr2cause-v2",
                "--nodes",
                "2..=5",
                "--names",
                "reversed",
                "--order",
                "shuffled",
            ],
        ),
        (
            "letters-minimal",
            vec![
                "--graphs",
                "random",
                "--nodes",
                "8,12",
                "--per-n",
                "40",
                "--names",
                "letters",
                "--premise",
                "minimal",
                "--splits",
                "none",
            ],
        ),
        (
            "shuffled-basis",
            vec![
                "--graphs",
                "random",
                "--nodes",
                "7,9",
                "--per-n",
                "40",
                "--names",
                "shuffled",
                "--premise",
                "basis",
                "--splits",
                "none",
            ],
        ),
    ];
    for (name, args) in cases {
        let dir = generate(&root.join(name), &args);
        let dataset = if dir.join("items.jsonl").exists() {
            dir.join("items.jsonl")
        } else {
            dir.join("test.jsonl")
        };
        let report = run(
            &dataset,
            &root.join(format!("{name}-run")),
            &["baseline:oracle"],
        );
        assert!(report["items"].as_u64().unwrap() > 0);
        assert_eq!(metric(&report, "baseline:oracle", "shd"), 0.0, "{name}");
        assert_eq!(metric(&report, "baseline:oracle", "exact"), 1.0, "{name}");
        assert_eq!(report["models"][0]["unparsed"], 0, "{name}");
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn baselines_on_graph_items() {
    let root = temp_dir("graph_run", "baselines");
    let dir = generate(
        &root.join("d"),
        &["--preset", "corr2cause-v2", "--nodes", "3..=5"],
    );
    let dataset = dir.join("items.jsonl");
    let report = run(&dataset, &root.join("run"), &[]);
    let names: Vec<&str> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for b in ["oracle", "empty", "correlation", "complete", "random"] {
        assert!(
            names.contains(&format!("baseline:{b}").as_str()),
            "{names:?}"
        );
    }
    assert_eq!(names[0], "baseline:oracle", "the leaderboard is by SHD");
    // Empty: no adjacency found; complete and correlation: every adjacency (adjacent pairs are
    // dependent given every set, so they correlate); neither orients anything.
    assert_eq!(metric(&report, "baseline:empty", "skeleton_recall"), 0.0);
    assert_eq!(metric(&report, "baseline:complete", "skeleton_recall"), 1.0);
    assert_eq!(
        metric(&report, "baseline:correlation", "skeleton_recall"),
        1.0
    );
    // No arrowhead claimed while some are missed: 0/0 counts as 0 (the project's rule).
    assert_eq!(
        metric(&report, "baseline:complete", "arrowhead_recall"),
        0.0
    );
    assert_eq!(
        metric(&report, "baseline:complete", "arrowhead_precision"),
        0.0
    );
    // The random baseline is seeded: the same answers twice.
    let again = run(&dataset, &root.join("run2"), &["baseline:random"]);
    assert_eq!(
        metric(&report, "baseline:random", "shd"),
        metric(&again, "baseline:random", "shd")
    );
    // The yes/no baselines say they do not answer graph items.
    let out = corrcause(&[
        "run",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        "baseline:always-valid",
        "--out",
        root.join("x").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not answer graph items"));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn command_models_get_the_graph_fields_and_batches_the_graph_prompt() {
    let root = temp_dir("graph_run", "cmd");
    let dir = generate(
        &root.join("d"),
        &["--preset", "corr2cause-v2", "--nodes", "3..=4"],
    );
    let dataset = dir.join("items.jsonl");
    let model = root.join("model.py");
    std::fs::write(
        &model,
        r#"import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert sorted(r) == ["id", "premise", "prompt", "question", "variables"], sorted(r)
    assert r["prompt"].startswith("Question: " + r["premise"] + "\n" + r["question"])
    v = r["variables"]
    out = "Reasoning...\n```json\n" + json.dumps({"directed": [[v[0], v[1]]], "undirected": []}) + "\n```"
    print(json.dumps({"id": r["id"], "output": out}), flush=True)
"#,
    )
    .unwrap();
    let spec = format!("cmd:python3 {}", model.display());
    let report = run(&dataset, &root.join("run"), &[&spec]);
    assert_eq!(report["models"][0]["unparsed"], 0);
    let folder = std::fs::read_dir(root.join("run"))
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
    assert_eq!(
        first["answer"],
        serde_json::json!({"directed": [["A", "B"]], "undirected": []})
    );
    // export batch: one request per item, the graph prompt, room for the edges.
    let requests = root.join("requests.jsonl");
    let out = corrcause(&[
        "export",
        "batch",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        "gpt-4o-mini",
        "-o",
        requests.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&requests).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let content = first["body"]["messages"][0]["content"].as_str().unwrap();
    assert!(
        content.contains("Which causal graph") && content.ends_with("Answer:"),
        "{content}"
    );
    assert_eq!(first["body"]["max_tokens"], 512);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn run_shards_of_graph_items_merge_into_the_whole_run() {
    let root = temp_dir("graph_run", "shards");
    let dir = generate(
        &root.join("d"),
        &["--preset", "corr2cause-v2", "--nodes", "3..=5"],
    );
    let dataset = dir.join("items.jsonl");
    let runs = root.join("runs");
    for k in ["0/2", "1/2"] {
        let out = corrcause(&[
            "run",
            "--dataset",
            dataset.to_str().unwrap(),
            "--model",
            "baseline:random",
            "--shard",
            k,
            "--out",
            runs.to_str().unwrap(),
            "--progress",
            "none",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merged = root.join("merged");
    let out = corrcause(&[
        "merge",
        runs.join("shard-0-of-2").to_str().unwrap(),
        runs.join("shard-1-of-2").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run(&dataset, &root.join("whole"), &["baseline:random"]);
    assert_eq!(
        std::fs::read(merged.join("baseline-random/predictions.jsonl")).unwrap(),
        std::fs::read(root.join("whole/baseline-random/predictions.jsonl")).unwrap()
    );
    std::fs::remove_dir_all(&root).ok();
}
