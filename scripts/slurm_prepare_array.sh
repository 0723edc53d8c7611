#!/usr/bin/env bash
# Prepare one cache on a SLURM cluster: a job array with one task per shard (each task runs
# `merl-core prepare ... --shard I/N` in its own process, on any node), then one merge job
# that starts only when every shard succeeded (`--dependency=afterok`). The merged cache is
# byte for byte the cache one `merl-core prepare` writes (tests/merl_core/test_shard.py).
#
#   # 1. on a login node: submit the array and the dependent merge (prints both job ids)
#   PREPARE_ARGS="mimic --root /data/mimic-iv-ecg --out /scratch/$USER/mimic-cache --dtype float16" \
#   SHARDS=32 bash scripts/slurm_prepare_array.sh submit
#
#   # 2. SLURM then runs this same file as each array task (SLURM_ARRAY_TASK_ID=I -> shard I/N)
#   #    and as the merge job (MODE=merge). Either can be run by hand to redo one part:
#   SLURM_ARRAY_TASK_ID=5 SHARDS=32 PREPARE_ARGS=... bash scripts/slurm_prepare_array.sh
#   MODE=merge PREPARE_ARGS=... bash scripts/slurm_prepare_array.sh
#
# Settings (environment):
#   PREPARE_ARGS  the `merl-core prepare` arguments, identical for every shard and the merge
#                 (dataset, --root, --out, --dtype, --split-file, ...). --out must be on a file
#                 system every node sees (the shards lock and write <out>/.build-*-s<I>of<N>/).
#                 --root must be the same path on every node: it is part of the cache's
#                 fingerprint, so a shard that sees the data under another path builds for
#                 another cache and the merge reports the missing shard.
#   SHARDS        number of array tasks (default 16); each builds records I*n/N..(I+1)*n/N.
#   CPUS          cores per array task (default 8), passed to prepare as --workers.
#   SBATCH_EXTRA  more sbatch options for both jobs (e.g. "--account=abc --partition=cpu").
#   PYTHON        the interpreter with the project installed (default: .venv/bin/python, else python).
#
# A task that fails (node lost, time limit, disk full: exit 1) is resubmitted alone with
# `sbatch --array=I ...` or rerun by hand as above: a shard resumes from the records it had
# done. The merge job is cancelled when a shard fails (--kill-on-invalid-dep); submit it again
# with `MODE=merge sbatch ... scripts/slurm_prepare_array.sh` once every shard is done.
# Exit: the exit status of `merl-core prepare` (0 done, 1 retry later, 2 bad input).
#
#SBATCH --job-name=merl-prepare
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=04:00:00
#SBATCH --output=merl-prepare-%A_%a.out
set -euo pipefail

SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
# Under sbatch the script runs from a spool copy: find the project from the submit folder.
HERE=${SLURM_SUBMIT_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$HERE"
PY=${PYTHON:-python}
if [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
SHARDS=${SHARDS:-16}
CPUS=${CPUS:-${SLURM_CPUS_PER_TASK:-8}}
MODE=${MODE:-}
if [ -z "${PREPARE_ARGS:-}" ]; then
    echo "slurm_prepare_array: set PREPARE_ARGS to the merl-core prepare arguments (dataset, --root, --out, ...)" >&2
    exit 2
fi
read -r -a ARGS <<< "$PREPARE_ARGS"
MERL=("$PY" -m merl_core.cli prepare "${ARGS[@]}" --no-progress)

if [ "${1:-}" = "submit" ]; then
    read -r -a EXTRA <<< "${SBATCH_EXTRA:-}"
    # --parsable prints "jobid[;cluster]": the array's id is what the merge depends on.
    ARRAY=$(sbatch --parsable "${EXTRA[@]}" --array="0-$((SHARDS - 1))" \
        --cpus-per-task="$CPUS" --export=ALL,SHARDS="$SHARDS",CPUS="$CPUS",MODE= "$SCRIPT")
    ARRAY=${ARRAY%%;*}
    # The merge reads every shard once and writes the cache: one core, I/O bound.
    MERGE=$(sbatch --parsable "${EXTRA[@]}" --dependency="afterok:$ARRAY" \
        --kill-on-invalid-dep=yes --job-name=merl-prepare-merge --cpus-per-task=1 \
        --output=merl-prepare-merge-%j.out --export=ALL,MODE=merge,SHARDS="$SHARDS" "$SCRIPT")
    echo "slurm_prepare_array: shards: job array $ARRAY (0-$((SHARDS - 1))); merge: job ${MERGE%%;*} (after all succeed)"
    exit 0
fi

if [ "$MODE" = "merge" ]; then
    echo "slurm_prepare_array: merging $SHARDS shards: ${MERL[*]} --merge"
    exec "${MERL[@]}" --merge
fi
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "slurm_prepare_array: not an array task (no SLURM_ARRAY_TASK_ID); use 'submit', or set MODE=merge" >&2
    exit 2
fi
echo "slurm_prepare_array: shard $SLURM_ARRAY_TASK_ID/$SHARDS on $(hostname) with $CPUS workers"
exec "${MERL[@]}" --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" --workers "$CPUS"
