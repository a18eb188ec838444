//! The Python front end (`import corrcause`, built by maturin with the `python` feature): DAGs with
//! any hashable node names, d-separation, independences, CPDAGs, MEC members, relations, sampling,
//! enumeration, and `generate` / `load` / `score` / `main` over the same library calls as the
//! command line. A top layer beside [`crate::cli`]; options are parsed by the command line's own
//! option types, so names, value strings and error messages are the command line's.
//!
//! Long calls release the GIL and run on rayon's pool (`threads=` sizes one of their own).

use crate::causal::{list_independences, Cpdag, Form, Relation, RelationCounts};
use crate::dataset::plan::GenerateOptions;
use crate::error::Source;
use crate::graph::enumerate::{self, dag_from_mask};
use crate::graph::json::{parse_graph, write_named_graph};
use crate::graph::{Dag, DagError, DagSampler, NodeSet, Sampler, MAX_NODES};
use crate::run::plan::RunOptions;
use crate::run::stop::Interrupt;
use crate::score::data::Given;
use crate::score::export::Format;
use crate::score::plan::{run_and_score, RunReport, ScoreOptions, ScoreSession};
use clap::{Parser, ValueEnum};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyRange, PyString, PyTuple};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

create_exception!(
    corrcause,
    Error,
    PyValueError,
    "Every error corrcause raises: bad input or options, with the command line's message."
);

fn error(message: impl Into<String>) -> PyErr {
    Error::new_err(message.into())
}

fn lib_error(e: crate::error::Error) -> PyErr {
    error(e.to_string())
}

/// The node names of a graph, shared by the graph, its CPDAG and its MEC members.
struct Names {
    /// The name of each node; `None` for the integer nodes `0..n`.
    labels: Option<Vec<Py<PyAny>>>,
    /// Name to index; `None` for integer nodes.
    index: Option<Py<PyDict>>,
    n: usize,
}

impl Names {
    fn integers(n: usize) -> Arc<Names> {
        Arc::new(Names {
            labels: None,
            index: None,
            n,
        })
    }

    /// Names taken from a sequence of hashable objects, each used once.
    fn of(py: Python<'_>, labels: Vec<Bound<'_, PyAny>>) -> PyResult<Arc<Names>> {
        let index = PyDict::new(py);
        for (i, label) in labels.iter().enumerate() {
            if index.contains(label)? {
                return Err(error(format!("node {} is used twice", label.repr()?)));
            }
            index.set_item(label, i)?;
        }
        Ok(Arc::new(Names {
            n: labels.len(),
            labels: Some(labels.into_iter().map(Bound::unbind).collect()),
            index: Some(index.unbind()),
        }))
    }

