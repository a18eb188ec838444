//! d-separation by bitset reachability (the "Bayes ball"), linear in the size of the graph.

use crate::graph::{Dag, NodeSet};

impl Dag {
    /// Whether `x` and `y` are d-separated given `z` (`x != y`, neither in `z`).
    ///
    /// Runs one reachability pass from `x`; see [`Dag::d_connected`].
    pub fn is_d_separated(&self, x: usize, y: usize, z: &NodeSet) -> bool {
        assert!(x != y, "d-separation of a node from itself");
        assert!(
            !z.contains(x) && !z.contains(y),
            "conditioning set holds x or y"
        );
        !self.d_connected(x, *z).contains(y)
    }

    /// Every node d-connected to `x` given `z` (neither `x` nor a node of `z` is included).
    ///
    /// A walk may pass a node `v` reached from a child ("up") when `v` is not in `z`, going on to
    /// its parents and children; reached from a parent ("down"), it goes on to its children when
    /// `v` is not in `z`, and to its parents when `v` is an ancestor of `z` (an open collider).
    /// Each node is entered at most once per direction: O(n) set operations.
    pub fn d_connected(&self, x: usize, z: NodeSet) -> NodeSet {
        let ancestors_of_z = self.ancestral_closure(z);
        d_connected_with(self.parent_sets(), self.child_sets(), x, z, ancestors_of_z)
    }
}

/// The worklist behind [`Dag::d_connected`], one node at a time.
#[inline]
fn d_connected_with(
    parents: &[NodeSet],
    children: &[NodeSet],
    x: usize,
    z: NodeSet,
    ancestors_of_z: NodeSet,
) -> NodeSet {
    let mut up = NodeSet::single(x);
    let mut down = NodeSet::EMPTY;
    let mut up_todo = NodeSet::single(x);
    let mut down_todo = NodeSet::EMPTY;
    loop {
        if let Some(v) = up_todo.first() {
            up_todo.remove(v);
            if !z.contains(v) {
                let p = parents[v] - up;
                up |= p;
                up_todo |= p;
                let c = children[v] - down;
                down |= c;
                down_todo |= c;
            }
        } else if let Some(v) = down_todo.first() {
            down_todo.remove(v);
            if !z.contains(v) {
                let c = children[v] - down;
                down |= c;
                down_todo |= c;
            }
            if ancestors_of_z.contains(v) {
                let p = parents[v] - up;
                up |= p;
                up_todo |= p;
            }
        } else {
            break;
        }
    }
    ((up | down) - z).without(x)
}

/// The union of a fixed family of sets over any set of indices, by one table lookup per byte of
/// the index set (`table[k][b]` is the union over the indices `8k + i` for the bits `i` of `b`).
#[derive(Clone)]
pub(crate) struct SetUnion {
    /// One table per group of 8 indices, of `2^(group size)` entries.
    tables: Vec<Vec<NodeSet>>,
}

impl SetUnion {
    pub(crate) fn new(family: &[NodeSet]) -> SetUnion {
        let tables = family
            .chunks(8)
            .map(|chunk| {
                let mut t = vec![NodeSet::EMPTY; 1 << chunk.len()];
                for b in 1..t.len() {
                    t[b] = t[b & (b - 1)] | chunk[b.trailing_zeros() as usize];
                }
                t
            })
            .collect();
        SetUnion { tables }
    }

    /// The union over the indices in `s`, which must all be below the family's length.
    #[inline]
    pub(crate) fn of(&self, s: NodeSet) -> NodeSet {
        let mut out = NodeSet::EMPTY;
        for (k, t) in self.tables.iter().enumerate() {
            out |= t[((s.0 >> (8 * k)) & 0xff) as usize];
        }
        out
    }
}

/// d-connection for many queries on one DAG: expands whole frontiers per step through
/// [`SetUnion`] tables instead of one node at a time. Same result as [`Dag::d_connected`].
pub(crate) struct BulkDConnection {
    parents_of: SetUnion,
    children_of: SetUnion,
}

impl BulkDConnection {
    pub(crate) fn new(dag: &Dag) -> BulkDConnection {
        BulkDConnection {
            parents_of: SetUnion::new(dag.parent_sets()),
            children_of: SetUnion::new(dag.child_sets()),
        }
    }

    /// Nodes d-connected to `x` given `z`, where `ancestors_of_z` is `z` with its ancestors.
    #[inline]
    pub(crate) fn d_connected(&self, x: usize, z: NodeSet, ancestors_of_z: NodeSet) -> NodeSet {
        // `up`: reached from a child; `down`: reached from a parent (see Dag::d_connected).
        let mut up = NodeSet::single(x);
        let mut down = NodeSet::EMPTY;
        let (mut up_new, mut down_new) = (up, down);
        while !(up_new.is_empty() && down_new.is_empty()) {
            let pass_up = up_new - z;
            let pass_down = down_new - z;
            let open_colliders = down_new & ancestors_of_z;
            let next_up = (self.parents_of.of(pass_up | open_colliders)) - up;
            let next_down = self.children_of.of(pass_up | pass_down) - down;
            up |= next_up;
            down |= next_down;
            up_new = next_up;
            down_new = next_down;
        }
        ((up | down) - z).without(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_cases() {
        // Chain 0 -> 1 -> 2, fork 3 <- 4 -> 5, collider 6 -> 8 <- 7 with 8 -> 9.
        let g = Dag::new(10, [(0, 1), (1, 2), (4, 3), (4, 5), (6, 8), (7, 8), (8, 9)]).unwrap();
        let e = NodeSet::EMPTY;
        assert!(!g.is_d_separated(0, 2, &e));
        assert!(g.is_d_separated(0, 2, &NodeSet::single(1)));
        assert!(!g.is_d_separated(3, 5, &e));
        assert!(g.is_d_separated(3, 5, &NodeSet::single(4)));
        assert!(g.is_d_separated(6, 7, &e));
        assert!(!g.is_d_separated(6, 7, &NodeSet::single(8)));
        // Conditioning on a descendant of the collider opens it too.
        assert!(!g.is_d_separated(6, 7, &NodeSet::single(9)));
        assert!(g.is_d_separated(0, 6, &e));
    }

    #[test]
    fn bulk_agrees_with_single_queries() {
        use crate::graph::{DagSampler, Sampler};
        for n in [3, 9, 17, 40] {
            let s = DagSampler::new(n, Sampler::ErdosRenyi { p: 0.2 }, None).unwrap();
            for i in 0..20 {
                let g = s.sample(3, i);
                let bulk = BulkDConnection::new(&g);
                for k in 0..50u64 {
                    let z =
                        crate::graph::NodeSet(k.wrapping_mul(0x9E37_79B9_7F4A_7C15)) & g.nodes();
                    for x in (0..n).filter(|&x| !z.contains(x)) {
                        let an = g.ancestral_closure(z);
                        assert_eq!(bulk.d_connected(x, z, an), g.d_connected(x, z));
                    }
                }
            }
        }
    }

    #[test]
    fn spec_descendant_example_is_handled() {
        // The spec's defect 3 example (1-based): 1->3, 2->3, 3->4, 3->5, 4->6, 5->6.
        // desc(3) must include 5, so conditioning on 5 opens the collider 1 -> 3 <- 2.
        let g = Dag::new(6, [(0, 2), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5)]).unwrap();
        assert!(g.is_d_separated(0, 1, &NodeSet::EMPTY));
        assert!(!g.is_d_separated(0, 1, &NodeSet::single(4)));
        assert!(!g.is_d_separated(0, 1, &NodeSet::single(5)));
    }
}
