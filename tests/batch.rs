//! `corrcause export batch` / `import batch`: requests in the OpenAI Batch API form for every
//! item, and a provider's results (answers, failures) back as predictions the scorer reads.

mod common;

use common::{corr2cause_items, corrcause, temp_dir};
use serde_json::{json, Value};

#[test]
fn export_then_import_round_trips_through_the_batch_form() {
    let dir = temp_dir("batch", "round-trip");
    let data = dir.join("data");
    let dataset = corr2cause_items("2..=3", &data);
    let requests = dir.join("requests.jsonl");
    let out = corrcause(&[
        "export",
        "batch",
        "--dataset",
        dataset.to_str().unwrap(),
        "--model",
        "openai:gpt-4o-mini@https://api.openai.com/v1",
        "--system",
        "Answer Yes or No.",
        "--constrain",
        "json-schema",
        "--prompt",
        "json",
        "-o",
        requests.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items: Vec<Value> = std::fs::read_to_string(&dataset)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lines: Vec<Value> = std::fs::read_to_string(&requests)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), items.len());
    for (r, item) in lines.iter().zip(&items) {
        assert_eq!(r["custom_id"], item["id"]);
        assert_eq!(r["method"], "POST");
        assert_eq!(r["url"], "/v1/chat/completions");
        assert_eq!(r["body"]["model"], "gpt-4o-mini");
        assert_eq!(r["body"]["messages"][0]["content"], "Answer Yes or No.");
        let prompt = r["body"]["messages"][1]["content"].as_str().unwrap();
        assert!(prompt.contains(item["premise"].as_str().unwrap()));
        assert_eq!(r["body"]["response_format"]["type"], "json_schema");
        assert!(r["body"].get("stream").is_none());
    }
    // The provider's results, out of order: right answers as JSON, one failed request, one 500.
    let mut results = Vec::new();
    for (k, item) in items.iter().enumerate().rev() {
        let id = item["id"].as_str().unwrap();
        let line = match k {
            0 => {
                json!({"id": "b0", "custom_id": id, "response": null, "error": {"code": "server_error", "message": "try later"}})
            }
            1 => {
                json!({"id": "b1", "custom_id": id, "response": {"status_code": 500, "request_id": "r1", "body": {"error": "boom"}}, "error": null})
            }
            _ => {
                let word = if item["label"] == 1 { "yes" } else { "no" };
                json!({"id": format!("b{k}"), "custom_id": id, "error": null, "response": {"status_code": 200, "request_id": format!("r{k}"),
                    "body": {"model": "gpt-4o-mini-2024", "choices": [{"message": {"content": format!("{{\"answer\": \"{word}\"}}")}}],
                        "usage": {"prompt_tokens": 300, "completion_tokens": 5}}}})
            }
        };
        results.push(line.to_string());
    }
    let results_file = dir.join("results.jsonl");
    std::fs::write(&results_file, results.join("\n") + "\n").unwrap();
    let predictions = dir.join("predictions.jsonl");
    let import = corrcause(&[
        "import",
        "batch",
        results_file.to_str().unwrap(),
        "-o",
        predictions.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(!import.status.success(), "two requests were not answered");
    assert!(
        stderr.contains("2 requests were not answered") && stderr.contains("HTTP 500"),
        "{stderr}"
    );
    let written: Vec<Value> = std::fs::read_to_string(&predictions)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(written.len(), items.len() - 2);
    assert_eq!(written[0]["request"]["prompt_tokens"], 300);
    assert_eq!(
        written[0]["request"]["request_id"],
        format!("r{}", items.len() - 1)
    );
    // The scorer reads them: every answered item right, the two missing ones counted wrong.
    let report = corrcause(&[
        "score",
        "--dataset",
        dataset.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
        "--format",
        "json",
        "--bootstrap",
        "10",
    ]);
    let r = common::json_of(&report);
    assert_eq!(r["models"][0]["missing"], 2);
    let accuracy = r["models"][0]["metrics"]["accuracy"]["value"]
        .as_f64()
        .unwrap();
    assert!(
        (accuracy - (items.len() - 2) as f64 / items.len() as f64).abs() < 1e-9,
        "{accuracy}"
    );
    // A repeated request id and a line that is not JSON are errors naming the line.
    std::fs::write(&results_file, format!("{}\n{}\n", results[5], results[5])).unwrap();
    let dup = corrcause(&[
        "import",
        "batch",
        results_file.to_str().unwrap(),
        "-o",
        predictions.to_str().unwrap(),
    ]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("results.jsonl:2: field `custom_id`"));
    std::fs::write(&results_file, "{\"custom_id\": \"x\"\n").unwrap();
    let bad = corrcause(&[
        "import",
        "batch",
        results_file.to_str().unwrap(),
        "-o",
        predictions.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("results.jsonl:1: not JSON"));
    std::fs::remove_dir_all(&dir).unwrap();
}