    fn label<'py>(&self, py: Python<'py>, v: usize) -> PyResult<Bound<'py, PyAny>> {
        match &self.labels {
            Some(labels) => Ok(labels[v].bind(py).clone()),
            None => Ok(v.into_pyobject(py)?.into_any()),
        }
    }

    fn index_of(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<usize> {
        match &self.index {
            Some(index) => match index.bind(py).get_item(v)? {
                Some(i) => i.extract(),
                None => Err(error(format!("node {} is not in the graph", v.repr()?))),
            },
            None => match v.extract::<usize>() {
                Ok(i) if i < self.n => Ok(i),
                _ => Err(error(format!(
                    "node {} is not in the graph (nodes 0..{})",
                    v.repr()?,
                    self.n
                ))),
            },
        }
    }

    /// Every node's name, in order.
    fn all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = (0..self.n)
            .map(|v| self.label(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    fn pairs<'py>(
        &self,
        py: Python<'py>,
        pairs: &[(usize, usize)],
    ) -> PyResult<Bound<'py, PyList>> {
        let items = pairs
            .iter()
            .map(|&(a, b)| PyTuple::new(py, [self.label(py, a)?, self.label(py, b)?]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    fn set<'py>(&self, py: Python<'py>, set: NodeSet) -> PyResult<Bound<'py, PyTuple>> {
        let items = set
            .into_iter()
            .map(|v| self.label(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }

    /// A graph error with nodes named as the user named them (the library names them by index).
    fn dag_error(&self, py: Python<'_>, e: DagError) -> PyErr {
        let name = |s: &String| -> String {
            match (s.parse::<usize>(), &self.labels) {
                (Ok(v), Some(labels)) if v < labels.len() => labels[v]
                    .bind(py)
                    .repr()
                    .map_or_else(|_| s.clone(), |r| r.to_string()),
                _ => s.clone(),
            }
        };
        let e = match e {
            DagError::SelfLoop(v) => DagError::SelfLoop(name(&v)),
            DagError::DuplicateEdge(a, b) => DagError::DuplicateEdge(name(&a), name(&b)),
            DagError::Cycle(vs) => DagError::Cycle(vs.iter().map(name).collect()),
            other => other,
        };
        error(e.to_string())
    }
}

/// A directed acyclic graph on at most 64 nodes. `Dag(n, edges)` has the integer nodes
/// `0..n-1`; `Dag.from_networkx(G)` keeps G's node names (any hashable objects). Immutable.
#[pyclass(frozen, module = "corrcause", name = "Dag")]
pub struct PyDag {
    dag: Dag,
    names: Arc<Names>,
}

/// The CPDAG (essential graph) of a DAG's Markov equivalence class: the edges every member
/// orients alike (`directed`) and those members orient both ways (`undirected`).
#[pyclass(frozen, module = "corrcause", name = "Cpdag")]
pub struct PyCpdag {
    cpdag: Cpdag,
    names: Arc<Names>,
}

fn edge_pairs(edges: &Bound<'_, PyAny>) -> PyResult<Vec<(usize, usize)>> {
    let mut pairs = Vec::new();
    for (i, e) in edges.try_iter()?.enumerate() {
        let e = e?;
        match e.extract::<(usize, usize)>() {
            Ok(p) => pairs.push(p),
            Err(_) => {
                return Err(error(format!(
                    "edges: item {i}: expected (from, to) with node numbers, got {}",
                    e.repr()?
                )))
            }
        }
    }
    Ok(pairs)
}

impl PyDag {
    fn nodes_of(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<NodeSet> {
        let mut set = NodeSet::EMPTY;
        for v in items.try_iter()? {
            set.insert(self.names.index_of(py, &v?)?);
        }
        Ok(set)
    }
}

#[pymethods]
impl PyDag {
    /// A DAG on the integer nodes `0..n-1` with directed `edges` `(from, to)`; raises `Error` on
    /// an unknown node, a self loop, a repeated edge or a cycle.
    #[new]
    #[pyo3(signature = (n, edges = None))]
    fn new(py: Python<'_>, n: usize, edges: Option<&Bound<'_, PyAny>>) -> PyResult<PyDag> {
        let pairs = match edges {
            Some(e) => edge_pairs(e)?,
            None => Vec::new(),
        };
        let names = Names::integers(n);
        let dag = Dag::new(n, pairs).map_err(|e| names.dag_error(py, e))?;
        Ok(PyDag { dag, names })
    }

    /// The DAG of a networkx `DiGraph`, its nodes (any hashable names, kept) in `G.nodes` order.
    #[staticmethod]
    fn from_networkx(py: Python<'_>, graph: &Bound<'_, PyAny>) -> PyResult<PyDag> {
        let directed = graph
            .call_method0("is_directed")
            .and_then(|d| d.extract::<bool>())
            .map_err(|_| error("from_networkx needs a networkx DiGraph"))?;
        if !directed {
            return Err(error(
                "from_networkx needs a directed graph (a networkx DiGraph), got an undirected one",
            ));
        }
        let labels: Vec<Bound<'_, PyAny>> = graph
            .getattr("nodes")?
            .try_iter()?
            .collect::<PyResult<_>>()?;
        if labels.len() > MAX_NODES {
            return Err(error(DagError::TooManyNodes(labels.len()).to_string()));
        }
        let names = Names::of(py, labels)?;
        let mut pairs = Vec::new();
        for e in graph.getattr("edges")?.try_iter()? {
            let (a, b): (Bound<'_, PyAny>, Bound<'_, PyAny>) = e?.extract()?;
            pairs.push((names.index_of(py, &a)?, names.index_of(py, &b)?));
        }
        let dag = Dag::new(names.n, pairs).map_err(|e| names.dag_error(py, e))?;
        Ok(PyDag { dag, names })
    }

    /// The DAG of one line of `corrcause graph`'s JSON: `{"n": 3, "edges": [[0, 1]]}` or
    /// `{"nodes": ["A", "B"], "edges": [["A", "B"]]}`.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<PyDag> {
        let dag = parse_graph(text, &Source::File("<json>".into()), 1).map_err(lib_error)?;
        let names = match dag.names() {
            Some(ns) => Names::of(
                py,
                ns.iter().map(|s| PyString::new(py, s).into_any()).collect(),
            )?,
            None => Names::integers(dag.n()),
        };
        Ok(PyDag { dag, names })
    }

    /// This graph as one line of `corrcause graph`'s JSON (node names must be text or integers
    /// `0..n-1`).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let names: Option<Vec<String>> = match &self.names.labels {
            None => None,
            Some(labels) => Some(
                labels
                    .iter()
                    .map(|l| l.bind(py).extract::<String>())
                    .collect::<PyResult<_>>()
                    .map_err(|_| {
                        error("to_json needs node names that are strings (or the integer nodes of Dag(n, edges))")
                    })?,
            ),
        };
        let mut out = String::new();
        write_named_graph(&mut out, self.dag.n(), names.as_deref(), &self.dag.edges());
        Ok(out.trim_end().to_string())
    }

    /// This graph as a networkx `DiGraph` with the same node names.
    fn to_networkx<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let g = py.import("networkx")?.getattr("DiGraph")?.call0()?;
        g.call_method1("add_nodes_from", (self.nodes(py)?,))?;
        g.call_method1("add_edges_from", (self.edges(py)?,))?;
        Ok(g)
    }

    /// The nodes, in order.
    #[getter]
    fn nodes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.names.all(py)
    }

    /// The directed edges `(from, to)`, sorted by node order.
    #[getter]
    fn edges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.names.pairs(py, &self.dag.edges())
    }

    /// The parents of node `v`.
    fn parents<'py>(
        &self,
        py: Python<'py>,
        v: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let v = self.names.index_of(py, v)?;
        self.names.set(py, self.dag.parents(v))
    }

    /// The children of node `v`.
    fn children<'py>(
        &self,
        py: Python<'py>,
        v: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let v = self.names.index_of(py, v)?;
        self.names.set(py, self.dag.children(v))
    }

    fn __len__(&self) -> usize {
        self.dag.n()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Dag(nodes={}, edges={})",
            self.nodes(py)?.repr()?,
            self.edges(py)?.repr()?
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<PyDag>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.dag.parent_sets() == other.dag.parent_sets()
            && self.nodes(py)?.eq(other.nodes(py)?)?)
    }

    /// Whether `x` and `y` are d-separated given the nodes `z` (names as the graph names them).
    #[pyo3(signature = (x, y, z = None))]
    fn is_d_separated(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        z: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let x = self.names.index_of(py, x)?;
        let y = self.names.index_of(py, y)?;
        let z = match z {
            Some(z) => self.nodes_of(py, z)?,
            None => NodeSet::EMPTY,
        };
        if x == y || z.contains(x) || z.contains(y) {
            return Err(error("is_d_separated needs x and y distinct and outside z"));
        }
        Ok(self.dag.is_d_separated(x, y, &z))
    }

    /// The conditional independences the graph implies, as `(x, y, (z, ...))` with x before y:
    /// `form="all"` every statement that holds (up to 20 nodes), `"minimal"` one minimal
    /// separating set per non-adjacent pair, `"basis"` the local Markov basis, pairwise.
    #[pyo3(signature = (form = "all"))]
    fn independences<'py>(&self, py: Python<'py>, form: &str) -> PyResult<Bound<'py, PyList>> {
        let form = Form::from_str(form, false).map_err(|_| {
            error(format!(
                "form={form:?}: expected \"all\", \"minimal\" or \"basis\""
            ))
        })?;
        let dag = &self.dag;
        let listing = py
            .detach(|| list_independences(dag, form, false))
            .map_err(error)?;
        let items = listing
            .independences
            .iter()
            .map(|s| {
                PyTuple::new(
                    py,
                    [
                        self.names.label(py, s.x)?,
                        self.names.label(py, s.y)?,
                        self.names.set(py, s.given)?.into_any(),
                    ],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The CPDAG of the graph's Markov equivalence class.
    fn cpdag(&self) -> PyCpdag {
        PyCpdag {
            cpdag: Cpdag::of(&self.dag),
            names: self.names.clone(),
        }
    }

    /// For every pair x before y and every causal relation, in how many members of the MEC it
    /// holds (`holds`) and the label (`"entailment"`, `"neutral"`, `"contradiction"`), as
    /// dicts with `x`, `y`, `relation`, `holds`, `label`. Raises `Error` for a MEC over `limit`.
    #[pyo3(signature = (limit = 1_000_000))]
    fn relations<'py>(&self, py: Python<'py>, limit: u64) -> PyResult<Bound<'py, PyList>> {
        let dag = &self.dag;
        let counts = py.detach(|| {
            let c = Cpdag::of(dag);
            c.size_within(limit).map(|_| RelationCounts::of(&c))
        });
        let counts = counts.map_err(|size| {
            error(format!(
                "the MEC has {size} members, more than limit={limit}; raise limit to count relations over every member"
            ))
        })?;
        let n = dag.n();
        let mut rows = Vec::with_capacity(n * n.saturating_sub(1) / 2 * Relation::ALL.len());
        for x in 0..n {
            for y in x + 1..n {
                for r in Relation::ALL {
                    let d = PyDict::new(py);
                    d.set_item("x", self.names.label(py, x)?)?;
                    d.set_item("y", self.names.label(py, y)?)?;
                    d.set_item("relation", r.as_str())?;
                    d.set_item("holds", counts.holds(x, y, r))?;
                    d.set_item("label", counts.label(x, y, r).as_str())?;
                    rows.push(d);
                }
            }
        }
        PyList::new(py, rows)
    }
}

