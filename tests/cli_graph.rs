//! `corrcause graph` as a user runs it: the JSON-lines contract, errors, determinism.

mod common;

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn corrcause(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("corrcause runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const GRAPHS: &str = concat!(
    r#"{"nodes": ["A","B","C"], "edges": [["A","B"],["B","C"]]}"#,
    "\n",
    r#"{"n": 4, "edges": [[0, 2], [1, 2], [2, 3]]}"#,
    "\n"
);

#[test]
fn ci_lists_sorted_independences_in_the_input_names() {
    let out = json_lines(&corrcause(&["graph", "ci"], GRAPHS));
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0],
        json!({"statements": 6, "independent": 1, "independences": [["A", "C", ["B"]]]})
    );
    // Collider 0 -> 2 <- 1 with 2 -> 3: 0 ⊥ 1, and 3 is separated from 0 and 1 by 2.
    assert_eq!(
        out[1],
        json!({"statements": 24, "independent": 5, "independences": [[0, 1, []], [0, 3, [1, 2]], [0, 3, [2]], [1, 3, [0, 2]], [1, 3, [2]]]})
    );
    let counts = json_lines(&corrcause(&["graph", "ci", "--count"], GRAPHS));
    assert_eq!(counts[1], json!({"statements": 24, "independent": 5}));
    let minimal = json_lines(&corrcause(&["graph", "ci", "--form", "minimal"], GRAPHS));
    assert_eq!(
        minimal[1]["independences"],
        json!([[0, 1, []], [0, 3, [2]], [1, 3, [2]]])
    );
    let basis = json_lines(&corrcause(&["graph", "ci", "--form", "basis"], GRAPHS));
    assert_eq!(basis[0]["independences"], json!([["A", "C", ["B"]]]));
}

#[test]
fn cpdag_mec_and_relations() {
    let cpdag = json_lines(&corrcause(&["graph", "cpdag"], GRAPHS));
    assert_eq!(
        cpdag[0],
        json!({"directed": [], "undirected": [["A", "B"], ["B", "C"]]})
    );
    assert_eq!(
        cpdag[1],
        json!({"directed": [[0, 2], [1, 2], [2, 3]], "undirected": []})
    );
    let mec = json_lines(&corrcause(&["graph", "mec"], GRAPHS));
    assert_eq!(
        mec[0],
        json!({"size": 3, "members": [[["A", "B"], ["B", "C"]], [["B", "A"], ["B", "C"]], [["B", "A"], ["C", "B"]]]})
    );
    assert_eq!(
        json_lines(&corrcause(&["graph", "mec", "--count"], GRAPHS))[1],
        json!({"size": 1})
    );
    let rel = json_lines(&corrcause(&["graph", "relations"], GRAPHS));
    let rows = rel[0]["relations"].as_array().unwrap();
    assert_eq!(rel[0]["mec_size"], 3);
    assert_eq!(rows.len(), 3 * 6);
    let order: Vec<&str> = rows[..6]
        .iter()
        .map(|r| r["relation"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "parent",
            "non-parent_ancestor",
            "child",
            "non-child_descendant",
            "has_collider",
            "has_confounder"
        ]
    );
    // A -> B in one member of three (A -> B -> C), B -> A in two.
    assert_eq!(
        rows[0],
        json!({"x": "A", "y": "B", "relation": "parent", "holds": 1, "label": "neutral"})
    );
    assert_eq!(rows[2]["holds"], 2);
    // A and C: a common cause (B) in one member, never a collider.
    let ac: Vec<&Value> = rows
        .iter()
        .filter(|r| r["x"] == "A" && r["y"] == "C")
        .collect();
    assert_eq!(ac[5]["holds"], 1);
    assert_eq!(ac[4]["label"], "contradiction");
}

