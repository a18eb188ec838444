//! The causal core against independent brute force: path enumeration for d-separation, all
//! orientations of all pairs for the labelled DAGs, grouping by patterns for the MECs, and path
//! search for the relations.

mod common;

use common::{all_dags, members, Naive, Pattern};
use corrcause::causal::{Cpdag, IndependenceModel, Relation, RelationCounts};
use corrcause::graph::{Dag, DagSampler, NodeSet, Sampler};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn to_dag(g: &Naive) -> Dag {
    Dag::new(g.n, g.edges()).unwrap()
}

fn check_d_separation(
    g: &Naive,
    dag: &Dag,
    model: Option<&IndependenceModel>,
    zs: impl Fn(usize, usize) -> Vec<u64>,
) -> usize {
    let mut checked = 0;
    for x in 0..g.n {
        for y in x + 1..g.n {
            for z in zs(x, y) {
                let zset = NodeSet(z);
                let naive = !g.d_connected(x, y, &members(g.n, z));
                assert_eq!(
                    dag.is_d_separated(x, y, &zset),
                    naive,
                    "{dag:?} x={x} y={y} z={zset:?}"
                );
                assert_eq!(dag.is_d_separated(y, x, &zset), naive);
                if let Some(m) = model {
                    assert_eq!(
                        m.is_independent(x, y, zset),
                        naive,
                        "{dag:?} x={x} y={y} z={zset:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    checked
}

fn all_subsets_without(n: usize, x: usize, y: usize) -> Vec<u64> {
    (0..1u64 << n)
        .filter(|z| (z >> x) & 1 == 0 && (z >> y) & 1 == 0)
        .collect()
}

#[test]
fn d_separation_matches_path_definition_for_every_dag_up_to_5_nodes() {
    let mut statements = 0;
    for n in 1..=5 {
        for g in all_dags(n) {
            let dag = to_dag(&g);
            let model = IndependenceModel::of(&dag);
            let checked =
                check_d_separation(&g, &dag, Some(&model), |x, y| all_subsets_without(n, x, y));
            assert_eq!(checked, model.num_statements());
            statements += checked;
        }
    }
    // 3*1 + 25*6 + 543*24 + 29281*80 statements.
    assert_eq!(statements, 3 + 150 + 13032 + 2_342_480);
}

#[test]
fn d_separation_matches_path_definition_on_random_dags_up_to_10_nodes() {
    for n in 6..=10 {
        for (k, p) in [0.2, 0.35, 0.5].into_iter().enumerate() {
            let sampler = DagSampler::new(n, Sampler::ErdosRenyi { p }, None).unwrap();
            for i in 0..8u64 {
                let dag = sampler.sample(1000 + k as u64, i);
                let g = Naive::from_edges(n, &dag.edges());
                let model = (n <= 8).then(|| IndependenceModel::of(&dag));
                // Every subset for n <= 8; a seeded spread of subsets beyond.
                check_d_separation(&g, &dag, model.as_ref(), |x, y| {
                    let all = all_subsets_without(n, x, y);
                    if n <= 8 {
                        all
                    } else {
                        all.into_iter().step_by(7).collect()
                    }
                });
            }
        }
    }
}

/// Class ids of each DAG under a grouping key, renumbered by first appearance.
fn classes<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> Vec<usize> {
    let mut ids = HashMap::new();
    keys.map(|k| {
        let next = ids.len();
        *ids.entry(k).or_insert(next)
    })
    .collect()
}

#[test]
fn mec_groupings_agree_for_every_dag_up_to_5_nodes() {
    for (n, expected_mecs) in [(1, 1), (2, 2), (3, 11), (4, 185), (5, 8782)] {
        let dags = all_dags(n);
        let by_model = classes(dags.iter().map(|g| IndependenceModel::of(&to_dag(g))));
        let by_pattern = classes(dags.iter().map(|g| g.pattern()));
        assert_eq!(by_model, by_pattern, "n = {n}");
        let mec_count = by_pattern.iter().max().unwrap() + 1;
        assert_eq!(mec_count, expected_mecs, "n = {n}");

        let mut groups: BTreeMap<usize, BTreeSet<Vec<(usize, usize)>>> = BTreeMap::new();
        for (g, &c) in dags.iter().zip(&by_pattern) {
            groups.entry(c).or_default().insert(g.edges());
        }
        let mut cpdag_of_class: HashMap<usize, Cpdag> = HashMap::new();
        for (g, &c) in dags.iter().zip(&by_pattern) {
            let cpdag = Cpdag::of(&to_dag(g));
            // Every member of a class has the same CPDAG.
            let first = cpdag_of_class.entry(c).or_insert_with(|| cpdag.clone());
            assert_eq!(*first, cpdag);
        }
        for (c, group) in &groups {
            let cpdag = &cpdag_of_class[c];
            let listed: BTreeSet<Vec<(usize, usize)>> =
                cpdag.members().iter().map(|d| d.edges()).collect();
            assert_eq!(&listed, group, "n = {n}, class {c}");
            assert_eq!(cpdag.mec_size(), group.len().into());
            // Compelled edges are exactly those shared by all members, in the same direction.
            let shared: BTreeSet<(usize, usize)> = group
                .iter()
                .map(|e| e.iter().copied().collect::<BTreeSet<_>>())
                .reduce(|a, b| a.intersection(&b).copied().collect())
                .unwrap();
            assert_eq!(
                cpdag.directed_edges().into_iter().collect::<BTreeSet<_>>(),
                shared
            );
        }
        // The packed keys of the library agree with the grouping.
        let packed = corrcause::causal::labelled_mecs(n);
        assert_eq!(packed.len(), expected_mecs);
        let mut sizes: Vec<u64> = groups.values().map(|g| g.len() as u64).collect();
        let mut lib_sizes: Vec<u64> = packed.iter().map(|&(_, s)| s).collect();
        sizes.sort_unstable();
        lib_sizes.sort_unstable();
        assert_eq!(sizes, lib_sizes);
    }
}

#[test]
fn relation_counts_and_labels_match_brute_force_up_to_5_nodes() {
    for n in 2..=5 {
        let dags = all_dags(n);
        let mut groups: BTreeMap<_, Vec<&Naive>> = BTreeMap::new();
        for g in &dags {
            groups.entry(g.pattern()).or_default().push(g);
        }
        for group in groups.values() {
            let counts = RelationCounts::of(&Cpdag::of(&to_dag(group[0])));
            assert_eq!(counts.mec_size, group.len() as u64);
            for x in 0..n {
                for y in x + 1..n {
                    let mut naive = [0u64; 6];
                    for g in group {
                        for (r, holds) in g.relations(x, y).into_iter().enumerate() {
                            naive[r] += u64::from(holds);
                        }
                    }
                    for r in Relation::ALL {
                        assert_eq!(
                            counts.holds(x, y, r),
                            naive[r.index()],
                            "{:?} ({x},{y}) {r}",
                            group[0].edges()
                        );
                        let expected = match naive[r.index()] {
                            0 => "contradiction",
                            k if k == group.len() as u64 => "entailment",
                            _ => "neutral",
                        };
                        assert_eq!(counts.label(x, y, r).as_str(), expected);
                    }
                }
            }
            // And in each DAG on its own.
            for g in group {
                let dag = to_dag(g);
                for x in 0..n {
                    for y in 0..n {
                        if x != y {
                            let naive = g.relations(x, y);
                            for r in Relation::ALL {
                                assert_eq!(dag.relation_holds(r, x, y), naive[r.index()]);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn check_minimal_separators(g: &Naive, dag: &Dag) {
    let n = g.n;
    for x in 0..n {
        for y in x + 1..n {
            let sep = dag.minimal_separator(x, y);
            if g.adjacent(x, y) {
                assert_eq!(sep, None);
                continue;
            }
            let sep = sep.expect("non-adjacent pairs have a separator");
            assert!(
                !g.d_connected(x, y, &members(n, sep.0)),
                "{dag:?} ({x},{y}) {sep:?} does not separate"
            );
            // No proper subset separates.
            for sub in corrcause::graph::subsets(sep) {
                if sub != sep {
                    assert!(
                        g.d_connected(x, y, &members(n, sub.0)),
                        "{dag:?} ({x},{y}): {sub:?} inside {sep:?} separates too"
                    );
                }
            }
        }
    }
}

#[test]
fn minimal_separators_separate_and_are_minimal() {
    for n in 2..=5 {
        for g in all_dags(n) {
            check_minimal_separators(&g, &to_dag(&g));
        }
    }
    for n in 6..=9 {
        let sampler = DagSampler::new(n, Sampler::ErdosRenyi { p: 0.35 }, None).unwrap();
        for i in 0..20 {
            let dag = sampler.sample(77, i);
            check_minimal_separators(&Naive::from_edges(n, &dag.edges()), &dag);
        }
    }
}

/// Re-derives the pattern from a list of independence statements the way the PC algorithm does:
/// a pair is adjacent iff no statement separates it; an unshielded triple `a - c - b` is a
/// collider iff `c` is outside the separating set of `(a, b)`.
fn pattern_from_statements(n: usize, statements: &[corrcause::causal::CiStatement]) -> Pattern {
    let mut sepset: HashMap<(usize, usize), NodeSet> = HashMap::new();
    for s in statements {
        sepset.entry((s.x, s.y)).or_insert(s.given);
    }
    let adjacent = |a: usize, b: usize| !sepset.contains_key(&(a.min(b), a.max(b)));
    let mut skel = vec![];
    for a in 0..n {
        for b in a + 1..n {
            if adjacent(a, b) {
                skel.push((a, b));
            }
        }
    }
    let mut vs = vec![];
    for c in 0..n {
        for a in 0..n {
            for b in a + 1..n {
                if a != c
                    && b != c
                    && adjacent(a, c)
                    && adjacent(b, c)
                    && !adjacent(a, b)
                    && !sepset[&(a, b)].contains(c)
                {
                    vs.push((a, c, b));
                }
            }
        }
    }
    (skel, vs)
}

#[test]
fn compact_forms_determine_the_mec() {
    let check = |g: &Naive, dag: &Dag| {
        let truth = g.pattern();
        let minimal = dag.minimal_independences();
        assert_eq!(
            pattern_from_statements(g.n, &minimal),
            truth,
            "minimal form, {dag:?}"
        );
        let basis = dag.local_markov_pairs();
        for s in &basis {
            assert!(
                !g.d_connected(s.x, s.y, &members(g.n, s.given.0)),
                "basis statement fails"
            );
        }
        assert_eq!(
            pattern_from_statements(g.n, &basis),
            truth,
            "basis form, {dag:?}"
        );
    };
    for n in 2..=5 {
        for g in all_dags(n) {
            check(&g, &to_dag(&g));
        }
    }
    for n in 6..=12 {
        let sampler = DagSampler::new(n, Sampler::ErdosRenyi { p: 0.3 }, None).unwrap();
        for i in 0..20 {
            let dag = sampler.sample(5, i);
            check(&Naive::from_edges(n, &dag.edges()), &dag);
        }
    }
}

/// Upper 0.1% point of the chi-square distribution (Wilson-Hilferty approximation).
fn chi2_critical(df: f64) -> f64 {
    let z = 3.090;
    let h = 2.0 / (9.0 * df);
    df * (1.0 - h + z * h.sqrt()).powi(3)
}

fn chi_square_against_uniform(n: usize, sampler: &DagSampler, draws: u64) -> (f64, f64) {
    let dags = all_dags(n);
    let index: HashMap<Vec<(usize, usize)>, usize> = dags
        .iter()
        .enumerate()
        .map(|(i, g)| (g.edges(), i))
        .collect();
    let mut counts = vec![0u64; dags.len()];
    for i in 0..draws {
        counts[index[&sampler.sample(2024, i).edges()]] += 1;
    }
    let expected = draws as f64 / dags.len() as f64;
    let chi2 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    (chi2, chi2_critical(dags.len() as f64 - 1.0))
}

#[test]
fn uniform_sampler_fits_the_uniform_distribution() {
    for (n, draws) in [(3, 25_000u64), (4, 54_300)] {
        let uniform = DagSampler::new(n, Sampler::Uniform, None).unwrap();
        let (chi2, critical) = chi_square_against_uniform(n, &uniform, draws);
        assert!(chi2 < critical, "n = {n}: chi2 {chi2:.1} >= {critical:.1}");
        // The test has power: Erdos-Renyi over a random order is not uniform over DAGs.
        let er = DagSampler::new(n, Sampler::ErdosRenyi { p: 0.5 }, None).unwrap();
        let (chi2, critical) = chi_square_against_uniform(n, &er, draws);
        assert!(
            chi2 > critical,
            "n = {n}: ER passes as uniform (chi2 {chi2:.1})"
        );
    }
}

#[test]
fn samplers_are_reproducible_across_threads() {
    use rayon::prelude::*;
    let sampler = DagSampler::new(12, Sampler::Uniform, None).unwrap();
    let serial: Vec<_> = (0..64).map(|i| sampler.sample(9, i).edges()).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let parallel: Vec<_> = pool.install(|| {
        (0..64)
            .into_par_iter()
            .map(|i| sampler.sample(9, i).edges())
            .collect()
    });
    assert_eq!(serial, parallel);
}

#[test]
fn labelled_mecs_n6_match_oeis() {
    let mecs = corrcause::causal::labelled_mecs(6);
    assert_eq!(mecs.len(), 1_067_825);
    assert_eq!(mecs.iter().map(|&(_, s)| s).sum::<u64>(), 3_781_503);
}
