//! `Dag`: a directed acyclic graph on at most 64 nodes, adjacency as bitsets.

use super::nodeset::{NodeSet, MAX_NODES};
use std::collections::HashMap;
use std::fmt;

/// Adds to `children[p]` every `v` with `p` among `parents[v]`: the child sets of a graph given by
/// its parent sets (`children` as long as `parents`, empty for a graph's child sets).
pub fn child_sets_into(parents: &[NodeSet], children: &mut [NodeSet]) {
    debug_assert_eq!(parents.len(), children.len());
    for (v, ps) in parents.iter().enumerate() {
        for p in *ps {
            children[p].insert(v);
        }
    }
}

/// Why a graph is not a valid DAG. Nodes are named as the caller named them (or by index).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DagError {
    /// More than [`MAX_NODES`] nodes were asked for.
    #[error("a graph may have at most {MAX_NODES} nodes, got {0}")]
    TooManyNodes(usize),
    /// An edge names a node that is not in the graph.
    #[error("edge names unknown node {node} (the graph has nodes {known})")]
    UnknownNode { node: String, known: String },
    /// An edge from a node to itself.
    #[error("self loop on node {0}")]
    SelfLoop(String),
    /// The same edge twice.
    #[error("duplicate edge {0} -> {1}")]
    DuplicateEdge(String, String),
    /// Edges that form a directed cycle; the cycle is listed in order.
    #[error("the edges form a directed cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// The number of names differs from the number of nodes.
    #[error("{names} names given for {nodes} nodes")]
    NameCount { names: usize, nodes: usize },
    /// Two nodes share a name.
    #[error("node name {0:?} is used twice")]
    DuplicateName(String),
}

/// A directed acyclic graph on nodes `0..n` (`n <= 64`), with optional node names.
///
/// Invariants (checked by every public constructor): `parents[v]` and `children[v]` are subsets of
/// `0..n`, mirror each other (`u` in `parents[v]` iff `v` in `children[u]`), hold no self loop, and
/// the edges form no directed cycle. Names, when present, are `n` distinct strings.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Dag {
    parents: Vec<NodeSet>,
    children: Vec<NodeSet>,
    names: Option<Vec<String>>,
}

impl Dag {
    /// The graph on `n` nodes with no edge.
    pub fn empty(n: usize) -> Result<Dag, DagError> {
        if n > MAX_NODES {
            return Err(DagError::TooManyNodes(n));
        }
        Ok(Dag {
            parents: vec![NodeSet::EMPTY; n],
            children: vec![NodeSet::EMPTY; n],
            names: None,
        })
    }

    /// Builds a DAG on nodes `0..n` from directed edges `(from, to)`, rejecting unknown nodes,
    /// self loops, duplicate edges and cycles.
    pub fn new(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> Result<Dag, DagError> {
        let mut dag = Dag::empty(n)?;
        for (a, b) in edges {
            dag.check_new_edge(a, b)?;
            dag.parents[b].insert(a);
            dag.children[a].insert(b);
        }
        dag.check_acyclic()?;
        Ok(dag)
    }

    /// Builds a named DAG from node names and edges between names.
    pub fn from_named_edges<S: AsRef<str>>(
        names: &[S],
        edges: impl IntoIterator<Item = (S, S)>,
    ) -> Result<Dag, DagError> {
        let names: Vec<String> = names.iter().map(|s| s.as_ref().to_string()).collect();
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            if index.insert(name.as_str(), i).is_some() {
                return Err(DagError::DuplicateName(name.clone()));
            }
        }
        let n = names.len();
        let mut dag = Dag::empty(n)?;
        let lookup = |s: &str| {
            index.get(s).copied().ok_or_else(|| DagError::UnknownNode {
                node: format!("{s:?}"),
                known: names.join(", "),
            })
        };
        let mut pairs = Vec::new();
        for (a, b) in edges {
            pairs.push((lookup(a.as_ref())?, lookup(b.as_ref())?));
        }
        dag.names = Some(names.clone());
        for (a, b) in pairs {
            dag.check_new_edge(a, b)?;
            dag.parents[b].insert(a);
            dag.children[a].insert(b);
        }
        dag.check_acyclic()?;
        Ok(dag)
    }

