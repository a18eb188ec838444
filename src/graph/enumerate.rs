//! Exhaustive enumeration: every labelled DAG on `n` nodes, and every DAG up to isomorphism.
//!
//! Unlabelled DAGs use Corr2Cause's encoding: a DAG whose topological order is `0 < 1 < ... < n-1`
//! is a bitmask over the pairs `i < j` numbered row by row (`(0,1)` is bit 0, `(0,2)` bit 1, ...,
//! `(0,n-1)` bit `n-2`, `(1,2)` bit `n-1`, ...); a set bit means `i -> j`. The representative of an
//! isomorphism class is its smallest mask, and classes are listed in increasing representative order.

use super::dag::Dag;
use super::nodeset::NodeSet;

/// Largest `n` for which [`for_each_labelled_dag`] is allowed (OEIS A003024: 1,138,779,265 at 7).
pub const MAX_LABELLED_N: usize = 7;
/// Largest `n` for which [`unlabelled_dags`] is allowed (2^21 masks at 7).
pub const MAX_UNLABELLED_N: usize = 7;

/// Checks that every DAG on `n` nodes can be listed (`labelled`) or counted (`count_only`) in
/// reasonable time and memory: up to 7 nodes up to isomorphism, 6 labelled, 7 labelled counted.
pub fn check_nodes(n: usize, labelled: bool, count_only: bool) -> Result<(), String> {
    let max = match (labelled, count_only) {
        (false, _) => MAX_UNLABELLED_N,
        (true, false) => 6,
        (true, true) => MAX_LABELLED_N,
    };
    if n > max {
        return Err(format!(
            "graph enumerate{} supports --nodes up to {max}, got {n}",
            if labelled { " --labelled" } else { "" }
        ));
    }
    Ok(())
}

/// Calls `f` with the parent sets of every labelled DAG on nodes `0..n`, each exactly once.
///
/// Node `k` is added to every DAG on `0..k` with every parent set `P` and every child set `C` that
/// holds no ancestor of `P` (so no cycle closes); removing node `k` recovers `(G, P, C)`, hence no
/// DAG is produced twice. The slice passed to `f` is reused between calls.
pub fn for_each_labelled_dag(n: usize, mut f: impl FnMut(&[NodeSet])) {
    assert!(
        n <= MAX_LABELLED_N,
        "labelled enumeration supports n <= {MAX_LABELLED_N}"
    );
    let mut parents = vec![NodeSet::EMPTY; n];
    extend_labelled(&mut parents, 0, &mut f);
}

/// Like [`for_each_labelled_dag`], but only over DAGs whose restriction to nodes `0..k` is `prefix`
/// (a DAG on `k` nodes given by parent sets). The prefixes of one `k` partition all DAGs, which lets
/// callers split the enumeration across threads.
pub fn for_each_labelled_dag_extending(
    n: usize,
    prefix: &[NodeSet],
    mut f: impl FnMut(&[NodeSet]),
) {
    assert!(n <= MAX_LABELLED_N && prefix.len() <= n);
    let mut parents = vec![NodeSet::EMPTY; n];
    parents[..prefix.len()].copy_from_slice(prefix);
    extend_labelled(&mut parents, prefix.len(), &mut f);
}

fn extend_labelled(parents: &mut [NodeSet], k: usize, f: &mut impl FnMut(&[NodeSet])) {
    if k == parents.len() {
        f(parents);
        return;
    }
    let existing = NodeSet::full(k);
    for p in super::nodeset::subsets(existing) {
        let blocked = super::dag::closure(&parents[..k], p);
        parents[k] = p;
        for c in super::nodeset::subsets(existing - blocked) {
            for v in c {
                parents[v].insert(k);
            }
            extend_labelled(parents, k + 1, f);
            for v in c {
                parents[v].remove(k);
            }
        }
        parents[k] = NodeSet::EMPTY;
    }
}

/// Every labelled DAG on `n <= 5` nodes as a [`Dag`] (29,281 at `n = 5`).
pub fn labelled_dags(n: usize) -> Vec<Dag> {
    assert!(
        n <= 5,
        "collecting labelled DAGs as values is meant for n <= 5; use for_each_labelled_dag"
    );
    let mut out = Vec::new();
    for_each_labelled_dag(n, |ps| out.push(Dag::from_parents_unchecked(ps.to_vec())));
    out
}

/// Number of pairs `i < j` on `n` nodes: the number of bits of a mask.
#[inline]
pub const fn num_pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// Bit index of the pair `(i, j)`, `i < j < n`, in Corr2Cause's row-by-row numbering.
#[inline]
pub fn pair_bit(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    // Rows 0..i hold (n-1) + (n-2) + ... + (n-i) pairs.
    i * (2 * n - i - 1) / 2 + (j - i - 1)
}

/// The DAG of an upper-triangular mask (every edge from the lower to the higher index).
pub fn dag_from_mask(n: usize, mask: u64) -> Dag {
    Dag::from_parents_unchecked(mask_parents(n, mask))
}

