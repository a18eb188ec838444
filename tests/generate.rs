//! `corrcause generate` end to end: the released preset against the published rows, the corrected
//! preset against an independent brute-force labeller, determinism across threads and shards.

mod common;

use common::{corrcause, shared};

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn generate(dir: &Path, args: &[&str]) {
    // Each split one file, read as one (`tests/parts.rs` checks splits in several).
    let mut all = vec![
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--items-per-file",
        "1000000",
    ];
    all.extend_from_slice(args);
    let out = corrcause(&all);
    assert!(
        out.status.success(),
        "generate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (relation, earlier name, later name) of a Corr2Cause hypothesis, whatever its phrasing.
fn read_hypothesis(h: &str) -> (&'static str, String, String) {
    let h = h.trim_end_matches('.');
    let ordered = |a: &str, b: &str, forward: &'static str, backward: &'static str| {
        if a < b {
            (forward, a.to_string(), b.to_string())
        } else {
            (backward, b.to_string(), a.to_string())
        }
    };
    if let Some((a, b)) = h.split_once(" directly causes ") {
        return ordered(a, b, "parent", "child");
    }
    if let Some((a, b)) = h.split_once(" causes something else which causes ") {
        return ordered(a, b, "non-parent_ancestor", "non-child_descendant");
    }
    if let Some((a, rest)) = h.split_once(" is a cause for ") {
        let b = rest.trim_end_matches(", but not a direct one");
        return ordered(a, b, "non-parent_ancestor", "non-child_descendant");
    }
    for (prefix, relation) in [
        (
            "There exists at least one collider (i.e., common effect) of ",
            "has_collider",
        ),
        (
            "There exists at least one confounder (i.e., common cause) of ",
            "has_confounder",
        ),
    ] {
        if let Some(pair) = h.strip_prefix(prefix) {
            let (a, b) = pair.split_once(" and ").unwrap();
            let (_, x, y) = ordered(a, b, "", "");
            return (relation, x, y);
        }
    }
    panic!("unknown hypothesis {h:?}")
}

type Key = (String, &'static str, String, String);

/// Labels of a generated JSONL file by (premise, relation, x, y).
fn labels_of(file: &Path) -> HashMap<Key, u64> {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let (relation, x, y) = read_hypothesis(v["hypothesis"].as_str().unwrap());
            assert_eq!(relation, v["relation"].as_str().unwrap());
            assert_eq!(
                (x.as_str(), y.as_str()),
                (v["x"].as_str().unwrap(), v["y"].as_str().unwrap())
            );
            (
                (v["premise"].as_str().unwrap().to_string(), relation, x, y),
                v["label"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn released_preset_contains_every_published_row() {
    let dir = common::temp_dir("generate", "released");
    // N = 2..5 end to end (N = 6 is checked against the full label file in corr2cause_release.rs).
    generate(
        &dir,
        &[
            "--preset",
            "corr2cause-v2-released",
            "--nodes",
            "2..=5",
            "--format",
            "both",
        ],
    );
    let ours = labels_of(&dir.join("items.jsonl"));
    assert_eq!(ours.len(), 12 + 90 + 720 + 8520);
    // Our CSV has test.csv's columns and agrees with our JSONL.
    let mut csv_rows = csv::Reader::from_path(dir.join("items.csv")).unwrap();
    assert_eq!(
        csv_rows.headers().unwrap(),
        vec!["input", "label", "num_variables", "template"]
    );
    assert_eq!(csv_rows.records().count(), ours.len());
    let mut checked = 0;
    for file in [
        "hf_v2_release/test.csv",
        "hf_v2_release/train_first2500rows.csv",
    ] {
        let mut rows = csv::Reader::from_path(shared(file)).unwrap();
        for row in rows.records() {
            let row = row.unwrap();
            let n: usize = row[2].parse().unwrap();
            if n > 5 {
                continue;
            }
            let (premise, hyp) = row[0]
                .strip_prefix("Premise: ")
                .unwrap()
                .split_once("\nHypothesis: ")
                .unwrap();
            let (relation, x, y) = read_hypothesis(hyp);
            let label = ours
                .get(&(premise.to_string(), relation, x.clone(), y.clone()))
                .unwrap_or_else(|| {
                    panic!("{file}: no item for {relation} ({x}, {y}) of {premise:?}")
                });
            assert_eq!(
                label.to_string(),
                &row[1],
                "{file}: {relation} ({x}, {y}) of {premise:?}"
            );
            checked += 1;
        }
    }
    // test.csv has 6 + 48 + 72 + 514 rows of N <= 5; the train rows are all N = 4 and 5.
    assert_eq!(checked, 640 + 2500);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrected_preset_matches_a_brute_force_labeller() {
    let dir = common::temp_dir("generate", "corrected");
    generate(
        &dir,
        &[
            "--preset",
            "corr2cause-v2",
            "--nodes",
            "2..=4",
            "--format",
            "jsonl",
        ],
    );
    let text = std::fs::read_to_string(dir.join("items.jsonl")).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for n in 2..=4usize {
        // Brute force: every labelled DAG, its independences by path enumeration, its relations by
        // path search. A premise's MEC is the set of DAGs with exactly its independences.
        let dags = common::all_dags(n);
        let names: Vec<String> = (0..n)
            .map(|k| ((b'A' + k as u8) as char).to_string())
            .collect();
        let premise_of = |g: &common::Naive| -> Vec<String> {
            let mut out = vec![];
            for x in 0..n {
                for y in x + 1..n {
                    for z in 0..(1u64 << n) {
                        if z >> x & 1 == 0
                            && z >> y & 1 == 0
                            && !g.d_connected(x, y, &common::members(n, z))
                        {
                            out.push(format!("{x}{y}{z}"));
                        }
                    }
                }
            }
            out
        };
        let models: Vec<Vec<String>> = dags.iter().map(premise_of).collect();
        let ours: Vec<&Value> = records.iter().filter(|r| r["num_variables"] == n).collect();
        assert!(!ours.is_empty());
        for r in ours {
            // The representative's edges identify the premise's model.
            let edges: Vec<(usize, usize)> = r["graph"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let idx =
                        |v: &Value| names.iter().position(|s| s == v.as_str().unwrap()).unwrap();
                    (idx(&e[0]), idx(&e[1]))
                })
                .collect();
            let rep = common::Naive::from_edges(n, &edges);
            let model = premise_of(&rep);
            let members: Vec<&common::Naive> = dags
                .iter()
                .zip(&models)
                .filter(|(_, m)| **m == model)
                .map(|(g, _)| g)
                .collect();
            let x = names
                .iter()
                .position(|s| s == r["x"].as_str().unwrap())
                .unwrap();
            let y = names
                .iter()
                .position(|s| s == r["y"].as_str().unwrap())
                .unwrap();
            let rel = [
                "parent",
                "non-parent_ancestor",
                "child",
                "non-child_descendant",
                "has_collider",
                "has_confounder",
            ]
            .iter()
            .position(|s| *s == r["relation"].as_str().unwrap())
            .unwrap();
            let holds = members.iter().filter(|g| g.relations(x, y)[rel]).count();
            assert_eq!(
                r["mec_size"].as_u64().unwrap() as usize,
                members.len(),
                "{}",
                r["id"]
            );
            assert_eq!(r["holds"].as_u64().unwrap() as usize, holds, "{}", r["id"]);
            let expected = if holds == members.len() {
                "entailment"
            } else if holds == 0 {
                "contradiction"
            } else {
                "neutral"
            };
            assert_eq!(r["label3"], expected, "{}", r["id"]);
            assert_eq!(r["label"], u64::from(expected == "entailment"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_default()
}

#[test]
fn output_does_not_depend_on_threads_or_shards() {
    let args = [
        "--preset", "default", "--per-n", "12", "--nodes", "5..=8", "--format", "both",
    ];
    let one = common::temp_dir("generate", "t1");
    let mut a = vec!["--threads", "1", "generate", "--out", one.to_str().unwrap()];
    a.extend_from_slice(&["--items-per-file", "1000000"]); // as `generate` gives
    a.extend_from_slice(&args);
    assert!(corrcause(&a).status.success());
    let two = common::temp_dir("generate", "t2");
    generate(&two, &args);
    let files = [
        "train.jsonl",
        "dev.jsonl",
        "test.jsonl",
        "train.csv",
        "dev.csv",
        "test.csv",
        "manifest.json",
    ];
    for f in files {
        assert!(!read(&one, f).is_empty(), "{f} is empty");
        assert_eq!(
            read(&one, f),
            read(&two, f),
            "{f} differs between 1 and 2 threads"
        );
    }
    let shards: Vec<PathBuf> = (0..3)
        .map(|k| {
            let d = common::temp_dir("generate", &format!("s{k}"));
            let shard = format!("{k}/3");
            let mut a = args.to_vec();
            a.extend_from_slice(&["--shard", &shard]);
            generate(&d, &a);
            d
        })
        .collect();
    for f in &files[..6] {
        let joined: Vec<u8> = shards.iter().flat_map(|d| read(d, f)).collect();
        assert_eq!(
            joined,
            read(&one, f),
            "shards of {f} do not concatenate to the whole"
        );
    }
    // The manifest records the configuration and the hash of every file.
    let manifest: Value = serde_json::from_slice(&read(&one, "manifest.json")).unwrap();
    assert_eq!(manifest["config"]["names"], "shuffled");
    for entry in manifest["files"].as_array().unwrap() {
        let bytes = read(&one, entry["path"].as_str().unwrap());
        assert_eq!(entry["bytes"].as_u64().unwrap() as usize, bytes.len());
    }
    // No premise in two splits.
    let mut split_of: HashMap<String, String> = HashMap::new();
    for split in ["train", "dev", "test"] {
        for line in String::from_utf8(read(&one, &format!("{split}.jsonl")))
            .unwrap()
            .lines()
        {
            let v: Value = serde_json::from_str(line).unwrap();
            let previous = split_of.insert(
                v["premise_id"].as_str().unwrap().to_string(),
                split.to_string(),
            );
            assert!(
                previous.is_none_or(|p| p == split),
                "{} in two splits",
                v["premise_id"]
            );
        }
    }
    for d in [one, two].iter().chain(&shards) {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn balanced_presets_have_equal_labels_per_relation() {
    let dir = common::temp_dir("generate", "balanced");
    generate(
        &dir,
        &[
            "--preset", "default", "--per-n", "30", "--nodes", "5..=9", "--splits", "none",
        ],
    );
    let mut counts: HashMap<String, [usize; 2]> = HashMap::new();
    for line in std::fs::read_to_string(dir.join("items.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        counts
            .entry(v["relation"].as_str().unwrap().into())
            .or_default()[v["label"].as_u64().unwrap() as usize] += 1;
        // Explanations name a witness for every invalid item.
        match v["label3"].as_str().unwrap() {
            "entailment" => assert!(v["explanation"]["cpdag"].is_object()),
            "neutral" => assert!(
                v["explanation"]["holds_in"].is_array() && v["explanation"]["fails_in"].is_array()
            ),
            _ => assert!(v["explanation"]["fails_in"].is_array()),
        }
    }
    assert_eq!(counts.len(), 6);
    for (r, [invalid, valid]) in counts {
        assert_eq!(invalid, valid, "{r}");
        assert!(valid > 0, "{r}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_configurations_are_rejected_with_a_reason() {
    let dir = common::temp_dir("generate", "bad");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--preset", "default", "--nodes", "13", "--premise", "all"],
            "--force",
        ),
        (
            &["--preset", "corr2cause-v2-released", "--names", "shuffled"],
            "released",
        ),
        (&["--preset", "corr2cause-v2", "--nodes", "9"], "exhaustive"),
        (
            &["--preset", "default", "--splits", "train=0.7,test=0.2"],
            "sum to 1",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["generate", "--out", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = corrcause(&all);
        assert!(!out.status.success(), "{args:?} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Random graphs are distinct as their premises name them: with names shuffled, two isomorphic
/// MECs can read as one premise (the same item twice, perhaps in train and in test). On 4
/// variables, where 60 draws meet many isomorphic pairs, no premise text appears under two
/// premise ids, with or without hard balance, and none is in two splits.
#[test]
fn no_premise_is_drawn_twice_under_its_names() {
    for (k, balance) in ["none", "hard"].into_iter().enumerate() {
        let dir = common::temp_dir("generate", &format!("named-{k}"));
        generate(
            &dir,
            &[
                "--nodes",
                "4",
                "--graphs",
                "random",
                "--per-n",
                "60",
                "--balance",
                balance,
                "--splits",
                "train=0.5,test=0.5",
            ],
        );
        let mut seen: HashMap<String, (String, String)> = HashMap::new();
        for split in ["train", "test"] {
            for line in String::from_utf8(read(&dir, &format!("{split}.jsonl")))
                .unwrap()
                .lines()
            {
                let v: Value = serde_json::from_str(line).unwrap();
                let id = v["premise_id"].as_str().unwrap().to_string();
                let premise = v["premise"].as_str().unwrap().to_string();
                let first = seen
                    .entry(premise)
                    .or_insert_with(|| (id.clone(), split.to_string()));
                assert_eq!(first.0, id, "one premise under two ids ({balance})");
                assert_eq!(first.1, split, "one premise in two splits ({balance})");
            }
        }
        if balance == "none" {
            assert_eq!(seen.len(), 60, "every premise drawn is kept");
        } else {
            assert!(!seen.is_empty());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
