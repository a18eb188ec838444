//! Markov equivalence: skeleton, v-structures, the CPDAG (Meek's rules R1-R3), every member of a
//! Markov equivalence class (MEC), and the size of a MEC without listing it.
//!
//! Members are found chain component by chain component. A chain component of a CPDAG is a
//! connected chordal undirected graph (a UCCG) whose orientations without v-structures can be
//! chosen independently of the others (Andersson, Madigan & Perlman 1997). In each such
//! orientation exactly one node is a source; fixing the source `v` (orienting every edge at `v`
//! away from it) and closing under Meek's rules R1-R4 leaves a chain graph whose undirected
//! components are again UCCGs (He, Jia & Yu 2015). So members and their number follow by recursion
//! over (component, source), each member produced exactly once.

use crate::graph::{Dag, NodeSet};
use num_bigint::BigUint;
use num_traits::One;
use std::collections::HashMap;
use std::rc::Rc;

/// The undirected adjacency of a DAG: `neighbours[v]` holds every node joined to `v`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Skeleton {
    pub neighbours: Vec<NodeSet>,
}

impl Skeleton {
    /// The skeleton of `dag`.
    pub fn of(dag: &Dag) -> Skeleton {
        Skeleton {
            neighbours: (0..dag.n()).map(|v| dag.neighbours(v)).collect(),
        }
    }

    /// Edges `(a, b)` with `a < b`, sorted.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        undirected_edges(&self.neighbours)
    }
}

/// A v-structure (unshielded collider) `a -> collider <- b` with `a < b` not adjacent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct VStructure {
    pub a: usize,
    pub collider: usize,
    pub b: usize,
}

