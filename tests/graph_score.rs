//! `corrcause score` on graph items: the metrics on hand-computed cases and against a second,
//! plain implementation written here (sets of named edges, skeleton and v-structures for MEC
//! membership), on generated items and random answers in every form.

mod common;

use common::{corrcause, json_of, temp_dir, Naive};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn item(id: &str, vars: &[&str], directed: &[[&str; 2]], undirected: &[[&str; 2]]) -> Value {
    json!({"id": id, "task": "graph", "premise_id": id, "variables": vars,
           "target": {"directed": directed, "undirected": undirected},
           "num_variables": vars.len(), "mec_size": 1, "split": "test"})
}

fn score(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "score",
        "--dataset",
        dir.join("items.jsonl").to_str().unwrap().to_string().leak(),
        "--predictions",
        dir.join("answers.jsonl")
            .to_str()
            .unwrap()
            .to_string()
            .leak(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    json_of(&corrcause(&args))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-12
}

#[test]
fn hand_computed_metrics() {
    let dir = temp_dir("graph_score", "hand");
    write_lines(
        &dir.join("items.jsonl"),
        &[
            item("v", &["A", "B", "C"], &[["A", "C"], ["B", "C"]], &[]),
            item("chain", &["A", "B", "C"], &[], &[["A", "B"], ["B", "C"]]),
            item("empty", &["A", "B"], &[], &[]),
            item("edge", &["A", "B"], &[["A", "B"]], &[]),
        ],
    );
    write_lines(
        &dir.join("answers.jsonl"),
        &[
            // SHD 1 (B, C reversed); skeleton 2 right; arrowheads: A -> C right, C -> B wrong,
            // B -> C missed; fully directed, not a member (a chain, not the v-structure).
            json!({"id": "v", "output": "A -> C\nC -> B"}),
            // SHD 3; skeleton 2 right, 1 extra; arrowheads 2 wrong.
            json!({"id": "chain", "output": "A -> B\nB -> C\nA -- C"}),
            // SHD 0, exact, fully directed and a member.
            json!({"id": "empty", "output": "No edges."}),
            // Unparsed: counts as wrong (SHD 1, the adjacency and arrowhead missed).
            json!({"id": "edge", "output": "A -> Z"}),
        ],
    );
    let r = score(&dir, &["--bootstrap", "200"]);
    assert_eq!(r["task"], "graph");
    let m = &r["models"][0];
    assert_eq!(m["items"], 4);
    assert_eq!(m["unparsed"], 1);
    let metric = |k: &str| &m["metrics"][k]["value"];
    for (k, want) in [
        ("shd", 5.0 / 4.0),
        ("skeleton_precision", 0.8),
        ("skeleton_recall", 0.8),
        ("skeleton_f1", 0.8),
        ("arrowhead_precision", 0.25),
        ("arrowhead_recall", 1.0 / 3.0),
        ("arrowhead_f1", 2.0 / 7.0),
        ("exact", 0.25),
        ("member", 0.5),
    ] {
        assert!(close(metric(k), want), "{k}: {} != {want}", metric(k));
        let e = &m["metrics"][k];
        assert!(
            e["low"].as_f64().unwrap() <= e["high"].as_f64().unwrap(),
            "{k}"
        );
    }
    // Excluded, the unparsed item counts nowhere.
    let r = score(&dir, &["--bootstrap", "0", "--unparsed", "exclude"]);
    let m = &r["models"][0];
    assert_eq!(m["items"], 3);
    assert!(close(&m["metrics"]["shd"]["value"], 4.0 / 3.0));
    assert!(close(&m["metrics"]["skeleton_f1"]["value"], 8.0 / 9.0));
    assert!(close(&m["metrics"]["arrowhead_f1"]["value"], 1.0 / 3.0));
    // As the empty graph (`invalid`): SHD 1 for that item, the edge missed.
    let r = score(&dir, &["--bootstrap", "0", "--unparsed", "invalid"]);
    assert!(close(&r["models"][0]["metrics"]["shd"]["value"], 5.0 / 4.0));
    assert!(close(&r["models"][0]["metrics"]["exact"]["value"], 0.25));
    // ... which is fully directed, and not a member of the MEC of A -> B.
    assert!(close(
        &r["models"][0]["metrics"]["member"]["value"],
        1.0 / 3.0
    ));
    // --explain-parse shows every reading, the unparsed one with its reason.
    let out = corrcause(&[
        "score",
        "--dataset",
        dir.join("items.jsonl").to_str().unwrap(),
        "--predictions",
        dir.join("answers.jsonl").to_str().unwrap(),
        "--explain-parse",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0]["answer"],
        json!({"directed": [["A", "C"], ["C", "B"]], "undirected": []})
    );
    assert!(lines[3]["unparsed"].as_str().unwrap().contains("\"Z\""));
    assert!(lines[3]["answer"].is_null());
    std::fs::remove_dir_all(&dir).ok();
}

/// Independent counts of one answer: named edge sets, compared pair by pair.
struct Plain {
    shd: u64,
    skel: [u64; 3],
    arrow: [u64; 3],
    fully_directed: bool,
    member: bool,
}

type Named = (BTreeSet<(String, String)>, BTreeSet<(String, String)>);

fn plain(vars: &[String], target: &Named, answer: &Named, member_graph: &Naive) -> Plain {
    let mark = |g: &Named, a: &str, b: &str| -> u8 {
        let (d, u) = g;
        if d.contains(&(a.to_string(), b.to_string())) {
            1
        } else if d.contains(&(b.to_string(), a.to_string())) {
            2
        } else if u.contains(&(a.to_string(), b.to_string()))
            || u.contains(&(b.to_string(), a.to_string()))
        {
            3
        } else {
            0
        }
    };
    let mut p = Plain {
        shd: 0,
        skel: [0; 3],
        arrow: [0; 3],
        fully_directed: answer.1.is_empty(),
        member: false,
    };
    for (i, a) in vars.iter().enumerate() {
        for b in &vars[i + 1..] {
            let (t, g) = (mark(target, a, b), mark(answer, a, b));
            p.shd += u64::from(t != g);
            match (t != 0, g != 0) {
                (true, true) => p.skel[0] += 1,
                (false, true) => p.skel[1] += 1,
                (true, false) => p.skel[2] += 1,
                _ => {}
            }
        }
    }
    for e in &answer.0 {
        if target.0.contains(e) {
            p.arrow[0] += 1;
        } else {
            p.arrow[1] += 1;
        }
    }
    p.arrow[2] = target.0.iter().filter(|e| !answer.0.contains(*e)).count() as u64;
    if p.fully_directed {
        let at = |s: &str| vars.iter().position(|v| v == s).unwrap();
        let edges: Vec<(usize, usize)> = answer.0.iter().map(|(a, b)| (at(a), at(b))).collect();
        let g = Naive::from_edges(vars.len(), &edges);
        // A member: acyclic, with the skeleton and v-structures of the MEC (Verma and Pearl).
        p.member = g.is_acyclic() && g.pattern() == member_graph.pattern();
    }
    p
}

fn named_pairs(v: &Value) -> BTreeSet<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_str().unwrap().into(), e[1].as_str().unwrap().into()))
        .collect()
}

