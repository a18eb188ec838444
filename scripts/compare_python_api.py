"""corrcause through its Python API beside networkx and pgmpy, in the same process.

Called by scripts/compare-python.sh inside its virtual environment (where the corrcause wheel,
networkx and pgmpy are installed):

    python compare_python_api.py OUT_MARKDOWN [--sizes 5,6,8,10] [--graphs 200] [--budget SECONDS]

On the same seeded Erdős–Rényi DAGs as the command-line comparison (`corrcause.sample`, the
graphs `corrcause graph sample` writes), it times, per item and including every crossing from
Python into Rust and the Python objects returned:
- one d-separation query (x, y | Z) with random Z: `Dag.is_d_separated` against networkx
  `is_d_separator` and pgmpy `DAG.is_dconnected`;
- every statement of a DAG: `Dag.independences()` against asking networkx and pgmpy each one;
- the CPDAG: `Dag.cpdag()` with its edge lists against pgmpy `DAG.to_pdag`;
- MEC members: `Cpdag.members()`; no library lists them, so pgmpy's `is_iequivalent` checks each.
Every answer must agree (exit status 1 otherwise). corrcause runs on one thread (`threads` is not
involved: these calls are single-graph).
"""
import argparse
import os
import platform
import random
import sys
import time
from datetime import date
from importlib.metadata import version

import networkx as nx
from pgmpy.base import DAG as PgDag

import corrcause as cc
from compare_python import fmt, statements  # beside this file


def nx_graph(d):
    g = nx.DiGraph()
    g.add_nodes_from(d.nodes)
    g.add_edges_from(d.edges)
    return g


def pg_graph(d):
    g = PgDag()
    g.add_nodes_from(d.nodes)
    g.add_edges_from(d.edges)
    return g


