#!/usr/bin/env bash
# End to end with a real model: starts SmolLM2-135M-Instruct behind llama.cpp's server
# (scripts/local-model.sh), runs 50 Corr2Cause items (2 to 4 variables, both labels) through
# `corrcause run` with the original prompt and --logprobs (the answer is the likelier of the two
# answer tokens; the free text is kept and read too), and checks that every item got exactly one
# answer, that the text answers parse, and that the report counts all 50.
# Set CORRCAUSE_SKIP_LOCAL_MODEL=1 to skip it (e.g. offline).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${CORRCAUSE_SKIP_LOCAL_MODEL:-}" == 1 ]]; then
    echo "e2e-local-model: skipped (CORRCAUSE_SKIP_LOCAL_MODEL=1)"
    exit 0
fi
started=$(date +%s)
url=$(THREADS=${THREADS:-2} scripts/local-model.sh start)
trap 'scripts/local-model.sh stop' EXIT
echo "e2e-local-model: server at $url after $(( $(date +%s) - started )) s"
work=$(mktemp -d)
trap 'scripts/local-model.sh stop; rm -rf "$work"' EXIT
cargo build --quiet
corrcause=target/debug/corrcause
"$corrcause" generate --preset corr2cause-v2 --nodes 2..=4 --out "$work/data" >/dev/null
# 50 items spread over the file (every premise size, every relation).
lines=$(wc -l <"$work/data/items.jsonl")
awk -v step=$(( lines / 50 )) 'NR % step == 1 && n < 50 { print; n++ }' "$work/data/items.jsonl" >"$work/items.jsonl"
"$corrcause" run --dataset "$work/items.jsonl" --model "openai:smollm2@$url" \
    --out "$work/run" --jobs 1 --timeout 60 --bootstrap 200 --progress lines --logprobs
python3 - "$work/items.jsonl" "$work/run" <<'PY'
import glob, json, sys
items = [json.loads(l)["id"] for l in open(sys.argv[1])]
folder = glob.glob(sys.argv[2] + "/openai-*")[0]
predictions = [json.loads(l) for l in open(folder + "/predictions.jsonl")]
assert [p["id"] for p in predictions] == items, "one prediction per item, in order"
journal = sorted(json.loads(l)["id"] for l in open(folder + "/journal.jsonl"))
assert journal == sorted(items), "one journal line per item"
report = json.load(open(sys.argv[2] + "/report.json"))["models"][0]
assert report["items"] == 50 and report["missing"] == 0, report
unparsed = report["unparsed"]
with_probabilities = sum("answer_probabilities" in p for p in predictions)
text_read = sum(p["output"].strip().strip(".").lower() in ("yes", "no") for p in predictions)
assert with_probabilities > 0, "no answer came with log-probabilities"
print(f"e2e-local-model: 50 items, {with_probabilities} decided by log-probabilities, {text_read} plain Yes/No texts, "
      f"{unparsed} unparsed; F1 {100 * report['metrics']['f1']['value']:.1f}, accuracy {100 * report['metrics']['accuracy']['value']:.1f}")
PY
echo "e2e-local-model: passed in $(( $(date +%s) - started )) s"
