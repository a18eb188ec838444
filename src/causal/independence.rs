//! The independence model of a DAG: every conditional independence statement it implies, and two
//! compact forms (one minimal separating set per non-adjacent pair; the local Markov basis).

use super::dsep::BulkDConnection;
use crate::graph::enumerate::{num_pairs, pair_bit};
use crate::graph::{subsets, Dag, NodeSet};
use std::cmp::Ordering;

/// Largest graph whose full independence model can be listed (`C(20,2) * 2^18` statements).
pub const MAX_FULL_MODEL_NODES: usize = 20;

/// The statement "`x` and `y` are independent given `given`", with `x < y` and neither in `given`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CiStatement {
    pub x: usize,
    pub y: usize,
    pub given: NodeSet,
}

impl CiStatement {
    /// A statement about the unordered pair `{a, b}` (stored with the smaller node first).
    pub fn new(a: usize, b: usize, given: NodeSet) -> CiStatement {
        debug_assert!(a != b && !given.contains(a) && !given.contains(b));
        CiStatement {
            x: a.min(b),
            y: a.max(b),
            given,
        }
    }
}

/// Corr2Cause's order: the tuples `(x, y, sorted given as a list)` compared lexicographically,
/// so within a pair `[] < [3] < [3, 5] < [5]`.
impl Ord for CiStatement {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.x, self.y)
            .cmp(&(other.x, other.y))
            .then_with(|| cmp_as_lists(self.given, other.given))
    }
}

impl PartialOrd for CiStatement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two sets as their sorted element lists, lexicographically.
pub fn cmp_as_lists(a: NodeSet, b: NodeSet) -> Ordering {
    a.iter().cmp(b.iter())
}

/// Every statement `(x, y, Z)` for pairs `x < y` and all subsets `Z` of the other nodes, with
/// whether it holds (d-separation) in one DAG. Two DAGs are Markov equivalent iff their models
/// are equal.
///
/// Invariant: bit `pair_bit(n, x, y) * 2^(n-2) + compress(Z)` is set iff `x` and `y` are
/// d-separated by `Z`, where `compress` drops the bits of `x` and `y` from `Z`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct IndependenceModel {
    n: usize,
    bits: Vec<u64>,
}

impl IndependenceModel {
    /// The independence model of `dag` (`n <= 20`), by one reachability pass per node `x` and
    /// conditioning set `Z`, which answers every `y > x` at once.
    pub fn of(dag: &Dag) -> IndependenceModel {
        let n = dag.n();
        assert!(
            n <= MAX_FULL_MODEL_NODES,
            "the full independence model is listed for at most {MAX_FULL_MODEL_NODES} nodes"
        );
        let zbits = n.saturating_sub(2);
        let total = num_pairs(n) << zbits;
        let mut bits = vec![0u64; total.div_ceil(64)];
        if n < 2 {
            return IndependenceModel { n, bits };
        }
        // Ancestral closure of every subset of the nodes, built from smaller subsets.
        let mut ancestors_of = vec![NodeSet::EMPTY; 1 << n];
        let own: Vec<NodeSet> = (0..n)
            .map(|v| dag.ancestral_closure(NodeSet::single(v)))
            .collect();
        for m in 1usize..(1 << n) {
            let low = m.trailing_zeros() as usize;
            ancestors_of[m] = ancestors_of[m & (m - 1)] | own[low];
        }
        let bulk = BulkDConnection::new(dag);
        for x in 0..n - 1 {
            let higher = NodeSet::full(n) - NodeSet::full(x + 1);
            for z in subsets(NodeSet::full(n).without(x)) {
                let open = higher - z;
                if open.is_empty() {
                    continue;
                }
                let reach = bulk.d_connected(x, z, ancestors_of[z.0 as usize]);
                for y in open - reach {
                    let index = (pair_bit(n, x, y) << zbits) | compress(z, x, y) as usize;
                    bits[index / 64] |= 1 << (index % 64);
                }
            }
        }
        IndependenceModel { n, bits }
    }

