//! `generate --task graph` against brute force: each record's target is the CPDAG found by
//! enumerating DAGs and grouping them by their independence model (d-separation by its path
//! definition), for every premise on up to 5 variables and a sample on 6.

mod common;

use common::{all_dags, corrcause, generate_graph, temp_dir, Naive};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

fn generate(dir: &Path, args: &[&str]) -> Vec<Value> {
    generate_graph(dir, args)
}

/// The independence model of `g`: for every pair `x < y` and every set of the other nodes,
/// whether `x` and `y` are d-connected given it.
fn model(g: &Naive) -> Vec<bool> {
    let n = g.n;
    let mut out = Vec::new();
    for x in 0..n {
        for y in x + 1..n {
            for mask in 0u32..1 << n {
                if mask >> x & 1 == 1 || mask >> y & 1 == 1 {
                    continue;
                }
                let z: Vec<bool> = (0..n).map(|v| mask >> v & 1 == 1).collect();
                out.push(g.d_connected(x, y, &z));
            }
        }
    }
    out
}

/// The CPDAG of a set of DAGs (a MEC) by its definition: an edge directed where every member has
/// it that way, undirected where members have it both ways. In node indices, sorted.
type Marks = (BTreeSet<(usize, usize)>, BTreeSet<(usize, usize)>);

fn cpdag_of(members: &[&Naive]) -> Marks {
    let n = members[0].n;
    let (mut directed, mut undirected) = (BTreeSet::new(), BTreeSet::new());
    for a in 0..n {
        for b in 0..n {
            if members.iter().all(|g| g.adj[a][b]) {
                directed.insert((a, b));
            } else if a < b
                && members.iter().any(|g| g.adj[a][b])
                && members.iter().any(|g| g.adj[b][a])
            {
                undirected.insert((a, b));
            }
        }
    }
    (directed, undirected)
}

/// A record's graph (one member) and target, in node indices by its `variables`.
fn read_record(r: &Value) -> (Naive, Marks) {
    let names: Vec<&str> = r["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let at = |v: &Value| {
        names
            .iter()
            .position(|n| *n == v.as_str().unwrap())
            .unwrap()
    };
    let pairs = |v: &Value| -> Vec<(usize, usize)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| (at(&e[0]), at(&e[1])))
            .collect()
    };
    let graph = Naive::from_edges(names.len(), &pairs(&r["graph"]));
    let directed = pairs(&r["target"]["directed"]).into_iter().collect();
    let undirected = pairs(&r["target"]["undirected"])
        .into_iter()
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect();
    // Each list is sorted by name, and an undirected pair is in name order.
    for key in ["directed", "undirected"] {
        let list: Vec<(String, String)> = r["target"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].to_string(), e[1].to_string()))
            .collect();
        let mut sorted = list.clone();
        sorted.sort();
        assert_eq!(list, sorted, "{key} of {}", r["id"]);
        if key == "undirected" {
            assert!(list.iter().all(|(a, b)| a < b));
        }
    }
    (graph, (directed, undirected))
}