fn mask_parents(n: usize, mask: u64) -> Vec<NodeSet> {
    let mut parents = vec![NodeSet::EMPTY; n];
    let mut bit = 0;
    for i in 0..n {
        for parent_set in parents.iter_mut().skip(i + 1) {
            if (mask >> bit) & 1 == 1 {
                parent_set.insert(i);
            }
            bit += 1;
        }
    }
    parents
}

/// The mask of `dag` under the labelling `label[v]`, which must be a topological order's ranks.
fn mask_under(n: usize, parents: &[NodeSet], label: &[usize]) -> u64 {
    let mut mask = 0u64;
    for v in 0..n {
        for p in parents[v] {
            debug_assert!(label[p] < label[v]);
            mask |= 1 << pair_bit(n, label[p], label[v]);
        }
    }
    mask
}

/// Searches the topological labellings of a DAG for one whose mask is below `target` (the mask
/// of the labelling `target_label`); returns that labelling if found.
///
/// Labels are assigned from `n-1` down. Placing node `v` at label `i` fixes row `i` of the mask
/// (pairs `(i, j)` with `j > i`), and rows are compared from the most significant (`n-2`) down,
/// so each branch is cut as soon as its row exceeds the target's. Two candidates with the same
/// parents and children are interchangeable (swapping them is an automorphism): only one is tried.
struct LowerMaskSearch<'a> {
    n: usize,
    parents: &'a [NodeSet],
    children: &'a [NodeSet],
    target_rows: Vec<u64>,
    label: Vec<usize>,
}

impl LowerMaskSearch<'_> {
    fn row_value(&self, v: usize, i: usize) -> u64 {
        let mut r = 0u64;
        for c in self.children[v] {
            r |= 1 << (self.label[c] - i - 1);
        }
        r
    }

    /// Returns true when a strictly smaller labelling is found (left in `self.label`).
    fn search(&mut self, i: usize, remaining: NodeSet) -> bool {
        // Candidates for label i: sinks of the remaining graph.
        let mut tried: Vec<usize> = Vec::new();
        for v in remaining {
            if self.children[v].intersects(remaining) {
                continue;
            }
            if tried.iter().any(|&u| {
                self.parents[u] == self.parents[v] && self.children[u] == self.children[v]
            }) {
                continue;
            }
            tried.push(v);
            self.label[v] = i;
            let r = if i + 1 < self.n {
                self.row_value(v, i)
            } else {
                0
            };
            let t = self.target_rows[i];
            if r < t {
                // Any completion is smaller: finish with any reverse topological labelling.
                let mut rest = remaining.without(v);
                let mut next = i;
                while !rest.is_empty() {
                    next -= 1;
                    let sink = rest
                        .iter()
                        .find(|&u| !self.children[u].intersects(rest))
                        .expect("acyclic remainder has a sink");
                    self.label[sink] = next;
                    rest.remove(sink);
                }
                return true;
            }
            if r == t && i > 0 && self.search(i - 1, remaining.without(v)) {
                return true;
            }
        }
        false
    }
}

fn rows_of(n: usize, mask: u64) -> Vec<u64> {
    let mut rows = vec![0u64; n];
    for (i, row) in rows.iter_mut().enumerate().take(n.saturating_sub(1)) {
        let start = pair_bit(n, i, i + 1);
        let len = n - i - 1;
        *row = (mask >> start) & ((1u64 << len) - 1);
    }
    rows
}

/// Whether `mask` is the smallest mask of its isomorphism class (so it is the representative).
pub fn is_canonical_mask(n: usize, mask: u64) -> bool {
    if n <= 1 {
        return true;
    }
    let parents = mask_parents(n, mask);
    let mut children = vec![NodeSet::EMPTY; n];
    super::child_sets_into(&parents, &mut children);
    let mut search = LowerMaskSearch {
        n,
        parents: &parents,
        children: &children,
        target_rows: rows_of(n, mask),
        label: vec![0; n],
    };
    !search.search(n - 1, NodeSet::full(n))
}

/// The representative mask of `dag`'s isomorphism class: the smallest mask over all its
/// topological labellings. Two DAGs are isomorphic iff their canonical masks are equal.
pub fn canonical_mask(dag: &Dag) -> u64 {
    let n = dag.n();
    assert!(num_pairs(n) <= 64, "masks hold at most 64 pairs (n <= 11)");
    let mut label = vec![0usize; n];
    for (rank, v) in dag.topological_order().into_iter().enumerate() {
        label[v] = rank;
    }
    let mut mask = mask_under(n, dag.parent_sets(), &label);
    if n <= 1 {
        return mask;
    }
    loop {
        let mut search = LowerMaskSearch {
            n,
            parents: dag.parent_sets(),
            children: dag.child_sets(),
            target_rows: rows_of(n, mask),
            label: vec![0; n],
        };
        if !search.search(n - 1, dag.nodes()) {
            return mask;
        }
        let smaller = mask_under(n, dag.parent_sets(), &search.label);
        debug_assert!(smaller < mask);
        mask = smaller;
    }
}

