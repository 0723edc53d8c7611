#!/usr/bin/env bash
# Pretraining rate on one GPU, end to end through `merl-core pretrain` (loader, tokenisation,
# forward, CMA+UMA loss, backward, optimiser): the figures docs/scaling.md's capacity plan
# uses. A synthetic cache of N records (12 leads, 500 Hz, 10 s, float32, as `prepare` writes
# MIMIC-IV-ECG), batch 128 per GPU as published, bf16 autocast where the GPU has bf16 units;
# each encoder with the loader in the training process (num_workers=0) and with the automatic
# worker count (min(4, cores − 1) per rank) and with 8, so the gap the workers close shows.
#
#   bash benchmarks/bench_gpu_pretrain.sh            # on a GPU node; OUT_DIR=DIR keeps the runs
#
# Prints one line per run: model, workers, median pairs/s over the last two thirds of the
# steps, peak GPU memory; and the GPU, CPU and software it ran on.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false
N=${N:-2048}; STEPS=${STEPS:-90}; BATCH=${BATCH:-128}
MODELS=${MODELS:-"resnet1d18 vit1d-tiny"}; WORKERS=${WORKERS:-"0 auto 8"}
OUT=${OUT_DIR:-$(mktemp -d -t merl-gpu-bench.XXXXXX)}
mkdir -p "$OUT"
printf 'from merl_core.cli import app\napp(prog_name="merl-core")\n' > "$OUT/merl_main.py"
MERL=("$PY" "$OUT/merl_main.py")
echo "bench_gpu_pretrain: cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    | sed 's/^/bench_gpu_pretrain: gpu /'
"$PY" -c 'import torch; print("bench_gpu_pretrain: torch", torch.__version__, "cuda", torch.version.cuda)'
PREC=$("$PY" -c 'import torch; from merl_core.train.pretrain import cuda_bf16_native as f; print("bf16" if torch.cuda.is_available() and f() else "fp32")')
DEV=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
t=$SECONDS
"${MERL[@]}" prepare synthetic --out "$OUT/cache" --n "$N" --seed 0 --workers "$(nproc)" \
    --no-progress >"$OUT/prepare.log" 2>&1 || { tail -5 "$OUT/prepare.log"; exit 1; }
echo "bench_gpu_pretrain: synthetic cache of $N records in $((SECONDS - t)) s with $(nproc) workers"
for model in $MODELS; do
    for workers in $WORKERS; do
        run="$OUT/run-$model-w$workers"
        set_w=()
        [ "$workers" != auto ] && set_w=(--set "num_workers=$workers")
        "${MERL[@]}" pretrain --cache "$OUT/cache" --out "$run" --model "$model" \
            --batch-size "$BATCH" --epochs 1000 --max-steps "$STEPS" --ckpt-every 0 \
            --precision "$PREC" --device "$DEV" --set progress=false "${set_w[@]}" \
            >"$run.log" 2>&1 || { echo "bench_gpu_pretrain: $model workers=$workers FAILED"; tail -5 "$run.log"; continue; }
        used=$(grep -o "loader: [0-9]* worker" "$run.log" | grep -o "[0-9]*" | head -1)
        "$PY" - "$run" "$model" "$workers" "$BATCH" "$PREC" "${used:-?}" <<'PYEOF'
import json, sys
from pathlib import Path
run, model, workers, batch, prec, used = sys.argv[1:]
recs = [json.loads(x) for x in (Path(run) / "metrics.jsonl").read_text().splitlines()]
tail = sorted(r["pairs_per_s"] for r in recs[len(recs) // 3:])
peak = max((r.get("peak_mem_gib") or 0) for r in recs)
print(f"bench_gpu_pretrain: {model} batch {batch} {prec} workers={workers} ({used} per rank): "
      f"{tail[len(tail) // 2]:.0f} pairs/s median of steps {len(recs) // 3 + 1}-{len(recs)}, "
      f"peak {peak:.2f} GiB, loss {recs[0]['loss']:.3f} -> {recs[-1]['loss']:.3f}")
PYEOF
    done
done
