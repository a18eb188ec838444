#!/usr/bin/env bash
# End to end with the real harnesses: lm-evaluation-harness, inspect_ai and Hugging Face
# datasets, pinned (scripts/harness-requirements.txt) and installed from PyPI once into a venv
# cached outside the repository (${XDG_CACHE_HOME:-~/.cache}/corrcause/venvs/harness-HASH; no
# torch: lm-eval's API models and datasets need none).
#
#  1. `datasets.load_dataset(DIR)` on a generated folder: its splits, row counts and types.
#  2. The Python answer reader the exported tasks carry against corrcause's (scripts/answer_parity.py);
#     `corrcause export lm-eval` run by `lm_eval` with local-chat-completions and (a group of
#     two namings) local-completions, and `corrcause export inspect` run by `inspect eval` (.eval
#     log; .json log with --shots 2), all against scripts/fake_openai_server.py on 127.0.0.1; then `corrcause score` on
#     each log, checked item by item by scripts/harness_check.py (prompts as `corrcause run`
#     sends them, answers as served, accuracy/F1/MCC as the harness's own).
#  3. The same once against SmolLM2-135M (scripts/local-model.sh) for 20 items, unless
#     CORRCAUSE_SKIP_LOCAL_MODEL=1.
# CORRCAUSE_SKIP_HARNESS=1 skips it all (e.g. offline).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${CORRCAUSE_SKIP_HARNESS:-}" == 1 ]]; then
    echo "e2e-harness: skipped (CORRCAUSE_SKIP_HARNESS=1)"
    exit 0
fi
started=$(date +%s)
requirements=scripts/harness-requirements.txt
venv="${XDG_CACHE_HOME:-$HOME/.cache}/corrcause/venvs/harness-$(sha256sum "$requirements" | cut -c1-12)"
mkdir -p "$(dirname "$venv")"
(
    flock 9 # one installer at a time; the others wait and find it done
    if [[ ! -f "$venv/.complete" ]]; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        touch "$venv/.complete"
    fi
) 9>"$venv.lock"
python="$venv/bin/python"
echo "e2e-harness: venv ready after $(( $(date +%s) - started )) s"

work=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
    [[ -n "${local_model:-}" ]] && scripts/local-model.sh stop || true
    rm -rf "$work"
}
trap cleanup EXIT
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 HF_HOME="$work/hf" INSPECT_LOG_DIR="$work/inspect-logs"
cargo build --quiet
corrcause=$PWD/target/debug/corrcause

# 1. The dataset card.
# Balanced, so that F1 and MCC are not degenerate; a second naming for a task group.
options=(--preset corr2cause-v2 --nodes 2..=4 --balance per-relation --splits train=0.5,test=0.5)
"$corrcause" generate "${options[@]}" --out "$work/data" >/dev/null
"$corrcause" generate "${options[@]}" --names words --out "$work/words" >/dev/null
# The same with each split in several files (train-00000-of-0000K.jsonl, ...), as large splits are.
"$corrcause" generate "${options[@]}" --items-per-file 20 --out "$work/parted" >/dev/null
"$python" - "$work/data" "$work/parted" <<'PY'
import json, re, sys, datasets
for folder in sys.argv[1:]:
    ds = datasets.load_dataset(folder)
    manifest = json.load(open(f"{folder}/manifest.json"))
    files = {}
    for f in manifest["files"]:
        if f["path"].endswith(".jsonl"):
            split = re.sub(r"(-\d{5}-of-\d{5})?\.jsonl$", "", f["path"])
            files.setdefault(split, []).append(f)
    counts = {k: sum(f["items"] for f in v) for k, v in files.items()}
    assert {k: v.num_rows for k, v in ds.items()} == counts, (ds, counts)
    features = ds["test"].features
    assert features["label"].names == ["invalid", "valid"], features["label"]
    assert features["num_variables"].dtype == "int64" and features["split"].dtype == "string"
    assert features["graph"].feature.feature.dtype == "string"
    rows = [json.loads(l) for f in files["test"] for l in open(f"{folder}/{f['path']}")]
    assert [r["id"] for r in rows] == ds["test"]["id"] and [r["label"] for r in rows] == ds["test"]["label"]
    parts = {k: len(v) for k, v in files.items()}
    print(f"e2e-harness: load_dataset: splits {counts} in {parts} files, label a ClassLabel, every id and label as in the JSONL")
assert parts["train"] > 1 and parts["test"] > 1, parts
PY