#[test]
fn metrics_match_a_plain_implementation_on_random_answers_in_every_form() {
    let dir = temp_dir("graph_score", "plain");
    let out = corrcause(&[
        "generate",
        "--task",
        "graph",
        "--graphs",
        "random",
        "--nodes",
        "5..=7",
        "--per-n",
        "40",
        "--names",
        "words",
        "--splits",
        "none",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<Value> = std::fs::read_to_string(dir.join("items.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let mut answers = Vec::new();
    let mut total = [0u64; 9]; // shd, skel tp fp fn, arrow tp fp fn, fully directed, member
    for (k, r) in records.iter().enumerate() {
        let vars: Vec<String> = r["variables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let target = (
            named_pairs(&r["target"]["directed"]),
            named_pairs(&r["target"]["undirected"]),
        );
        // A random answer: the target, a member, or random marks.
        let answer: Named = match k % 3 {
            0 => target.clone(),
            1 => (named_pairs(&r["graph"]), BTreeSet::new()),
            _ => {
                let (mut d, mut u) = (BTreeSet::new(), BTreeSet::new());
                for (i, a) in vars.iter().enumerate() {
                    for b in &vars[i + 1..] {
                        match rng.random_range(0..5) {
                            0 => {
                                d.insert((a.clone(), b.clone()));
                            }
                            1 => {
                                d.insert((b.clone(), a.clone()));
                            }
                            2 if k % 2 == 0 => {
                                u.insert((a.clone(), b.clone()));
                            }
                            _ => {}
                        }
                    }
                }
                (d, u)
            }
        };
        let at = |s: &str| vars.iter().position(|v| v == s).unwrap();
        let member_edges: Vec<(usize, usize)> = named_pairs(&r["graph"])
            .iter()
            .map(|(a, b)| (at(a), at(b)))
            .collect();
        let p = plain(
            &vars,
            &target,
            &answer,
            &Naive::from_edges(vars.len(), &member_edges),
        );
        for (t, x) in total.iter_mut().zip([
            p.shd,
            p.skel[0],
            p.skel[1],
            p.skel[2],
            p.arrow[0],
            p.arrow[1],
            p.arrow[2],
            u64::from(p.fully_directed),
            u64::from(p.member),
        ]) {
            *t += x;
        }
        // The answer written in one of the forms the reader takes.
        let (d, u) = &answer;
        let output = match k % 6 {
            _ if d.is_empty() && u.is_empty() => "no edges".to_string(),
            0 => d.iter().map(|(a, b)| format!("{a} -> {b}")).chain(u.iter().map(|(a, b)| format!("{a} -- {b}"))).collect::<Vec<_>>().join("\n"),
            1 => format!("Thinking: {} -> {} maybe.\nFinal answer:\n{}", vars[0], vars[1], d.iter().map(|(a, b)| format!("- {b} <- {a}")).chain(u.iter().map(|(a, b)| format!("- {a} — {b}"))).collect::<Vec<_>>().join("\n")),
            2 => json!({"directed": d.iter().map(|(a, b)| [a, b]).collect::<Vec<_>>(), "undirected": u.iter().map(|(a, b)| [a, b]).collect::<Vec<_>>()}).to_string(),
            3 => format!("digraph G {{ {} }}", d.iter().map(|(a, b)| format!("{a} -> {b};")).chain(u.iter().map(|(a, b)| format!("{a} -- {b};"))).collect::<String>()),
            4 => format!("```mermaid\ngraph LR\n{}\n```", d.iter().map(|(a, b)| format!("  {a}-->{b}")).chain(u.iter().map(|(a, b)| format!("  {a}---{b}"))).collect::<Vec<_>>().join("\n")),
            _ => format!("```\n{}\n```", d.iter().map(|(a, b)| format!("{a}→{b}")).chain(u.iter().map(|(a, b)| format!("{a} - {b}"))).collect::<Vec<_>>().join("\n")),
        };
        answers.push(json!({"id": r["id"], "output": output}));
    }
    write_lines(&dir.join("answers.jsonl"), &answers);
    let r = score(&dir, &["--bootstrap", "0"]);
    let m = &r["models"][0];
    assert_eq!(m["unparsed"], 0, "{}", m["unparsed_examples"]);
    let c = &m["counts"];
    let got = [
        "shd",
        "skeleton_tp",
        "skeleton_fp",
        "skeleton_fn",
        "arrowhead_tp",
        "arrowhead_fp",
        "arrowhead_fn",
        "fully_directed",
        "member",
    ]
    .map(|k| c[k].as_u64().unwrap());
    assert_eq!(got, total);
    let n = records.len() as f64;
    assert!(close(&m["metrics"]["shd"]["value"], total[0] as f64 / n));
    let f1 = |tp: u64, fp: u64, fn_: u64| 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
    assert!(close(
        &m["metrics"]["skeleton_f1"]["value"],
        f1(total[1], total[2], total[3])
    ));
    assert!(close(
        &m["metrics"]["arrowhead_f1"]["value"],
        f1(total[4], total[5], total[6])
    ));
    assert!(close(
        &m["metrics"]["member"]["value"],
        total[8] as f64 / total[7] as f64
    ));
    // Every target and every member answer is exact / a member: a third of the items at least.
    assert!(m["metrics"]["exact"]["value"].as_f64().unwrap() >= 1.0 / 3.0 - 1e-9);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn several_models_get_a_leaderboard_by_shd_and_paired_comparisons() {
    let dir = temp_dir("graph_score", "leaderboard");
    write_lines(
        &dir.join("items.jsonl"),
        &(0..30)
            .map(|i| {
                item(
                    &format!("i{i}"),
                    &["A", "B", "C"],
                    &[["A", "C"], ["B", "C"]],
                    &[],
                )
            })
            .collect::<Vec<_>>(),
    );
    let answers = |text: &str| -> Vec<Value> {
        (0..30)
            .map(|i| json!({"id": format!("i{i}"), "output": text}))
            .collect()
    };
    write_lines(&dir.join("good.jsonl"), &answers("A -> C\nB -> C"));
    write_lines(&dir.join("bad.jsonl"), &answers("A -- B"));
    let mut formats = Vec::new();
    for format in ["json", "table", "markdown", "html"] {
        let out = corrcause(&[
            "score",
            "--dataset",
            dir.join("items.jsonl").to_str().unwrap(),
            "--predictions",
            dir.join("bad.jsonl").to_str().unwrap(),
            "--predictions",
            dir.join("good.jsonl").to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(out.status.success());
        formats.push(String::from_utf8(out.stdout).unwrap());
    }
    let r: Value = serde_json::from_str(&formats[0]).unwrap();
    assert_eq!(r["models"][0]["name"], "good");
    assert_eq!(r["models"][1]["name"], "bad");
    let c = &r["comparisons"][0];
    assert_eq!(
        (c["a"].as_str(), c["b"].as_str()),
        (Some("good"), Some("bad"))
    );
    assert!(close(&c["shd_difference"]["value"], -3.0));
    assert_eq!(c["only_a_exact"], 30);
    assert_eq!(c["significant"], true);
    assert!(formats[1].contains("SHD (mean)") && formats[1].contains("good"));
    assert!(formats[2].contains("| model |"));
    assert!(formats[3].contains("<svg") && formats[3].contains("SHD by N"));
    std::fs::remove_dir_all(&dir).ok();
}