#[pymethods]
impl PyCpdag {
    /// The nodes, in order.
    #[getter]
    fn nodes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.names.all(py)
    }

    /// The edges every member of the MEC orients alike, `(from, to)`.
    #[getter]
    fn directed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.names.pairs(py, &self.cpdag.directed_edges())
    }

    /// The edges members orient both ways, `(a, b)` with a before b.
    #[getter]
    fn undirected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.names.pairs(py, &self.cpdag.undirected_edges())
    }

    /// The number of members of the MEC, exact (a Python int, however large), counted without
    /// listing them.
    fn mec_size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let size = self.cpdag.mec_size().to_string();
        py.import("builtins")?.getattr("int")?.call1((size,))
    }

    /// Every member of the MEC, sorted by edge list; raises `Error` when there are more than
    /// `limit` (no limit when `None`).
    #[pyo3(signature = (limit = None))]
    fn members(&self, py: Python<'_>, limit: Option<u64>) -> PyResult<Vec<PyDag>> {
        if let Some(limit) = limit {
            self.cpdag.size_within(limit).map_err(|size| {
                error(format!(
                    "the MEC has {size} members, more than limit={limit}"
                ))
            })?;
        }
        let cpdag = &self.cpdag;
        let members = py.detach(|| cpdag.members());
        Ok(members
            .into_iter()
            .map(|dag| PyDag {
                dag,
                names: self.names.clone(),
            })
            .collect())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Cpdag(nodes={}, directed={}, undirected={})",
            self.nodes(py)?.repr()?,
            self.directed(py)?.repr()?,
            self.undirected(py)?.repr()?
        ))
    }
}

