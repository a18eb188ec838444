//! `Depths` (what decides a label) against its definition, by brute force for every MEC of every
//! labelled DAG on up to 5 nodes: the ladder is rebuilt here with a naive Meek closure, the DAGs
//! consistent with each rung are all acyclic orientations of the skeleton that agree with its
//! directed edges (2^edges candidates each), and relations are found by path search.

mod common;

use common::{all_dags, Naive, Pattern};
use corrcause::causal::{Depth, Depths, Relation};
use corrcause::graph::Dag;
use std::collections::BTreeMap;

/// A partially directed graph as matrices.
#[derive(Clone, PartialEq)]
struct Pd {
    n: usize,
    dir: Vec<Vec<bool>>,
    adj: Vec<Vec<bool>>,
}

impl Pd {
    fn und(&self, a: usize, b: usize) -> bool {
        self.adj[a][b] && !self.dir[a][b] && !self.dir[b][a]
    }

    /// The first rule (1, 2, 3) of `rules` that orients `a - b` as `a -> b`, 0 if none.
    fn rule(&self, a: usize, b: usize, rules: &[u8]) -> u8 {
        let n = self.n;
        if rules.contains(&1) && (0..n).any(|c| self.dir[c][a] && !self.adj[c][b] && c != b) {
            return 1;
        }
        if rules.contains(&2) && (0..n).any(|c| self.dir[a][c] && self.dir[c][b]) {
            return 2;
        }
        if rules.contains(&3) {
            for c in 0..n {
                for d in 0..n {
                    if c != d
                        && self.und(a, c)
                        && self.und(a, d)
                        && self.dir[c][b]
                        && self.dir[d][b]
                        && !self.adj[c][d]
                    {
                        return 3;
                    }
                }
            }
        }
        0
    }

