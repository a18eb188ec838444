"""sample and enumerate_dags against networkx and the known counts."""

import itertools
import json
import subprocess

import networkx as nx
import pytest

import brute
import corrcause as cc


def test_sample_is_seeded_and_draws_dags():
    a = cc.sample(8, 50, seed=7)
    b = cc.sample(8, 50, seed=7, threads=1)
    assert [g.edges for g in a] == [g.edges for g in b]
    assert [g.edges for g in a] != [g.edges for g in cc.sample(8, 50, seed=8)]
    for g in a:
        assert len(g) == 8 and nx.is_directed_acyclic_graph(g.to_networkx())


def test_sample_models_keep_their_parameters():
    for g in cc.sample(9, 40, sampler="edges", edges=12, max_in_degree=3, seed=1):
        assert len(g.edges) == 12
        assert max(len(g.parents(v)) for v in g.nodes) <= 3
    assert all(len(g.edges) == 0 for g in cc.sample(6, 10, edge_prob=0.0))
    assert all(len(g.edges) == 15 for g in cc.sample(6, 10, edge_prob=1.0))
    uniform = cc.sample(3, 5000, sampler="uniform", seed=2)
    # 25 labelled DAGs on 3 nodes: each drawn about 200 times.
    counts = {}
    for g in uniform:
        counts[frozenset(g.edges)] = counts.get(frozenset(g.edges), 0) + 1
    assert len(counts) == 25 and min(counts.values()) > 120 and max(counts.values()) < 290


def test_sample_matches_the_command_line():
    out = subprocess.run(
        [brute.command(), "graph", "sample", "--nodes", "6", "--count", "20", "--sampler", "er", "--seed", "3"],
        check=True, capture_output=True, text=True,
    ).stdout
    lines = [json.loads(l) for l in out.splitlines()]
    assert [[list(e) for e in g.edges] for g in cc.sample(6, 20, seed=3)] == [l["edges"] for l in lines]


@pytest.mark.parametrize("n,count", [(0, 1), (1, 1), (2, 3), (3, 25), (4, 543)])
def test_labelled_enumeration_counts_and_is_distinct(n, count):
    dags = list(cc.enumerate_dags(n, labelled=True))
    assert len(dags) == count  # OEIS A003024
    assert len({frozenset(g.edges) for g in dags}) == count


@pytest.mark.parametrize("n,count", [(1, 1), (2, 2), (3, 6), (4, 31), (5, 302)])
def test_unlabelled_enumeration_is_one_per_isomorphism_class(n, count):
    it = cc.enumerate_dags(n)
    assert len(it) == count  # OEIS A003087
    dags = [g.to_networkx() for g in it]
    assert len(dags) == count
    if n <= 4:
        for a, b in itertools.combinations(dags, 2):
            assert not nx.is_isomorphic(a, b)


def test_long_calls_release_the_gil():
    import threading

    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        cc.sample(12, 5000, threads=1)  # about a second in the test build
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    ticks = 0
    while not done.is_set():  # this thread runs during the call only if the call let go of the GIL
        ticks += 1
    worker.join()
    assert ticks > 100_000