/// Runs `f` without the GIL on a pool of `threads` workers (every core when `None`).
fn detached<R: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> crate::error::Result<R> + Send,
) -> PyResult<R> {
    py.detach(|| crate::cli::with_threads(threads, f))
        .map_err(lib_error)
}

/// `count` seeded random DAGs on `nodes` nodes (graph i of a seed is the same everywhere), as
/// `corrcause graph sample` draws them: `sampler` "er" (edge probability `edge_prob`, 0.3 when
/// `None`), "edges" (exactly `edges` edges) or "uniform" (uniform over labelled DAGs).
#[pyfunction]
#[pyo3(signature = (nodes, count, sampler = "er", edge_prob = None, edges = None, max_in_degree = None, seed = 0, threads = None))]
#[allow(clippy::too_many_arguments)]
fn sample(
    py: Python<'_>,
    nodes: usize,
    count: u64,
    sampler: &str,
    edge_prob: Option<f64>,
    edges: Option<usize>,
    max_in_degree: Option<usize>,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<Vec<PyDag>> {
    if nodes > MAX_NODES {
        return Err(error(format!(
            "a Dag has at most {MAX_NODES} nodes, got nodes={nodes} (`corrcause graph sample` writes edge lists up to 128)"
        )));
    }
    let kind = Sampler::named(sampler, edge_prob.unwrap_or(0.3), edges).map_err(error)?;
    let s = DagSampler::new(nodes, kind, max_in_degree).map_err(|e| error(e.to_string()))?;
    let dags = detached(py, threads, || {
        Ok((0..count)
            .into_par_iter()
            .map(|i| s.sample(seed, i))
            .collect::<Vec<Dag>>())
    })?;
    let names = Names::integers(nodes);
    Ok(dags
        .into_iter()
        .map(|dag| PyDag {
            dag,
            names: names.clone(),
        })
        .collect())
}

/// An iterator over every DAG on `n` nodes, one per isomorphism class (up to 7 nodes) or, with
/// `labelled=True`, every labelled DAG (up to 6 nodes).
#[pyclass(module = "corrcause", name = "DagIterator")]
pub struct DagIterator {
    n: usize,
    labelled: bool,
    /// Unlabelled: Corr2Cause masks; labelled: each node's parent set packed in `n` bits.
    codes: Vec<u64>,
    next: Mutex<usize>,
    names: Arc<Names>,
}

#[pymethods]
impl DagIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<PyDag> {
        let mut next = self.next.lock().expect("not poisoned");
        let code = *self.codes.get(*next)?;
        *next += 1;
        let n = self.n;
        let dag = if self.labelled {
            let mask = (1u64 << n) - 1;
            Dag::from_parents_unchecked((0..n).map(|v| NodeSet((code >> (v * n)) & mask)).collect())
        } else {
            dag_from_mask(n, code)
        };
        Some(PyDag {
            dag,
            names: self.names.clone(),
        })
    }

    fn __len__(&self) -> usize {
        self.codes.len() - *self.next.lock().expect("not poisoned")
    }
}

