//! Causal relations between two variables, in one DAG and across a Markov equivalence class.
//!
//! Meanings (Corr2Cause's intended ones), for the pair `(x, y)`:
//! - parent: the edge `x -> y`; child: the edge `y -> x`;
//! - non-parent ancestor: a directed path from `x` to `y` with at least one node between (a direct
//!   edge may exist as well); non-child descendant: the same from `y` to `x`;
//! - has_collider: some `c` other than `x, y` with directed paths `x ~> c` not through `y` and
//!   `y ~> c` not through `x`;
//! - has_confounder: some `c` other than `x, y` with directed paths `c ~> x` not through `y` and
//!   `c ~> y` not through `x`.

use super::equivalence::Cpdag;
use crate::graph::{Dag, NodeSet};
use std::fmt;
use std::str::FromStr;

/// One of the six relations a hypothesis can claim about an ordered pair `(x, y)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Relation {
    Parent,
    NonParentAncestor,
    Child,
    NonChildDescendant,
    HasCollider,
    HasConfounder,
}

impl Relation {
    /// All six, in Corr2Cause's order.
    pub const ALL: [Relation; 6] = [
        Relation::Parent,
        Relation::NonParentAncestor,
        Relation::Child,
        Relation::NonChildDescendant,
        Relation::HasCollider,
        Relation::HasConfounder,
    ];

    /// The identifier used in files (Corr2Cause's `causal_relation` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Parent => "parent",
            Relation::NonParentAncestor => "non-parent_ancestor",
            Relation::Child => "child",
            Relation::NonChildDescendant => "non-child_descendant",
            Relation::HasCollider => "has_collider",
            Relation::HasConfounder => "has_confounder",
        }
    }

    /// Position in [`Relation::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a relation name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown relation {0:?} (expected one of: parent, non-parent_ancestor, child, non-child_descendant, has_collider, has_confounder)")]
pub struct UnknownRelation(pub String);

impl FromStr for Relation {
    type Err = UnknownRelation;
    /// Accepts the identifiers, with spaces, hyphens or underscores (`non-parent ancestor`).
    fn from_str(s: &str) -> Result<Relation, UnknownRelation> {
        if let Some(r) = Relation::ALL.into_iter().find(|r| r.as_str() == s) {
            return Ok(r);
        }
        let norm: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == ' ' || c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Relation::ALL
            .into_iter()
            .find(|r| r.as_str().replace('-', "_") == norm)
            .ok_or_else(|| UnknownRelation(s.to_string()))
    }
}

/// The three-way label of a hypothesis about a MEC.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Label3 {
    /// The relation holds in every member (binary label 1, "valid").
    Entailment,
    /// It holds in some members but not all.
    Neutral,
    /// It holds in no member.
    Contradiction,
}

impl Label3 {
    /// The label of a relation that holds in `holds` of `size` members.
    pub fn from_counts(holds: u64, size: u64) -> Label3 {
        if holds == size {
            Label3::Entailment
        } else if holds == 0 {
            Label3::Contradiction
        } else {
            Label3::Neutral
        }
    }

    /// `entailment`, `neutral` or `contradiction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label3::Entailment => "entailment",
            Label3::Neutral => "neutral",
            Label3::Contradiction => "contradiction",
        }
    }

    /// The binary label: 1 (valid) iff entailment.
    pub fn binary(self) -> u8 {
        u8::from(self == Label3::Entailment)
    }
}

impl fmt::Display for Label3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Nodes reachable from `start` (inclusive) along `next`, never entering `blocked`.
#[inline]
pub(crate) fn reach_avoiding(next: &[NodeSet], start: NodeSet, blocked: NodeSet) -> NodeSet {
    let mut seen = start - blocked;
    let mut todo = seen;
    while let Some(v) = todo.first() {
        todo.remove(v);
        let new = next[v] - seen - blocked;
        seen |= new;
        todo |= new;
    }
    seen
}

/// Which of the six relations hold for `(x, y)` in the DAG given by parent and child sets, as a
/// bitmask over [`Relation::index`].
pub fn relations_in(parents: &[NodeSet], children: &[NodeSet], x: usize, y: usize) -> u8 {
    let pair = NodeSet::single(x).with(y);
    let mut holds = 0u8;
    if children[x].contains(y) {
        holds |= 1 << Relation::Parent.index();
    }
    if children[y].contains(x) {
        holds |= 1 << Relation::Child.index();
    }
    // Paths of length >= 2: through a child other than the endpoint.
    if reach_avoiding(children, children[x].without(y), NodeSet::EMPTY).contains(y) {
        holds |= 1 << Relation::NonParentAncestor.index();
    }
    if reach_avoiding(children, children[y].without(x), NodeSet::EMPTY).contains(x) {
        holds |= 1 << Relation::NonChildDescendant.index();
    }
    let below_x = reach_avoiding(children, children[x], pair);
    let below_y = reach_avoiding(children, children[y], pair);
    if below_x.intersects(below_y) {
        holds |= 1 << Relation::HasCollider.index();
    }
    let above_x = reach_avoiding(parents, parents[x], pair);
    let above_y = reach_avoiding(parents, parents[y], pair);
    if above_x.intersects(above_y) {
        holds |= 1 << Relation::HasConfounder.index();
    }
    holds
}