    /// Closes under `rules`; returns the rules that oriented an edge.
    fn close(&mut self, rules: &[u8]) -> Vec<u8> {
        let mut fired = vec![];
        loop {
            let mut changed = false;
            for a in 0..self.n {
                for b in 0..self.n {
                    if self.und(a, b) {
                        let r = self.rule(a, b, rules);
                        if r != 0 {
                            self.dir[a][b] = true;
                            fired.push(r);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                fired.sort_unstable();
                fired.dedup();
                return fired;
            }
        }
    }
}

/// The depth of every `(x, y, relation)`, `x < y`, by the definition, for every MEC on `n` nodes:
/// MEC pattern -> (members, `depth[pair][relation]` with `propagation[1, 3]` naming the rules).
fn expected_depths(n: usize) -> BTreeMap<Pattern, (Vec<Naive>, Vec<Vec<String>>)> {
    let mut groups: BTreeMap<Pattern, Vec<Naive>> = BTreeMap::new();
    for g in all_dags(n) {
        groups.entry(g.pattern()).or_default().push(g);
    }
    let mut out = BTreeMap::new();
    for ((skeleton, vstructs), group) in groups {
        // The ladder: skeleton, v-structures, R1, R1+R2, R1+R2+R3 closures.
        let mut pd = Pd {
            n,
            dir: vec![vec![false; n]; n],
            adj: vec![vec![false; n]; n],
        };
        for &(a, b) in &skeleton {
            pd.adj[a][b] = true;
            pd.adj[b][a] = true;
        }
        let mut ladder: Vec<(Pd, Option<Vec<u8>>)> = vec![(pd.clone(), None)];
        for &(a, c, b) in &vstructs {
            pd.dir[a][c] = true;
            pd.dir[b][c] = true;
        }
        ladder.push((pd.clone(), None));
        let mut fired = vec![];
        for rules in [&[1u8][..], &[1, 2], &[1, 2, 3]] {
            fired.extend(pd.close(rules));
            fired.sort_unstable();
            fired.dedup();
            ladder.push((pd.clone(), Some(fired.clone())));
        }
        // The consistent DAGs of each rung.
        let consistent: Vec<Vec<Naive>> = ladder
            .iter()
            .map(|(rung, _)| {
                (0..1u32 << skeleton.len())
                    .filter_map(|code| {
                        let edges: Vec<(usize, usize)> = skeleton
                            .iter()
                            .enumerate()
                            .map(|(i, &(a, b))| if code >> i & 1 == 1 { (b, a) } else { (a, b) })
                            .collect();
                        let g = Naive::from_edges(n, &edges);
                        let agrees = edges.iter().all(|&(a, b)| !rung.dir[b][a]);
                        (agrees && g.is_acyclic()).then_some(g)
                    })
                    .collect()
            })
            .collect();
        let mut depths = vec![];
        for x in 0..n {
            for y in x + 1..n {
                let mut row = vec![];
                for r in Relation::ALL {
                    let i = r.index();
                    let holds = group.iter().filter(|g| g.relations(x, y)[i]).count();
                    row.push(if holds != 0 && holds != group.len() {
                        "ambiguous".to_string()
                    } else {
                        let answer = holds == group.len();
                        match (0..ladder.len())
                            .find(|&k| consistent[k].iter().all(|g| g.relations(x, y)[i] == answer))
                        {
                            Some(0) => "skeleton".to_string(),
                            Some(1) => "colliders".to_string(),
                            Some(k) => format!("propagation{:?}", ladder[k].1.as_ref().unwrap()),
                            None => "equivalence".to_string(),
                        }
                    });
                }
                depths.push(row);
            }
        }
        out.insert((skeleton, vstructs), (group, depths));
    }
    out
}

/// A depth as [`expected_depths`] writes it, from its name and Meek rule names.
fn depth_string(depth: &str, meek: &[&str]) -> String {
    match depth {
        "propagation" => format!(
            "propagation{:?}",
            meek.iter()
                .map(|m| m[1..].parse::<u8>().unwrap())
                .collect::<Vec<_>>()
        ),
        d => d.to_string(),
    }
}

#[test]
fn depth_matches_the_ladder_definition_for_every_mec_up_to_5_nodes() {
    let mut seen = BTreeMap::new();
    for n in 2..=5 {
        for (group, expected) in expected_depths(n).values() {
            let rep = &group[0];
            let depths = Depths::of(&Dag::new(n, rep.edges()).unwrap());
            let mut k = 0;
            for x in 0..n {
                for y in x + 1..n {
                    for r in Relation::ALL {
                        let got = depths.get(x, y, r);
                        let got = depth_string(got.as_str(), &got.meek());
                        let want = &expected[k][r.index()];
                        assert_eq!(&got, want, "{:?} ({x},{y}) {r}", rep.edges());
                        *seen.entry(want.clone()).or_insert(0u64) += 1;
                    }
                    k += 1;
                }
            }
        }
    }
    // Every rung occurs, so the check covers each branch.
    for depth in ["skeleton", "colliders", "equivalence", "ambiguous"] {
        assert!(
            seen.get(depth).copied().unwrap_or(0) > 0,
            "{depth}: {seen:?}"
        );
    }
    assert!(
        seen.keys().any(|k| k.starts_with("propagation")),
        "{seen:?}"
    );
}

/// The records `generate` writes carry the depth of their own pair (names shuffled, so a mix-up
/// of indices and names would show), and `--depth` keeps exactly the items of those depths.
#[test]
fn generated_records_carry_the_brute_force_depth() {
    let dir = common::temp_dir("depth", "records");
    let expected: BTreeMap<usize, _> = (2..=4).map(|n| (n, expected_depths(n))).collect();
    let mut all = 0;
    for filter in [None, Some("colliders,propagation")] {
        let out_dir = dir.join(filter.unwrap_or("all"));
        let mut args = vec![
            "generate",
            "--preset",
            "corr2cause-v2",
            "--nodes",
            "2..=4",
            "--names",
            "shuffled",
            "--splits",
            "none",
            "--out",
            out_dir.to_str().unwrap(),
        ];
        if let Some(f) = filter {
            args.extend(["--depth", f]);
        }
        let out = common::corrcause(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(out_dir.join("items.jsonl")).unwrap();
        let mut count = 0;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let n = v["num_variables"].as_u64().unwrap() as usize;
            let mut names: Vec<String> = vec![];
            let mut edges = vec![];
            let premise_names = |s: &str, names: &mut Vec<String>| -> usize {
                match names.iter().position(|m| m == s) {
                    Some(i) => i,
                    None => {
                        names.push(s.to_string());
                        names.len() - 1
                    }
                }
            };
            for e in v["graph"].as_array().unwrap() {
                let a = premise_names(e[0].as_str().unwrap(), &mut names);
                let b = premise_names(e[1].as_str().unwrap(), &mut names);
                edges.push((a, b));
            }
            let x = premise_names(v["x"].as_str().unwrap(), &mut names);
            let y = premise_names(v["y"].as_str().unwrap(), &mut names);
            // Any further nodes are isolated; number them after.
            assert!(names.len() <= n);
            let g = Naive::from_edges(n, &edges);
            let (_, depths) = &expected[&n][&g.pattern()];
            let relation: Relation = v["relation"].as_str().unwrap().parse().unwrap();
            // Depths are per (x < y); a claim about (y, x) is the mirrored relation.
            let (lo, hi, r) = if x < y {
                (x, y, relation)
            } else {
                let mirrored = match relation {
                    Relation::Parent => Relation::Child,
                    Relation::Child => Relation::Parent,
                    Relation::NonParentAncestor => Relation::NonChildDescendant,
                    Relation::NonChildDescendant => Relation::NonParentAncestor,
                    r => r,
                };
                (y, x, mirrored)
            };
            let k = (0..lo).map(|i| n - 1 - i).sum::<usize>() + (hi - lo - 1);
            let meek: Vec<&str> = v["meek"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            let got = depth_string(v["depth"].as_str().unwrap(), &meek);
            assert_eq!(got, depths[k][r.index()], "{line}");
            if let Some(f) = filter {
                assert!(f.split(',').any(|d| d == v["depth"].as_str().unwrap()));
            }
            count += 1;
        }
        match filter {
            None => all = count,
            Some(_) => assert!(count > 0 && count < all),
        }
    }
}

/// A reader that sees only the skeleton (every acyclic orientation of it is a possible truth)
/// answers "valid" iff the claim holds in all of them and "invalid" iff in none; it is right on
/// every `skeleton` item and can say nothing definite about any other.
#[test]
fn a_skeleton_reader_decides_exactly_the_skeleton_items() {
    for n in 2..=4 {
        let mut groups: BTreeMap<_, Vec<Naive>> = BTreeMap::new();
        for g in all_dags(n) {
            groups.entry(g.pattern()).or_default().push(g);
        }
        let mut by_skeleton: BTreeMap<Vec<(usize, usize)>, Vec<Naive>> = BTreeMap::new();
        for g in all_dags(n) {
            by_skeleton.entry(g.pattern().0).or_default().push(g);
        }
        for ((skeleton, _), group) in &groups {
            let orientations = &by_skeleton[skeleton];
            let depths = Depths::of(&Dag::new(n, group[0].edges()).unwrap());
            for x in 0..n {
                for y in x + 1..n {
                    for r in Relation::ALL {
                        let i = r.index();
                        let some = orientations.iter().any(|g| g.relations(x, y)[i]);
                        let all = orientations.iter().all(|g| g.relations(x, y)[i]);
                        let reader_sure = !some || all;
                        let label = group.iter().all(|g| g.relations(x, y)[i]);
                        if depths.get(x, y, r) == Depth::Skeleton {
                            assert!(reader_sure && all == label);
                        } else {
                            assert!(!reader_sure);
                        }
                    }
                }
            }
        }
    }
}
