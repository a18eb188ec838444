//! Corr2Cause's exhaustive construction: one premise per MEC up to isomorphism, N <= 7, in the
//! original pipeline's order, under either semantics.
//!
//! Representatives (smallest masks of the isomorphism classes) are visited in increasing mask
//! order. One emits its MEC unless some member of that MEC is a relabelling of a representative
//! already covered; after emitting, the representatives of all its members are covered. `mec_id`
//! counts emissions within N from 0.
//!
//! [`Semantics::Released`] reproduces the published v2 data, including the original program's
//! three defects (see `../shared/spec/corr2cause-v2.md`):
//! 1. a member `sigma(G2)` (with `sigma` the lexicographically first permutation that produces it
//!    from its representative `G2`) contributes `G2`'s relation for `(sigma[i], sigma[j])` to the
//!    pair `(i, j)`, where `sigma^-1` is right;
//! 2. "has confounder" holds only for some `c -> y` (the later variable) with `c ~> x` avoiding `y`;
//! 3. descendant sets come from a search that tests whether node `i + 1` (not `i`) was visited, so
//!    colliders may be wrongly closed; MEC membership compares the relabelled (defective) lists of
//!    independences of the representatives.
//!
//! [`Semantics::Intended`] uses correct d-separation, MECs and relations.

use crate::causal::relations::relations_in;
use crate::causal::{
    mec_from_independences, CiStatement, Coverage, Cpdag, IndependenceModel, RelationCounts,
};
use crate::graph::enumerate::{canonical_mask, dag_from_mask, unlabelled_masks};
use crate::graph::{Dag, NodeSet};
use std::collections::{HashMap, HashSet};

/// Whose labels: the published release's, or correct ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Semantics {
    /// Correct d-separation, MECs and relations.
    Intended,
    /// The original program's, defects included, to regenerate the published data exactly.
    Released,
}

/// One emitted premise of the exhaustive construction.
#[derive(Clone, Debug)]
pub struct ExhaustiveMec {
    /// Emission index within `n`, from 0.
    pub mec_id: usize,
    /// The emitting representative (all edges from lower to higher index).
    pub representative: Dag,
    /// The statements of its premise (Corr2Cause's order), as the semantics computes them.
    pub statements: Vec<CiStatement>,
    /// The members as the semantics finds them, sorted by edge list.
    pub members: Vec<Dag>,
    /// `holds[pair][relation]`: members in which the relation holds (as the semantics counts),
    /// pairs `x < y` row by row.
    pub holds: Vec<[u64; 6]>,
}

impl ExhaustiveMec {
    /// Number of members as counted.
    pub fn size(&self) -> u64 {
        self.members.len() as u64
    }
}

/// Every premise of Corr2Cause's construction on `n <= 7` nodes, in emission order.
pub fn exhaustive_mecs(n: usize, semantics: Semantics) -> Vec<ExhaustiveMec> {
    assert!(
        (1..=7).contains(&n),
        "the exhaustive construction supports 1 <= n <= 7"
    );
    let masks = unlabelled_masks(n);
    let reps: Vec<Dag> = masks.iter().map(|&m| dag_from_mask(n, m)).collect();
    let index: HashMap<u64, usize> = masks.iter().enumerate().map(|(i, &m)| (m, i)).collect();
    match semantics {
        Semantics::Intended => intended(&reps, &index),
        Semantics::Released => released(n, &reps, &index),
    }
}