    /// The model in which exactly `statements` hold (over nodes `0..n`, `n <= 20`), whether or not
    /// a DAG has it; for models computed by other means, such as a foreign program's.
    pub fn from_statements(n: usize, statements: &[CiStatement]) -> IndependenceModel {
        assert!(n <= MAX_FULL_MODEL_NODES);
        let zbits = n.saturating_sub(2);
        let mut bits = vec![0u64; (num_pairs(n) << zbits).div_ceil(64)];
        for s in statements {
            let index = (pair_bit(n, s.x, s.y) << zbits) | compress(s.given, s.x, s.y) as usize;
            bits[index / 64] |= 1 << (index % 64);
        }
        IndependenceModel { n, bits }
    }

    /// The model with every node `v` renamed to `perm[v]`.
    pub fn relabel(&self, perm: &[usize]) -> IndependenceModel {
        let statements: Vec<CiStatement> = self
            .independences()
            .into_iter()
            .map(|s| {
                CiStatement::new(
                    perm[s.x],
                    perm[s.y],
                    s.given.iter().map(|v| perm[v]).collect(),
                )
            })
            .collect();
        IndependenceModel::from_statements(self.n, &statements)
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of statements, independent or not: `C(n,2) * 2^(n-2)`.
    pub fn num_statements(&self) -> usize {
        num_pairs(self.n) << self.n.saturating_sub(2)
    }

    /// Number of statements that hold.
    pub fn num_independent(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether `a` and `b` are independent given `z` in the model.
    pub fn is_independent(&self, a: usize, b: usize, z: NodeSet) -> bool {
        let (x, y) = (a.min(b), a.max(b));
        assert!(x != y && y < self.n && !z.contains(x) && !z.contains(y));
        let index =
            (pair_bit(self.n, x, y) << self.n.saturating_sub(2)) | compress(z, x, y) as usize;
        (self.bits[index / 64] >> (index % 64)) & 1 == 1
    }

    /// Whether `a` and `b` are independent given some set (so not adjacent in the DAG).
    pub fn separable(&self, a: usize, b: usize) -> bool {
        let (x, y) = (a.min(b), a.max(b));
        let per_pair = 1usize << self.n.saturating_sub(2);
        let start = pair_bit(self.n, x, y) * per_pair;
        (start..start + per_pair).any(|i| (self.bits[i / 64] >> (i % 64)) & 1 == 1)
    }

    /// Every statement that holds, in Corr2Cause's order (see [`CiStatement`]'s `Ord`).
    pub fn independences(&self) -> Vec<CiStatement> {
        let n = self.n;
        let zbits = n.saturating_sub(2);
        let mut out = Vec::with_capacity(self.num_independent());
        for x in 0..n {
            for y in x + 1..n {
                let start = pair_bit(n, x, y) << zbits;
                let first = out.len();
                for zc in 0..(1usize << zbits) {
                    let i = start | zc;
                    if (self.bits[i / 64] >> (i % 64)) & 1 == 1 {
                        out.push(CiStatement {
                            x,
                            y,
                            given: expand(zc as u64, x, y),
                        });
                    }
                }
                out[first..].sort_unstable_by(|a, b| cmp_as_lists(a.given, b.given));
            }
        }
        out
    }
}

/// Drops bits `x < y` from `z`, closing the gaps.
#[inline]
fn compress(z: NodeSet, x: usize, y: usize) -> u64 {
    let z = z.0;
    let low = z & ((1u64 << x) - 1);
    let mid = (z >> (x + 1)) & ((1u64 << (y - x - 1)) - 1);
    let high = if y + 1 >= 64 { 0 } else { z >> (y + 1) };
    low | (mid << x) | (high << (y - 1))
}

/// Inverse of [`compress`].
#[inline]
fn expand(c: u64, x: usize, y: usize) -> NodeSet {
    let low = c & ((1u64 << x) - 1);
    let mid = (c >> x) & ((1u64 << (y - x - 1)) - 1);
    let high = if y + 1 >= 64 {
        0
    } else {
        (c >> (y - 1)) << (y + 1)
    };
    NodeSet(low | (mid << (x + 1)) | high)
}

/// One local Markov statement: `node` is independent of `independent_of` (its non-descendants
/// other than its parents) given `given` (its parents).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LocalMarkov {
    pub node: usize,
    pub independent_of: NodeSet,
    pub given: NodeSet,
}

impl Dag {
    /// An inclusion-minimal set that d-separates the non-adjacent nodes `x` and `y`, or `None`
    /// when they are adjacent (then no set separates them).
    ///
    /// Tian, Paz and Pearl's construction: in the moral graph of the ancestral set of `{x, y}`,
    /// keep the ancestors that border `x`, then of those the ones that border the part of the
    /// graph `y` reaches around them. The result is minimal and depends only on the graph.
    pub fn minimal_separator(&self, x: usize, y: usize) -> Option<NodeSet> {
        assert!(x != y && x < self.n() && y < self.n());
        if self.adjacent(x, y) {
            return None;
        }
        let pair = NodeSet::single(x).with(y);
        let ancestral = self.ancestral_closure(pair);
        let moral = |v: usize| -> NodeSet {
            let mut nb = self.neighbours(v);
            for c in self.children(v) & ancestral {
                nb |= self.parents(c);
            }
            (nb & ancestral).without(v)
        };
        let candidates = ancestral - pair;
        // Candidates next to x: x's component avoiding `candidates` is {x} alone (x, y are not
        // adjacent in this moral graph), so these are x's moral neighbours.
        let near_x = moral(x) & candidates;
        // Of those, the ones next to the component of y in the moral graph without `near_x`.
        let mut component = NodeSet::single(y);
        let mut todo = component;
        let mut border = NodeSet::EMPTY;
        while let Some(v) = todo.first() {
            todo.remove(v);
            let nb = moral(v);
            border |= nb & near_x;
            let new = nb - near_x - component;
            component |= new;
            todo |= new;
        }
        Some(border)
    }

