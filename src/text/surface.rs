//! Surface facts of a premise about one pair of variables: what a reader sees without any causal
//! inference (is the pair said to correlate, is it ever said independent, how often are the two
//! named). The shortcut audit fits shallow readers on them, and hard balancing matches valid and
//! invalid items on them, so both see exactly the same facts (computed from the statements, which
//! the strict parser recovers from the text).

use super::premise::Premise;
use crate::graph::enumerate::pair_bit;
use crate::graph::NodeSet;

/// Names of the features of [`PairSurface::features`], in order.
pub const SURFACE_FEATURES: [&str; 8] = [
    "correlated",
    "separated",
    "mentions_x",
    "mentions_y",
    "mentions_both",
    "conditioned",
    "statements",
    "variables",
];

/// Per-node and per-pair counts of one premise, computed once for all its pairs.
#[derive(Clone, Debug)]
pub struct Surface {
    n: usize,
    statements: u32,
    /// Sentences naming each node.
    mentions: Vec<u32>,
    /// Sentences naming both nodes of each pair `x < y` (row by row).
    both: Vec<u32>,
    /// Sentences with each node in the conditioning set.
    conditioned: Vec<u32>,
    /// Sentences with `x` or `y` in the conditioning set, per pair.
    conditioned_either: Vec<u32>,
    correlated: Vec<bool>,
    separated: Vec<bool>,
}

/// What a shallow reader sees of a premise about the pair `(x, y)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairSurface {
    /// "x correlates with y" is stated.
    pub correlated: bool,
    /// Some sentence says x and y are independent (given some set).
    pub separated: bool,
    /// Sentences naming x (anywhere: as a pair member or in a conditioning set).
    pub mentions_x: u32,
    pub mentions_y: u32,
    /// Sentences naming both.
    pub mentions_both: u32,
    /// Sentences with x or y in the conditioning set.
    pub conditioned: u32,
    /// Sentences in the premise.
    pub statements: u32,
    /// Variables in the premise.
    pub variables: u32,
}

impl PairSurface {
    /// The facts as numbers, in the order of [`SURFACE_FEATURES`].
    pub fn features(&self) -> [f64; 8] {
        [
            f64::from(u8::from(self.correlated)),
            f64::from(u8::from(self.separated)),
            f64::from(self.mentions_x),
            f64::from(self.mentions_y),
            f64::from(self.mentions_both),
            f64::from(self.conditioned),
            f64::from(self.statements),
            f64::from(self.variables),
        ]
    }
}

impl Surface {
    /// The counts of `premise` (order of statements does not matter).
    pub fn of(premise: &Premise) -> Surface {
        let n = premise.n;
        let pairs = n * n.saturating_sub(1) / 2;
        let mut s = Surface {
            n,
            statements: 0,
            mentions: vec![0; n],
            both: vec![0; pairs],
            conditioned: vec![0; n],
            conditioned_either: vec![0; pairs],
            correlated: vec![false; pairs],
            separated: vec![false; pairs],
        };
        let mut sentence = |named: NodeSet, given: NodeSet| {
            s.statements += 1;
            let list = named.to_vec();
            for (i, &a) in list.iter().enumerate() {
                s.mentions[a] += 1;
                for &b in &list[i + 1..] {
                    s.both[pair_bit(n, a, b)] += 1;
                }
            }
            for v in given {
                s.conditioned[v] += 1;
            }
            if !given.is_empty() {
                for x in 0..n {
                    for y in x + 1..n {
                        if given.contains(x) || given.contains(y) {
                            s.conditioned_either[pair_bit(n, x, y)] += 1;
                        }
                    }
                }
            }
        };
        for &(x, y) in &premise.correlations {
            sentence(NodeSet::single(x).with(y), NodeSet::EMPTY);
        }
        for st in &premise.independences {
            sentence(st.of.with(st.x) | st.given, st.given);
        }
        for &(x, y) in &premise.correlations {
            s.correlated[pair_bit(n, x.min(y), x.max(y))] = true;
        }
        for st in &premise.independences {
            for y in st.of {
                let (a, b) = (st.x.min(y), st.x.max(y));
                s.separated[pair_bit(n, a, b)] = true;
            }
        }
        s
    }

    /// The facts about the pair `(x, y)`, `x != y` (mentions in that order).
    pub fn pair(&self, x: usize, y: usize) -> PairSurface {
        assert!(x != y && x < self.n && y < self.n);
        let k = pair_bit(self.n, x.min(y), x.max(y));
        PairSurface {
            correlated: self.correlated[k],
            separated: self.separated[k],
            mentions_x: self.mentions[x],
            mentions_y: self.mentions[y],
            mentions_both: self.both[k],
            conditioned: self.conditioned_either[k],
            statements: self.statements,
            variables: self.n as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Dag;
    use crate::text::{parse_premise, PremiseForm};

    #[test]
    fn counts_of_a_chain() {
        // A -> B -> C: A correlates with B, B with C, A with C; A and C independent given B.
        let g = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let names: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let text = Premise::of(&g, PremiseForm::All).render(&names);
        let parsed = parse_premise(&text).unwrap();
        let s = Surface::of(&parsed.premise);
        let ac = s.pair(0, 2);
        assert!(ac.correlated && ac.separated);
        assert_eq!((ac.mentions_x, ac.mentions_y, ac.mentions_both), (3, 3, 2));
        assert_eq!((ac.conditioned, ac.statements, ac.variables), (0, 4, 3));
        let ab = s.pair(0, 1);
        assert!(ab.correlated && !ab.separated);
        // B sits in the conditioning set of "A and C are independent given B".
        assert_eq!((ab.mentions_both, ab.conditioned), (2, 1));
        assert_eq!(s.pair(1, 0).mentions_x, 3);
    }
}
