//! Every command that takes a dataset takes its three forms (a folder `generate` wrote, with
//! `--split`; a JSONL file; a Corr2Cause CSV) and says what it was doing when a path is wrong;
//! and reports list groups in numeric order in every format.

mod common;

use common::{corrcause, temp_dir};
use serde_json::{json, Value};
use std::path::Path;

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(1));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The ids of a JSONL file's records (`key` names the id field), in order.
fn ids(path: &Path, key: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()[key]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn oracle_f1(out: &Path) -> f64 {
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    r["models"][0]["metrics"]["f1"]["value"].as_f64().unwrap()
}

#[test]
fn run_export_score_and_audit_take_what_generate_wrote() {
    let dir = temp_dir("forms", "folder");
    let data = dir.join("d");
    ok(&corrcause(&[
        "generate",
        "--preset",
        "corr2cause-v2",
        "--nodes",
        "2..=4",
        "--splits",
        "train=0.6,dev=0.2,test=0.2",
        "--out",
        &s(&data),
    ]));
    // run on the folder: its test split by default, another with --split.
    for (split, extra) in [("test", vec![]), ("dev", vec!["--split", "dev"])] {
        let out = dir.join(format!("run-{split}"));
        let mut args = vec![
            "run",
            "--dataset",
            data.to_str().unwrap(),
            "--model",
            "baseline:oracle",
            "--out",
            out.to_str().unwrap(),
            "--bootstrap",
            "10",
        ];
        args.extend(extra.iter().copied());
        ok(&corrcause(&args));
        let predictions = out.join("baseline-oracle/predictions.jsonl");
        assert_eq!(
            ids(&predictions, "id"),
            ids(&data.join(format!("{split}.jsonl")), "id")
        );
        assert_eq!(oracle_f1(&out), 1.0);
        // score and audit take the folder and the same --split.
        let mut score = vec![
            "score",
            "--dataset",
            data.to_str().unwrap(),
            "--predictions",
            predictions.to_str().unwrap(),
            "--format",
            "json",
            "--bootstrap",
            "10",
        ];
        score.extend(extra.iter().copied());
        let report: Value = serde_json::from_str(&ok(&corrcause(&score))).unwrap();
        assert_eq!(report["models"][0]["missing"], 0);
        assert_eq!(
            report["items"].as_u64().unwrap() as usize,
            ids(&predictions, "id").len()
        );
        let mut audit = vec!["audit", data.to_str().unwrap(), "--format", "json"];
        audit.extend(extra.iter().copied());
        let audited: Value = serde_json::from_str(&ok(&corrcause(&audit))).unwrap();
        assert!(audited.is_object());
    }
    // export batch: one request per test item.
    let requests = dir.join("requests.jsonl");
    ok(&corrcause(&[
        "export",
        "batch",
        "--dataset",
        &s(&data),
        "--model",
        "m",
        "-o",
        &s(&requests),
    ]));
    assert_eq!(
        ids(&requests, "custom_id"),
        ids(&data.join("test.jsonl"), "id")
    );
    // --split all: every split, in the manifest's order.
    let all = dir.join("all.jsonl");
    ok(&corrcause(&[
        "export",
        "batch",
        "--dataset",
        &s(&data),
        "--split",
        "all",
        "--model",
        "m",
        "-o",
        &s(&all),
    ]));
    let every: Vec<String> = ["train", "dev", "test"]
        .iter()
        .flat_map(|k| ids(&data.join(format!("{k}.jsonl")), "id"))
        .collect();
    assert_eq!(ids(&all, "custom_id"), every);
    // Mistakes are named, with what to do.
    let e = err(&corrcause(&[
        "run",
        "--dataset",
        &s(&data),
        "--split",
        "valid",
        "--out",
        &s(&dir.join("x")),
    ]));
    assert!(
        e.contains("has no split \"valid\"; it has train, dev, test"),
        "{e}"
    );
    let e = err(&corrcause(&[
        "score",
        "--dataset",
        &s(&dir),
        "--predictions",
        &s(&requests),
    ]));
    assert!(e.contains("is a folder without a manifest.json"), "{e}");
    let missing = dir.join("missing.jsonl");
    let e = err(&corrcause(&[
        "run",
        "--dataset",
        &s(&missing),
        "--out",
        &s(&dir.join("y")),
    ]));
    assert_eq!(
        e.trim_end(),
        format!(
            "error: reading dataset {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corr2cause_csv_runs_exports_and_scores_by_row_number() {
    let dir = temp_dir("forms", "csv");
    let data = dir.join("d");
    ok(&corrcause(&[
        "generate",
        "--preset",
        "corr2cause-v2",
        "--nodes",
        "2..=4",
        "--format",
        "csv",
        "--out",
        &s(&data),
    ]));
    let csv = data.join("items.csv");
    let rows = std::fs::read_to_string(&csv).unwrap();
    let count = csv::Reader::from_reader(rows.as_bytes()).records().count();
    let row_ids: Vec<String> = (0..count).map(|i| i.to_string()).collect();
    // The CSV itself, and the folder that holds only CSV.
    for (k, dataset) in [&csv, &data].into_iter().enumerate() {
        let out = dir.join(format!("run{k}"));
        ok(&corrcause(&[
            "run",
            "--dataset",
            &s(dataset),
            "--model",
            "baseline:oracle",
            "--out",
            &s(&out),
            "--bootstrap",
            "10",
        ]));
        let predictions = out.join("baseline-oracle/predictions.jsonl");
        assert_eq!(ids(&predictions, "id"), row_ids);
        assert_eq!(oracle_f1(&out), 1.0, "the oracle reads every CSV premise");
        let requests = dir.join(format!("requests{k}.jsonl"));
        ok(&corrcause(&[
            "export",
            "batch",
            "--dataset",
            &s(dataset),
            "--model",
            "m",
            "-o",
            &s(&requests),
        ]));
        assert_eq!(ids(&requests, "custom_id"), row_ids);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn groups_are_listed_in_numeric_order_in_every_report() {
    let dir = temp_dir("forms", "order");
    // N from 5 to 10 and MEC sizes in every bucket, each with valid and invalid items.
    let sizes = [1u64, 2, 3, 7, 50, 200];
    let mut lines = String::new();
    let mut answers = String::new();
    for p in 0..60u64 {
        for k in 0..4u64 {
            let id = format!("p{p}-{k}");
            let label = u64::from(k % 2 == 0);
            lines.push_str(&format!(
                "{}\n",
                json!({"id": id, "premise_id": format!("p{p}"), "label": label,
                       "num_variables": 5 + p % 6, "mec_size": sizes[(p % 6) as usize],
                       "relation": "parent"})
            ));
            let said = if (p + k) % 3 == 0 { 1 - label } else { label };
            answers.push_str(&format!("{}\n", json!({"id": id, "prediction": said})));
        }
    }
    std::fs::write(dir.join("data.jsonl"), lines).unwrap();
    std::fs::write(dir.join("p.jsonl"), answers).unwrap();
    let report = |format: &str| {
        ok(&corrcause(&[
            "score",
            "--dataset",
            &s(&dir.join("data.jsonl")),
            "--predictions",
            &s(&dir.join("p.jsonl")),
            "--bootstrap",
            "10",
            "--format",
            format,
        ]))
    };
    let n_order = ["5", "6", "7", "8", "9", "10"];
    let mec_order = ["1", "2", "3-4", "5-9", "10-99", "100+"];
    // Where each name appears in `text` after `from`, which must be increasing.
    let in_order = |text: &str, from: &str, names: &[String]| {
        let start = text
            .find(from)
            .unwrap_or_else(|| panic!("{from:?} in {text}"));
        let at: Vec<usize> = names
            .iter()
            .map(|n| {
                start
                    + text[start..]
                        .find(n.as_str())
                        .unwrap_or_else(|| panic!("{n:?} after {from:?}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{from}: {names:?} at {at:?}"
        );
    };
    let table = report("table");
    // Groups are `NAME F1 [low, high] (n=..)`, joined by "; ".
    let listed = |first: &str, names: &[&str]| -> Vec<String> {
        std::iter::once(format!("{first}{} ", names[0]))
            .chain(names[1..].iter().map(|n| format!("; {n} ")))
            .collect()
    };
    in_order(&table, "by N: ", &listed("by N: ", &n_order));
    in_order(
        &table,
        "by MEC size: ",
        &listed("by MEC size: ", &mec_order),
    );
    let markdown = report("markdown");
    in_order(
        &markdown,
        "by N\n",
        n_order.map(|n| format!("| {n} |")).as_ref(),
    );
    in_order(
        &markdown,
        "by MEC size\n",
        mec_order.map(|n| format!("| {n} |")).as_ref(),
    );
    let html = report("html");
    in_order(
        &html,
        "aria-label=\"F1 by N\"",
        n_order.map(|n| format!(">{n}</text>")).as_ref(),
    );
    let json_text = report("json");
    in_order(
        &json_text,
        "\"by_n\"",
        n_order.map(|n| format!("\"{n}\":")).as_ref(),
    );
    in_order(
        &json_text,
        "\"by_mec_size\"",
        mec_order.map(|n| format!("\"{n}\":")).as_ref(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
