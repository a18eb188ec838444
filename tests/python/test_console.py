"""The `corrcause` command installed by the wheel and cc.main: the Rust program, in-process."""

import json
import subprocess
import sys

import brute
import corrcause as cc


def run(*args, stdin=None):
    return subprocess.run([brute.command(), *args], input=stdin, capture_output=True, text=True)


def test_console_command_runs_every_subcommand_family():
    r = run("graph", "cpdag", stdin='{"nodes": ["A", "B", "C"], "edges": [["A", "B"], ["C", "B"]]}\n')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"directed": [["A", "B"], ["C", "B"]], "undirected": []}
    r = run("--help")
    assert r.returncode == 0
    for command in ["graph", "generate", "audit", "score", "run", "merge", "export", "import"]:
        assert command in r.stdout
    assert run("--version").stdout.strip() == "corrcause " + cc.__version__


def test_console_errors_exit_non_zero_with_the_message():
    r = run("graph", "ci", stdin='{"n": 2, "edges": [[0, 1], [1, 0]]}\n')
    assert r.returncode == 1
    assert r.stderr.strip() == "error: <stdin>:1: field `edges`: the edges form a directed cycle: 0 -> 1 -> 0"
    r = run("no-such-command")
    assert r.returncode == 2 and "unrecognized subcommand" in r.stderr


def test_main_in_process(capfd):
    assert cc.main(["graph", "enumerate", "--nodes", "4", "--count"]) == 0
    assert json.loads(capfd.readouterr().out) == {"count": 31}
    assert cc.main(["graph", "enumerate", "--nodes", "9"]) == 1
    assert "supports --nodes up to 7" in capfd.readouterr().err
    # --threads builds a pool of the command's own, so it can be given again in one process.
    assert cc.main(["--threads", "1", "graph", "enumerate", "--nodes", "3", "--count"]) == 0
    assert cc.main(["--threads", "2", "graph", "enumerate", "--nodes", "3", "--count"]) == 0
    assert capfd.readouterr().out.splitlines() == ['{"count":6}', '{"count":6}']


def test_python_dash_m_style_entry_point():
    r = subprocess.run(
        [sys.executable, "-c", "import sys, corrcause; sys.argv = ['corrcause', 'graph', 'enumerate', '--count']; corrcause._console()"],
        capture_output=True, text=True,
    )
    assert r.returncode == 0 and json.loads(r.stdout) == {"count": 302}
