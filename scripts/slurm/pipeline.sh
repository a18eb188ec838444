#!/usr/bin/env bash
# Submits generate -> merge -> run -> merge + score as Slurm jobs chained by dependencies.
#
#   WORK=/shared/corrcause-run CORRCAUSE=$PWD/target/release/corrcause \
#   MODEL=baseline:oracle scripts/slurm/pipeline.sh 16
#
# The argument is the number of array tasks for both the generation and the run (default 8).
# Every job reads CORRCAUSE, WORK, PRESET, GENERATE_ARGS, SPLIT, MODEL and RUN_ARGS from the
# environment it is submitted from (sbatch exports it). Add cluster options (partition, account,
# GPUs for the run) with SBATCH_* variables or by editing the #SBATCH lines.
set -euo pipefail
cd "$(dirname "$0")"
shards=${1:-8}
: "${WORK:?set WORK to a folder every node can reach}"
mkdir -p "$WORK"
generate=$(sbatch --parsable --array="0-$((shards - 1))" generate.sbatch)
dataset=$(sbatch --parsable --dependency="afterok:$generate" merge-dataset.sbatch)
run=$(sbatch --parsable --dependency="afterok:$dataset" --array="0-$((shards - 1))" --requeue run.sbatch)
score=$(sbatch --parsable --dependency="afterok:$run" --output="$WORK/score-%j.out" score.sbatch)
echo "submitted: generate $generate, merge $dataset, run $run, score $score (report: $WORK/report.json)"