fn intended(reps: &[Dag], index: &HashMap<u64, usize>) -> Vec<ExhaustiveMec> {
    use rayon::prelude::*;
    // In emission order, a representative not yet covered emits its MEC unless a member's
    // representative is covered already. The MECs of a block of representatives are listed on
    // every core first; the choices are then made in order, as one thread would make them.
    let mut covered = vec![false; reps.len()];
    let mut chosen: Vec<(usize, Cpdag, Vec<Dag>)> = Vec::new();
    let block = 8 * rayon::current_num_threads();
    for start in (0..reps.len()).step_by(block) {
        let end = (start + block).min(reps.len());
        let listed: Vec<(usize, Cpdag, Vec<Dag>, Vec<usize>)> = (start..end)
            .filter(|&g| !covered[g])
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|g| {
                let cpdag = Cpdag::of(&reps[g]);
                let members = cpdag.members();
                let member_reps = members.iter().map(|m| index[&canonical_mask(m)]).collect();
                (g, cpdag, members, member_reps)
            })
            .collect();
        for (g, cpdag, members, member_reps) in listed {
            if covered[g] || member_reps.iter().any(|&r| covered[r]) {
                continue;
            }
            for r in member_reps {
                covered[r] = true;
            }
            chosen.push((g, cpdag, members));
        }
    }
    chosen
        .into_par_iter()
        .enumerate()
        .map(|(mec_id, (g, cpdag, members))| {
            let rep = &reps[g];
            let counts = RelationCounts::of(&cpdag);
            let n = rep.n();
            let holds = (0..n)
                .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
                .map(|(x, y)| crate::causal::Relation::ALL.map(|r| counts.holds(x, y, r)))
                .collect();
            ExhaustiveMec {
                mec_id,
                representative: rep.clone(),
                statements: IndependenceModel::of(rep).independences(),
                members,
                holds,
            }
        })
        .collect()
}

/// A labelled DAG as the original program found it: `sigma(reps[rep])`.
#[derive(Clone)]
struct FoundMember {
    dag: Dag,
    rep: usize,
    sigma: Vec<usize>,
}

fn released(n: usize, reps: &[Dag], index: &HashMap<u64, usize>) -> Vec<ExhaustiveMec> {
    let models: Vec<IndependenceModel> = reps.iter().map(original_model).collect();
    let buggy: Vec<bool> = reps
        .iter()
        .zip(&models)
        .map(|(r, m)| *m != IndependenceModel::of(r))
        .collect();
    let relations: Vec<Vec<u8>> = reps.iter().map(original_relations).collect();
    // Labelled DAGs from representatives whose defective model differs from the true one, keyed
    // by their relabelled defective model (the key the original compares).
    let mut found_by_model: HashMap<IndependenceModel, Vec<FoundMember>> = HashMap::new();
    for (r, rep) in reps.iter().enumerate().filter(|&(r, _)| buggy[r]) {
        let mut seen = HashSet::new();
        for sigma in permutations_lex(n) {
            let dag = rep.relabel(&sigma);
            if seen.insert(dag.parent_sets().to_vec()) {
                found_by_model
                    .entry(models[r].relabel(&sigma))
                    .or_default()
                    .push(FoundMember { dag, rep: r, sigma });
            }
        }
    }
    let mut covered = vec![false; reps.len()];
    let mut out = Vec::new();
    for (g, rep) in reps.iter().enumerate() {
        if covered[g] {
            continue;
        }
        let model = &models[g];
        let mut members: Vec<FoundMember> = Vec::new();
        // Members from faithful representatives: the labelled DAGs whose true model is `model`.
        let class = if buggy[g] {
            mec_from_independences(n, &model.independences(), Coverage::Complete).ok()
        } else {
            Some(Cpdag::of(rep))
        };
        if let Some(class) = class {
            for dag in class.members() {
                let r = index[&canonical_mask(&dag)];
                if !buggy[r] {
                    let sigma = first_isomorphism(&reps[r], &dag).expect("same class");
                    members.push(FoundMember { dag, rep: r, sigma });
                }
            }
        }
        if let Some(list) = found_by_model.get(model) {
            members.extend(list.iter().cloned());
        }
        if members.iter().any(|m| covered[m.rep]) {
            continue;
        }
        for m in &members {
            covered[m.rep] = true;
        }
        let mut holds = vec![[0u64; 6]; n * (n - 1) / 2];
        for m in &members {
            let rel = &relations[m.rep];
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    let bits = rel[m.sigma[i] * n + m.sigma[j]];
                    for (r, h) in holds[k].iter_mut().enumerate() {
                        *h += u64::from(bits >> r & 1);
                    }
                    k += 1;
                }
            }
        }
        let mut dags: Vec<Dag> = members.into_iter().map(|m| m.dag).collect();
        dags.sort_by_cached_key(|d| d.edges());
        out.push(ExhaustiveMec {
            mec_id: out.len(),
            representative: rep.clone(),
            statements: model.independences(),
            members: dags,
            holds,
        });
    }
    out
}