/// The representative masks of all DAGs on `n` nodes up to isomorphism, in increasing order
/// (OEIS A003087: 1, 2, 6, 31, 302, 5984, 243668 for n = 1..7).
pub fn unlabelled_masks(n: usize) -> Vec<u64> {
    use rayon::prelude::*;
    assert!(
        n <= MAX_UNLABELLED_N,
        "unlabelled enumeration supports n <= {MAX_UNLABELLED_N}"
    );
    let total = 1u64 << num_pairs(n);
    // Chunks keep the output ordered while every core tests masks.
    let chunk = 1u64 << 12;
    let chunks: Vec<Vec<u64>> = (0..total.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            (c * chunk..((c + 1) * chunk).min(total))
                .filter(|&m| is_canonical_mask(n, m))
                .collect()
        })
        .collect();
    chunks.concat()
}

/// All DAGs on `n` nodes up to isomorphism, each as its representative (see [`unlabelled_masks`]).
pub fn unlabelled_dags(n: usize) -> Vec<Dag> {
    unlabelled_masks(n)
        .into_iter()
        .map(|m| dag_from_mask(n, m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_counts_match_oeis_a003024() {
        for (n, expected) in [(0, 1u64), (1, 1), (2, 3), (3, 25), (4, 543), (5, 29281)] {
            let mut count = 0u64;
            let mut distinct = std::collections::HashSet::new();
            for_each_labelled_dag(n, |ps| {
                count += 1;
                if n <= 4 {
                    assert!(Dag::from_parents(ps.to_vec()).is_ok(), "cyclic output");
                    assert!(distinct.insert(ps.to_vec()), "duplicate output");
                }
            });
            assert_eq!(count, expected, "n = {n}");
        }
    }

    #[test]
    fn extending_prefixes_partition_the_enumeration() {
        let mut total = 0;
        for_each_labelled_dag(3, |prefix| {
            for_each_labelled_dag_extending(5, prefix, |_| total += 1);
        });
        assert_eq!(total, 29281);
    }

    #[test]
    fn pair_bits_follow_the_spec() {
        // (1,2)=bit 0, (1,3)=bit 1, ..., (1,N)=bit N-2, (2,3)=bit N-1 (1-based in the spec).
        assert_eq!(pair_bit(4, 0, 1), 0);
        assert_eq!(pair_bit(4, 0, 3), 2);
        assert_eq!(pair_bit(4, 1, 2), 3);
        assert_eq!(pair_bit(4, 2, 3), 5);
        let mut seen = vec![];
        for i in 0..6 {
            for j in i + 1..6 {
                seen.push(pair_bit(6, i, j));
            }
        }
        assert_eq!(seen, (0..15).collect::<Vec<_>>());
    }

    /// Independent check: group masks by brute-force minimum over all n! relabellings.
    #[test]
    fn canonical_masks_match_brute_force_up_to_5() {
        for n in 1..=5usize {
            let perms = permutations(n);
            let mut reps = Vec::new();
            for m in 0..(1u64 << num_pairs(n)) {
                let g = dag_from_mask(n, m);
                let mut min = u64::MAX;
                for p in &perms {
                    let r = g.relabel(p);
                    let ok = r.edges().iter().all(|&(a, b)| a < b);
                    if ok {
                        let mm = mask_under(n, r.parent_sets(), &(0..n).collect::<Vec<_>>());
                        min = min.min(mm);
                    }
                }
                assert_eq!(canonical_mask(&g), min, "n={n} mask={m}");
                assert_eq!(is_canonical_mask(n, m), min == m, "n={n} mask={m}");
                if min == m {
                    reps.push(m);
                }
            }
            assert_eq!(unlabelled_masks(n), reps);
        }
    }

    #[test]
    fn unlabelled_counts_match_oeis_a003087() {
        for (n, expected) in [(1, 1usize), (2, 2), (3, 6), (4, 31), (5, 302), (6, 5984)] {
            assert_eq!(unlabelled_masks(n).len(), expected, "n = {n}");
        }
    }

    #[test]
    fn unlabelled_count_n7() {
        assert_eq!(unlabelled_masks(7).len(), 243_668);
    }

    pub(crate) fn permutations(n: usize) -> Vec<Vec<usize>> {
        let mut out = vec![];
        let mut p: Vec<usize> = (0..n).collect();
        fn rec(k: usize, p: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if k == p.len() {
                out.push(p.clone());
                return;
            }
            for i in k..p.len() {
                p.swap(k, i);
                rec(k + 1, p, out);
                p.swap(k, i);
            }
        }
        rec(0, &mut p, &mut out);
        out
    }
}