impl Dag {
    /// Whether `relation` holds for the ordered pair `(x, y)` in this DAG.
    pub fn relation_holds(&self, relation: Relation, x: usize, y: usize) -> bool {
        assert!(x != y && x < self.n() && y < self.n());
        relations_in(self.parent_sets(), self.child_sets(), x, y) >> relation.index() & 1 == 1
    }
}

/// In how many members of a MEC each relation holds, for every pair `x < y`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RelationCounts {
    n: usize,
    /// Number of members of the MEC.
    pub mec_size: u64,
    /// `holds[pair][relation]`, pairs in row-by-row order (`(0,1), (0,2), ...`).
    holds: Vec<[u64; 6]>,
}

impl RelationCounts {
    /// Counts over every member of `cpdag`'s MEC (listing them).
    pub fn of(cpdag: &Cpdag) -> RelationCounts {
        let n = cpdag.n();
        let pairs = n * n.saturating_sub(1) / 2;
        let mut holds = vec![[0u64; 6]; pairs];
        let mut mec_size = 0u64;
        let mut children = vec![NodeSet::EMPTY; n];
        cpdag.for_each_member(|parents| {
            mec_size += 1;
            children.iter_mut().for_each(|c| *c = NodeSet::EMPTY);
            for (v, ps) in parents.iter().enumerate() {
                for p in *ps {
                    children[p].insert(v);
                }
            }
            let mut k = 0;
            for x in 0..n {
                for y in x + 1..n {
                    let bits = relations_in(parents, &children, x, y);
                    for (r, count) in holds[k].iter_mut().enumerate() {
                        *count += u64::from(bits >> r & 1);
                    }
                    k += 1;
                }
            }
        });
        RelationCounts { n, mec_size, holds }
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// In how many members `relation` holds for `(x, y)`, `x < y`.
    pub fn holds(&self, x: usize, y: usize, relation: Relation) -> u64 {
        assert!(x < y && y < self.n);
        self.holds[crate::graph::enumerate::pair_bit(self.n, x, y)][relation.index()]
    }

    /// The three-way label of `relation` for `(x, y)`, `x < y`.
    pub fn label(&self, x: usize, y: usize, relation: Relation) -> Label3 {
        Label3::from_counts(self.holds(x, y, relation), self.mec_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_names_round_trip() {
        for r in Relation::ALL {
            assert_eq!(r.as_str().parse::<Relation>().unwrap(), r);
        }
        assert_eq!(
            "non-parent ancestor".parse::<Relation>().unwrap(),
            Relation::NonParentAncestor
        );
        assert_eq!(
            "has_confounder".parse::<Relation>().unwrap(),
            Relation::HasConfounder
        );
        assert!("cousin".parse::<Relation>().is_err());
    }

    #[test]
    fn relations_in_small_graphs() {
        // 0 -> 1 -> 2, 0 -> 2, 3 -> 0, 3 -> 4, 2 -> 4.
        let g = Dag::new(5, [(0, 1), (1, 2), (0, 2), (3, 0), (3, 4), (2, 4)]).unwrap();
        assert!(g.relation_holds(Relation::Parent, 0, 2));
        assert!(g.relation_holds(Relation::NonParentAncestor, 0, 2));
        assert!(g.relation_holds(Relation::Child, 2, 0));
        assert!(g.relation_holds(Relation::NonChildDescendant, 2, 0));
        assert!(!g.relation_holds(Relation::NonParentAncestor, 0, 1));
        // 0 and 4: confounded by 3 (3 -> 0, 3 -> 4); common effect? 0 ~> 4 only through...
        assert!(g.relation_holds(Relation::HasConfounder, 0, 4));
        // 1 and 3: 1 ~> 2 ~> 4 and 3 -> 4, so 4 is a collider of 1 and 3.
        assert!(g.relation_holds(Relation::HasCollider, 1, 3));
        // 0 and 1: 0's paths to a common effect with 1 (2, 4) pass 1? 0 -> 2 does not.
        assert!(g.relation_holds(Relation::HasCollider, 0, 1));
        // 1 and 2: common cause 0 (0 -> 1, 0 -> 2 directly).
        assert!(g.relation_holds(Relation::HasConfounder, 1, 2));
        // 0 and 1: the only ancestor of 0 is 3, which reaches 1 only through 0.
        assert!(!g.relation_holds(Relation::HasConfounder, 0, 1));
    }

    #[test]
    fn labels_over_a_mec() {
        // Chain 0 - 1 - 2: members 0->1->2, 0<-1->2, 0<-1<-2.
        let g = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let counts = RelationCounts::of(&Cpdag::of(&g));
        assert_eq!(counts.mec_size, 3);
        assert_eq!(counts.holds(0, 1, Relation::Parent), 1);
        assert_eq!(counts.holds(0, 1, Relation::Child), 2);
        assert_eq!(counts.label(0, 2, Relation::Parent), Label3::Contradiction);
        assert_eq!(counts.holds(0, 2, Relation::NonParentAncestor), 1);
        assert_eq!(counts.holds(0, 2, Relation::HasConfounder), 1);
        assert_eq!(
            counts.label(0, 2, Relation::HasCollider),
            Label3::Contradiction
        );
        let collider = Dag::new(3, [(0, 2), (1, 2)]).unwrap();
        let counts = RelationCounts::of(&Cpdag::of(&collider));
        assert_eq!(
            counts.label(0, 1, Relation::HasCollider),
            Label3::Entailment
        );
        assert_eq!(counts.label(0, 2, Relation::Parent), Label3::Entailment);
    }
}