/// Every DAG on `nodes` nodes as an iterator: one per isomorphism class (nodes <= 7), or every
/// labelled DAG with `labelled=True` (nodes <= 6).
#[pyfunction]
#[pyo3(signature = (nodes, labelled = false))]
fn enumerate_dags(py: Python<'_>, nodes: usize, labelled: bool) -> PyResult<DagIterator> {
    enumerate::check_nodes(nodes, labelled, false).map_err(error)?;
    let codes = py.detach(|| {
        if labelled {
            let mut codes = Vec::new();
            enumerate::for_each_labelled_dag(nodes, |ps| {
                codes.push(
                    ps.iter()
                        .enumerate()
                        .fold(0u64, |code, (v, p)| code | p.0 << (v * nodes)),
                )
            });
            codes
        } else {
            enumerate::unlabelled_masks(nodes)
        }
    });
    Ok(DagIterator {
        n: nodes,
        labelled,
        codes,
        next: Mutex::new(0),
        names: Names::integers(nodes),
    })
}

/// A command line's option value from a Python value: `True` a bare flag (`None`, `False`
/// omitted), a `range` as `a..=b`, a dict as `k=v,...`, a list as `a,b,...`, else `str(value)`.
fn option_value(value: &Bound<'_, PyAny>) -> PyResult<Option<Option<String>>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(b) = value.extract::<bool>() {
        if value.is_instance_of::<pyo3::types::PyBool>() {
            return Ok(b.then_some(None));
        }
    }
    if let Ok(r) = value.cast::<PyRange>() {
        let (start, stop, step): (i64, i64, i64) = (
            r.getattr("start")?.extract()?,
            r.getattr("stop")?.extract()?,
            r.getattr("step")?.extract()?,
        );
        if step == 1 && stop > start {
            return Ok(Some(Some(format!("{start}..={}", stop - 1))));
        }
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let parts = d
            .iter()
            .map(|(k, v)| Ok(format!("{}={}", k.str()?, v.str()?)))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(Some(Some(parts.join(","))));
    }
    if !value.is_instance_of::<PyString>() {
        if let Ok(items) = value.try_iter() {
            let parts = items
                .map(|v| Ok(v?.str()?.to_string()))
                .collect::<PyResult<Vec<_>>>()?;
            return Ok(Some(Some(parts.join(","))));
        }
    }
    Ok(Some(Some(value.str()?.to_string())))
}

