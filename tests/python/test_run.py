"""cc.run: the same engine as `corrcause run`, checked against the command line's own output and
against accuracy counted here from the dataset's labels."""

import json
import subprocess

import pytest

import brute
import corrcause as cc


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    cc.generate(
        out, nodes=range(3, 5), graphs="exhaustive", balance="none", names="letters",
        splits={"train": 0.5, "test": 0.5}, seed=4, threads=2,
    )
    return out


def test_run_scores_the_baselines(dataset, tmp_path):
    out = tmp_path / "run"
    result = cc.run(
        out, model=["baseline:oracle", "baseline:always-valid"], dataset=dataset,
        progress="none", bootstrap=10, threads=2,
    )
    records = cc.load(dataset, split="test")
    assert result["unanswered"] == []
    assert [m["model"] for m in result["models"]] == ["baseline:oracle", "baseline:always-valid"]
    for m in result["models"]:
        assert m["answered"] == len(records) and m["unanswered"] == 0
        lines = [json.loads(l) for l in open(m["predictions"])]
        assert sorted(l["id"] for l in lines) == sorted(r["id"] for r in records)
    report = result["report"]
    assert report == json.loads((out / "report.json").read_text())
    accuracy = {m["name"]: m["metrics"]["accuracy"]["value"] for m in report["models"]}
    assert accuracy["baseline:oracle"] == 1.0
    valid = sum(r["label"] == 1 for r in records) / len(records)
    assert accuracy["baseline:always-valid"] == pytest.approx(valid)


def test_run_writes_what_the_command_writes(dataset, tmp_path):
    options = ["--dataset", str(dataset), "--model", "baseline:random", "--seed", "3",
               "--bootstrap", "20", "--progress", "none"]
    cli = subprocess.run(
        [brute.command(), "run", "--out", str(tmp_path / "cli"), *options],
        check=True, capture_output=True, text=True,
    )
    assert "baseline:random" in cli.stdout
    cc.run(tmp_path / "py", model="baseline:random", dataset=dataset, seed=3, bootstrap=20,
           progress="none")
    for name in ["report.json", "baseline-random/predictions.jsonl", "baseline-random/manifest.json"]:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


def test_a_shard_only_answers(dataset, tmp_path):
    result = cc.run(tmp_path / "run", model="baseline:oracle", dataset=dataset, shard="0/2",
                    progress="none")
    assert result["report"] is None
    (m,) = result["models"]
    assert m["folder"].endswith("shard-0-of-2/baseline-oracle")
    assert 0 < m["answered"] < len(cc.load(dataset, split="test"))


def test_run_errors_are_the_command_lines(dataset, tmp_path):
    with pytest.raises(cc.Error, match=r'--model "nope": write openai:MODEL@BASE_URL'):
        cc.run(tmp_path / "a", model="nope", dataset=dataset)
    with pytest.raises(cc.Error, match="--timeout 0: give a positive number of seconds"):
        cc.run(tmp_path / "b", dataset=dataset, timeout=0)
    graph = tmp_path / "graph"
    cc.generate(graph, task="graph", nodes="3", graphs="exhaustive", splits="none")
    with pytest.raises(cc.Error, match="--shots takes examples from the train split"):
        cc.run(tmp_path / "c", dataset=graph, shots=2)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
