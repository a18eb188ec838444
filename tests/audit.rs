//! `corrcause audit` on the published test split, on generated data, and on bad input.

mod common;

use common::corrcause;
use corrcause::dataset::{exhaustive_mecs, Semantics};
use corrcause::text::names::letter_name;
use corrcause::text::{parse_premise, Premise};

#[test]
fn finds_the_wrong_labels_of_the_released_test_split() {
    let out = corrcause(&[
        "audit",
        common::shared("hf_v2_release/test.csv").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = common::json_of(&out);
    assert_eq!(report["rows"], 1162);
    let wrong = report["disagreements"].as_array().unwrap();
    assert_eq!(wrong.len(), 18);
    assert!(report["inconsistent_premises"]
        .as_array()
        .unwrap()
        .is_empty());
    for d in wrong {
        // Each comes with a member of the MEC that shows the corrected label.
        let key = if d["corrected"] == 1 {
            "holds_in"
        } else {
            "fails_in"
        };
        assert!(d["witness"][key].is_array(), "{d}");
        assert_ne!(d["label"], d["corrected"]);
    }
    // Row numbers count data rows from 0: row 115 is the 116th row of the file.
    assert_eq!(wrong[0]["row"], 115);
    assert_eq!(wrong[0]["relation"], "has_collider");
    let table = String::from_utf8(
        corrcause(&[
            "audit",
            common::shared("hf_v2_release/test.csv").to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        table.starts_with("1162 rows, 21 distinct premises: 18 labels disagree"),
        "{table}"
    );
}

#[test]
fn finds_the_spurious_premises_of_the_released_construction() {
    // The 2,207 released N = 6 premises read back: exactly 20 have no DAG behind them.
    let names: Vec<String> = (0..6).map(letter_name).collect();
    let impossible = exhaustive_mecs(6, Semantics::Released)
        .iter()
        .filter(|m| {
            let text = Premise::from_statements(6, m.statements.clone()).render(&names);
            parse_premise(&text).unwrap().mec().is_err()
        })
        .count();
    assert_eq!(impossible, 20);
}

#[test]
fn generated_corrected_data_audits_clean_and_released_data_does_not() {
    let dir = common::temp_dir("audit", "gen");
    for (preset, sub) in [("corr2cause-v2", "v2"), ("corr2cause-v2-released", "rel")] {
        let out_dir = dir.join(sub);
        let gen = corrcause(&[
            "generate",
            "--preset",
            preset,
            "--nodes",
            "2..=5",
            "--format",
            "both",
            // One file per form (9,342 items), audited as a file.
            "--items-per-file",
            "10000",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(gen.status.success());
        for file in ["items.jsonl", "items.csv"] {
            let out = corrcause(&[
                "audit",
                out_dir.join(file).to_str().unwrap(),
                "--format",
                "json",
            ]);
            let report = common::json_of(&out);
            assert_eq!(report["rows"], 12 + 90 + 720 + 8520);
            let wrong = report["disagreements"].as_array().unwrap().len();
            if preset == "corr2cause-v2" {
                assert_eq!(wrong, 0, "{preset} {file}");
            } else {
                assert!(
                    wrong > 0,
                    "{preset} {file}: the released labels have known errors at N <= 5"
                );
            }
        }
    }
    // Every premise form and naming audits clean too.
    for (form, names) in [
        ("minimal", "words"),
        ("basis", "reversed"),
        ("all", "shuffled"),
    ] {
        let out_dir = dir.join(format!("{form}-{names}"));
        let gen = corrcause(&[
            "generate",
            "--preset",
            "default",
            "--nodes",
            "4..=7",
            "--per-n",
            "15",
            "--premise",
            form,
            "--names",
            names,
            "--style",
            "paraphrased",
            "--order",
            "shuffled",
            "--splits",
            "none",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(
            gen.status.success(),
            "{}",
            String::from_utf8_lossy(&gen.stderr)
        );
        let out = corrcause(&[
            "audit",
            out_dir.join("items.jsonl").to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{form}/{names}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = common::json_of(&out);
        assert_eq!(
            report["disagreements"].as_array().unwrap().len(),
            0,
            "{form}/{names}"
        );
        assert_eq!(
            report["inconsistent_premises"].as_array().unwrap().len(),
            0,
            "{form}/{names}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_rows_are_errors_naming_the_line() {
    let dir = common::temp_dir("audit", "bad");
    let good = r#"{"premise": "Suppose there is a closed system of 2 variables, A and B. All the statistical relations among these 2 variables are as follows: A correlates with B.", "hypothesis": "A directly causes B.", "label": 0}"#;
    let cases = [
        (
            format!("{good}\n{}\n", good.replace("closed system", "open system")),
            "bad.jsonl:2: field `premise`",
        ),
        (
            format!(
                "{good}\n{}\n",
                good.replace("A directly causes B.", "A likes B.")
            ),
            "bad.jsonl:2: field `hypothesis`",
        ),
        (
            format!("{}\n", good.replace("\"label\": 0", "\"label\": 7")),
            "bad.jsonl:1: field `label`",
        ),
        (format!("{good}\nnot json\n"), "bad.jsonl:2: not valid JSON"),
    ];
    let file = dir.join("bad.jsonl");
    for (text, needle) in cases {
        std::fs::write(&file, text).unwrap();
        let out = corrcause(&["audit", file.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "text,label\nx,0\n").unwrap();
    let out = corrcause(&["audit", csv.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `input` column"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Graph items: every target of a generated graph dataset is the CPDAG its premise implies
/// (recomputed from the text by the audit, from the generating DAG by `generate`), the same
/// target written in another order still agrees, and a reversed compelled edge is reported at
/// its row with the target the premise implies.
#[test]
fn graph_items_have_their_targets_recomputed() {
    let dir = common::temp_dir("audit", "graph");
    let data = dir.join("data");
    let gen = corrcause(&[
        "generate",
        "--task",
        "graph",
        "--nodes",
        "3..=5",
        "--graphs",
        "exhaustive",
        "--splits",
        "none",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(gen.status.success());
    let report = common::json_of(&corrcause(&[
        "audit",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let text = std::fs::read_to_string(data.join("items.jsonl")).unwrap();
    let mut items: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(report["task"], "graph");
    assert_eq!(report["rows"], items.len());
    assert_eq!(report["premises"], items.len());
    assert_eq!(report["disagreements"], serde_json::json!([]));
    assert_eq!(report["inconsistent_premises"], serde_json::json!([]));
    // Every undirected pair and every list written the other way round; one compelled edge
    // reversed.
    let flipped = items
        .iter()
        .position(|v| !v["target"]["directed"].as_array().unwrap().is_empty())
        .unwrap();
    let original = items[flipped]["target"].clone();
    for v in &mut items {
        let t = &mut v["target"];
        for kind in ["directed", "undirected"] {
            t[kind].as_array_mut().unwrap().reverse();
        }
        for pair in t["undirected"].as_array_mut().unwrap() {
            pair.as_array_mut().unwrap().reverse();
        }
    }
    let edge = items[flipped]["target"]["directed"][0]
        .as_array_mut()
        .unwrap();
    edge.reverse();
    let bad = dir.join("bad.jsonl");
    let lines: Vec<String> = items.iter().map(|v| v.to_string()).collect();
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let report = common::json_of(&corrcause(&[
        "audit",
        bad.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let found = report["disagreements"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["row"], flipped);
    assert_eq!(found[0]["id"], items[flipped]["id"]);
    assert_eq!(found[0]["corrected"], original);
    let table = corrcause(&["audit", bad.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("1 targets differ from the CPDAG their premise implies"),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dataset_in_several_files_audits_as_one() {
    // The released construction at N <= 5 (9,342 items, with wrong labels) in one file and in
    // files of 1,000 items: the same report, rows counted over the files in order; a bad line
    // in a later file is named by that file and its own line number.
    let dir = common::temp_dir("audit", "parts");
    let (one, many) = (dir.join("one"), dir.join("many"));
    for (out, per_file) in [(&one, "10000"), (&many, "1000")] {
        common::corrcause_ok(&[
            "generate",
            "--preset",
            "corr2cause-v2-released",
            "--nodes",
            "2..=5",
            "--items-per-file",
            per_file,
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    let mut parts: Vec<String> = std::fs::read_dir(&many)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    parts.sort();
    assert!(parts.len() >= 9, "{parts:?}");
    let audit = |path: &std::path::Path| {
        let args = ["audit", path.to_str().unwrap(), "--split", "all"];
        common::json_of(&corrcause(&[&args[..], &["--format", "json"]].concat()))
    };
    let whole = audit(&one);
    assert!(!whole["disagreements"].as_array().unwrap().is_empty());
    assert_eq!(audit(&many), whole);

    let third = many.join(&parts[2]);
    let mut text = std::fs::read_to_string(&third).unwrap();
    let lines = text.lines().count();
    text.push_str("not json\n");
    std::fs::write(&third, text).unwrap();
    let out = corrcause(&["audit", many.to_str().unwrap(), "--split", "all"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:{}:", parts[2], lines + 1);
    assert!(err.contains(&want), "{want} not in {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