/// The command line arguments of `options` (`_` in names becomes `-`).
fn option_args(options: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<String>> {
    let mut args = Vec::new();
    for (k, v) in options.into_iter().flat_map(|d| d.iter()) {
        let name = format!("--{}", k.extract::<String>()?.replace('_', "-"));
        match option_value(&v)? {
            None => {}
            Some(None) => args.push(name),
            Some(Some(value)) => {
                args.push(name);
                args.push(value);
            }
        }
    }
    Ok(args)
}

/// Parses options with the command line's own option types, so names, accepted values and
/// messages are the command line's.
fn parse_options<P: Parser>(command: &str, args: Vec<String>) -> PyResult<P> {
    P::try_parse_from(std::iter::once(command.to_string()).chain(args)).map_err(|e| {
        let text = e.render().to_string();
        let first = text.split("\n\n").next().unwrap_or(&text);
        error(first.trim().trim_start_matches("error: ").to_string())
    })
}

#[derive(Parser)]
struct GenerateCommand {
    #[command(flatten)]
    options: GenerateOptions,
}

#[derive(Parser)]
struct RunCommand {
    #[command(flatten)]
    options: RunOptions,
}

#[derive(Parser)]
struct ScoreCommand {
    #[command(flatten)]
    options: ScoreOptions,
}

fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.getattr("loads")?.call1((text,))
}

/// A path given as `str` or `os.PathLike`.
fn path_text(path: &Bound<'_, PyAny>) -> PyResult<String> {
    let os = path.py().import("os")?;
    os.getattr("fspath")?.call1((path,))?.extract()
}

/// Writes a benchmark dataset into the folder `out` (items, splits, manifest) as `corrcause
/// generate` does, and returns its manifest. Options are the command's flags with `_` for `-`,
/// as its value strings (`nodes="2..=4"`, `splits="none"`) or Python values (`nodes=range(2, 5)`,
/// `splits={"train": 0.8, "test": 0.2}`, `relations=["parent", "child"]`, `force=True`).
#[pyfunction]
#[pyo3(signature = (out, preset = None, threads = None, **options))]
fn generate<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyAny>,
    preset: Option<&str>,
    threads: Option<usize>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut args = vec!["--out".to_string(), path_text(out)?];
    if let Some(p) = preset {
        args.extend(["--preset".to_string(), p.to_string()]);
    }
    args.extend(option_args(options)?);
    let command: GenerateCommand = parse_options("generate", args)?;
    let manifest = detached(py, threads, || {
        let plan = command.options.plan(|v| std::env::var(v).ok())?;
        plan.run(&|_, _| {})?;
        plan.manifest()
    })?;
    json_loads(py, &manifest)
}