# 2. The harnesses against the test server; first, the answer reader the tasks carry reads
# texts as corrcause does.
test_items="$work/data/test.jsonl"
python3 scripts/answer_parity.py "$corrcause" "$test_items"
words_items="$work/words/test.jsonl"
cat "$test_items" "$words_items" >"$work/both.jsonl"
"$corrcause" export lm-eval --dataset "$work/data" --out "$work/lm-eval" 2>/dev/null
"$corrcause" export lm-eval --dataset "$work/both.jsonl" --out "$work/lm-eval-group" 2>/dev/null
"$corrcause" export inspect --dataset "$work/data" --out "$work/inspect" 2>/dev/null
"$corrcause" export inspect --dataset "$work/data" --shots 2 --out "$work/inspect-shots" 2>/dev/null
"$corrcause" export batch --dataset "$test_items" --model fake -o "$work/chat.jsonl" 2>/dev/null
"$corrcause" export batch --dataset "$test_items" --model fake --shots 2 -o "$work/chat-shots.jsonl" 2>/dev/null
for items in "$test_items" "$words_items"; do
    "$corrcause" export batch --dataset "$items" --model fake --api completions -o "${items%.jsonl}-completions.jsonl" 2>/dev/null
done
python3 scripts/fake_openai_server.py "$work/url" "$work/served.jsonl" &
server_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/url" ]] && break; sleep 0.1; done
url=$(cat "$work/url")
lm_eval_run() { # task folder, model type, base URL, model name, output folder, extra arguments
    local out=$5
    "$venv/bin/lm_eval" run --model "$2" --model_args "model=$4,base_url=$3,num_concurrent=1,max_retries=1,tokenizer_backend=None,tokenized_requests=False" \
        --include_path "$1" --tasks corrcause --log_samples --output_path "$out" "${@:6}" >"$out.log" 2>&1 ||
        { cat "$out.log"; return 1; }
}
check() { "$python" scripts/harness_check.py "$@"; }
lm_eval_run "$work/lm-eval" local-chat-completions "$url/chat/completions" fake "$work/lm-chat" --apply_chat_template
check lm-eval "$work"/lm-chat/*/samples_corrcause_*.jsonl "$corrcause" "$test_items" "$work/chat.jsonl" "$work/served.jsonl"
# A group of two tasks (the namings), through the completions endpoint.
lm_eval_run "$work/lm-eval-group" local-completions "$url/completions" fake "$work/lm-group"
check lm-eval "$work"/lm-group/*/samples_corrcause_letters_*.jsonl "$corrcause" "$test_items" \
    "$work/data/test-completions.jsonl" "$work/served.jsonl"
check lm-eval "$work"/lm-group/*/samples_corrcause_words_*.jsonl "$corrcause" "$words_items" \
    "$work/words/test-completions.jsonl" "$work/served.jsonl"
inspect_run() { # task folder, base URL, model, log format
    # inspect takes a task file by a relative path only.
    (cd "$1" && LOCAL_BASE_URL=$2 LOCAL_API_KEY=none "$venv/bin/inspect" eval corrcause.py --model "openai-api/local/$3" \
        --log-format "$4" --display none >"$1.log" 2>&1) || { cat "$1.log"; return 1; }
    ls -t "$INSPECT_LOG_DIR"/*."$4" | head -1
}
check inspect "$(inspect_run "$work/inspect" "$url" fake eval)" "$corrcause" "$test_items" "$work/chat.jsonl" "$work/served.jsonl"
check inspect "$(inspect_run "$work/inspect-shots" "$url" fake json)" "$corrcause" "$test_items" "$work/chat-shots.jsonl" "$work/served.jsonl"
kill "$server_pid"
server_pid=

# 3. A real model, 20 items spread over the test split.
if [[ "${CORRCAUSE_SKIP_LOCAL_MODEL:-}" != 1 ]]; then
    local_model=1
    model_url=$(THREADS=${THREADS:-2} scripts/local-model.sh start)
    lines=$(wc -l <"$test_items")
    awk -v step=$(( lines / 20 )) 'NR % step == 1 && n < 20 { print; n++ }' "$test_items" >"$work/twenty.jsonl"
    "$corrcause" export lm-eval --dataset "$work/twenty.jsonl" --out "$work/lm-eval" 2>/dev/null
    "$corrcause" export inspect --dataset "$work/twenty.jsonl" --out "$work/inspect" 2>/dev/null
    "$corrcause" export batch --dataset "$work/twenty.jsonl" --model smollm2 -o "$work/chat20.jsonl" 2>/dev/null
    lm_eval_run "$work/lm-eval" local-chat-completions "$model_url/chat/completions" smollm2 "$work/lm-smollm2" --apply_chat_template
    check lm-eval "$work"/lm-smollm2/*/samples_corrcause_*.jsonl "$corrcause" "$work/twenty.jsonl" "$work/chat20.jsonl"
    check inspect "$(inspect_run "$work/inspect" "$model_url" smollm2 eval)" "$corrcause" "$work/twenty.jsonl" "$work/chat20.jsonl"
fi
echo "e2e-harness: passed in $(( $(date +%s) - started )) s"
