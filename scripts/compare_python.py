"""The same causal work on the same graphs with corrcause and with Python's libraries.

Called by scripts/compare-python.sh inside its virtual environment:

    python compare_python.py CORRCAUSE_BINARY OUT_MARKDOWN [--sizes 5,6,8,10,12] [--budget SECONDS]

For each N, one set of seeded random DAGs (written by `corrcause graph sample`) is put through:
- every d-separation statement (x, y | Z) for all pairs and all subsets Z of the other nodes:
  `corrcause graph ci`, networkx `is_d_separator`, pgmpy `DAG.is_dconnected`, causal-learn
  `Dag.is_dseparated_from`;
- the CPDAG: `corrcause graph cpdag`, pgmpy `DAG.to_pdag`, causal-learn `dag2cpdag`
  (networkx has none);
- MEC members: `corrcause graph mec`; no library lists them, so each member corrcause lists is
  checked to be Markov equivalent to its DAG with pgmpy's `DAG.is_iequivalent` (soundness only).

Every answer must agree with corrcause's; a disagreement is a failure (exit status 1), reported
with the smallest example. corrcause runs single-threaded (`--threads 1`) and is timed as a whole
process (start-up and JSON output included); each library is timed in process, on as many graphs
as fit in the time budget.
"""
import argparse
import json
import os
import platform
import signal
import subprocess
import tempfile
import sys
import time
from datetime import date

import networkx as nx
from causallearn.graph.Dag import Dag as ClDag
from causallearn.graph.GraphNode import GraphNode
from causallearn.utils.DAG2CPDAG import dag2cpdag
from pgmpy.base import DAG as PgDag

from importlib.metadata import version


def run(binary, args, stdin=None):
    """Runs corrcause; returns (stdout lines as JSON, seconds)."""
    started = time.perf_counter()
    out = subprocess.run([binary, "--threads", "1", *args], input=stdin, capture_output=True, check=True, text=True)
    seconds = time.perf_counter() - started
    return [json.loads(line) for line in out.stdout.splitlines()], seconds


class Answers:
    """corrcause's answers for a set of graphs, timed as one process writing them to a file, and
    parsed only as far as they are compared."""

    def __init__(self, binary, command, graphs_file, parse):
        self.path = graphs_file + "." + command
        started = time.perf_counter()
        subprocess.run([binary, "--threads", "1", "graph", command, graphs_file, "-o", self.path], check=True)
        self.seconds = time.perf_counter() - started
        self.file, self.parse, self.parsed = open(self.path), parse, []

    def __getitem__(self, k):
        while len(self.parsed) <= k:
            self.parsed.append(self.parse(json.loads(self.file.readline())))
        return self.parsed[k]

    def close(self):
        self.file.close()
        os.remove(self.path)


def statements(n):
    """Every (x, y, Z) with x < y and Z a subset of the other nodes, Z sorted."""
    for x in range(n):
        for y in range(x + 1, n):
            others = [v for v in range(n) if v != x and v != y]
            for mask in range(1 << len(others)):
                yield x, y, tuple(others[i] for i in range(len(others)) if mask >> i & 1)


def independences_with(test, n):
    return {s for s in statements(n) if test(*s)}


def nx_independences(g):
    graph = nx.DiGraph()
    graph.add_nodes_from(range(g["n"]))
    graph.add_edges_from(map(tuple, g["edges"]))
    return independences_with(lambda x, y, z: nx.is_d_separator(graph, {x}, {y}, set(z)), g["n"])


def pgmpy_dag(g):
    dag = PgDag()
    dag.add_nodes_from(range(g["n"]))
    dag.add_edges_from(map(tuple, g["edges"]))
    return dag


def pgmpy_independences(g):
    dag = pgmpy_dag(g)
    return independences_with(lambda x, y, z: not dag.is_dconnected(x, y, observed=list(z)), g["n"])


def causallearn_dag(g):
    nodes = [GraphNode(f"X{i}") for i in range(g["n"])]
    dag = ClDag(nodes)
    for a, b in g["edges"]:
        dag.add_directed_edge(nodes[a], nodes[b])
    return dag, nodes


def causallearn_independences(g):
    dag, nodes = causallearn_dag(g)
    return independences_with(
        lambda x, y, z: dag.is_dseparated_from(nodes[x], nodes[y], [nodes[v] for v in z]), g["n"]
    )


def pgmpy_cpdag(g):
    pdag = pgmpy_dag(g).to_pdag()
    directed = {tuple(e) for e in pdag.directed_edges}
    undirected = {tuple(sorted(e)) for e in pdag.undirected_edges}
    return directed, undirected


