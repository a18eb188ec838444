//! `corrcause run` with the built-in baselines: the oracle answers every item of corrected data
//! from its premise alone.

mod common;

use common::{corrcause, temp_dir};
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
    let out = corrcause(&[
        "run",
        "--model",
        "openai:gpt@http://127.0.0.1:1/v1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in baselines only"));
    std::fs::remove_dir_all(&dir).unwrap();
}
