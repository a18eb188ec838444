"""Checks a harness log against corrcause (scripts/e2e-harness.sh).

    python harness_check.py lm-eval|inspect LOG CORRCAUSE DATASET REQUESTS [SERVER_LOG]

LOG is lm-eval's samples_*.jsonl (its results_*.json beside it) or an inspect log (.eval or
.json), read with the harness's own code where it has a reader. REQUESTS is what
`corrcause export batch` writes for the same items: the prompt `corrcause run` sends. SERVER_LOG
(the test server's) says what the server answered to each prompt. The checks, item by item:
the harness asked every item once with corrcause's prompt; the text it recorded is what the server
answered; `corrcause score --explain-parse` imports exactly that text for that id; and accuracy,
F1 and MCC from `corrcause score` equal the harness's own.
"""

import glob
import json
import os
import subprocess
import sys


def fail(message):
    print(f"harness-check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def expected_prompts(requests):
    prompts = {}
    for line in open(requests, encoding="utf-8"):
        r = json.loads(line)
        body = r["body"]
        prompts[r["custom_id"]] = body["messages"][-1]["content"] if "messages" in body else body["prompt"]
    return prompts


def lm_eval_log(path):
    """id -> (prompt sent, text recorded), and lm-eval's metrics."""
    seen = {}
    for line in open(path, encoding="utf-8"):
        s = json.loads(line)
        arg = s["arguments"]["gen_args_0"]["arg_0"]
        if isinstance(arg, list):
            arg = arg[0]
        try:  # chat: the messages as JSON
            messages = json.loads(arg)
            prompt = messages[-1]["content"] if isinstance(messages, list) else arg
        except ValueError:
            prompt = arg
        if s["doc"]["id"] in seen:
            fail(f"{path}: {s['doc']['id']} asked twice")
        seen[s["doc"]["id"]] = (prompt, s["resps"][0][0])
    task = os.path.basename(path)[len("samples_"):].rsplit("_", 1)[0]
    results = glob.glob(os.path.join(os.path.dirname(path), "results_*.json"))
    metrics = json.load(open(results[0]))["results"][task]
    return seen, {k: metrics[f"{k},none"] for k in ("acc", "f1", "mcc")}


def inspect_log(path):
    from inspect_ai.log import read_eval_log

    log = read_eval_log(path)
    seen = {}
    for s in log.samples:
        prompt = s.input if isinstance(s.input, str) else s.input[-1].text
        if s.id in seen:
            fail(f"{path}: {s.id} asked twice")
        seen[str(s.id)] = (prompt, s.output.completion)
    metrics = {m.name: m.value for score in log.results.scores for m in score.metrics.values()}
    return seen, {"acc": metrics["accuracy"], "f1": metrics["f1"], "mcc": metrics["mcc"]}


def main():
    kind, log, corrcause, dataset, requests = sys.argv[1:6]
    server_log = sys.argv[6] if len(sys.argv) > 6 else None
    prompts = expected_prompts(requests)
    seen, harness = (lm_eval_log if kind == "lm-eval" else inspect_log)(log)
    if sorted(seen) != sorted(prompts):
        fail(f"{log}: {len(seen)} items asked, {len(prompts)} expected")
    served = {}
    if server_log:
        for line in open(server_log, encoding="utf-8"):
            r = json.loads(line)
            served[r["prompt"]] = r["answer"]
    for id, (prompt, text) in seen.items():
        if prompt != prompts[id]:
            fail(f"{id}: the harness sent {prompt!r}, corrcause run sends {prompts[id]!r}")
        if server_log and served.get(prompt) != text:
            fail(f"{id}: the harness recorded {text!r}, the server answered {served.get(prompt)!r}")
    explained = subprocess.run(
        [corrcause, "score", "--dataset", dataset, "--predictions", log, "--explain-parse"],
        check=True, capture_output=True, text=True,
    ).stdout
    imported = {}
    for line in explained.splitlines():
        r = json.loads(line)
        if r["id"] in imported:
            fail(f"corrcause imported {r['id']} twice")
        imported[r["id"]] = r["output"]
    if imported != {id: text for id, (_, text) in seen.items()}:
        wrong = [id for id in seen if imported.get(id) != seen[id][1]]
        fail(f"corrcause imported other answers than the harness recorded for {wrong[:5]}")
    report = json.loads(subprocess.run(
        [corrcause, "score", "--dataset", dataset, "--predictions", log, "--format", "json",
         "--bootstrap", "10"],
        check=True, capture_output=True, text=True,
    ).stdout)["models"][0]
    ours = {"acc": report["metrics"]["accuracy"]["value"], "f1": report["metrics"]["f1"]["value"],
            "mcc": report["metrics"]["mcc"]["value"]}
    for k in ours:
        if abs(ours[k] - harness[k]) > 1e-9:
            fail(f"{k}: corrcause score says {ours[k]}, the harness {harness[k]}")
    print(f"harness-check: {kind} {os.path.basename(log)}: {len(seen)} items, every answer imported as recorded"
          + (" and as served" if server_log else "")
          + f"; accuracy {ours['acc']:.4f}, F1 {ours['f1']:.4f}, MCC {ours['mcc']:.4f} as the harness")


if __name__ == "__main__":
    main()
