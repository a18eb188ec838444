"""Every error path raises corrcause.Error (a ValueError) with the command line's message."""

import json

import networkx as nx
import pytest

import corrcause as cc


def raises(match):
    return pytest.raises(cc.Error, match=match)


def test_error_is_a_value_error():
    assert issubclass(cc.Error, ValueError)


def test_bad_graphs():
    with raises(r"directed cycle: 0 -> 1 -> 0"):
        cc.Dag(2, [(0, 1), (1, 0)])
    with raises(r"unknown node 5"):
        cc.Dag(3, [(0, 5)])
    with raises(r"self loop on node 1"):
        cc.Dag(3, [(1, 1)])
    with raises(r"duplicate edge 0 -> 1"):
        cc.Dag(3, [(0, 1), (0, 1)])
    with raises(r"at most 64 nodes, got 65"):
        cc.Dag(65)
    with raises(r"edges: item 1: expected \(from, to\)"):
        cc.Dag(3, [(0, 1), (2,)])
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    with raises(r"directed cycle: 'a' -> 'b' -> 'c' -> 'a'|cycle"):
        cc.Dag.from_networkx(g)
    with raises(r"undirected"):
        cc.Dag.from_networkx(nx.Graph([(1, 2)]))
    with raises(r"needs a networkx DiGraph"):
        cc.Dag.from_networkx([(1, 2)])
    with raises(r"<json>:1: field `edges`: missing"):
        cc.Dag.from_json('{"n": 2}')
    with raises(r"to_json needs node names that are strings"):
        cc.Dag.from_networkx(nx.DiGraph([((1, 2), 3)])).to_json()


def test_bad_queries():
    d = cc.Dag.from_networkx(nx.DiGraph([("a", "b"), ("b", "c")]))
    with raises(r"node 'q' is not in the graph"):
        d.is_d_separated("a", "q")
    with raises(r"node 'q' is not in the graph"):
        d.is_d_separated("a", "c", ["q"])
    with raises(r"distinct and outside z"):
        d.is_d_separated("a", "a")
    with raises(r"distinct and outside z"):
        d.is_d_separated("a", "c", ["a"])
    with raises(r"node 3 is not in the graph \(nodes 0..3\)"):
        cc.Dag(3).is_d_separated(0, 3)
    with raises(r'form="some"'):
        d.independences(form="some")
    with raises(r"supported up to 20 nodes"):
        cc.Dag(21).independences()
    complete = cc.Dag(6, [(a, b) for a in range(6) for b in range(a + 1, 6)])
    with raises(r"the MEC has 720 members, more than limit=100"):
        complete.cpdag().members(limit=100)
    with raises(r"more than limit=10"):
        complete.relations(limit=10)
    with raises(r"node 'q' is not in the graph"):
        d.parents("q")


def test_bad_generators():
    with raises(r'unknown sampler "tree"'):
        cc.sample(4, 1, sampler="tree")
    with raises(r"--sampler edges needs --edges M"):
        cc.sample(4, 1, sampler="edges")
    with raises(r"probability"):
        cc.sample(4, 1, edge_prob=1.5)
    with raises(r"at most 64 nodes, got nodes=65"):
        cc.sample(65, 1)
    with raises(r"supports --nodes up to 7, got 8"):
        cc.enumerate_dags(8)
    with raises(r"--labelled supports --nodes up to 6, got 7"):
        cc.enumerate_dags(7, labelled=True)


def test_bad_generate_options(tmp_path):
    with raises(r"unexpected argument '--colour'"):
        cc.generate(tmp_path, colour="red")
    with raises(r"--nodes"):
        cc.generate(tmp_path, nodes="two")
    with raises(r"invalid value 'sometimes' for '--graphs"):
        cc.generate(tmp_path, graphs="sometimes")
    with raises(r"unknown preset|preset"):
        cc.generate(tmp_path, preset="nope")
    with raises(r"need --graphs random"):
        cc.generate(tmp_path, nodes="3", graphs="exhaustive", per_n=3)


def test_bad_load(tmp_path):
    with raises(r"missing.jsonl"):
        cc.load(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n[1]\n')
    with raises(r"bad.jsonl:2: expected a JSON object"):
        cc.load(bad)
    bad.write_text('{"id": "a"}\n{"id": \n')
    with raises(r"bad.jsonl:2: not valid JSON"):
        cc.load(bad)
    ok = tmp_path / "ok.jsonl"
    ok.write_text('{"id": "a", "split": "train"}\n')
    with raises(r'no record is in split "test" \(splits: train\)'):
        cc.load(ok, split="test")
    csv = tmp_path / "c.csv"
    csv.write_text('input,label\n"Premise: p\nHypothesis: h",1\n')
    with raises(r"a Corr2Cause CSV has no splits"):
        cc.load(csv, split="train")
    csv.write_text('input,label\n"Premise: p\nHypothesis: h",2\n')
    with raises(r"field `label`: expected 0 or 1"):
        cc.load(csv)
    empty = tmp_path / "empty"
    empty.mkdir()
    with raises(r"manifest.json"):
        cc.load(empty)


def test_bad_score(tmp_path):
    ds = tmp_path / "d.jsonl"
    ds.write_text(json.dumps({"id": "a", "label": 1}) + "\n")
    with raises(r'prediction for "b": not an item of the dataset'):
        cc.score(ds, {"b": "yes"})
    with raises(r'prediction for "a": 7 is not 0/1'):
        cc.score(ds, {"a": 7})
    with raises(r"expected raw text"):
        cc.score(ds, {"a": 1.5})
    with raises(r"unexpected argument '--format'"):
        cc.score(ds, {"a": "yes"}, format="json")
    with raises(r"invalid value 'maybe' for '--unparsed"):
        cc.score(ds, {"a": "yes"}, unparsed="maybe")
    with raises(r"one name for a dict of predictions"):
        cc.score(ds, {"a": "yes"}, name=["x", "y"])
    with raises(r"2 names for 1 prediction files"):
        cc.score(ds, [tmp_path / "p.jsonl"], name=["x", "y"])
    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "a", "output": "yes"}\n{"id": "a", "output": "no"}\n')
    with raises(r'p.jsonl:2: field `id`: "a" was already answered on line 1'):
        cc.score(ds, p)
    with raises(r"missing.jsonl"):
        cc.score(tmp_path / "missing.jsonl", p)
