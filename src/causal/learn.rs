//! The MEC behind a list of independence statements, as the PC algorithm finds it: a pair is
//! adjacent iff no statement separates it; an unshielded triple `a - c - b` is a collider iff `c`
//! lies outside the set that separates `a` and `b`; Meek's rules complete the orientation; a
//! consistent extension (Dor & Tarsi 1992) gives a member. The statements are then checked against
//! that member, so a list no DAG could produce is reported rather than mislabelled.

use super::equivalence::Cpdag;
use super::independence::{CiStatement, IndependenceModel};
use crate::graph::{Dag, NodeSet};
use std::collections::HashMap;

/// Why a list of statements has no DAG behind it (nodes by index; see [`Inconsistent::describe`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistent {
    /// Two v-structures orient one edge both ways.
    #[error("the v-structures implied by the statements orient the edge {0} - {1} both ways")]
    ConflictingOrientation(usize, usize),
    /// The pattern has no acyclic extension without new v-structures.
    #[error("no DAG has the skeleton and v-structures these statements imply")]
    NoExtension,
    /// A statement that fails in every DAG with the implied pattern.
    #[error("{} and {} are not independent given {:?} in any DAG with the implied pattern", .0.x, .0.y, .0.given)]
    NotImplied(CiStatement),
    /// A statement that holds in every DAG with the implied pattern but is not in the list.
    #[error("{} and {} would also be independent given {:?}, which is not stated", .0.x, .0.y, .0.given)]
    Unstated(CiStatement),
    /// A pair that must correlate (or cannot), against what is stated.
    #[error("{} and {} {}", .0, .1, if *.2 { "must correlate but no correlation is stated" } else { "are stated to correlate but are independent" })]
    Correlation(usize, usize, bool),
}

impl Inconsistent {
    /// The reason in words, naming node `v` by `names[v]`.
    pub fn describe(&self, names: &[String]) -> String {
        let set = |s: NodeSet| {
            crate::graph::NodeSet::iter(s)
                .map(|v| names[v].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Inconsistent::ConflictingOrientation(a, b) => format!(
                "the v-structures implied by the statements orient the edge {} - {} both ways",
                names[*a], names[*b]
            ),
            Inconsistent::NoExtension => self.to_string(),
            Inconsistent::NotImplied(s) => format!(
                "{} and {} are stated independent given {{{}}}, which no DAG with the implied skeleton and v-structures allows",
                names[s.x], names[s.y], set(s.given)
            ),
            Inconsistent::Unstated(s) => format!(
                "{} and {} would also be independent given {{{}}}, which is not stated",
                names[s.x], names[s.y], set(s.given)
            ),
            Inconsistent::Correlation(x, y, must) => format!(
                "{} and {} {}",
                names[*x],
                names[*y],
                if *must { "must correlate but no correlation is stated" } else { "are stated to correlate but are independent" }
            ),
        }
    }
}

/// What the statements claim: every statement that holds (`Complete`, Corr2Cause's premises) or
/// at least one separating set per non-adjacent pair (`Separators`, the compact premise forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Complete,
    Separators,
}

