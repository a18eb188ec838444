//! `corrcause score` gives the same bytes whatever the number of threads (issue 13): a dataset
//! of many read ranges (generated, with some lines ended by `\r\n`) and raw answers, scored with
//! 1, 2 and 4 threads.

mod common;

use common::temp_dir;
use serde_json::Value;

fn corrcause(args: &[&str]) -> std::process::Output {
    let out = common::corrcause(args);
    assert!(
        out.status.success(),
        "corrcause {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn score_output_does_not_depend_on_threads() {
    let dir = temp_dir("score-threads", "identical");
    let generated = dir.join("generated");
    corrcause(&[
        "generate",
        "--preset",
        "default",
        "--items-per-file",
        "1000000",
        "--out",
        generated.to_str().unwrap(),
    ]);
    // The train split (about 70 MB: dozens of read ranges, finishing out of order at every thread
    // count), every fifth line ended by "\r\n".
    let text = std::fs::read_to_string(generated.join("train.jsonl")).unwrap();
    let mut dataset = String::with_capacity(text.len() + text.len() / 1000);
    let mut predictions = String::new();
    let mut answered = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        dataset.push_str(line);
        dataset.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
        if i % 31 == 0 {
            continue; // missing
        }
        let id = serde_json::from_str::<Value>(line).unwrap()["id"].clone();
        let output = ["Yes", "No", "no.", "I cannot tell"][i * 7 % 4];
        predictions.push_str(&serde_json::json!({"id": id, "output": output}).to_string());
        predictions.push('\n');
        answered += 1;
    }
    let (data, preds) = (dir.join("data.jsonl"), dir.join("predictions.jsonl"));
    std::fs::write(&data, dataset).unwrap();
    std::fs::write(&preds, predictions).unwrap();
    let report = |threads: &str| {
        corrcause(&[
            "--threads",
            threads,
            "score",
            "--dataset",
            data.to_str().unwrap(),
            "--predictions",
            preds.to_str().unwrap(),
            "--bootstrap",
            "200",
            "--format",
            "json",
        ])
        .stdout
    };
    let one = report("1");
    let parsed: Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(parsed["items"], lines.len());
    let model = &parsed["models"][0];
    assert_eq!(
        model["items"].as_u64().unwrap() - model["missing"].as_u64().unwrap(),
        answered as u64
    );
    for threads in ["2", "4"] {
        assert!(
            report(threads) == one,
            "the report with {threads} threads differs from the one with 1"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