#[test]
fn mec_members_agree_with_brute_force_through_the_cli() {
    // Every labelled DAG on 4 nodes, through `graph mec`: each member list is the DAG's class.
    let dags = common::all_dags(4);
    let input: String = dags
        .iter()
        .map(|g| format!("{}\n", json!({"n": 4, "edges": g.edges()})))
        .collect();
    let out = json_lines(&corrcause(&["graph", "mec"], &input));
    assert_eq!(out.len(), dags.len());
    for (g, line) in dags.iter().zip(&out) {
        let members: Vec<Vec<(usize, usize)>> =
            serde_json::from_value(line["members"].clone()).unwrap();
        assert_eq!(line["size"].as_u64().unwrap() as usize, members.len());
        assert!(members.contains(&g.edges()));
        let pattern = g.pattern();
        let mut expected: Vec<Vec<(usize, usize)>> = dags
            .iter()
            .filter(|h| h.pattern() == pattern)
            .map(|h| h.edges())
            .collect();
        expected.sort();
        assert_eq!(members, expected);
    }
}

#[test]
fn malformed_input_names_the_line_and_exits_non_zero() {
    let input = format!(
        "{GRAPHS}{}\n",
        r#"{"n": 3, "edges": [[0, 1], [1, 2], [2, 0]]}"#
    );
    let out = corrcause(&["graph", "cpdag"], &input);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim(),
        "error: <stdin>:3: field `edges`: the edges form a directed cycle: 0 -> 1 -> 2 -> 0"
    );

    let dir = std::env::temp_dir().join(format!("corrcause-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, format!("{GRAPHS}\n")).unwrap();
    let out = corrcause(&["graph", "ci", file.to_str().unwrap()], "");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.jsonl:3: empty line"), "{err}");

    // With --output, a failed run leaves no file behind.
    let target = dir.join("out.jsonl");
    let write_ci = || {
        let args = [
            "graph",
            "ci",
            file.to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
        ];
        corrcause(&args, "")
    };
    assert!(!write_ci().status.success());
    assert!(!target.exists());
    std::fs::write(&file, GRAPHS).unwrap();
    assert!(write_ci().status.success());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();

    let out = corrcause(
        &[
            "graph",
            "sample",
            "--nodes",
            "5",
            "--count",
            "2",
            "--sampler",
            "edges",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--edges"));
    let out = corrcause(
        &["graph", "ci"],
        &format!("{}\n", json!({"n": 21, "edges": []})),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1: --form all lists"));
}

#[test]
fn enumerate_counts_match_oeis() {
    for (n, count) in [(1, 1), (2, 2), (3, 6), (4, 31), (5, 302), (6, 5984)] {
        let out = json_lines(&corrcause(
            &["graph", "enumerate", "--nodes", &n.to_string(), "--count"],
            "",
        ));
        assert_eq!(out[0]["count"], count, "n = {n}");
    }
    for (n, count) in [(2, 3), (3, 25), (4, 543), (5, 29281), (6, 3781503)] {
        let out = json_lines(&corrcause(
            &[
                "graph",
                "enumerate",
                "--labelled",
                "--nodes",
                &n.to_string(),
                "--count",
            ],
            "",
        ));
        assert_eq!(out[0]["count"], count, "n = {n}");
    }
    // Listing agrees with counting, and every listed graph reads back.
    let listed = json_lines(&corrcause(&["graph", "enumerate", "--nodes", "4"], ""));
    assert_eq!(listed.len(), 31);
    let text: String = listed.iter().map(|v| format!("{v}\n")).collect();
    assert_eq!(json_lines(&corrcause(&["graph", "cpdag"], &text)).len(), 31);
}

#[test]
fn sampling_is_deterministic_across_thread_counts() {
    for sampler in [["--sampler", "er"], ["--sampler", "uniform"]] {
        let run = |threads: &str| {
            let mut args = vec![
                "--threads",
                threads,
                "graph",
                "sample",
                "--nodes",
                "9",
                "--count",
                "5000",
                "--seed",
                "11",
            ];
            args.extend_from_slice(&sampler);
            let out = corrcause(&args, "");
            assert!(out.status.success());
            out.stdout
        };
        assert_eq!(run("1"), run("2"));
    }
    let big = json_lines(&corrcause(
        &[
            "graph",
            "sample",
            "--nodes",
            "100",
            "--count",
            "2",
            "--sampler",
            "uniform",
            "--seed",
            "3",
        ],
        "",
    ));
    assert_eq!(big[0]["n"], 100);
}
