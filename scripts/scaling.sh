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
# Prints a Markdown table (and the commands) for benches/RESULTS.md. The rows, the binary and the
# work folder (in /dev/shm unless TMPDIR names another) are set up by scripts/scaling-rows.sh.
source "$(dirname "$0")/scaling-rows.sh"
cores=$(nproc)
threads=("$@")
if [[ ${#threads[@]} -eq 0 ]]; then
    threads=(1 2)
    [[ $cores -gt 2 ]] && threads+=("$cores")
fi

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