    /// One statement per non-adjacent pair `x < y`: `x` and `y` independent given their
    /// [`minimal_separator`](Dag::minimal_separator). Sorted by pair.
    pub fn minimal_independences(&self) -> Vec<CiStatement> {
        let n = self.n();
        let mut out = Vec::new();
        for x in 0..n {
            for y in x + 1..n {
                if let Some(given) = self.minimal_separator(x, y) {
                    out.push(CiStatement { x, y, given });
                }
            }
        }
        out
    }

    /// The local Markov basis: each node independent of its non-descendants given its parents
    /// (nodes whose non-descendants are all parents give no statement). Sorted by node.
    pub fn local_markov_basis(&self) -> Vec<LocalMarkov> {
        (0..self.n())
            .filter_map(|v| {
                let given = self.parents(v);
                let independent_of =
                    self.nodes() - self.descendant_closure(NodeSet::single(v)) - given;
                (!independent_of.is_empty()).then_some(LocalMarkov {
                    node: v,
                    independent_of,
                    given,
                })
            })
            .collect()
    }

    /// The local Markov basis as pairwise statements `v ⊥ w | pa(v)`, one per node `v` and
    /// non-descendant non-parent `w`, deduplicated and sorted in Corr2Cause's order.
    pub fn local_markov_pairs(&self) -> Vec<CiStatement> {
        let mut out: Vec<CiStatement> = self
            .local_markov_basis()
            .iter()
            .flat_map(|lm| {
                lm.independent_of
                    .iter()
                    .map(move |w| CiStatement::new(lm.node, w, lm.given))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_expand_round_trip() {
        for (x, y) in [(0, 1), (0, 5), (2, 3), (3, 63), (62, 63)] {
            for z in [0u64, 0b1011_0100, u64::MAX] {
                let z = NodeSet(z) - NodeSet::single(x) - NodeSet::single(y);
                assert_eq!(expand(compress(z, x, y), x, y), z, "x={x} y={y}");
            }
        }
    }

    #[test]
    fn statement_order_is_corr2causes() {
        let s = |z: &[usize]| CiStatement::new(0, 1, z.iter().copied().collect());
        let mut v = [s(&[5]), s(&[3, 5]), s(&[3]), s(&[])];
        v.sort();
        let lists: Vec<Vec<usize>> = v.iter().map(|c| c.given.to_vec()).collect();
        assert_eq!(lists, vec![vec![], vec![3], vec![3, 5], vec![5]]);
    }

    #[test]
    fn chain_model() {
        // 0 -> 1 -> 2: the only independence is 0 ⊥ 2 | {1}.
        let g = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let m = IndependenceModel::of(&g);
        assert_eq!(m.num_statements(), 6);
        assert_eq!(
            m.independences(),
            vec![CiStatement::new(0, 2, NodeSet::single(1))]
        );
        assert!(m.separable(0, 2) && !m.separable(0, 1));
        assert_eq!(g.minimal_separator(0, 2), Some(NodeSet::single(1)));
        assert_eq!(g.minimal_separator(0, 1), None);
        assert_eq!(
            g.local_markov_pairs(),
            vec![CiStatement::new(0, 2, NodeSet::single(1))]
        );
    }

    #[test]
    fn minimal_separator_drops_needless_nodes() {
        // 0 -> 1 -> 3 and 0 -> 2 -> 3, 4 -> 0: separating 0 from 3 needs {1, 2}, not 4.
        let g = Dag::new(5, [(0, 1), (1, 3), (0, 2), (2, 3), (4, 0)]).unwrap();
        assert_eq!(g.minimal_separator(0, 3), Some(NodeSet(0b0110)));
        assert_eq!(g.minimal_separator(4, 3), Some(NodeSet::single(0)));
        // Collider 1 -> 3 <- 2 with 0 above both: 1 and 2 are separated by {0} alone.
        assert_eq!(g.minimal_separator(1, 2), Some(NodeSet::single(0)));
    }
}

/// Which statements of a DAG's independence model are listed (`graph ci --form`, the Python
/// `Dag.independences(form=...)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    /// Every statement (x, y, Z) for all pairs and all subsets Z of the other nodes.
    All,
    /// One minimal separating set per non-adjacent pair.
    Minimal,
    /// The local Markov basis, as pairwise statements v ⊥ w | parents(v).
    Basis,
}

/// The statements of one [`Form`]: how many were considered, how many hold, and those that hold
/// (left empty when only the counts were asked for).
pub struct Listing {
    pub statements: usize,
    pub independent: usize,
    pub independences: Vec<CiStatement>,
}

/// Lists the independences of `dag` in `form`; `Err` says why a form cannot be listed.
pub fn list_independences(dag: &Dag, form: Form, count_only: bool) -> Result<Listing, String> {
    let n = dag.n();
    Ok(match form {
        Form::All => {
            if n > MAX_FULL_MODEL_NODES {
                return Err(format!(
                    "--form all lists C(n,2)*2^(n-2) statements and is supported up to {MAX_FULL_MODEL_NODES} nodes; this graph has {n} (use --form minimal or basis)"
                ));
            }
            let model = IndependenceModel::of(dag);
            Listing {
                statements: model.num_statements(),
                independent: model.num_independent(),
                independences: if count_only {
                    Vec::new()
                } else {
                    model.independences()
                },
            }
        }
        Form::Minimal => {
            let list = dag.minimal_independences();
            Listing {
                statements: num_pairs(n),
                independent: list.len(),
                independences: list,
            }
        }
        Form::Basis => {
            let list = dag.local_markov_pairs();
            Listing {
                statements: list.len(),
                independent: list.len(),
                independences: list,
            }
        }
    })
}
