//! `corrcause score` end to end: metrics against a reference implementation, answer forms, the
//! bootstrap's coverage in a simulation, report formats, and bad input.

mod common;

use common::corrcause;
use corrcause::score::answer::Answer;
use corrcause::score::data::{Dataset, Item, Predictions, PremiseFacts};
use corrcause::score::{score, Missing, Options, Unparsed};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// `corrcause score --dataset DATA --predictions PREDICTIONS EXTRA...`.
fn score_cli(data: &Path, predictions: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "score",
        "--dataset",
        data.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    corrcause(&args)
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// A small dataset: 40 premises of 6 items with known labels, relations and splits.
fn dataset_lines() -> Vec<Value> {
    let relations = corrcause::causal::Relation::ALL.map(corrcause::causal::Relation::as_str);
    let mut out = vec![];
    for p in 0..40 {
        for (k, r) in relations.iter().enumerate() {
            let label = u64::from((p * 7 + k * 3) % 5 == 0);
            out.push(json!({
                "id": format!("p{p}-{r}"), "premise_id": format!("p{p}"), "label": label,
                "label3": if label == 1 { "entailment" } else if k % 2 == 0 { "neutral" } else { "contradiction" },
                "relation": r, "num_variables": 3 + p % 3, "mec_size": 1 + p % 4,
                "split": if p < 30 { "train" } else { "test" },
                "names": if p % 2 == 0 { "letters" } else { "words" },
            }));
        }
    }
    out
}

/// The reference: plain formulas over (label, prediction) pairs.
fn reference(pairs: &[(u8, u8)]) -> HashMap<&'static str, f64> {
    let count = |l, p| pairs.iter().filter(|&&(a, b)| a == l && b == p).count() as f64;
    let (tp, fp, fn_, tn) = (count(1, 1), count(0, 1), count(1, 0), count(0, 0));
    let precision = tp / (tp + fp);
    let recall = tp / (tp + fn_);
    HashMap::from([
        ("precision", precision),
        ("recall", recall),
        ("f1", 2.0 * precision * recall / (precision + recall)),
        ("accuracy", (tp + tn) / (tp + fp + fn_ + tn)),
        ("balanced_accuracy", (recall + tn / (tn + fp)) / 2.0),
        (
            "mcc",
            (tp * tn - fp * fn_) / ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt(),
        ),
    ])
}

