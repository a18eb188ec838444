//! `corrcause audit --shortcuts`: the leaks of the published data are found, the rule readers'
//! figures agree with a reading of the text written here, and the report has the promised shape.

mod common;

use common::corrcause;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn shortcut_audit(dataset: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "audit",
        "--shortcuts",
        dataset.to_str().unwrap(),
        "--format",
        "json",
        "--bootstrap",
        "300",
    ];
    args.extend_from_slice(extra);
    common::json_of(&corrcause(&args))
}

fn reader<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["readers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no reader {name} in {report}"))
}

fn check_shape(report: &Value) {
    let readers = report["readers"].as_array().unwrap();
    let names: Vec<&str> = readers
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "prior",
            "letter_order",
            "correlated",
            "not_correlated",
            "never_separated",
            "separated",
            "tree",
            "logistic"
        ]
    );
    let interval = |e: &Value| {
        let (v, lo, hi) = (
            e["value"].as_f64().unwrap(),
            e["low"].as_f64().unwrap(),
            e["high"].as_f64().unwrap(),
        );
        assert!(lo <= v + 1e-9 && v <= hi + 1e-9, "{e}");
        v
    };
    let mut best = 0.0f64;
    for r in readers {
        best = best.max(interval(&r["accuracy"]));
        interval(&r["mcc"]);
        for (_, s) in r["by_relation"].as_object().unwrap() {
            interval(&s["accuracy"]);
            interval(&s["mcc"]);
        }
    }
    assert_eq!(interval(&report["best"]["accuracy"]), best);
    assert_eq!(
        reader(report, report["best"]["name"].as_str().unwrap())["accuracy"]["value"],
        report["best"]["accuracy"]["value"]
    );
}

#[test]
fn finds_the_leaks_of_the_released_test_split() {
    let report = shortcut_audit(&common::shared("hf_v2_release/test.csv"), &[]);
    check_shape(&report);
    assert_eq!(report["test_items"], 1162);
    assert!(report["protocol"]
        .as_str()
        .unwrap()
        .contains("cross-validation"));
    // Every "later letter causes earlier letter" item is invalid.
    let letters = reader(&report, "letter_order");
    for rel in ["child", "non-child_descendant"] {
        assert_eq!(
            letters["by_relation"][rel]["accuracy"]["value"], 1.0,
            "{rel}"
        );
    }
    // Always-invalid: 982 of the 1,162 labels are 0 (84.5%); the prior learns it per relation.
    let prior = reader(&report, "prior")["accuracy"]["value"]
        .as_f64()
        .unwrap();
    assert!((prior - 982.0 / 1162.0).abs() < 1e-9, "{prior}");
    assert!(
        report["best"]["accuracy"]["value"].as_f64().unwrap() >= 0.80,
        "{}",
        report["best"]
    );
}

/// Whether a sentence of `premise` says `a` and `b` correlate, and whether one says they are
/// independent (given anything), read with plain string matching.
fn stated(premise: &str, a: &str, b: &str) -> (bool, bool) {
    let body = premise.split_once("as follows: ").unwrap().1;
    let mut correlated = false;
    let mut separated = false;
    for s in body.split(". ") {
        let s = s.trim_start_matches("However, ").trim_end_matches('.');
        for (p, q) in [(a, b), (b, a)] {
            if s == format!("{p} correlates with {q}") {
                correlated = true;
            }
            if s == format!("{p} is independent of {q}")
                || s.starts_with(&format!("{p} is independent of {q} given "))
                || s.starts_with(&format!("{p} and {q} are independent given "))
            {
                separated = true;
            }
        }
    }
    (correlated, separated)
}