#[test]
fn targets_are_the_brute_force_cpdag_for_every_premise_up_to_5_variables() {
    let dir = temp_dir("graph_task", "exhaustive");
    let records = generate(
        &dir,
        &[
            "--preset",
            "corr2cause-v2",
            "--nodes",
            "2..=5",
            "--names",
            "reversed",
        ],
    );
    assert!(records.len() > 100);
    let mut by_n: HashMap<usize, HashMap<Vec<bool>, Vec<Naive>>> = HashMap::new();
    for r in &records {
        assert_eq!(r["task"], "graph");
        let (graph, target) = read_record(r);
        let n = graph.n;
        assert_eq!(r["num_variables"], n);
        let classes = by_n.entry(n).or_insert_with(|| {
            let mut m: HashMap<Vec<bool>, Vec<Naive>> = HashMap::new();
            for g in all_dags(n) {
                m.entry(model(&g)).or_default().push(g);
            }
            m
        });
        let class: Vec<&Naive> = classes[&model(&graph)].iter().collect();
        assert_eq!(cpdag_of(&class), target, "{}", r["id"]);
        assert_eq!(r["mec_size"], class.len(), "{}", r["id"]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The MEC of `g` among the orientations of its skeleton (Markov-equivalent DAGs share a
/// skeleton, as the exhaustive test above confirms up to 5 variables), by independence model.
fn class_by_orientation(g: &Naive) -> Vec<Naive> {
    let n = g.n;
    let target = model(g);
    let skeleton: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .filter(|&(a, b)| g.adjacent(a, b))
        .collect();
    let mut out = Vec::new();
    for code in 0u32..1 << skeleton.len() {
        let edges: Vec<(usize, usize)> = skeleton
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| if code >> i & 1 == 1 { (b, a) } else { (a, b) })
            .collect();
        let h = Naive::from_edges(n, &edges);
        if h.is_acyclic() && model(&h) == target {
            out.push(h);
        }
    }
    out
}

#[test]
fn targets_are_the_brute_force_cpdag_on_6_variables_with_every_naming() {
    for (naming, premise) in [
        ("words", "minimal"),
        ("shuffled", "all"),
        ("letters", "basis"),
    ] {
        let dir = temp_dir("graph_task", naming);
        let records = generate(
            &dir,
            &[
                "--graphs",
                "random",
                "--nodes",
                "6",
                "--per-n",
                "25",
                "--edge-prob",
                "0.5",
                "--names",
                naming,
                "--premise",
                premise,
                "--splits",
                "none",
            ],
        );
        assert_eq!(records.len(), 25);
        for r in &records {
            assert_eq!(r["names"], naming);
            assert_eq!(r["premise_form"], premise);
            let (graph, target) = read_record(r);
            let class = class_by_orientation(&graph);
            let refs: Vec<&Naive> = class.iter().collect();
            assert_eq!(cpdag_of(&refs), target, "{}", r["id"]);
            assert_eq!(r["mec_size"], class.len(), "{}", r["id"]);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn graph_items_refuse_hypothesis_options_and_csv() {
    let dir = temp_dir("graph_task", "refused");
    for args in [
        vec!["--balance", "per-relation"],
        vec!["--relations", "parent"],
        vec!["--style", "paraphrased"],
        vec!["--format", "csv"],
        vec![
            "--semantics",
            "released",
            "--preset",
            "corr2cause-v2-released",
        ],
    ] {
        let mut all = vec![
            "generate",
            "--task",
            "graph",
            "--out",
            dir.to_str().unwrap(),
        ];
        all.extend_from_slice(&args);
        let out = corrcause(&all);
        assert!(!out.status.success(), "{args:?} should be refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--"),
            "{args:?}: the error names the option"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn shards_of_graph_items_concatenate_to_the_whole() {
    let dir = temp_dir("graph_task", "shards");
    let whole = dir.join("whole");
    let args = ["--nodes", "5..=6", "--per-n", "20", "--graphs", "random"];
    generate(&whole, &args);
    let mut parts = Vec::new();
    for k in 0..3 {
        let part = dir.join(format!("part{k}"));
        let shard = format!("{k}/3");
        let mut a = args.to_vec();
        a.extend(["--shard", shard.as_str()]);
        generate(&part, &a);
        parts.push(part);
    }
    let merged = dir.join("merged");
    let mut m = vec!["merge".to_string()];
    m.extend(parts.iter().map(|p| p.to_str().unwrap().to_string()));
    m.extend(["--out".to_string(), merged.to_str().unwrap().to_string()]);
    let refs: Vec<&str> = m.iter().map(String::as_str).collect();
    let out = corrcause(&refs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for split in ["train", "dev", "test"] {
        let name = format!("{split}.jsonl");
        assert_eq!(
            std::fs::read(whole.join(&name)).unwrap(),
            std::fs::read(merged.join(&name)).unwrap(),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