/// The records of a dataset, as dicts in file order: a dataset folder (the JSONL files its
/// manifest lists), a JSONL file, or a Corr2Cause CSV; with `split`, only that split's.
#[pyfunction]
#[pyo3(signature = (path, split = None, threads = None))]
fn load<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    split: Option<&str>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let path = std::path::PathBuf::from(path_text(path)?);
    let text = detached(py, threads, || {
        let records = crate::dataset::load::load(&path, split)?;
        serde_json::to_string(&records).map_err(|e| crate::error::Error::Usage(e.to_string()))
    })?;
    json_loads(py, &text)
}

/// One model's answers handed over as a dict `{id: raw text, or a decided answer}`.
fn given_answers(answers: &Bound<'_, PyDict>) -> PyResult<Vec<(String, Given)>> {
    let mut given = Vec::with_capacity(answers.len());
    for (id, v) in answers.iter() {
        let id = id.str()?.to_string();
        let g = if let Ok(s) = v.cast::<PyString>() {
            Given::Output(s.to_string())
        } else if v.is_instance_of::<pyo3::types::PyBool>() {
            Given::Prediction(serde_json::Value::Bool(v.extract()?))
        } else if let Ok(k) = v.extract::<i64>() {
            Given::Prediction(serde_json::Value::from(k))
        } else if v.is_instance_of::<PyDict>() || v.is_instance_of::<PyList>() {
            // A graph (`{"directed": [...], "undirected": [...]}` or an edge list), as JSON.
            let text: String = v
                .py()
                .import("json")?
                .call_method1("dumps", (v,))?
                .extract()?;
            Given::Prediction(serde_json::from_str(&text).map_err(|e| error(e.to_string()))?)
        } else {
            return Err(error(format!(
                "prediction for {id:?}: expected raw text (str), a bool or 0/1, or a graph (dict or list), got {}",
                v.repr()?
            )));
        };
        given.push((id, g));
    }
    Ok(given)
}

/// Scores model answers against a dataset as `corrcause score --format json` does and returns
/// its report as a dict. `predictions` is a prediction file, a list of them, or a dict
/// `{id: raw text or answer}` (for graph items the answer may be a graph, as a dict
/// `{"directed": [...], "undirected": [...]}` or an edge list); `name` names the model (a list of
/// names for a list of files). Yes/no items get the yes/no report, graph items the
/// causal-discovery one, as on the command line.
/// Options are the command's (`unparsed`, `missing`, `duplicates`, `bootstrap`, `seed`).
#[pyfunction]
#[pyo3(signature = (dataset, predictions, name = None, threads = None, **options))]
fn score<'py>(
    py: Python<'py>,
    dataset: &Bound<'py, PyAny>,
    predictions: &Bound<'py, PyAny>,
    name: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut args = vec!["--dataset".to_string(), path_text(dataset)?];
    args.extend(option_args(options)?);
    let command: ScoreCommand = parse_options("score", args)?;
    /// Where the model's answers come from.
    enum Predicted {
        Files(Vec<(std::path::PathBuf, Option<String>)>),
        Answers(String, Vec<(String, Given)>),
    }
    let names: Vec<String> = match name {
        None => Vec::new(),
        Some(n) if n.is_instance_of::<PyString>() => vec![n.extract()?],
        Some(n) => n.extract()?,
    };
    let source = if let Ok(d) = predictions.cast::<PyDict>() {
        if names.len() > 1 {
            return Err(error("one name for a dict of predictions"));
        }
        let name = names
            .first()
            .cloned()
            .unwrap_or_else(|| "predictions".into());
        Predicted::Answers(name, given_answers(d)?)
    } else {
        let files: Vec<String> =
            if predictions.is_instance_of::<PyList>() || predictions.is_instance_of::<PyTuple>() {
                predictions
                    .try_iter()?
                    .map(|p| path_text(&p?))
                    .collect::<PyResult<_>>()?
            } else {
                vec![path_text(predictions)?]
            };
        if !names.is_empty() && names.len() != files.len() {
            return Err(error(format!(
                "{} names for {} prediction files",
                names.len(),
                files.len()
            )));
        }
        Predicted::Files(
            files
                .into_iter()
                .enumerate()
                .map(|(k, f)| (f.into(), names.get(k).cloned()))
                .collect(),
        )
    };
    let report = detached(py, threads, move || {
        let mut session = ScoreSession::open(command.options)?;
        match source {
            Predicted::Files(files) => {
                for (path, name) in files {
                    session.add_file(&path, name, false)?;
                }
            }
            Predicted::Answers(name, answers) => session.add_answers(name, answers)?,
        }
        Ok(session.report().render(Format::Json))
    })?;
    json_loads(py, &report)
}

