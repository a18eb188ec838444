//! What decides a label: the first rung of causal inference at which a hypothesis's label about
//! a MEC is settled.
//!
//! The ladder of partially directed graphs on the DAG's skeleton is: the bare skeleton; the
//! skeleton with its v-structures (unshielded colliders) oriented; its closure under Meek's R1;
//! under R1+R2; under R1+R2+R3 (the CPDAG). A DAG is *consistent* with a rung when it is an
//! acyclic orientation of the skeleton that agrees with the rung's directed edges (it need not be
//! in the MEC: it may add v-structures). The label of `(x, y, relation)` is decided at the first
//! rung where every consistent DAG gives the MEC's answer (the relation holds in all of them for
//! an entailment, in none for a contradiction):
//! - [`Depth::Skeleton`], [`Depth::Colliders`]: at the bare skeleton, at the v-structures;
//! - [`Depth::Propagation`]: at a Meek closure; it records the rules that oriented an edge on the
//!   way to the deciding rung;
//! - [`Depth::Equivalence`]: at no rung; only the whole MEC (that no other v-structure exists)
//!   decides;
//! - [`Depth::Ambiguous`]: the MEC has members both ways (neutral items).
//!
//! At the bare skeleton a label is decided exactly when it is a contradiction whose relation no
//! orientation can make hold (every entailment fails in some orientation: order `y` or `x` first
//! or last), which is read off the skeleton's paths. At the other rungs the consistent DAGs are
//! listed by backtracking over the undirected edges, stopping as soon as every pending label has
//! a counterexample.

use super::equivalence::{meek_ladder, Cpdag, MEEK_R1, MEEK_R2, MEEK_R3};
use super::relations::{reach_avoiding, relations_in, Label3, Relation, RelationCounts};
use crate::graph::{Dag, NodeSet};
use std::fmt;

/// The rung of causal inference that decides a label; see the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Depth {
    Skeleton,
    Colliders,
    /// Meek's rules were needed; the mask (`MEEK_R1 | MEEK_R2 | MEEK_R3`) of those that oriented
    /// an edge up to the deciding rung.
    Propagation(u8),
    Equivalence,
    Ambiguous,
}

impl Depth {
    /// `skeleton`, `colliders`, `propagation`, `equivalence` or `ambiguous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Skeleton => "skeleton",
            Depth::Colliders => "colliders",
            Depth::Propagation(_) => "propagation",
            Depth::Equivalence => "equivalence",
            Depth::Ambiguous => "ambiguous",
        }
    }

    /// The Meek rules a propagation label needed, by name (`["R1", "R3"]`); empty otherwise.
    pub fn meek(self) -> Vec<&'static str> {
        match self {
            Depth::Propagation(mask) => [(MEEK_R1, "R1"), (MEEK_R2, "R2"), (MEEK_R3, "R3")]
                .into_iter()
                .filter(|(bit, _)| mask & bit != 0)
                .map(|(_, name)| name)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// All five names, shallowest first.
    pub const NAMES: [&'static str; 5] = [
        "skeleton",
        "colliders",
        "propagation",
        "equivalence",
        "ambiguous",
    ];
}

impl fmt::Display for Depth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The depth of every `(x, y, relation)`, `x < y`, of one DAG's MEC.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Depths {
    n: usize,
    depth: Vec<[Depth; 6]>,
}

/// Nodes reachable from `start` in the undirected graph `adj`, never entering `blocked`.
fn reach(adj: &[NodeSet], start: usize, blocked: NodeSet) -> NodeSet {
    reach_avoiding(adj, NodeSet::single(start), blocked)
}

/// Whether `relation` can hold for `(x, y)` in some acyclic orientation of the skeleton `adj`.
fn possible_on_skeleton(adj: &[NodeSet], x: usize, y: usize, relation: Relation) -> bool {
    match relation {
        Relation::Parent | Relation::Child => adj[x].contains(y),
        // A simple path of length >= 2: a neighbour other than the endpoint reaches the other
        // endpoint without the first; any simple path can be ordered either way.
        Relation::NonParentAncestor | Relation::NonChildDescendant => adj[x]
            .without(y)
            .iter()
            .any(|v| reach(adj, v, NodeSet::single(x)).contains(y)),
        // Some c joined to x avoiding y and to y avoiding x: the two paths, cut at their first
        // meeting node, can be directed into (or, reversed, out of) it.
        Relation::HasCollider | Relation::HasConfounder => {
            let pair = NodeSet::single(x).with(y);
            (reach(adj, x, NodeSet::single(y)) & (reach(adj, y, NodeSet::single(x)) - pair))
                .first()
                .is_some()
        }
    }
}

/// Lists every acyclic orientation of the `undirected` edges added to the directed edges
/// `parents`, calling `visit` with the parent and child sets; stops when `visit` returns false.
struct Orientations<'a, F: FnMut(&[NodeSet], &[NodeSet]) -> bool> {
    edges: &'a [(usize, usize)],
    parents: Vec<NodeSet>,
    children: Vec<NodeSet>,
    visit: F,
}