impl Dag {
    /// Every v-structure, sorted by `(a, collider, b)`.
    pub fn v_structures(&self) -> Vec<VStructure> {
        let mut out = Vec::new();
        for c in 0..self.n() {
            let ps = self.parents(c);
            for a in ps {
                for b in ps - NodeSet::full(a + 1) - self.neighbours(a) {
                    out.push(VStructure { a, collider: c, b });
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// For each node `c`, the parents of `c` that belong to a v-structure at `c`. Together with
    /// the skeleton this determines the v-structures (and so the MEC): those at `c` are exactly
    /// the non-adjacent pairs of this set.
    pub fn v_structure_parents(&self) -> Vec<NodeSet> {
        v_structure_parents(self.parent_sets(), |v| self.neighbours(v))
    }
}

fn v_structure_parents(parents: &[NodeSet], neighbours: impl Fn(usize) -> NodeSet) -> Vec<NodeSet> {
    parents
        .iter()
        .map(|&ps| {
            ps.iter()
                .filter(|&a| !(ps - neighbours(a)).without(a).is_empty())
                .collect()
        })
        .collect()
}

/// A key equal for two DAGs on `n <= 8` nodes iff they are Markov equivalent (same skeleton and
/// v-structures), packed in 128 bits: the skeleton's pairs, then each node's v-structure parents.
pub fn mec_key(parents: &[NodeSet]) -> u128 {
    let n = parents.len();
    assert!(n <= 8, "packed MEC keys are for n <= 8");
    let mut adj = [NodeSet::EMPTY; 8];
    for (v, &ps) in parents.iter().enumerate() {
        adj[v] |= ps;
        for p in ps {
            adj[p].insert(v);
        }
    }
    let mut key = 0u128;
    let mut bit = 0;
    for (i, nb) in adj.iter().enumerate().take(n) {
        for j in i + 1..n {
            if nb.contains(j) {
                key |= 1 << bit;
            }
            bit += 1;
        }
    }
    for vp in v_structure_parents(parents, |v| adj[v]) {
        key |= (vp.0 as u128) << bit;
        bit += n;
    }
    key
}

/// Every labelled DAG on `n <= 7` nodes grouped into its MEC: `(mec_key, number of members)` for
/// every MEC, sorted by key (OEIS A007984 counts the MECs: 1, 2, 11, 185, 8782, 1067825).
/// Uses every core; the result does not depend on the thread count.
pub fn labelled_mecs(n: usize) -> Vec<(u128, u64)> {
    use crate::graph::enumerate::{for_each_labelled_dag, for_each_labelled_dag_extending};
    use rayon::prelude::*;
    assert!(n <= 7, "labelled MECs are listed for n <= 7");
    // Split the enumeration by the DAG induced on the first n-2 nodes.
    let mut prefixes = Vec::new();
    for_each_labelled_dag(n.saturating_sub(2), |ps| prefixes.push(ps.to_vec()));
    let mut keys: Vec<u128> = prefixes
        .par_iter()
        .flat_map_iter(|prefix| {
            let mut keys = Vec::new();
            for_each_labelled_dag_extending(n, prefix, |ps| keys.push(mec_key(ps)));
            keys
        })
        .collect();
    keys.par_sort_unstable();
    let mut out: Vec<(u128, u64)> = Vec::new();
    for key in keys {
        match out.last_mut() {
            Some((k, count)) if *k == key => *count += 1,
            _ => out.push((key, 1)),
        }
    }
    out
}

/// A partially directed graph under construction: directed edges, undirected edges, and the
/// (fixed) adjacency. Meek's rules only ever turn undirected edges into directed ones.
#[derive(Clone, Debug)]
struct Pdag {
    parents: Vec<NodeSet>,
    children: Vec<NodeSet>,
    undirected: Vec<NodeSet>,
    adjacent: Vec<NodeSet>,
}

impl Pdag {
    fn undirected_graph(undirected: &[NodeSet]) -> Pdag {
        let n = undirected.len();
        Pdag {
            parents: vec![NodeSet::EMPTY; n],
            children: vec![NodeSet::EMPTY; n],
            undirected: undirected.to_vec(),
            adjacent: undirected.to_vec(),
        }
    }

    #[inline]
    fn orient(&mut self, a: usize, b: usize) {
        self.undirected[a].remove(b);
        self.undirected[b].remove(a);
        self.parents[b].insert(a);
        self.children[a].insert(b);
    }

    /// Applies Meek's rules until none applies: R1-R3 (complete for a pattern), and R4 as well
    /// when background orientations were added.
    fn close(&mut self, with_r4: bool) {
        let rules = MEEK_R1 | MEEK_R2 | MEEK_R3 | if with_r4 { MEEK_R4 } else { 0 };
        self.close_with(rules);
    }

    /// Applies the rules in `rules` (a mask of `MEEK_R*`) until none applies; returns the mask
    /// of the rules that oriented at least one edge.
    fn close_with(&mut self, rules: u8) -> u8 {
        let n = self.adjacent.len();
        let mut fired = 0;
        loop {
            let mut changed = false;
            for a in 0..n {
                let mut und = self.undirected[a];
                while let Some(b) = und.first() {
                    und.remove(b);
                    let rule = self.forces(a, b, rules);
                    if rule != 0 {
                        self.orient(a, b);
                        fired |= rule;
                        changed = true;
                    }
                }
            }
            if !changed {
                return fired;
            }
        }
    }

    /// Which rule of `rules` (the first that applies, as a `MEEK_R*` bit; 0 if none) orients
    /// the undirected edge `a - b` as `a -> b`.
    #[inline]
    fn forces(&self, a: usize, b: usize, rules: u8) -> u8 {
        // R1: c -> a - b with c, b not adjacent.
        if rules & MEEK_R1 != 0 && !(self.parents[a] - self.adjacent[b]).is_empty() {
            return MEEK_R1;
        }
        // R2: a -> c -> b.
        if rules & MEEK_R2 != 0 && self.children[a].intersects(self.parents[b]) {
            return MEEK_R2;
        }
        // R3: a - c -> b and a - d -> b with c, d not adjacent.
        let s = self.undirected[a] & self.parents[b];
        if rules & MEEK_R3 != 0 && s.len() >= 2 {
            for c in s {
                if !(s - self.adjacent[c]).without(c).is_empty() {
                    return MEEK_R3;
                }
            }
        }
        // R4: d -> c -> b with d adjacent to a and not to b.
        if rules & MEEK_R4 != 0 {
            for c in self.parents[b] {
                if !((self.parents[c] & self.adjacent[a]) - self.adjacent[b])
                    .without(b)
                    .is_empty()
                {
                    return MEEK_R4;
                }
            }
        }
        0
    }
}

/// Meek's rule R1 (away from a collider), as a bit of a rule mask.
pub const MEEK_R1: u8 = 1;
/// Meek's rule R2 (away from a cycle).
pub const MEEK_R2: u8 = 2;
/// Meek's rule R3 (two non-adjacent parents through undirected edges).
pub const MEEK_R3: u8 = 4;
/// Meek's rule R4 (only needed with background knowledge).
pub const MEEK_R4: u8 = 8;

/// One rung of the ladder from a skeleton to its CPDAG: the directed edges (as parent sets) of a
/// partially directed graph, and the Meek rules that oriented an edge on the way to it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rung {
    pub parents: Vec<NodeSet>,
    pub fired: u8,
}

/// The ladder of partially directed graphs on `dag`'s skeleton, after the bare skeleton: the
/// v-structures oriented, then closed under R1, then under R1+R2, then under R1+R2+R3 (the
/// CPDAG). `fired` accumulates the rules that oriented an edge up to each rung.
pub fn meek_ladder(dag: &Dag) -> Vec<Rung> {
    let skeleton: Vec<NodeSet> = (0..dag.n()).map(|v| dag.neighbours(v)).collect();
    let mut pdag = Pdag::undirected_graph(&skeleton);
    for (c, vps) in dag.v_structure_parents().into_iter().enumerate() {
        for a in vps {
            pdag.orient(a, c);
        }
    }
    let mut out = vec![Rung {
        parents: pdag.parents.clone(),
        fired: 0,
    }];
    let mut fired = 0;
    for rules in [MEEK_R1, MEEK_R1 | MEEK_R2, MEEK_R1 | MEEK_R2 | MEEK_R3] {
        fired |= pdag.close_with(rules);
        out.push(Rung {
            parents: pdag.parents.clone(),
            fired,
        });
    }
    out
}

/// The completed partially directed acyclic graph (CPDAG, essential graph) of a MEC: an edge is
/// directed iff every member orients it that way (compelled), undirected iff members disagree.
///
/// Invariants: `parents`/`children` mirror each other, `undirected` is symmetric, and the three
/// relations are disjoint; the undirected part's connected components are chordal.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Cpdag {
    parents: Vec<NodeSet>,
    children: Vec<NodeSet>,
    undirected: Vec<NodeSet>,
}

impl Cpdag {
    /// The CPDAG of `dag`'s MEC: its skeleton, its v-structures oriented, then Meek's rules
    /// R1-R3 to a fixed point.
    pub fn of(dag: &Dag) -> Cpdag {
        let skeleton: Vec<NodeSet> = (0..dag.n()).map(|v| dag.neighbours(v)).collect();
        let mut pdag = Pdag::undirected_graph(&skeleton);
        for (c, vps) in dag.v_structure_parents().into_iter().enumerate() {
            for a in vps {
                pdag.orient(a, c);
            }
        }
        pdag.close(false);
        Cpdag {
            parents: pdag.parents,
            children: pdag.children,
            undirected: pdag.undirected,
        }
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.parents.len()
    }

    /// Nodes with a compelled edge into `v`.
    pub fn parents(&self, v: usize) -> NodeSet {
        self.parents[v]
    }

    /// Nodes with a compelled edge from `v`.
    pub fn children(&self, v: usize) -> NodeSet {
        self.children[v]
    }

    /// Nodes joined to `v` by a reversible (undirected) edge.
    pub fn undirected_neighbours(&self, v: usize) -> NodeSet {
        self.undirected[v]
    }

    /// Compelled edges `(from, to)`, sorted.
    pub fn directed_edges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (a, ch) in self.children.iter().enumerate() {
            out.extend(ch.iter().map(|b| (a, b)));
        }
        out
    }

    /// Reversible edges `(c, d)` with `c < d`, sorted.
    pub fn undirected_edges(&self) -> Vec<(usize, usize)> {
        undirected_edges(&self.undirected)
    }

    /// The chain components with more than one node (connected components of the undirected
    /// part), each as a node set, ordered by smallest node.
    pub fn chain_components(&self) -> Vec<NodeSet> {
        components(&self.undirected, NodeSet::full(self.n()))
    }

    /// The number of members of the MEC, counted without listing them.
    pub fn mec_size(&self) -> BigUint {
        let mut memo = HashMap::new();
        let mut size = BigUint::one();
        for c in self.chain_components() {
            size *= count_orientations(&self.undirected, c, &mut memo);
        }
        size
    }

    /// The MEC's size when it is at most `limit` (listing it is then affordable), else the size.
    pub fn size_within(&self, limit: u64) -> Result<u64, BigUint> {
        let size = self.mec_size();
        match u64::try_from(&size) {
            Ok(s) if s <= limit => Ok(s),
            _ => Err(size),
        }
    }

    /// Calls `f` with the parent sets of every member of the MEC, each exactly once.
    pub fn for_each_member(&self, mut f: impl FnMut(&[NodeSet])) {
        let mut memo = HashMap::new();
        let lists: Vec<Rc<Vec<Vec<NodeSet>>>> = self
            .chain_components()
            .into_iter()
            .map(|c| list_orientations(&self.undirected, c, &mut memo))
            .collect();
        let mut current = self.parents.clone();
        product(&lists, 0, &mut current, &mut f);
    }

    /// One member of the MEC (a consistent extension), without listing the others.
    pub fn member(&self) -> Dag {
        let adjacent: Vec<NodeSet> = (0..self.n())
            .map(|v| self.parents[v] | self.children[v] | self.undirected[v])
            .collect();
        super::learn::extend(&adjacent, &self.parents).expect("a CPDAG has a consistent extension")
    }

    /// Every member of the MEC as a DAG, sorted by edge list.
    pub fn members(&self) -> Vec<Dag> {
        let mut out = Vec::new();
        self.for_each_member(|ps| out.push(Dag::from_parents_unchecked(ps.to_vec())));
        out.sort_by_cached_key(|d| d.edges());
        out
    }
}

/// Undirected edges `(a, b)`, `a < b`, of a symmetric adjacency, sorted.
fn undirected_edges(adjacency: &[NodeSet]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (a, nb) in adjacency.iter().enumerate() {
        out.extend((*nb - NodeSet::full(a + 1)).iter().map(|b| (a, b)));
    }
    out
}

/// Connected components (of more than one node) of the undirected graph restricted to `within`.
fn components(undirected: &[NodeSet], within: NodeSet) -> Vec<NodeSet> {
    let mut out = Vec::new();
    let mut left = within;
    while let Some(start) = left.first() {
        let mut comp = NodeSet::single(start);
        let mut todo = comp;
        while let Some(v) = todo.first() {
            todo.remove(v);
            let new = (undirected[v] & within) - comp;
            comp |= new;
            todo |= new;
        }
        left -= comp;
        if comp.len() > 1 {
            out.push(comp);
        }
    }
    out
}

/// The chain graph left when `root` is made the source of the UCCG `component`: orient every
/// edge at `root` away from it and close under Meek's rules.
fn rooted(undirected: &[NodeSet], component: NodeSet, root: usize) -> Pdag {
    let local: Vec<NodeSet> = undirected
        .iter()
        .enumerate()
        .map(|(v, &nb)| {
            if component.contains(v) {
                nb & component
            } else {
                NodeSet::EMPTY
            }
        })
        .collect();
    let mut pdag = Pdag::undirected_graph(&local);
    for w in local[root] {
        pdag.orient(root, w);
    }
    pdag.close(true);
    pdag
}

fn is_clique(undirected: &[NodeSet], component: NodeSet) -> bool {
    component
        .iter()
        .all(|v| (component - undirected[v]).without(v).is_empty())
}

/// Number of acyclic orientations without v-structures of the UCCG `component`.
fn count_orientations(
    undirected: &[NodeSet],
    component: NodeSet,
    memo: &mut HashMap<NodeSet, BigUint>,
) -> BigUint {
    if let Some(c) = memo.get(&component) {
        return c.clone();
    }
    let k = component.len();
    let count = if is_clique(undirected, component) {
        (1..=k as u64).product()
    } else {
        let mut total = BigUint::ZERO;
        for root in component {
            let pdag = rooted(undirected, component, root);
            let mut ways = BigUint::one();
            for sub in components(&pdag.undirected, component) {
                ways *= count_orientations(undirected, sub, memo);
            }
            total += ways;
        }
        total
    };
    memo.insert(component, count.clone());
    count
}

/// Every acyclic orientation without v-structures of the UCCG `component`, each as full-length
/// parent sets holding only the component's edges.
fn list_orientations(
    undirected: &[NodeSet],
    component: NodeSet,
    memo: &mut HashMap<NodeSet, Rc<Vec<Vec<NodeSet>>>>,
) -> Rc<Vec<Vec<NodeSet>>> {
    if let Some(l) = memo.get(&component) {
        return Rc::clone(l);
    }
    let mut out = Vec::new();
    for root in component {
        let pdag = rooted(undirected, component, root);
        let subs: Vec<Rc<Vec<Vec<NodeSet>>>> = components(&pdag.undirected, component)
            .into_iter()
            .map(|sub| list_orientations(undirected, sub, memo))
            .collect();
        let mut current = pdag.parents.clone();
        product(&subs, 0, &mut current, &mut |ps: &[NodeSet]| {
            out.push(ps.to_vec())
        });
    }
    let out = Rc::new(out);
    memo.insert(component, Rc::clone(&out));
    out
}

/// Calls `f` with `current` joined with one choice from each of `lists[k..]`, for every choice.
fn product(
    lists: &[Rc<Vec<Vec<NodeSet>>>],
    k: usize,
    current: &mut Vec<NodeSet>,
    f: &mut impl FnMut(&[NodeSet]),
) {
    if k == lists.len() {
        f(current);
        return;
    }
    for choice in lists[k].iter() {
        for (c, p) in current.iter_mut().zip(choice) {
            c.0 ^= p.0;
        }
        product(lists, k + 1, current, f);
        for (c, p) in current.iter_mut().zip(choice) {
            c.0 ^= p.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collider_is_compelled_chain_is_not() {
        let collider = Dag::new(3, [(0, 2), (1, 2)]).unwrap();
        let c = Cpdag::of(&collider);
        assert_eq!(c.directed_edges(), vec![(0, 2), (1, 2)]);
        assert!(c.undirected_edges().is_empty());
        assert_eq!(c.mec_size(), BigUint::from(1u32));
        assert_eq!(
            collider.v_structures(),
            vec![VStructure {
                a: 0,
                collider: 2,
                b: 1
            }]
        );

        let chain = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let c = Cpdag::of(&chain);
        assert!(c.directed_edges().is_empty());
        assert_eq!(c.undirected_edges(), vec![(0, 1), (1, 2)]);
        assert_eq!(c.mec_size(), BigUint::from(3u32));
        let members: Vec<_> = c.members().iter().map(|d| d.edges()).collect();
        assert_eq!(
            members,
            vec![
                vec![(0, 1), (1, 2)],
                vec![(1, 0), (1, 2)],
                vec![(1, 0), (2, 1)]
            ]
        );
    }

    #[test]
    fn meek_r1_propagates_below_a_collider() {
        // 0 -> 2 <- 1, 2 - 3: R1 orients 2 -> 3.
        let g = Dag::new(4, [(0, 2), (1, 2), (2, 3)]).unwrap();
        assert_eq!(Cpdag::of(&g).directed_edges(), vec![(0, 2), (1, 2), (2, 3)]);
    }

    #[test]
    fn complete_graph_has_n_factorial_members() {
        let edges: Vec<(usize, usize)> = (0..6)
            .flat_map(|i| (i + 1..6).map(move |j| (i, j)))
            .collect();
        let g = Dag::new(6, edges).unwrap();
        let c = Cpdag::of(&g);
        assert_eq!(c.mec_size(), BigUint::from(720u32));
        let mut count = 0;
        c.for_each_member(|_| count += 1);
        assert_eq!(count, 720);
        let big: Vec<(usize, usize)> = (0..64)
            .flat_map(|i| (i + 1..64).map(move |j| (i, j)))
            .collect();
        let c = Cpdag::of(&Dag::new(64, big).unwrap());
        let factorial: BigUint = (1..=64u64).product();
        assert_eq!(c.mec_size(), factorial);
    }

    #[test]
    fn mec_key_separates_classes() {
        let chain = Dag::new(3, [(0, 1), (1, 2)]).unwrap();
        let fork = Dag::new(3, [(1, 0), (1, 2)]).unwrap();
        let collider = Dag::new(3, [(0, 1), (2, 1)]).unwrap();
        assert_eq!(mec_key(chain.parent_sets()), mec_key(fork.parent_sets()));
        assert_ne!(
            mec_key(chain.parent_sets()),
            mec_key(collider.parent_sets())
        );
    }
}