/// Asks models every item of a dataset and scores them, as `corrcause run` does, writing the
/// same folders under `out`; returns `{"report": the run's report as a dict (None for a shard),
/// "models": [{"model", "folder", "predictions", "answered", "unanswered"}], "unanswered": [one
/// line per model that left items without an answer]}`. `model` is a spec or a list of them
/// (default: the built-in baselines); options are the command's (`dataset`, `split`, `preset`,
/// `task`, `prompt`, `shots`, `jobs`, `progress`, ...).
#[pyfunction]
#[pyo3(signature = (out, model = None, threads = None, **options))]
fn run<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyAny>,
    model: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut args = vec!["--out".to_string(), path_text(out)?];
    let models: Vec<String> = match model {
        None => Vec::new(),
        Some(m) if m.is_instance_of::<PyString>() => vec![m.extract()?],
        Some(m) => m.extract()?,
    };
    for m in models {
        args.extend(["--model".to_string(), m]);
    }
    args.extend(option_args(options)?);
    let command: RunCommand = parse_options("run", args)?;
    let result = detached(py, threads, move || {
        let display = command.options.display();
        let session = command.options.plan(|v| std::env::var(v).ok())?.start()?;
        let mut models = Vec::new();
        let (report, outcome) = run_and_score(&session, &Interrupt::new(), display, &mut |m| {
            models.push(serde_json::json!({
                "model": m.spec,
                "folder": m.folder,
                "predictions": m.predictions,
                "answered": m.answered,
                "unanswered": m.failed,
            }));
        })?;
        // The report's own text, as written to report.json (a parse and re-render through
        // serde_json's default float parsing could change a last digit).
        let report = match report {
            RunReport::Shard => "null".to_string(),
            r => r.render(Format::Json),
        };
        let rest = serde_json::json!({"models": models, "unanswered": outcome.unanswered});
        Ok(format!("{{\"report\":{report},{}", &rest.to_string()[1..]))
    })?;
    json_loads(py, &result)
}

/// Runs the `corrcause` command line in this process (`argv` without the program name; default
/// `sys.argv[1:]`) and returns its exit status. It prints to the process's standard output and
/// error as the binary does.
#[pyfunction]
#[pyo3(signature = (argv = None))]
fn main(py: Python<'_>, argv: Option<Vec<String>>) -> PyResult<i32> {
    let argv = match argv {
        Some(a) => a,
        None => {
            let all: Vec<String> = py.import("sys")?.getattr("argv")?.extract()?;
            all.into_iter().skip(1).collect()
        }
    };
    let sys = py.import("sys")?;
    for stream in ["stdout", "stderr"] {
        if let Ok(s) = sys.getattr(stream) {
            let _ = s.call_method0("flush");
        }
    }
    let args: Vec<String> = std::iter::once("corrcause".to_string())
        .chain(argv)
        .collect();
    Ok(py.detach(|| {
        let code = crate::cli::main_from(args);
        // The binary's exit would flush what is buffered; this process goes on.
        let _ = std::io::Write::flush(&mut std::io::stdout());
        code
    }))
}

/// The native module; `corrcause/__init__.py` re-exports it.
#[pymodule]
#[pyo3(name = "_corrcause")]
fn corrcause_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyDag>()?;
    m.add_class::<PyCpdag>()?;
    m.add_class::<DagIterator>()?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(enumerate_dags, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    Ok(())
}
