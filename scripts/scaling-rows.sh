# Sourced by scripts/scaling.sh and scripts/serial-share.sh: the binary, a work folder with the
# inputs the rows read, and the rows themselves (issue 13's five), so both measure the same.
#
# CORRCAUSE names a built binary (a machine without a Rust toolchain); else this checkout's is
# built. Outputs go to a temporary folder on tmpfs unless TMPDIR names another (a disk would
# measure its own write-back), removed at the end. REPEAT runs per measurement (default 3).
set -euo pipefail
[[ -n ${CORRCAUSE:-} ]] && CORRCAUSE=$(realpath "$CORRCAUSE") # before the cd below
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -n ${CORRCAUSE:-} ]]; then
    bin=$CORRCAUSE
else
    cargo build --release --quiet
    bin=$PWD/target/release/corrcause
fi
tmp=${TMPDIR:-}
[[ -z $tmp && -d /dev/shm ]] && tmp=/dev/shm
work=$(mktemp -d ${tmp:+-p "$tmp"})
trap 'rm -rf "$work"' EXIT
repeat=${REPEAT:-3}

# Inputs for the oracle and the scorer: the corr2cause-v2 items and the oracle's answers.
"$bin" generate --preset corr2cause-v2 --out "$work/v2" >/dev/null 2>&1
"$bin" run --dataset "$work/v2" --model baseline:oracle --out "$work/oracle" --bootstrap 10 >/dev/null 2>&1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() { # THREADS COMMAND...: median wall seconds of REPEAT runs on THREADS pinned cores
    local t=$1
    shift
    for _ in $(seq "$repeat"); do
        local start end
        rm -rf "$work/g" "$work/r" # every run starts afresh (a run into an old folder would resume)
        start=$(date +%s.%N)
        taskset -c "0-$((t - 1))" "$bin" --threads "$t" "$@" >/dev/null 2>&1
        end=$(date +%s.%N)
        awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
    done | median
}

declare -A jobs=(
    ["generate corr2cause-v2 (207,432 items)"]="generate --preset corr2cause-v2 --out $work/g"
    ["generate default (17,244 items)"]="generate --preset default --out $work/g"
    ["generate random, 12 variables, minimal premises (426,096 items)"]="generate --nodes 12 --graphs random --per-n 1076 --premise minimal --balance none --splits none --out $work/g"
    ["oracle over corr2cause-v2, scored"]="run --dataset $work/v2 --model baseline:oracle --out $work/r --bootstrap 1000"
    ["score corr2cause-v2, 1,000 resamples"]="score --dataset $work/v2 --predictions $work/oracle/baseline-oracle/predictions.jsonl --bootstrap 1000"
)
order=("generate corr2cause-v2 (207,432 items)" "generate default (17,244 items)" "generate random, 12 variables, minimal premises (426,096 items)" "oracle over corr2cause-v2, scored" "score corr2cause-v2, 1,000 resamples")
