#!/usr/bin/env bash
# Speed-up with threads of the parallel hot paths, on this machine: generation of the large
# presets, the oracle over the corr2cause-v2 preset, and scoring it with 1,000 bootstrap
# resamples. Each is run REPEAT times (default 3) per thread count; the median wall time is kept.
# A run with T threads is pinned to T cores (taskset), so the 1-thread figure is one core's work;
# every run writes into a fresh folder (a run into an old one would resume instead).
#
#   scripts/scaling.sh [THREADS...]        # default: 1 2, and every core when there are more
#   CORRCAUSE=path/to/corrcause scripts/scaling.sh 1 2 4 8 16   # a binary built elsewhere
#
# Prints a Markdown table (and the commands) for benches/RESULTS.md. Outputs go to a temporary
# folder (in /dev/shm unless TMPDIR names another), removed at the end.
set -euo pipefail
[[ -n ${CORRCAUSE:-} ]] && CORRCAUSE=$(realpath "$CORRCAUSE") # before the cd below
cd "$(dirname "$0")/.."
# CORRCAUSE names a built binary (a machine without a Rust toolchain); else this checkout's.
if [[ -n ${CORRCAUSE:-} ]]; then
    bin=$CORRCAUSE
else
    cargo build --release --quiet
    bin=$PWD/target/release/corrcause
fi
# Outputs on tmpfs unless TMPDIR says otherwise: a disk would measure its own write-back.
tmp=${TMPDIR:-}
[[ -z $tmp && -d /dev/shm ]] && tmp=/dev/shm
work=$(mktemp -d ${tmp:+-p "$tmp"})
trap 'rm -rf "$work"' EXIT
cores=$(nproc)
threads=("$@")
if [[ ${#threads[@]} -eq 0 ]]; then
    threads=(1 2)
    [[ $cores -gt 2 ]] && threads+=("$cores")
fi
repeat=${REPEAT:-3}

# Inputs for the oracle and the scorer: the corr2cause-v2 items and the oracle's answers.
"$bin" generate --preset corr2cause-v2 --out "$work/v2" >/dev/null 2>&1
"$bin" run --dataset "$work/v2" --model baseline:oracle --out "$work/oracle" --bootstrap 10 >/dev/null 2>&1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() { # THREADS COMMAND...: median seconds
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
header="| work |"
rule="|---|"
for t in "${threads[@]}"; do header+=" $t thread(s) |"; rule+="---|"; done
for t in "${threads[@]:1}"; do header+=" speed-up 1 -> $t |"; rule+="---|"; done
echo "Machine: $(uname -m), $cores cores, $(date +%F); median of $repeat runs, wall time of the whole command, T threads pinned to T cores."
echo
echo "$header"
echo "$rule"
for name in "${order[@]}"; do
    read -r -a args <<<"${jobs[$name]}"
    row="| $name |"
    times=()
    for t in "${threads[@]}"; do
        s=$(measure "$t" "${args[@]}")
        times+=("$s")
        row+=" $(printf '%.2f' "$s") s |"
    done
    for s in "${times[@]:1}"; do row+=" $(awk -v a="${times[0]}" -v b="$s" 'BEGIN { printf "%.2f", a / b }')x |"; done
    echo "$row"
done
echo
echo "Commands (\`corrcause --threads T ...\`):"
for name in "${order[@]}"; do echo "- $name: \`${jobs[$name]//$work/TMP}\`"; done