def causallearn_cpdag(g):
    dag, _ = causallearn_dag(g)
    m = dag2cpdag(dag).graph
    n = g["n"]
    directed, undirected = set(), set()
    for i in range(n):
        for j in range(n):
            if m[i, j] == -1 and m[j, i] == 1:
                directed.add((i, j))
            elif i < j and m[i, j] == -1 and m[j, i] == -1:
                undirected.add((i, j))
    return directed, undirected


class Timeout(Exception):
    """A library call that did not return in time (some loop forever)."""


def _alarm(*_):
    raise Timeout()


def within(seconds, fn, *args):
    """fn(*args), or Timeout after `seconds`."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def parse_ci(r):
    return {(x, y, tuple(z)) for x, y, z in r["independences"]}


def parse_cpdag(r):
    return {tuple(e) for e in r["directed"]}, {tuple(sorted(e)) for e in r["undirected"]}


def show_ci(library, got, want):
    return (f"{library} alone says independent: {sorted(got - want)[:3]}; "
            f"corrcause alone says independent: {sorted(want - got)[:3]}")


def show_cpdag(library, got, want):
    return (f"{library}: directed {sorted(got[0])}, undirected {sorted(got[1])}; "
            f"corrcause: directed {sorted(want[0])}, undirected {sorted(want[1])}")


# (task, corrcause command, parse corrcause's line, libraries, describe a disagreement)
TASKS = [
    ("every d-separation statement", "ci", parse_ci,
     [("networkx", nx_independences), ("pgmpy", pgmpy_independences),
      ("causal-learn", causallearn_independences)], show_ci),
    ("CPDAG", "cpdag", parse_cpdag,
     [("pgmpy", pgmpy_cpdag), ("causal-learn", causallearn_cpdag)], show_cpdag),
]


def compare(fn, graphs, want, budget, item_timeout, show):
    """Applies fn to graphs until the budget is spent (at least one graph): (graphs done, seconds
    per finished graph, disagreements as (graph, detail))."""
    done, finished, spent, bad = 0, 0, 0.0, []
    started = time.perf_counter()
    for k, g in enumerate(graphs):
        w = want[k]
        t = time.perf_counter()
        try:
            got = within(item_timeout, fn, g)
            spent += time.perf_counter() - t
            finished += 1
            if got != w:
                bad.append((g, show(got, w)))
        except Timeout:
            bad.append((g, f"did not return within {item_timeout:g} s"))
        done += 1
        if time.perf_counter() - started > budget:
            break
    return done, (spent / finished if finished else float("nan")), bad


def smallest_failure(binary, command, parse, fn, show, item_timeout):
    """The first disagreement over every labelled DAG on 2, 3, then 4 nodes, fewest edges first."""
    for n in (2, 3, 4):
        graphs, _ = run(binary, ["graph", "enumerate", "--nodes", str(n), "--labelled"])
        graphs.sort(key=lambda g: len(g["edges"]))
        text = "".join(json.dumps(g) + "\n" for g in graphs)
        want = [parse(r) for r in run(binary, ["graph", command], text)[0]]
        for g, w in zip(graphs, want):
            try:
                got = within(item_timeout, fn, g)
                if got != w:
                    return g, show(got, w)
            except Timeout:
                return g, f"did not return within {item_timeout:g} s"
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corrcause")
    p.add_argument("out")
    p.add_argument("--sizes", default="5,6,8,10,12")
    p.add_argument("--graphs", type=int, default=1000)
    p.add_argument("--budget", type=float, default=20.0, help="seconds per library, task and N")
    p.add_argument("--item-timeout", type=float, default=5.0,
                   help="seconds one graph may take (at least 0.2 ms per statement)")
    p.add_argument("--seed", type=int, default=20261122)
    a, _ = p.parse_known_args()  # the Python-API comparison's options are passed too

    rows, failures = [], {}
    work = tempfile.mkdtemp(prefix="corrcause-compare-")
    for n in [int(s) for s in a.sizes.split(",")]:
        statements_per_graph = n * (n - 1) // 2 * (1 << (n - 2))
        sample, _ = run(a.corrcause, ["graph", "sample", "--nodes", str(n), "--count", str(a.graphs),
                                      "--sampler", "er", "--edge-prob", "0.3", "--seed", str(a.seed + n)])
        # Listing every statement of every graph would fill gigabytes for large N: that task takes
        # the first graphs, as many as keep it under 5 million statements (at least 20).
        sets = {"ci": sample[:max(20, 5_000_000 // statements_per_graph)], "cpdag": sample, "mec": sample}
        files = {}
        for command, graphs in sets.items():
            files[command] = os.path.join(work, f"dags-{n}-{command}.jsonl")
            with open(files[command], "w") as f:
                f.writelines(json.dumps(g) + "\n" for g in graphs)
        graphs, text = sample, "".join(json.dumps(g) + "\n" for g in sample)
        for task, command, parse, libraries, show in TASKS:
            graphs = sets[command]
            want = Answers(a.corrcause, command, files[command], parse)
            per_item = statements_per_graph if command == "ci" else 1
            rows.append((task, n, per_item, "corrcause", len(graphs), want.seconds / len(graphs), 0))
            # A call may take 0.2 ms per statement before it counts as hung.
            item_timeout = max(a.item_timeout, per_item * 2e-4)
            for library, fn in libraries:
                done, per_graph, bad = compare(fn, graphs, want, a.budget, item_timeout,
                                               lambda got, w: show(library, got, w))
                rows.append((task, n, per_item, library, done, per_graph, len(bad)))
                if bad:
                    failures.setdefault((task, library), (command, parse, fn, show, []))[4].extend(bad)
            want.close()
        # MEC members: corrcause lists them; pgmpy checks each is equivalent to its DAG.
        graphs = sample
        mec, seconds = run(a.corrcause, ["graph", "mec"], text)
        members = sum(r["size"] for r in mec)
        rows.append(("MEC members", n, members / len(graphs), "corrcause", len(graphs), seconds / len(graphs), 0))
        if n <= 8:
            started, checked, bad = time.perf_counter(), 0, []
            for g, r in zip(graphs, mec):
                dag = pgmpy_dag(g)
                for edges in r["members"]:
                    checked += 1
                    if not dag.is_iequivalent(pgmpy_dag({"n": n, "edges": edges})):
                        bad.append((g, f"pgmpy says member {edges} is not equivalent"))
                if time.perf_counter() - started > a.budget:
                    break
            rows.append(("MEC member is equivalent (check)", n, 1, "pgmpy", checked,
                         (time.perf_counter() - started) / max(checked, 1), len(bad)))
            if bad:
                failures.setdefault(("MEC member", "pgmpy"), (None, None, None, None, []))[4].extend(bad)

    # The table: per item, and corrcause's time over the library's.
    lines = [
        f"Measured {date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores), "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"networkx {version('networkx')}, pgmpy {version('pgmpy')}, causal-learn {version('causal-learn')}; "
        f"{a.graphs} Erdős–Rényi DAGs (p = 0.3) per N, seed {a.seed}+N; listing every statement takes "
        "the first of them, as many as stay under 5 million statements (at least 20). "
        "corrcause: one thread, timed as a whole process (start-up and JSON output included). "
        f"Libraries: in process, on as many graphs as fit in {a.budget:g} s, each graph stopped after "
        f"{a.item_timeout:g} s or 0.2 ms per statement, whichever is longer. Item: one DAG. No library lists MEC members; pgmpy's "
        "`is_iequivalent` checks that each member corrcause lists is equivalent to its DAG.",
        "",
        "| work | N | per item | library | items | time per item | corrcause / library | disagreements |",
        "|---|---|---|---|---|---|---|---|",
    ]
    corrcause_time = {(t, n): s for t, n, _, lib, _, s, _ in rows if lib == "corrcause"}
    for task, n, per_item, library, count, seconds, bad in rows:
        base = corrcause_time.get((task, n))
        ratio = "" if library == "corrcause" or base is None or seconds != seconds else f"{base / seconds:.2g}"
        what = (f"{per_item:,.0f} statements" if task.startswith("every")
                else f"{per_item:,.1f} members" if task == "MEC members" else "1 graph" if task == "CPDAG" else "1 member")
        lines.append(f"| {task} | {n} | {what} | {library} | {count} | {fmt(seconds)} | {ratio} | {bad} |")
    lines.append("")
    if failures:
        lines.append("**Disagreements: a failure.** The smallest example of each:")
        lines.append("")
        for (task, library), (command, parse, fn, show, bad) in failures.items():
            example = None
            if fn is not None:
                example = smallest_failure(a.corrcause, command, parse, fn,
                                           lambda got, w: show(library, got, w), a.item_timeout)
            if example is None:
                example = min(bad, key=lambda b: (b[0]["n"], len(b[0]["edges"])))
            g, detail = example
            lines.append(f"- {task}, {library} ({len(bad)} of the sampled DAGs): smallest DAG "
                         f"`{json.dumps(g)}`: {detail}.")
    else:
        lines.append("Every answer of every library agreed with corrcause's.")
    report = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(report)
    print(report)
    return 1 if failures else 0


def fmt(seconds):
    if seconds != seconds:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


if __name__ == "__main__":
    sys.exit(main())