/// Permutations of `0..n` in lexicographic order (`sigma[k]` = new label of node `k`).
fn permutations_lex(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(n);
    fn rec(n: usize, used: &mut Vec<bool>, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == n {
            out.push(current.clone());
            return;
        }
        for v in 0..n {
            if !used[v] {
                used[v] = true;
                current.push(v);
                rec(n, used, current, out);
                current.pop();
                used[v] = false;
            }
        }
    }
    rec(n, &mut vec![false; n], &mut current, &mut out);
    out
}

/// The lexicographically first `sigma` with `sigma(from) == to`, if the graphs are isomorphic.
fn first_isomorphism(from: &Dag, to: &Dag) -> Option<Vec<usize>> {
    fn rec(k: usize, from: &Dag, to: &Dag, sigma: &mut Vec<usize>, used: &mut NodeSet) -> bool {
        let n = from.n();
        if k == n {
            return true;
        }
        for v in 0..n {
            if used.contains(v) {
                continue;
            }
            let fits = (0..k).all(|j| {
                from.has_edge(j, k) == to.has_edge(sigma[j], v)
                    && from.has_edge(k, j) == to.has_edge(v, sigma[j])
            });
            if fits && from.parents(k).len() == to.parents(v).len() {
                sigma.push(v);
                used.insert(v);
                if rec(k + 1, from, to, sigma, used) {
                    return true;
                }
                sigma.pop();
                used.remove(v);
            }
        }
        false
    }
    let mut sigma = Vec::with_capacity(from.n());
    let mut used = NodeSet::EMPTY;
    rec(0, from, to, &mut sigma, &mut used).then_some(sigma)
}

/// Descendant sets (each node included) as the original search finds them: before recursing into
/// child `i` it tests whether node `i + 1` was visited.
fn original_descendants(dag: &Dag) -> Vec<NodeSet> {
    fn visit(dag: &Dag, v: usize, seen: &mut u128) {
        *seen |= 1 << v;
        for c in dag.children(v) {
            if (*seen >> (c + 1)) & 1 == 0 {
                visit(dag, c, seen);
            }
        }
    }
    (0..dag.n())
        .map(|v| {
            let mut seen = 0u128;
            visit(dag, v, &mut seen);
            NodeSet(seen as u64)
        })
        .collect()
}

/// The independences the original program lists for a DAG: simple paths, with a collider open
/// when its (defective) descendant set meets the conditioning set.
fn original_model(dag: &Dag) -> IndependenceModel {
    let n = dag.n();
    let descendants = original_descendants(dag);
    let faithful = (0..n).all(|v| descendants[v] == dag.descendant_closure(NodeSet::single(v)));
    if faithful {
        return IndependenceModel::of(dag);
    }
    let mut statements = Vec::new();
    for x in 0..n {
        for y in x + 1..n {
            let paths = simple_paths(dag, x, y);
            let others = dag.nodes().without(x).without(y);
            for z in crate::graph::subsets(others) {
                let open = paths.iter().any(|&(nodes, colliders)| {
                    !(nodes - colliders).intersects(z)
                        && colliders.iter().all(|c| descendants[c].intersects(z))
                });
                if !open {
                    statements.push(CiStatement::new(x, y, z));
                }
            }
        }
    }
    IndependenceModel::from_statements(n, &statements)
}