    /// Builds a DAG from the parent set of every node, checking every invariant.
    pub fn from_parents(parents: Vec<NodeSet>) -> Result<Dag, DagError> {
        let n = parents.len();
        let mut dag = Dag::empty(n)?;
        for (v, &ps) in parents.iter().enumerate() {
            for p in ps {
                dag.check_new_edge(p, v)?;
                dag.parents[v].insert(p);
                dag.children[p].insert(v);
            }
        }
        dag.check_acyclic()?;
        Ok(dag)
    }

    /// Builds a DAG from parent sets the caller knows to be acyclic, in range and loop free
    /// (checked in debug builds only). For hot paths such as enumeration.
    pub fn from_parents_unchecked(parents: Vec<NodeSet>) -> Dag {
        let n = parents.len();
        debug_assert!(n <= MAX_NODES);
        debug_assert!(parents
            .iter()
            .enumerate()
            .all(|(v, ps)| ps.is_subset(NodeSet::full(n)) && !ps.contains(v)));
        let mut children = vec![NodeSet::EMPTY; n];
        child_sets_into(&parents, &mut children);
        let dag = Dag {
            parents,
            children,
            names: None,
        };
        debug_assert!(dag.find_cycle().is_none());
        dag
    }

    /// Returns the same graph with node names (`names.len()` must equal the number of nodes).
    pub fn with_names<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<Dag, DagError> {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() != self.n() {
            return Err(DagError::NameCount {
                names: names.len(),
                nodes: self.n(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            if !seen.insert(name.as_str()) {
                return Err(DagError::DuplicateName(name.clone()));
            }
        }
        self.names = Some(names);
        Ok(self)
    }

    /// The same graph without node names.
    pub fn without_names(mut self) -> Dag {
        self.names = None;
        self
    }

    fn check_new_edge(&self, a: usize, b: usize) -> Result<(), DagError> {
        let n = self.n();
        for v in [a, b] {
            if v >= n {
                return Err(DagError::UnknownNode {
                    node: v.to_string(),
                    known: format!("0..{n}"),
                });
            }
        }
        if a == b {
            return Err(DagError::SelfLoop(self.label(a)));
        }
        if self.children[a].contains(b) {
            return Err(DagError::DuplicateEdge(self.label(a), self.label(b)));
        }
        Ok(())
    }

    fn check_acyclic(&self) -> Result<(), DagError> {
        match self.find_cycle() {
            None => Ok(()),
            Some(cycle) => Err(DagError::Cycle(
                cycle.iter().map(|&v| self.label(v)).collect(),
            )),
        }
    }

    /// A directed cycle (first node repeated at the end), or `None` when the graph is acyclic.
    fn find_cycle(&self) -> Option<Vec<usize>> {
        // Peel nodes whose parents are all peeled; what remains lies on or above a cycle.
        let mut remaining = NodeSet::full(self.n());
        loop {
            let peel: NodeSet = remaining
                .iter()
                .filter(|&v| (self.parents[v] & remaining).is_empty())
                .collect();
            if peel.is_empty() {
                break;
            }
            remaining -= peel;
        }
        let start = remaining.first()?;
        // Every remaining node has a remaining parent: walk parents until a node repeats.
        let mut path = vec![start];
        let mut pos = vec![usize::MAX; self.n()];
        pos[start] = 0;
        let mut v = start;
        loop {
            v = (self.parents[v] & remaining)
                .first()
                .expect("a remaining parent");
            if pos[v] != usize::MAX {
                let mut cycle: Vec<usize> = path[pos[v]..].to_vec();
                cycle.reverse();
                // Start at the smallest node so the witness does not depend on the walk.
                let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                cycle.rotate_left(lowest);
                cycle.push(cycle[0]);
                return Some(cycle);
            }
            pos[v] = path.len();
            path.push(v);
        }
    }

    /// Number of nodes.
    #[inline]
    pub fn n(&self) -> usize {
        self.parents.len()
    }

    /// All nodes as a set.
    #[inline]
    pub fn nodes(&self) -> NodeSet {
        NodeSet::full(self.n())
    }

    /// Parents of `v`.
    #[inline]
    pub fn parents(&self, v: usize) -> NodeSet {
        self.parents[v]
    }

    /// Children of `v`.
    #[inline]
    pub fn children(&self, v: usize) -> NodeSet {
        self.children[v]
    }

    /// Parent sets of all nodes, indexed by node.
    #[inline]
    pub fn parent_sets(&self) -> &[NodeSet] {
        &self.parents
    }

    /// Child sets of all nodes, indexed by node.
    #[inline]
    pub fn child_sets(&self) -> &[NodeSet] {
        &self.children
    }

    /// Nodes adjacent to `v` (parents or children).
    #[inline]
    pub fn neighbours(&self, v: usize) -> NodeSet {
        self.parents[v] | self.children[v]
    }

    /// Whether the edge `a -> b` is present.
    #[inline]
    pub fn has_edge(&self, a: usize, b: usize) -> bool {
        self.children[a].contains(b)
    }

    /// Whether `a` and `b` are joined by an edge in either direction.
    #[inline]
    pub fn adjacent(&self, a: usize, b: usize) -> bool {
        self.neighbours(a).contains(b)
    }

    /// Number of edges.
    pub fn num_edges(&self) -> usize {
        self.parents.iter().map(|p| p.len()).sum()
    }

    /// Edges `(from, to)` sorted lexicographically.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.num_edges());
        for (a, ch) in self.children.iter().enumerate() {
            out.extend(ch.iter().map(|b| (a, b)));
        }
        out
    }

    /// Node names, when the graph has them.
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// The name of `v`, or its index as text.
    pub fn label(&self, v: usize) -> String {
        match &self.names {
            Some(names) => names[v].clone(),
            None => v.to_string(),
        }
    }

    /// Strict ancestors of `v` (nodes with a directed path to `v`).
    pub fn ancestors(&self, v: usize) -> NodeSet {
        closure(&self.parents, self.parents[v])
    }

    /// Strict descendants of `v` (nodes reachable from `v` by a directed path).
    pub fn descendants(&self, v: usize) -> NodeSet {
        closure(&self.children, self.children[v])
    }

    /// The set `s` together with every ancestor of a node in `s`.
    pub fn ancestral_closure(&self, s: NodeSet) -> NodeSet {
        closure(&self.parents, s)
    }

    /// The set `s` together with every descendant of a node in `s`.
    pub fn descendant_closure(&self, s: NodeSet) -> NodeSet {
        closure(&self.children, s)
    }

    /// A topological order (every edge points from an earlier to a later node); among all, the
    /// one that always takes the smallest available node.
    pub fn topological_order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.n());
        let mut placed = NodeSet::EMPTY;
        while order.len() < self.n() {
            let v = (self.nodes() - placed)
                .iter()
                .find(|&v| self.parents[v].is_subset(placed))
                .expect("acyclic graph has a source");
            order.push(v);
            placed.insert(v);
        }
        order
    }

