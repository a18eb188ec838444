#!/usr/bin/env bash
# Where a 2-core machine tells what 16 cores would: the serial share of each row of
# scripts/scaling.sh. Each command runs on 1 thread (wall time, median of REPEAT, default 3) and
# REPEAT times on 2 threads pinned to CPUs 0-1 under `perf record -a` (both CPUs sampled at
# 2 kHz, which slows the run), the run with the median serial time kept;
# scripts/serial_share.py then counts the time only one CPU did the command's work. With T1 the
# one-thread time and S that serial time, Amdahl's law bounds the speed-up on 16 threads by
# T1 / (S + (T1 - S) / 16); memory and output bandwidth, which 2 cores do not strain, may
# bound it lower. The 2-thread runs are slowed by the sampling; the machine should be otherwise
# idle. Outputs (up to 2.8 GB) go to /dev/shm unless TMPDIR names another folder. Needs perf
# (with permission to sample every CPU) and python3.
#
#   scripts/serial-share.sh
#   CORRCAUSE=/path/to/other/corrcause scripts/serial-share.sh   # another build, to compare
command -v perf >/dev/null || { echo "serial-share: needs perf" >&2; exit 1; }
source "$(dirname "$0")/scaling-rows.sh"

echo "Machine: $(uname -m), $(nproc) cores, $(date +%F); 1 thread: median of $repeat runs; 2 threads: median serial time of $repeat runs under perf."
echo
echo "| work | 1 thread | 2 threads (span) | one CPU alone | serial share | Amdahl bound 1 -> 16 | longest serial stretches |"
echo "|---|---|---|---|---|---|---|"
for name in "${order[@]}"; do
    read -r -a args <<<"${jobs[$name]}"
    t1=$(measure 1 "${args[@]}")
    # REPEAT runs under perf; the one with the median serial time is kept.
    for _ in $(seq "$repeat"); do
        rm -rf "$work/g" "$work/r"
        perf record -q -a -C 0-1 -g -F 2000 -o "$work/perf.data" -- \
            taskset -c 0-1 "$bin" --threads 2 "${args[@]}" >/dev/null 2>&1
        perf script -i "$work/perf.data" 2>/dev/null >"$work/perf.txt"
        python3 scripts/serial_share.py "$work/perf.txt"
        rm -f "$work/perf.data" "$work/perf.txt"
    done | sort -t$'\t' -k2,2n >"$work/shares"
    IFS=$'\t' read -r span serial where < <(sed -n "$(((repeat + 1) / 2))p" "$work/shares")
    share=$(awk -v s="$serial" -v t="$t1" 'BEGIN { print 100 * s / t }')
    bound=$(awk -v s="$serial" -v t="$t1" 'BEGIN { print t / (s + (t - s) / 16) }')
    printf '| %s | %.2f s | %.2f s | %.3f s | %.1f%% | %.1fx | %s |\n' \
        "$name" "$t1" "$span" "$serial" "$share" "$bound" "$where"
done