def timed(fn, items, budget, repeat=3):
    """Applies fn to items until budget / repeat is spent (at least one item), `repeat` times:
    (the first pass's results, the least seconds per item of any later pass). Later passes keep
    no results, so Python's garbage collector does not slow them down as results pile up; the
    least time, as timeit reports, because on a shared machine other work only ever adds time."""
    first = []
    started = time.perf_counter()
    for item in items:
        first.append(fn(item))
        if time.perf_counter() - started > budget / repeat:
            break
    best = float("inf")
    for _ in range(repeat - 1):
        started = time.perf_counter()
        for item in items[: len(first)]:
            fn(item)
        best = min(best, (time.perf_counter() - started) / len(first))
    return first, best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--sizes", default="5,6,8,10")
    p.add_argument("--graphs", type=int, default=200)
    p.add_argument("--queries", type=int, default=20000)
    p.add_argument("--budget", type=float, default=10.0, help="seconds per library, task and N")
    p.add_argument("--seed", type=int, default=20261122)
    a, _ = p.parse_known_args()  # the command-line comparison's options are passed too
    rows, failures = [], []

    def row(task, n, what, library, count, seconds, bad=0):
        rows.append((task, n, what, library, count, seconds, bad))
        if bad:
            failures.append(f"{task}, N = {n}, {library}: {bad} disagreements")

    for n in [int(s) for s in a.sizes.split(",")]:
        dags = cc.sample(n, a.graphs, sampler="er", edge_prob=0.3, seed=a.seed + n)
        nxs = [nx_graph(d) for d in dags]
        pgs = [pg_graph(d) for d in dags]
        rng = random.Random(a.seed + n)
        queries = []
        for _ in range(a.queries):
            k = rng.randrange(len(dags))
            x, y = rng.sample(range(n), 2)
            z = tuple(v for v in range(n) if v not in (x, y) and rng.random() < 0.3)
            queries.append((k, x, y, z))

        # One d-separation query.
        want, t = timed(lambda q: dags[q[0]].is_d_separated(q[1], q[2], q[3]), queries, a.budget)
        row("one d-separation query", n, "1 query", "corrcause", len(want), t)
        got, t = timed(lambda q: nx.is_d_separator(nxs[q[0]], {q[1]}, {q[2]}, set(q[3])), queries, a.budget)
        row("one d-separation query", n, "1 query", "networkx", len(got), t, sum(g != w for g, w in zip(got, want)))
        got, t = timed(lambda q: not pgs[q[0]].is_dconnected(q[1], q[2], observed=list(q[3])), queries, a.budget)
        row("one d-separation query", n, "1 query", "pgmpy", len(got), t, sum(g != w for g, w in zip(got, want)))

        # Every statement of a DAG.
        per = n * (n - 1) // 2 * (1 << (n - 2))
        what = f"{per:,} statements"
        lists, t = timed(lambda k: dags[k].independences(), list(range(len(dags))), a.budget)
        want = [set(s) for s in lists]
        row("every statement of a DAG", n, what, "corrcause", len(want), t)
        got, t = timed(lambda k: {s for s in statements(n) if nx.is_d_separator(nxs[k], {s[0]}, {s[1]}, set(s[2]))},
                       list(range(len(dags))), a.budget)
        row("every statement of a DAG", n, what, "networkx", len(got), t, sum(g != w for g, w in zip(got, want)))
        got, t = timed(lambda k: {s for s in statements(n) if not pgs[k].is_dconnected(s[0], s[1], observed=list(s[2]))},
                       list(range(len(dags))), a.budget)
        row("every statement of a DAG", n, what, "pgmpy", len(got), t, sum(g != w for g, w in zip(got, want)))

        # The CPDAG.
        def pg_cpdag(k):
            pdag = pgs[k].to_pdag()
            return {tuple(e) for e in pdag.directed_edges}, {tuple(sorted(e)) for e in pdag.undirected_edges}

        cpdags, t = timed(lambda k: dags[k].cpdag(), list(range(len(dags))), a.budget)
        want = [(set(c.directed), {tuple(sorted(e)) for e in c.undirected}) for c in cpdags]
        row("CPDAG", n, "1 graph", "corrcause", len(want), t)
        got, t = timed(pg_cpdag, list(range(len(dags))), a.budget)
        row("CPDAG", n, "1 graph", "pgmpy", len(got), t, sum(g != w for g, w in zip(got, want)))

        # MEC members.
        members, t = timed(lambda k: dags[k].cpdag().members(), list(range(len(dags))), a.budget)
        mean = sum(map(len, members)) / len(members)
        row("MEC members", n, f"{mean:,.1f} members", "corrcause", len(members), t)
        if n <= 8:
            pairs = [(k, m) for k, ms in enumerate(members) for m in ms]
            ok, t = timed(lambda km: pgs[km[0]].is_iequivalent(pg_graph(km[1])), pairs, a.budget)
            row("MEC member is equivalent (check)", n, "1 member", "pgmpy", len(ok), t, ok.count(False))

    lines = [
        f"Measured {date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores), "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, corrcause "
        f"{cc.__version__} (release wheel), networkx {version('networkx')}, pgmpy {version('pgmpy')}; "
        f"{a.graphs} Erdős–Rényi DAGs (p = 0.3) per N from `corrcause.sample` (seed {a.seed}+N), "
        f"{a.queries} random queries per N (each other node in Z with probability 0.3). Everything "
        "in one Python process, each call timed with what it returns (corrcause: Python lists and tuples "
        "of the statements, a `Cpdag`; the libraries' loops build sets); each library on as many "
        f"items as fit in a third of {a.budget:g} s (answers kept and compared), then the same "
        "items twice more without keeping answers, the faster of those two reported (a shared "
        "machine only ever adds time).",
        "",
        "| work | N | per item | library | items | time per item | library / corrcause | disagreements |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base = {(t, n): s for t, n, _, lib, _, s, _ in rows if lib == "corrcause"}
    for task, n, what, library, count, seconds, bad in rows:
        b = base.get((task, n))
        ratio = "" if library == "corrcause" or b is None or task.endswith("(check)") else f"{seconds / b:,.0f}x"
        lines.append(f"| {task} | {n} | {what} | {library} | {count} | {fmt(seconds)} | {ratio} | {bad} |")
    lines.append("")
    lines.append("**Disagreements: a failure.** " + "; ".join(failures) if failures
                 else "Every answer of every library agreed with corrcause's.")
    report = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(report)
    print(report)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
