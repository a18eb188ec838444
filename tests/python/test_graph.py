"""Dag, d-separation, independences, CPDAG, MEC members and relations against networkx and
brute force from the definitions (brute.py)."""

import random

import networkx as nx
import pytest

import brute
import corrcause as cc

WORDS = ["rain", "wet", "slip", "cloud", "sun", "ice", "wind", "fog"]


def named_graphs(count, sizes, seed):
    rng = random.Random(seed)
    for k in range(count):
        n = sizes[k % len(sizes)]
        yield brute.random_dag(rng, rng.sample(WORDS, n), rng.choice([0.3, 0.5, 0.7]))


def test_d_separation_matches_networkx_on_random_dags_with_string_names():
    checked = 0
    for g in named_graphs(40, [3, 4, 5, 6], seed=1):
        d = cc.Dag.from_networkx(g)
        nodes = list(g.nodes)
        for x in nodes:
            for y in nodes:
                if x == y:
                    continue
                rest = [v for v in nodes if v not in (x, y)]
                for mask in range(1 << len(rest)):
                    z = [v for i, v in enumerate(rest) if mask >> i & 1]
                    assert d.is_d_separated(x, y, z) == brute.d_separated(g, x, y, z), (g.edges, x, y, z)
                    checked += 1
    assert checked == 7000


def test_other_hashable_names_and_round_trip_through_networkx():
    g = nx.DiGraph()
    g.add_nodes_from([("a", 1), 7, frozenset({2}), "z"])
    g.add_edges_from([(("a", 1), 7), (frozenset({2}), 7), (7, "z")])
    d = cc.Dag.from_networkx(g)
    assert d.nodes == list(g.nodes)
    assert set(d.edges) == set(g.edges)
    assert not d.is_d_separated(("a", 1), frozenset({2}), [7])
    assert d.is_d_separated(("a", 1), frozenset({2}))
    assert d.is_d_separated(("a", 1), "z", (7,))
    back = d.to_networkx()
    assert list(back.nodes) == list(g.nodes) and set(back.edges) == set(g.edges)
    assert d.parents(7) == (("a", 1), frozenset({2})) and d.children(7) == ("z",)


def test_integer_dags():
    d = cc.Dag(4, [(0, 1), (1, 2)])
    assert d.nodes == [0, 1, 2, 3] and d.edges == [(0, 1), (1, 2)] and len(d) == 4
    assert d.is_d_separated(0, 2, [1]) and not d.is_d_separated(0, 2)
    assert d.is_d_separated(3, 0)
    assert d == cc.Dag(4, [(1, 2), (0, 1)]) and d != cc.Dag(4, [(0, 1)])
    assert cc.Dag(0).nodes == []


def normalise(stmts, order):
    out = set()
    for x, y, z in stmts:
        if order.index(x) > order.index(y):
            x, y = y, x
        out.add((x, y, frozenset(z)))
    return out


def test_every_independence_matches_brute_force():
    for g in named_graphs(30, [2, 3, 4, 5, 6], seed=2):
        d = cc.Dag.from_networkx(g)
        got = d.independences()
        assert len(got) == len(set(got))
        for x, y, z in got:
            assert d.nodes.index(x) < d.nodes.index(y)
            assert list(z) == sorted(z, key=d.nodes.index)
        assert normalise(got, d.nodes) == brute.independences(g)


def test_minimal_and_basis_statements_hold_and_are_what_they_claim():
    for g in named_graphs(30, [3, 4, 5, 6, 7], seed=3):
        d = cc.Dag.from_networkx(g)
        minimal = d.independences(form="minimal")
        pairs = {frozenset((x, y)) for x, y, _ in minimal}
        non_adjacent = {
            frozenset((a, b)) for a in g for b in g
            if a != b and not g.has_edge(a, b) and not g.has_edge(b, a)
        }
        assert pairs == non_adjacent and len(minimal) == len(non_adjacent)
        for x, y, z in minimal:
            assert brute.d_separated(g, x, y, z)
            for v in z:  # minimal: no element can be dropped
                assert not brute.d_separated(g, x, y, [w for w in z if w != v])
        basis = d.independences(form="basis")
        expected = set()
        for v in g:
            parents = set(g.predecessors(v))
            for w in set(g) - nx.descendants(g, v) - parents - {v}:
                expected.add((frozenset((v, w)), frozenset(parents)))
        assert {(frozenset((x, y)), frozenset(z)) for x, y, z in basis} <= expected
        for x, y, z in basis:
            assert brute.d_separated(g, x, y, z)


def check_cpdag_and_members(g, members):
    d = cc.Dag.from_networkx(g)
    c = d.cpdag()
    directed, undirected = brute.cpdag(members)
    assert set(c.directed) == directed
    assert {frozenset(e) for e in c.undirected} == undirected
    assert c.mec_size() == len(members)
    got = c.members()
    assert len(got) == len(members)
    assert {frozenset(m.edges) for m in got} == {brute.edge_set(m) for m in members}
    assert all(m.nodes == d.nodes for m in got)
    assert c.nodes == d.nodes


def test_cpdag_and_members_match_the_definition_of_markov_equivalence():
    # Small N: the MEC by definition, every DAG on the nodes with the same independences.
    for g in named_graphs(25, [2, 3, 4], seed=4):
        check_cpdag_and_members(g, brute.mec_by_independences(g))


def test_cpdag_and_members_match_skeleton_and_v_structures():
    checked = 0
    for g in named_graphs(60, [5, 6, 7], seed=5):
        if g.number_of_edges() <= 10:  # 2^edges orientations are tried
            check_cpdag_and_members(g, brute.mec_by_v_structures(g))
            checked += 1
    assert checked >= 30


def test_mec_size_is_exact_beyond_64_bits():
    # The complete DAG on 22 nodes: its MEC is every DAG on the complete skeleton, 22! members.
    n = 22
    d = cc.Dag(n, [(a, b) for a in range(n) for b in range(a + 1, n)])
    import math

    assert d.cpdag().mec_size() == math.factorial(n)
    assert d.cpdag().mec_size() > 2**64


def test_relations_count_members_as_the_definitions_say():
    for g in named_graphs(25, [2, 3, 4, 5], seed=6):
        d = cc.Dag.from_networkx(g)
        members = brute.mec_by_v_structures(g)
        rows = d.relations()
        nodes = d.nodes
        assert len(rows) == 6 * len(nodes) * (len(nodes) - 1) // 2
        for row in rows:
            x, y = row["x"], row["y"]
            assert nodes.index(x) < nodes.index(y)
            holds = sum(row["relation"] in brute.relations(m, x, y) for m in members)
            assert row["holds"] == holds, (g.edges, row)
            assert row["label"] == brute.label(holds, len(members))


def test_json_round_trip():
    d = cc.Dag.from_json('{"nodes": ["A", "B", "C"], "edges": [["A", "B"], ["C", "B"]]}')
    assert d.nodes == ["A", "B", "C"] and d.edges == [("A", "B"), ("C", "B")]
    assert cc.Dag.from_json(d.to_json()) == d
    i = cc.Dag(3, [(2, 0)])
    assert i.to_json() == '{"n":3,"edges":[[2,0]]}'
    assert cc.Dag.from_json(i.to_json()) == i
