"""Brute-force references for the tests, written from the definitions with networkx and
itertools only (nothing here calls corrcause)."""

import itertools
import random

import networkx as nx


def random_dag(rng: random.Random, names, p: float) -> nx.DiGraph:
    """A random DAG over `names`: a random order, each forward pair an edge with probability p."""
    order = list(names)
    rng.shuffle(order)
    g = nx.DiGraph()
    g.add_nodes_from(names)
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            if rng.random() < p:
                g.add_edge(a, b)
    return g


def d_separated(g: nx.DiGraph, x, y, z) -> bool:
    return nx.is_d_separator(g, {x}, {y}, set(z))


def independences(g: nx.DiGraph):
    """Every statement (x, y, Z) that holds, x before y in node order, Z over the other nodes."""
    nodes = list(g.nodes)
    out = set()
    for i, x in enumerate(nodes):
        for y in nodes[i + 1 :]:
            rest = [v for v in nodes if v not in (x, y)]
            for k in range(len(rest) + 1):
                for z in itertools.combinations(rest, k):
                    if d_separated(g, x, y, z):
                        out.add((x, y, frozenset(z)))
    return out


def skeleton(g: nx.DiGraph):
    return {frozenset(e) for e in g.edges}


def v_structures(g: nx.DiGraph):
    out = set()
    for c in g.nodes:
        ps = sorted(g.predecessors(c), key=list(g.nodes).index)
        for a, b in itertools.combinations(ps, 2):
            if not g.has_edge(a, b) and not g.has_edge(b, a):
                out.add((frozenset((a, b)), c))
    return out


def orientations(g: nx.DiGraph):
    """Every DAG with the skeleton of g."""
    edges = list(g.edges)
    for flips in itertools.product((False, True), repeat=len(edges)):
        h = nx.DiGraph()
        h.add_nodes_from(g.nodes)
        h.add_edges_from((b, a) if f else (a, b) for (a, b), f in zip(edges, flips))
        if nx.is_directed_acyclic_graph(h):
            yield h


def mec_by_v_structures(g: nx.DiGraph):
    """The MEC of g: DAGs with its skeleton and v-structures (Verma and Pearl)."""
    vs = v_structures(g)
    return [h for h in orientations(g) if v_structures(h) == vs]


def all_dags(nodes):
    """Every labelled DAG over `nodes`."""
    pairs = list(itertools.combinations(nodes, 2))
    for choice in itertools.product((0, 1, 2), repeat=len(pairs)):
        h = nx.DiGraph()
        h.add_nodes_from(nodes)
        for (a, b), c in zip(pairs, choice):
            if c == 1:
                h.add_edge(a, b)
            elif c == 2:
                h.add_edge(b, a)
        if nx.is_directed_acyclic_graph(h):
            yield h


def mec_by_independences(g: nx.DiGraph):
    """The MEC of g by definition: every DAG on its nodes with the same independences."""
    model = independences(g)
    return [h for h in all_dags(list(g.nodes)) if independences(h) == model]


def edge_set(g: nx.DiGraph):
    return frozenset(g.edges)


def cpdag(members):
    """Directed edges: oriented alike in every member; undirected: both ways among members."""
    first = members[0]
    directed, undirected = set(), set()
    for a, b in first.edges:
        if all(m.has_edge(a, b) for m in members):
            directed.add((a, b))
        else:
            undirected.add(frozenset((a, b)))
    return directed, undirected


def relations(g: nx.DiGraph, x, y):
    """The set of Corr2Cause relations that hold for (x, y) in g, from their definitions."""
    out = set()
    if g.has_edge(x, y):
        out.add("parent")
    if g.has_edge(y, x):
        out.add("child")
    if any(c != y and nx.has_path(g, c, y) for c in g.successors(x)):
        out.add("non-parent_ancestor")
    if any(c != x and nx.has_path(g, c, x) for c in g.successors(y)):
        out.add("non-child_descendant")
    without_x, without_y = g.copy(), g.copy()
    without_x.remove_node(x)
    without_y.remove_node(y)
    below = nx.descendants(without_y, x) & nx.descendants(without_x, y)
    if below - {x, y}:
        out.add("has_collider")
    above = nx.ancestors(without_y, x) & nx.ancestors(without_x, y)
    if above - {x, y}:
        out.add("has_confounder")
    return out


def label(holds: int, size: int) -> str:
    return "entailment" if holds == size else "contradiction" if holds == 0 else "neutral"


def command() -> str:
    """The `corrcause` command the wheel installed beside this interpreter."""
    import os
    import sys

    return os.path.join(os.path.dirname(sys.executable), "corrcause")