impl<F: FnMut(&[NodeSet], &[NodeSet]) -> bool> Orientations<'_, F> {
    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = NodeSet::single(from);
        let mut todo = seen;
        while let Some(v) = todo.first() {
            if v == to {
                return true;
            }
            todo.remove(v);
            let new = self.children[v] - seen;
            seen |= new;
            todo |= new;
        }
        false
    }

    /// Returns false once `visit` asked to stop.
    fn run(&mut self, i: usize) -> bool {
        let Some(&(a, b)) = self.edges.get(i) else {
            return (self.visit)(&self.parents, &self.children);
        };
        for (u, v) in [(a, b), (b, a)] {
            if !self.reaches(v, u) {
                self.parents[v].insert(u);
                self.children[u].insert(v);
                let go_on = self.run(i + 1);
                self.parents[v].remove(u);
                self.children[u].remove(v);
                if !go_on {
                    return false;
                }
            }
        }
        true
    }
}

impl Depths {
    /// The depth of every label of `dag`'s MEC.
    pub fn of(dag: &Dag) -> Depths {
        let n = dag.n();
        let counts = RelationCounts::of(&Cpdag::of(dag));
        let adj: Vec<NodeSet> = (0..n).map(|v| dag.neighbours(v)).collect();
        let pairs: Vec<(usize, usize)> = (0..n)
            .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
            .collect();
        let mut depth = vec![[Depth::Ambiguous; 6]; pairs.len()];
        // Pending labels: (pair index, relation, the MEC's answer), no counterexample yet.
        let mut pending: Vec<(usize, Relation, bool)> = Vec::new();
        for (k, &(x, y)) in pairs.iter().enumerate() {
            for relation in Relation::ALL {
                match counts.label(x, y, relation) {
                    Label3::Neutral => {}
                    Label3::Contradiction if !possible_on_skeleton(&adj, x, y, relation) => {
                        depth[k][relation.index()] = Depth::Skeleton;
                    }
                    label => pending.push((k, relation, label == Label3::Entailment)),
                }
            }
        }
        let mut previous: Option<Vec<NodeSet>> = None;
        for (step, rung) in meek_ladder(dag).into_iter().enumerate() {
            if pending.is_empty() {
                break;
            }
            if previous.as_ref() == Some(&rung.parents) {
                continue; // same consistent DAGs as the rung below: nothing newly decided
            }
            let mut children = vec![NodeSet::EMPTY; n];
            let mut undirected = adj.clone();
            for (v, &ps) in rung.parents.iter().enumerate() {
                for p in ps {
                    children[p].insert(v);
                    undirected[p].remove(v);
                    undirected[v].remove(p);
                }
            }
            let edges: Vec<(usize, usize)> = (0..n)
                .flat_map(|a| {
                    undirected[a]
                        .iter()
                        .filter(move |&b| b > a)
                        .map(move |b| (a, b))
                })
                .collect();
            let mut refuted = vec![false; pending.len()];
            let mut left = pending.len();
            Orientations {
                edges: &edges,
                parents: rung.parents.clone(),
                children,
                visit: |ps: &[NodeSet], cs: &[NodeSet]| {
                    for (i, &(k, relation, answer)) in pending.iter().enumerate() {
                        if refuted[i] {
                            continue;
                        }
                        let (x, y) = pairs[k];
                        let bits = relations_in(ps, cs, x, y);
                        if (bits >> relation.index() & 1 == 1) != answer {
                            refuted[i] = true;
                            left -= 1;
                        }
                    }
                    left > 0
                },
            }
            .run(0);
            let here = match step {
                0 => Depth::Colliders,
                _ => Depth::Propagation(rung.fired),
            };
            let mut still = Vec::new();
            for (i, item) in pending.into_iter().enumerate() {
                if refuted[i] {
                    still.push(item);
                } else {
                    depth[item.0][item.1.index()] = here;
                }
            }
            pending = still;
            previous = Some(rung.parents);
        }
        for (k, relation, _) in pending {
            depth[k][relation.index()] = Depth::Equivalence;
        }
        Depths { n, depth }
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The depth of `relation` for `(x, y)`, `x < y`.
    pub fn get(&self, x: usize, y: usize, relation: Relation) -> Depth {
        assert!(x < y && y < self.n);
        self.depth[crate::graph::enumerate::pair_bit(self.n, x, y)][relation.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_collider() {
        // 0 -> 2 <- 1, 2 -> 3: the v-structure decides 0 -> 2, R1 decides 2 -> 3.
        let g = Dag::new(4, [(0, 2), (1, 2), (2, 3)]).unwrap();
        let d = Depths::of(&g);
        assert_eq!(d.get(0, 1, Relation::Parent), Depth::Skeleton);
        assert_eq!(d.get(0, 2, Relation::Parent), Depth::Colliders);
        assert_eq!(d.get(2, 3, Relation::Parent), Depth::Propagation(MEEK_R1));
        assert_eq!(d.get(2, 3, Relation::Parent).meek(), vec!["R1"]);
        // A bare chain 0 - 1 - 2: direction unknown.
        let c = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let d = Depths::of(&c);
        assert_eq!(d.get(0, 1, Relation::Parent), Depth::Ambiguous);
        assert_eq!(d.get(0, 2, Relation::Parent), Depth::Skeleton);
        // No collider in the chain's MEC, but the skeleton allows one (0 -> 1 <- 2): it is the
        // absence of that v-structure, i.e. the whole class, that decides.
        assert_eq!(d.get(0, 2, Relation::HasCollider), Depth::Equivalence);
    }
}