    /// The graph with every node `v` renamed to `perm[v]` (names travel with their nodes).
    pub fn relabel(&self, perm: &[usize]) -> Dag {
        assert_eq!(perm.len(), self.n(), "permutation length");
        let mut parents = vec![NodeSet::EMPTY; self.n()];
        for (v, ps) in self.parents.iter().enumerate() {
            parents[perm[v]] = ps.iter().map(|p| perm[p]).collect();
        }
        let mut dag = Dag::from_parents_unchecked(parents);
        if let Some(names) = &self.names {
            let mut renamed = vec![String::new(); self.n()];
            for (v, name) in names.iter().enumerate() {
                renamed[perm[v]] = name.clone();
            }
            dag.names = Some(renamed);
        }
        dag
    }
}

/// Nodes reachable from `start` (inclusive) along `next` (parents or children).
#[inline]
pub(crate) fn closure(next: &[NodeSet], start: NodeSet) -> NodeSet {
    let mut seen = start;
    let mut frontier = start;
    while let Some(v) = frontier.first() {
        frontier.remove(v);
        let new = next[v] - seen;
        seen |= new;
        frontier |= new;
    }
    seen
}

impl fmt::Debug for Dag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dag(n={}, edges=[", self.n())?;
        for (i, (a, b)) in self.edges().into_iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{}->{}", self.label(a), self.label(b))?;
        }
        write!(f, "])")
    }
}