/// Every simple path from `x` to `y` in the skeleton: its nodes and its colliders.
fn simple_paths(dag: &Dag, x: usize, y: usize) -> Vec<(NodeSet, NodeSet)> {
    fn walk(
        dag: &Dag,
        at: usize,
        y: usize,
        nodes: NodeSet,
        colliders: NodeSet,
        entered_forward: bool,
        out: &mut Vec<(NodeSet, NodeSet)>,
    ) {
        if at == y {
            out.push((nodes, colliders));
            return;
        }
        for next in dag.neighbours(at) - nodes {
            if dag.has_edge(at, next) {
                walk(dag, next, y, nodes.with(next), colliders, true, out);
            } else {
                let colliders = if entered_forward {
                    colliders.with(at)
                } else {
                    colliders
                };
                walk(dag, next, y, nodes.with(next), colliders, false, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        dag,
        x,
        y,
        NodeSet::single(x),
        NodeSet::EMPTY,
        false,
        &mut out,
    );
    out
}

/// The original program's relations for every ordered pair `(x, y)`, at `x * n + y`, as bits over
/// [`crate::causal::Relation::index`]; only "has confounder" differs from the true relations.
fn original_relations(dag: &Dag) -> Vec<u8> {
    let n = dag.n();
    let mut out = vec![0u8; n * n];
    for x in 0..n {
        for y in 0..n {
            if x == y {
                continue;
            }
            let mut bits = relations_in(dag.parent_sets(), dag.child_sets(), x, y) & 0b01_1111;
            let confounded = dag.parents(y).without(x).iter().any(|c| {
                // c -> y directly, and c ~> x along a directed path that avoids y.
                let mut seen = NodeSet::single(c);
                let mut todo = seen;
                while let Some(v) = todo.first() {
                    todo.remove(v);
                    let next = dag.children(v) - seen - NodeSet::single(y);
                    seen |= next;
                    todo |= next;
                }
                seen.contains(x)
            });
            if confounded {
                bits |= 1 << 5;
            }
            out[x * n + y] = bits;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premise_counts_per_n() {
        let intended: Vec<usize> = (2..=5)
            .map(|n| exhaustive_mecs(n, Semantics::Intended).len())
            .collect();
        assert_eq!(intended, [2, 5, 20, 142]);
        let released: Vec<usize> = (2..=5)
            .map(|n| exhaustive_mecs(n, Semantics::Released).len())
            .collect();
        assert_eq!(released, [2, 5, 20, 142]);
    }

    #[test]
    fn the_mecs_emitted_do_not_depend_on_the_thread_count() {
        // (emission id, representative's edges, relation counts) of every MEC.
        type Key = (usize, Vec<(usize, usize)>, Vec<[u64; 6]>);
        let key = |mecs: Vec<ExhaustiveMec>| -> Vec<Key> {
            mecs.into_iter()
                .map(|m| (m.mec_id, m.representative.edges(), m.holds))
                .collect()
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| key(exhaustive_mecs(6, Semantics::Intended)))
        };
        let one = on(1);
        assert_eq!(one.len(), 2_201); // the published data's premises at N = 6
        assert_eq!(one, on(3));
    }

    #[test]
    fn spec_example_of_defective_descendants() {
        // 1->3, 2->3, 3->4, 3->5, 4->6, 5->6 (1-based): desc(3) = {3,4,6}, missing 5.
        let g = Dag::new(6, [(0, 2), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5)]).unwrap();
        assert_eq!(original_descendants(&g)[2].to_vec(), vec![2, 3, 5]);
        assert_ne!(original_model(&g), IndependenceModel::of(&g));
    }

    #[test]
    fn first_isomorphism_is_lexicographically_first() {
        let g = Dag::new(3, []).unwrap();
        assert_eq!(first_isomorphism(&g, &g), Some(vec![0, 1, 2]));
        let chain = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let target = Dag::new(3, [(2, 0), (0, 1)]).unwrap();
        assert_eq!(first_isomorphism(&chain, &target), Some(vec![2, 0, 1]));
        assert_eq!(target, chain.relabel(&[2, 0, 1]));
    }
}