/// The MEC of the DAGs whose independences are the `statements` over nodes `0..n` (see
/// [`Coverage`]), or why there is none.
pub fn mec_from_independences(
    n: usize,
    statements: &[CiStatement],
    coverage: Coverage,
) -> Result<Cpdag, Inconsistent> {
    let mut sepset: HashMap<(usize, usize), NodeSet> = HashMap::new();
    for s in statements {
        sepset.entry((s.x, s.y)).or_insert(s.given);
    }
    let mut adjacent = vec![NodeSet::EMPTY; n];
    for x in 0..n {
        for y in x + 1..n {
            if !sepset.contains_key(&(x, y)) {
                adjacent[x].insert(y);
                adjacent[y].insert(x);
            }
        }
    }
    // Orient the colliders of unshielded triples.
    let mut parents = vec![NodeSet::EMPTY; n];
    for c in 0..n {
        let nb = adjacent[c];
        for a in nb {
            for b in nb - NodeSet::full(a + 1) - adjacent[a] {
                if !sepset[&(a, b)].contains(c) {
                    for (from, _) in [(a, b), (b, a)] {
                        if parents[from].contains(c) {
                            return Err(Inconsistent::ConflictingOrientation(
                                from.min(c),
                                from.max(c),
                            ));
                        }
                        parents[c].insert(from);
                    }
                }
            }
        }
    }
    let dag = extend(&adjacent, &parents).ok_or(Inconsistent::NoExtension)?;
    // The extension has exactly the implied skeleton; check the v-structures and statements.
    let implied: Vec<(usize, usize, usize)> = (0..n)
        .flat_map(|c| {
            let ps = parents[c];
            ps.iter()
                .flat_map(move |a| (ps - NodeSet::full(a + 1)).iter().map(move |b| (a, c, b)))
                .collect::<Vec<_>>()
        })
        .filter(|&(a, _, b)| !adjacent[a].contains(b))
        .collect();
    let mut found: Vec<(usize, usize, usize)> = dag
        .v_structures()
        .into_iter()
        .map(|v| (v.a, v.collider, v.b))
        .collect();
    let mut implied = implied;
    implied.sort_unstable();
    found.sort_unstable();
    if implied != found {
        return Err(Inconsistent::NoExtension);
    }
    match coverage {
        Coverage::Complete => {
            let mut expected = statements.to_vec();
            expected.sort_unstable();
            expected.dedup();
            let actual = IndependenceModel::of(&dag).independences();
            if let Some(s) = expected.iter().find(|s| actual.binary_search(s).is_err()) {
                return Err(Inconsistent::NotImplied(*s));
            }
            if let Some(s) = actual.iter().find(|s| expected.binary_search(s).is_err()) {
                return Err(Inconsistent::Unstated(*s));
            }
        }
        Coverage::Separators => {
            if let Some(s) = statements
                .iter()
                .find(|s| !dag.is_d_separated(s.x, s.y, &s.given))
            {
                return Err(Inconsistent::NotImplied(*s));
            }
        }
    }
    Ok(Cpdag::of(&dag))
}

/// A DAG with skeleton `adjacent` that keeps the directed edges `parents` and adds no
/// v-structure, by Dor and Tarsi's algorithm: repeatedly remove a node that has no outgoing
/// directed edge and whose undirected neighbours are adjacent to all its other neighbours,
/// orienting its undirected edges into it.
pub fn extend(adjacent: &[NodeSet], parents: &[NodeSet]) -> Option<Dag> {
    let n = adjacent.len();
    let mut children = vec![NodeSet::EMPTY; n];
    crate::graph::child_sets_into(parents, &mut children);
    let mut out = vec![NodeSet::EMPTY; n];
    let mut left = NodeSet::full(n);
    while !left.is_empty() {
        let sink = left.iter().find(|&x| {
            if !(children[x] & left).is_empty() {
                return false;
            }
            let nb = adjacent[x] & left;
            let undirected = nb - parents[x] - children[x];
            undirected
                .iter()
                .all(|y| (nb.without(y) - adjacent[y]).is_empty())
        })?;
        out[sink] = adjacent[sink] & left;
        left.remove(sink);
    }
    Dag::from_parents(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enumerate::labelled_dags;

    #[test]
    fn every_dag_up_to_5_nodes_is_recovered_from_its_statements() {
        for n in 1..=5 {
            for g in labelled_dags(n) {
                let cpdag = Cpdag::of(&g);
                let all = IndependenceModel::of(&g).independences();
                assert_eq!(
                    mec_from_independences(n, &all, Coverage::Complete).unwrap(),
                    cpdag
                );
                let minimal = g.minimal_independences();
                assert_eq!(
                    mec_from_independences(n, &minimal, Coverage::Separators).unwrap(),
                    cpdag
                );
            }
        }
    }

    #[test]
    fn impossible_lists_are_reported() {
        // 0 ⊥ 1 and 0 ⊥ 1 | 2 and nothing else: a collider needs 0 ⊥ 1 only, a chain 0 ⊥ 1 | 2.
        let s = |x, y, z: &[usize]| CiStatement::new(x, y, z.iter().copied().collect());
        let both = [s(0, 1, &[]), s(0, 1, &[2])];
        assert!(matches!(
            mec_from_independences(3, &both, Coverage::Complete),
            Err(Inconsistent::NotImplied(_))
        ));
        // Two colliders on one edge: 0 -> 1 <- 2 and 1 -> 2 <- 3 from 0 ⊥ 2, 1 ⊥ 3 (unconditional).
        let conflicting = [s(0, 2, &[]), s(1, 3, &[]), s(0, 3, &[])];
        assert!(mec_from_independences(4, &conflicting, Coverage::Separators).is_err());
    }
}
