"""generate -> load -> score, each step checked independently: labels recomputed by brute force,
scores against the command line and against accuracy counted here."""

import json
import subprocess

import networkx as nx
import pytest

import brute
import corrcause as cc


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    manifest = cc.generate(
        out, nodes=range(3, 5), graphs="exhaustive", balance="none", names="letters",
        splits={"train": 0.5, "test": 0.5}, seed=4, threads=2,
    )
    return out, manifest


def test_manifest_and_load_agree(dataset):
    out, manifest = dataset
    on_disk = json.loads((out / "manifest.json").read_text())
    assert manifest == on_disk
    assert manifest["config"]["nodes"] == [3, 4]
    records = cc.load(out)
    assert len(records) == manifest["items"] > 0
    assert len({r["id"] for r in records}) == len(records)
    train, test = cc.load(out, split="train"), cc.load(out, split="test")
    assert {r["split"] for r in train} == {"train"} and {r["split"] for r in test} == {"test"}
    assert len(train) + len(test) == len(records)
    assert cc.load(out / "train.jsonl") == train


def test_a_split_in_several_files_loads_as_the_split(dataset, tmp_path):
    out, manifest = dataset
    parted = cc.generate(
        tmp_path / "parted", nodes=range(3, 5), graphs="exhaustive", balance="none",
        names="letters", splits={"train": 0.5, "test": 0.5}, seed=4, items_per_file=40,
    )
    names = [f["path"] for f in parted["files"]]
    assert "train-00000-of-" in names[0] and not any(n == "train.jsonl" for n in names)
    for split in ("train", "test"):
        assert cc.load(tmp_path / "parted", split=split) == cc.load(out, split=split)
    assert cc.load(tmp_path / "parted") == cc.load(out)


def test_every_label_matches_brute_force(dataset):
    out, _ = dataset
    checked = 0
    mecs = {}
    for r in cc.load(out):
        key = (r["num_variables"], frozenset(map(tuple, r["graph"])))
        if key not in mecs:
            g = nx.DiGraph()
            g.add_nodes_from("ABCDEFG"[: r["num_variables"]])
            g.add_edges_from(key[1])
            mecs[key] = brute.mec_by_v_structures(g)
        members = mecs[key]
        holds = sum(r["relation"] in brute.relations(m, r["x"], r["y"]) for m in members)
        assert r["mec_size"] == len(members)
        assert r["holds"] == holds, r["id"]
        assert r["label3"] == brute.label(holds, len(members))
        assert r["label"] == int(holds == len(members))
        checked += 1
    assert checked == len(cc.load(out)) > 100


def test_score_counts_as_accuracy_does(dataset):
    out, _ = dataset
    # A folder with splits is scored on its test split, as on the command line.
    records = cc.load(out, split="test")
    oracle = cc.score(out, {r["id"]: "Yes" if r["label"] else "No" for r in records}, name="oracle")
    model = oracle["models"][0]
    assert model["name"] == "oracle" and model["items"] == len(records)
    assert model["metrics"]["accuracy"]["value"] == 1.0
    always_no = cc.score(out, {r["id"]: False for r in records}, bootstrap=10)
    expected = sum(r["label"] == 0 for r in records) / len(records)
    assert always_no["models"][0]["metrics"]["accuracy"]["value"] == pytest.approx(expected)
    assert always_no["bootstrap"]["resamples"] == 10


def test_score_of_a_file_is_the_command_lines_report(dataset, tmp_path):
    out, _ = dataset
    records = cc.load(out, split="test")
    preds = tmp_path / "model-a.jsonl"
    preds.write_text("".join(
        json.dumps({"id": r["id"], "output": "Yes" if i % 3 else "No"}) + "\n"
        for i, r in enumerate(records)
    ))
    report = cc.score(out, preds, seed=5, missing="exclude")
    cli = subprocess.run(
        [brute.command(), "score", "--dataset", str(out), "--predictions", str(preds),
         "--format", "json", "--seed", "5", "--missing", "exclude"],
        check=True, capture_output=True, text=True,
    )
    assert report == json.loads(cli.stdout)
    assert report["models"][0]["name"] == "model-a"
    two = cc.score(out, [preds, preds], name=["a", "b"])
    assert [m["name"] for m in two["models"]] == ["a", "b"]
    every = cc.score(out, {r["id"]: "Yes" for r in cc.load(out)}, split="all")
    assert every["models"][0]["items"] == len(cc.load(out)) > len(records)


def test_corr2cause_csv(tmp_path):
    out = tmp_path / "csv"
    cc.generate(out, nodes="3", graphs="exhaustive", format="csv", splits="none")
    files = list(out.glob("*.csv"))
    assert len(files) == 1
    rows = cc.load(files[0])
    assert rows and rows[0]["id"] == "0"
    assert rows[0]["input"] == "Premise: " + rows[0]["premise"] + "\nHypothesis: " + rows[0]["hypothesis"]
    report = cc.score(files[0], {i: bool(r["label"]) for i, r in enumerate(rows)})
    assert report["models"][0]["metrics"]["accuracy"]["value"] == 1.0


def test_score_of_graph_items(tmp_path):
    # A graph dataset is scored with the causal-discovery metrics, from a dict as from a file,
    # as on the command line.
    out = tmp_path / "graph"
    cc.generate(out, task="graph", nodes=range(3, 5), graphs="exhaustive", splits="none", threads=2)
    records = cc.load(out)
    assert len(records) > 20 and all(r["task"] == "graph" for r in records)
    right = cc.score(out, {r["id"]: r["target"] for r in records}, name="oracle", bootstrap=10)
    assert right["task"] == "graph"
    metrics = right["models"][0]["metrics"]
    assert metrics["shd"]["value"] == 0.0 and metrics["exact"]["value"] == 1.0
    # An empty graph as raw text: every edge missed, one SHD unit per edge of each target.
    edges = [len(r["target"]["directed"]) + len(r["target"]["undirected"]) for r in records]
    empty = cc.score(out, {r["id"]: "There are no edges." for r in records}, bootstrap=10)
    assert empty["models"][0]["metrics"]["shd"]["value"] == pytest.approx(sum(edges) / len(edges))
    preds = tmp_path / "model-g.jsonl"
    preds.write_text("".join(
        json.dumps({"id": r["id"], "prediction": r["target"]}) + "\n" for r in records[::2]
    ))
    report = cc.score(out, preds, seed=3, bootstrap=10)
    cli = subprocess.run(
        [brute.command(), "score", "--dataset", str(out), "--predictions", str(preds),
         "--format", "json", "--seed", "3", "--bootstrap", "10"],
        check=True, capture_output=True, text=True,
    )
    assert report == json.loads(cli.stdout)
    assert report["models"][0]["missing"] == len(records) - len(records[::2])