/// A petgraph graph whose node weights are the node labels; node `i` keeps index `i`.
impl From<&Dag> for petgraph::graph::DiGraph<String, ()> {
    fn from(dag: &Dag) -> Self {
        let mut g = petgraph::graph::DiGraph::with_capacity(dag.n(), dag.num_edges());
        for v in 0..dag.n() {
            g.add_node(dag.label(v));
        }
        for (a, b) in dag.edges() {
            g.add_edge(
                petgraph::graph::NodeIndex::new(a),
                petgraph::graph::NodeIndex::new(b),
                (),
            );
        }
        g
    }
}

/// Reads a petgraph graph as a DAG on its node indices (weights are ignored), validating it.
impl<N, E> TryFrom<&petgraph::graph::DiGraph<N, E>> for Dag {
    type Error = DagError;
    fn try_from(g: &petgraph::graph::DiGraph<N, E>) -> Result<Dag, DagError> {
        Dag::new(
            g.node_count(),
            g.raw_edges()
                .iter()
                .map(|e| (e.source().index(), e.target().index())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_validates() {
        assert!(matches!(
            Dag::new(3, [(0, 3)]),
            Err(DagError::UnknownNode { .. })
        ));
        assert_eq!(Dag::new(3, [(1, 1)]), Err(DagError::SelfLoop("1".into())));
        assert_eq!(
            Dag::new(3, [(0, 1), (0, 1)]),
            Err(DagError::DuplicateEdge("0".into(), "1".into()))
        );
        assert_eq!(
            Dag::new(3, [(0, 1), (1, 2), (2, 0)]),
            Err(DagError::Cycle(vec![
                "0".into(),
                "1".into(),
                "2".into(),
                "0".into()
            ]))
        );
        assert_eq!(Dag::empty(65), Err(DagError::TooManyNodes(65)));
        let err = Dag::from_named_edges(&["A", "B"], [("A", "C")]).unwrap_err();
        assert!(err.to_string().contains("\"C\""), "{err}");
        assert_eq!(
            Dag::from_named_edges(&["A", "B"], [("A", "B"), ("B", "A")]),
            Err(DagError::Cycle(vec!["A".into(), "B".into(), "A".into()]))
        );
        assert_eq!(
            Dag::from_named_edges(&["A", "A"], []),
            Err(DagError::DuplicateName("A".into()))
        );
    }

    #[test]
    fn cycle_witness_is_a_real_cycle() {
        // 0 -> 1 -> 2 -> 3 -> 1, plus 4 hanging off the cycle.
        let err = Dag::new(5, [(0, 1), (1, 2), (2, 3), (3, 1), (3, 4)]).unwrap_err();
        let DagError::Cycle(c) = err else { panic!() };
        assert_eq!(c.first(), c.last());
        assert_eq!(c.len(), 4);
    }

    #[test]
    fn ancestry_and_order() {
        let g = Dag::new(5, [(0, 1), (1, 2), (3, 2), (2, 4)]).unwrap();
        assert_eq!(g.ancestors(4).to_vec(), vec![0, 1, 2, 3]);
        assert_eq!(g.descendants(0).to_vec(), vec![1, 2, 4]);
        assert_eq!(g.ancestral_closure(NodeSet::single(1)).to_vec(), vec![0, 1]);
        assert_eq!(g.topological_order(), vec![0, 1, 3, 2, 4]);
        assert_eq!(g.edges(), vec![(0, 1), (1, 2), (2, 4), (3, 2)]);
        let r = g.relabel(&[4, 3, 2, 1, 0]);
        assert_eq!(r.edges(), vec![(1, 2), (2, 0), (3, 2), (4, 3)]);
    }

    #[test]
    fn petgraph_round_trip() {
        let g = Dag::new(4, [(0, 1), (2, 1), (1, 3)])
            .unwrap()
            .with_names(["A", "B", "C", "D"])
            .unwrap();
        let pg: petgraph::graph::DiGraph<String, ()> = (&g).into();
        assert_eq!(pg.node_count(), 4);
        assert_eq!(pg[petgraph::graph::NodeIndex::new(2)], "C");
        let back = Dag::try_from(&pg).unwrap();
        assert_eq!(back.edges(), g.edges());
        let mut cyclic = pg.clone();
        cyclic.add_edge(
            petgraph::graph::NodeIndex::new(3),
            petgraph::graph::NodeIndex::new(0),
            (),
        );
        assert!(matches!(Dag::try_from(&cyclic), Err(DagError::Cycle(_))));
    }
}