#[test]
fn rule_readers_agree_with_a_plain_reading_of_the_text() {
    // The per-relation balanced random benchmark (the old default): its leaks are plain.
    let dir = common::temp_dir("shortcuts", "plain");
    let out = corrcause(&[
        "generate",
        "--balance",
        "per-relation",
        "--per-n",
        "60",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = shortcut_audit(&dir, &[]);
    check_shape(&report);
    assert_eq!(report["protocol"], "train/test");
    // Count, per rule, the test items it gets right.
    let mut right: HashMap<&str, u64> = HashMap::new();
    let mut total = 0u64;
    let mut by_relation: HashMap<String, [u64; 2]> = HashMap::new();
    for line in std::fs::read_to_string(dir.join("test.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        let (c, s) = stated(
            v["premise"].as_str().unwrap(),
            v["x"].as_str().unwrap(),
            v["y"].as_str().unwrap(),
        );
        let label = v["label"] == 1;
        total += 1;
        by_relation
            .entry(v["relation"].as_str().unwrap().to_string())
            .or_default()[usize::from(label)] += 1;
        for (name, says_valid) in [
            ("correlated", c),
            ("not_correlated", !c),
            ("never_separated", !s),
            ("separated", s),
        ] {
            *right.entry(name).or_default() += u64::from(says_valid == label);
        }
    }
    assert_eq!(report["test_items"], total);
    for (name, r) in &right {
        let value = reader(&report, name)["accuracy"]["value"].as_f64().unwrap();
        assert!((value - *r as f64 / total as f64).abs() < 1e-12, "{name}");
    }
    for (rel, [invalid, valid]) in &by_relation {
        assert_eq!(report["test_labels"][rel]["valid"], *valid);
        assert_eq!(report["test_labels"][rel]["invalid"], *invalid);
    }
    // Direct-cause items of this construction are read off the text.
    let never = reader(&report, "never_separated");
    assert!(
        never["by_relation"]["parent"]["accuracy"]["value"]
            .as_f64()
            .unwrap()
            > 0.8,
        "{never}"
    );
    assert!(report["best"]["accuracy"]["value"].as_f64().unwrap() > 0.7);
    // A table as well.
    let table = corrcause(&["audit", "--shortcuts", dir.to_str().unwrap()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("best reader: "), "{text}");
}

#[test]
fn bad_input_names_the_line() {
    let dir = common::temp_dir("shortcuts", "bad");
    let file = dir.join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"premise\":\"Suppose nothing.\",\"hypothesis\":\"A directly causes B.\",\"label\":1}\n",
    )
    .unwrap();
    let out = corrcause(&["audit", "--shortcuts", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:1: field `premise`"), "{err}");
}

#[test]
fn default_preset_leaves_every_reader_at_chance() {
    // The preset's own seed and two others.
    for seed in ["20261122", "1", "2"] {
        let dir = common::temp_dir("shortcuts", &format!("default-{seed}"));
        let out = corrcause(&["generate", "--seed", seed, "--out", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Labels 50/50 per relation on the test split, counted here from the file.
        let mut counts: HashMap<String, [u64; 2]> = HashMap::new();
        for line in std::fs::read_to_string(dir.join("test.jsonl"))
            .unwrap()
            .lines()
        {
            let v: Value = serde_json::from_str(line).unwrap();
            counts
                .entry(v["relation"].as_str().unwrap().into())
                .or_default()[v["label"].as_u64().unwrap() as usize] += 1;
        }
        assert_eq!(counts.len(), 6, "seed {seed}");
        // Each relation keeps enough test items to measure (43-372 valid ones per relation
        // over these seeds: the adversarial filtering drops more on some).
        for (rel, [invalid, valid]) in &counts {
            assert!(
                *valid >= 40 && valid == invalid,
                "seed {seed} {rel}: {valid}/{invalid}"
            );
        }
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        // The record of cells: a row per cell under its columns; per cell, as many valid as
        // invalid items kept, no more than its candidates, and the kept rows add up to the items.
        let cells = &manifest["hard_balance"]["cells"];
        let columns: Vec<&str> = cells["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
        let mut kept = 0;
        for rows in cells["by_relation"].as_object().unwrap().values() {
            for row in rows.as_array().unwrap() {
                assert_eq!(row.as_array().unwrap().len(), columns.len());
                let n = |c: &str| row[at(c)].as_u64().unwrap();
                assert_eq!(n("kept_valid"), n("kept_invalid"), "{row}");
                assert!(n("kept_valid") <= n("candidates_valid").min(n("candidates_invalid")));
                kept += n("kept_valid") + n("kept_invalid");
            }
        }
        assert_eq!(kept, manifest["items"].as_u64().unwrap(), "seed {seed}");
        let report = shortcut_audit(&dir, &[]);
        check_shape(&report);
        for r in report["readers"].as_array().unwrap() {
            let name = &r["name"];
            let acc = r["accuracy"]["value"].as_f64().unwrap();
            assert!(acc <= 0.55, "seed {seed} {name}: {acc}");
            for (rel, s) in r["by_relation"].as_object().unwrap() {
                let acc = s["accuracy"]["value"].as_f64().unwrap();
                assert!(acc <= 0.55, "seed {seed} {name} on {rel}: {acc}");
            }
        }
        let best = &report["best"]["accuracy"];
        assert!(
            best["low"].as_f64().unwrap() <= 0.5 && best["high"].as_f64().unwrap() >= 0.5,
            "seed {seed}: {best}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_split_in_several_files_reads_as_one() {
    // The same dataset in one file per split and in files of 300 items: the readers see the
    // same items in the same order, so the reports agree; a bad line in a later file is named
    // by that file and its own line number.
    let one = common::temp_dir("shortcuts", "files-one");
    let many = common::temp_dir("shortcuts", "files-many");
    for (dir, per_file) in [(&one, "1000000"), (&many, "300")] {
        common::corrcause_ok(&[
            "generate",
            "--nodes",
            "3..=5",
            "--graphs",
            "exhaustive",
            "--balance",
            "none",
            "--items-per-file",
            per_file,
            "--out",
            dir.to_str().unwrap(),
        ]);
    }
    let parts: Vec<String> = std::fs::read_dir(&many)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("train-") && n.ends_with(".jsonl"))
        .collect();
    assert!(parts.len() >= 3, "{parts:?}");
    let readers = |dir: &Path| shortcut_audit(dir, &[])["readers"].clone();
    assert_eq!(readers(&one), readers(&many));

    let mut parts = parts;
    parts.sort();
    let second = many.join(&parts[1]);
    let mut text = std::fs::read_to_string(&second).unwrap();
    let lines = text.lines().count();
    text.push_str("{\"premise\": 1}\n");
    std::fs::write(&second, text).unwrap();
    let out = corrcause(&["audit", "--shortcuts", many.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:{}:", parts[1], lines + 1);
    assert!(err.contains(&want), "{want} not in {err}");
}