#[test]
fn metrics_match_a_reference_and_answers_are_read() {
    let dir = common::temp_dir("score", "metrics");
    let ds = dataset_lines();
    write_lines(&dir.join("data.jsonl"), &ds);
    // A model that answers in many raw forms: right on even items, wrong on odd ones, one unparsed.
    let forms_yes = [
        "Yes",
        "true",
        "Answer: valid",
        "<think>no</think>Yes.",
        r#"{"answer": "yes"}"#,
        "It is necessarily true.",
    ];
    let forms_no = [
        "No",
        "False.",
        "the answer is no",
        "This is not valid.",
        r#"{"answer": "no"}"#,
        "necessarily false",
    ];
    let mut pairs = vec![];
    let mut preds = vec![];
    for (i, item) in ds.iter().enumerate() {
        let label = item["label"].as_u64().unwrap() as u8;
        let predicted = if i % 2 == 0 { label } else { 1 - label };
        if i == 5 {
            preds.push(json!({"id": item["id"], "output": "I cannot tell."}));
            pairs.push((label, 1 - label)); // unparsed counts as wrong by default
            continue;
        }
        let forms = if predicted == 1 {
            &forms_yes
        } else {
            &forms_no
        };
        preds.push(json!({"id": item["id"], "output": forms[i % forms.len()]}));
        pairs.push((label, predicted));
    }
    write_lines(&dir.join("model.jsonl"), &preds);
    let out = score_cli(
        &dir.join("data.jsonl"),
        &dir.join("model.jsonl"),
        &["--format", "json", "--bootstrap", "200"],
    );
    let report = common::json_of(&out);
    let m = &report["models"][0];
    assert_eq!(m["name"], "model");
    assert_eq!(m["items"], 240);
    assert_eq!(m["unparsed"], 1);
    assert_eq!(m["missing"], 0);
    let expected = reference(&pairs);
    for (k, v) in &expected {
        let got = &m["metrics"][k];
        assert!(
            (got["value"].as_f64().unwrap() - v).abs() < 1e-12,
            "{k}: {got} vs {v}"
        );
        let (low, high) = (got["low"].as_f64().unwrap(), got["high"].as_f64().unwrap());
        assert!(
            (0.0..=1.0).contains(&low.abs()) && low <= *v + 1e-12 && *v <= high + 1e-12,
            "{k}: {got}"
        );
    }
    for dim in ["by_relation", "by_n", "by_split", "by_mec_size", "by_names"] {
        let groups = m[dim].as_object().unwrap();
        assert!(groups.len() >= 2, "{dim}");
        let items: u64 = groups.values().map(|g| g["items"].as_u64().unwrap()).sum();
        assert_eq!(items, 240, "{dim}");
        assert!(groups
            .values()
            .all(|g| g["metrics"]["f1"]["value"].is_number()));
    }
    // The references are analytic: always invalid has F1 0 and accuracy = share of invalid items.
    let invalid_share = pairs.iter().filter(|p| p.0 == 0).count() as f64 / 240.0;
    assert_eq!(report["references"][0]["metrics"]["f1"], 0.0);
    assert!(
        (report["references"][0]["metrics"]["accuracy"]
            .as_f64()
            .unwrap()
            - invalid_share)
            .abs()
            < 1e-12
    );
    // --explain-parse shows how each answer was read.
    let explain = score_cli(
        &dir.join("data.jsonl"),
        &dir.join("model.jsonl"),
        &["--explain-parse"],
    );
    let lines: Vec<Value> = String::from_utf8(explain.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 240);
    assert_eq!(lines[5]["answer"], "unparsed");
    let how = |rule: &str| {
        lines
            .iter()
            .any(|l| l["how"].as_str().unwrap().contains(rule))
    };
    assert!(
        how("after the answer marker")
            && how("JSON field")
            && how("last answer word")
            && how("the whole answer")
    );
    // Unparsed as invalid (Corr2Cause's convention) and excluded.
    for (policy, items) in [("invalid", 240), ("exclude", 239)] {
        let out = score_cli(
            &dir.join("data.jsonl"),
            &dir.join("model.jsonl"),
            &[
                "--format",
                "json",
                "--bootstrap",
                "10",
                "--unparsed",
                policy,
            ],
        );
        let report = common::json_of(&out);
        assert_eq!(report["models"][0]["items"], items, "{policy}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn several_models_are_compared() {
    let dir = common::temp_dir("score", "compare");
    let ds = dataset_lines();
    write_lines(&dir.join("data.jsonl"), &ds);
    let perfect: Vec<Value> = ds
        .iter()
        .map(|i| json!({"id": i["id"], "prediction": i["label"]}))
        .collect();
    let three: Vec<Value> = ds
        .iter()
        .map(|i| json!({"id": i["id"], "prediction": i["label3"]}))
        .collect();
    let never: Vec<Value> = ds
        .iter()
        .map(|i| json!({"id": i["id"], "prediction": "no"}))
        .collect();
    write_lines(&dir.join("a.jsonl"), &perfect);
    write_lines(&dir.join("b.jsonl"), &three);
    write_lines(&dir.join("c.jsonl"), &never);
    let data = dir.join("data.jsonl");
    let args = |fmt: &str| {
        vec![
            "score".to_string(),
            "--dataset".into(),
            data.display().to_string(),
            "--predictions".into(),
            dir.join("c.jsonl").display().to_string(),
            "--name".into(),
            "never".into(),
            "--predictions".into(),
            dir.join("a.jsonl").display().to_string(),
            "--name".into(),
            "perfect".into(),
            "--predictions".into(),
            dir.join("b.jsonl").display().to_string(),
            "--name".into(),
            "three-way".into(),
            "--format".into(),
            fmt.into(),
            "--bootstrap".into(),
            "300".into(),
        ]
    };
    let run = |fmt: &str| {
        let a = args(fmt);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = corrcause(&refs);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let report: Value = serde_json::from_str(&run("json")).unwrap();
    let names: Vec<&str> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[2], "never", "leaderboard is by F1");
    // The three-way model gets three-way metrics; the binary ones do not.
    let three_way = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "three-way")
        .unwrap();
    assert_eq!(three_way["three_way"]["accuracy"]["value"], 1.0);
    assert!(report["models"][2].get("three_way").is_none());
    let c = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["b"] == "never")
        .unwrap();
    assert_eq!(c["significant"], true);
    assert!(c["mcnemar_p"].as_f64().unwrap() < 1e-6);
    let same = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["b"] == "three-way" || c["a"] == "three-way" && c["b"] == "perfect")
        .unwrap();
    assert_eq!(same["significant"], false);
    assert_eq!(same["mcnemar_p"], 1.0);
    assert_eq!(report["groups"].as_array().unwrap().len(), 2);
    // Every format renders; the HTML page stands alone.
    assert!(run("table").contains("Groups without significant differences"));
    assert!(run("markdown").contains("| perfect |"));
    let html = run("html");
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.contains("F1 by N")
    );
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "the page loads nothing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_predictions_are_errors_naming_file_and_line() {
    let dir = common::temp_dir("score", "bad");
    write_lines(&dir.join("data.jsonl"), &dataset_lines());
    let data = dir.join("data.jsonl");
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (
            vec![
                json!({"id": "p0-parent", "prediction": 1}),
                json!({"id": "nope", "prediction": 0}),
            ],
            "model.jsonl:2: field `id`: \"nope\" is not an item",
        ),
        (
            vec![
                json!({"id": "p0-parent", "prediction": 1}),
                json!({"id": "p0-parent", "prediction": 0}),
            ],
            "model.jsonl:2: field `id`: \"p0-parent\" was already answered on line 1",
        ),
        (
            vec![json!({"id": "p0-parent", "prediction": "perhaps"})],
            "model.jsonl:1: field `prediction`",
        ),
        (vec![json!({"prediction": 1})], "model.jsonl:1: field `id`"),
    ];
    let file = dir.join("model.jsonl");
    for (lines, needle) in cases {
        write_lines(&file, &lines);
        let out = score_cli(&data, &file, &[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
    std::fs::write(&file, "{\"id\": \"p0-parent\", \"prediction\": 1}\n{oops\n").unwrap();
    let out = score_cli(&data, &file, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("model.jsonl:2: not valid JSON"));
    // Duplicates accepted on request; missing items reported and counted as wrong unless excluded.
    write_lines(
        &file,
        &[
            json!({"id": "p0-parent", "prediction": 1}),
            json!({"id": "p0-parent", "prediction": 0}),
        ],
    );
    for (extra, items) in [(None, 240), (Some("exclude"), 1)] {
        let mut a = vec![
            "--duplicates",
            "last",
            "--format",
            "json",
            "--bootstrap",
            "5",
        ];
        if let Some(m) = extra {
            a.extend_from_slice(&["--missing", m]);
        }
        let out = score_cli(&data, &file, &a);
        let report = common::json_of(&out);
        assert_eq!(report["models"][0]["missing"], 239);
        assert_eq!(report["models"][0]["items"], items);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Coverage: with premise-level random effects, the 95% interval of accuracy should cover the
/// population accuracy in about 95% of replications.
#[test]
fn bootstrap_intervals_cover_at_their_nominal_rate() {
    let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(42);
    let (premises, per_premise, replications) = (60usize, 8usize, 200usize);
    let truth = 0.7;
    let mut covered = 0;
    for rep in 0..replications {
        let mut items = vec![];
        let mut answers = vec![];
        for p in 0..premises {
            // Premise difficulty varies: the model's accuracy on premise p is 0.7 +- 0.2.
            let acc = truth + if rng.random_bool(0.5) { 0.2 } else { -0.2 };
            for _ in 0..per_premise {
                let label = u8::from(rng.random_bool(0.5));
                let right = rng.random_bool(acc);
                let predicted = if right { label } else { 1 - label };
                items.push(Item {
                    premise: p as u32,
                    label,
                    label3: None,
                    relation: None,
                    n: None,
                    mec_size: None,
                    split: None,
                    depth: None,
                    variants: [0; 5],
                    pair: None,
                });
                answers.push(Some(if predicted == 1 {
                    Answer::Valid
                } else {
                    Answer::Invalid
                }));
            }
        }
        let ds = Dataset {
            ids: vec![],
            index: Default::default(),
            premises: vec![PremiseFacts::default(); premises],
            splits: vec![],
            variant_values: vec![],
            items,
            has_label3: false,
        };
        let preds = Predictions {
            name: "m".into(),
            answers,
            readings: vec![],
            unparsed_examples: vec![],
        };
        let report = score(
            &ds,
            &[preds],
            &Options {
                unparsed: Unparsed::Wrong,
                missing: Missing::Wrong,
                bootstrap: 400,
                seed: rep as u64,
            },
        );
        let e = report.models[0].metrics["accuracy"];
        if e.low <= truth && truth <= e.high {
            covered += 1;
        }
    }
    let rate = covered as f64 / replications as f64;
    eprintln!("bootstrap coverage: {rate}");
    assert!((0.89..=0.99).contains(&rate), "coverage {rate}");
}

#[test]
fn a_decided_prediction_wins_over_the_raw_text() {
    let dir = common::temp_dir("score", "prediction-wins");
    let items = dataset_lines();
    write_lines(&dir.join("data.jsonl"), &items);
    // Each raw text says the opposite of the label; each decided prediction says the label.
    let preds: Vec<Value> = items
        .iter()
        .map(|i| {
            let valid = i["label"] == 1;
            json!({"id": i["id"], "output": if valid { "No" } else { "Yes" },
                   "prediction": if valid { "valid" } else { "invalid" }})
        })
        .collect();
    write_lines(&dir.join("model.jsonl"), &preds);
    let out = score_cli(
        &dir.join("data.jsonl"),
        &dir.join("model.jsonl"),
        &["--format", "json", "--bootstrap", "5"],
    );
    let report = common::json_of(&out);
    assert_eq!(report["models"][0]["metrics"]["accuracy"]["value"], 1.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A premise's items need not be consecutive: the same items with their premises interleaved
/// (item k of every premise, then item k + 1 of every premise; premises first seen in the same
/// order) and the same answers give the same report, intervals included.
#[test]
fn interleaved_premises_score_as_grouped_ones() {
    let dir = common::temp_dir("score", "interleaved");
    let grouped = dataset_lines();
    let per_premise = grouped.len() / 40;
    let mut keyed: Vec<(usize, Value)> = grouped.iter().cloned().enumerate().collect();
    keyed.sort_by_key(|(i, _)| i % per_premise); // stable: premises keep their order
    let interleaved: Vec<Value> = keyed.into_iter().map(|(_, item)| item).collect();
    assert_ne!(interleaved, grouped);
    // Yes to two items in three, so that some premises hold claims that contradict each other.
    let preds: Vec<Value> = grouped
        .iter()
        .enumerate()
        .map(|(i, item)| json!({"id": item["id"], "output": if i % 3 == 0 { "No" } else { "Yes" }}))
        .collect();
    write_lines(&dir.join("predictions.jsonl"), &preds);
    let report = |name: &str, lines: &[Value]| -> Value {
        let data = dir.join(name);
        write_lines(&data, lines);
        let out = score_cli(
            &data,
            &dir.join("predictions.jsonl"),
            &["--format", "json", "--bootstrap", "300"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::json_of(&out)
    };
    let (a, b) = (
        report("grouped.jsonl", &grouped),
        report("interleaved.jsonl", &interleaved),
    );
    assert_eq!(a["items"], 240);
    assert_eq!(a["premises"], 40);
    assert!(a["models"][0]["metrics"]["f1"]["low"].as_f64().unwrap() > 0.0);
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).unwrap();
}
