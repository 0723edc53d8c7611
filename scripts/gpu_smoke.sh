#!/usr/bin/env bash
# Check a GPU machine for MERL pretraining in under ten minutes (1 GPU; the 2-GPU parts when
# two are visible): versions and capabilities; a synthetic cache; 30 steps in bf16 and fp16
# with checkpoints; SIGTERM + resume; torchrun on 2 GPUs with checkpoints and a resume (the
# RNG path under NCCL); the DDP gradient check on CUDA with TF32 off; zero-shot scores on
# cuda vs cpu (within 1e-3); throughput and peak memory.
#
#   bash scripts/gpu_smoke.sh                 # on a GPU node, e.g. srun --gpus=2 bash ...
#   GPU_SMOKE_OUT=DIR bash scripts/gpu_smoke.sh   # keep the runs and logs in DIR
#   bash scripts/gpu_smoke.sh --cpu-dry-run   # the same steps on CPU/gloo, fp32 (tests the script)
#
# Exit: 0 all checks passed, 1 a check failed (the summary names it), 2 no CUDA device.
set -uo pipefail

cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if [ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ]; then PY=.venv/bin/python; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false
DRY=0
[ "${1:-}" = "--cpu-dry-run" ] && DRY=1

PROBE=$("$PY" -c 'import torch; n = torch.cuda.device_count() if torch.cuda.is_available() else 0; print(n, torch.__version__, "built for CUDA", torch.version.cuda)' 2>/dev/null) || {
    echo "gpu_smoke: cannot import torch with $PY (set PYTHON=... or install the project)" >&2
    exit 2
}
NGPU=${PROBE%% *}
if [ "$DRY" = 0 ] && [ "$NGPU" = 0 ]; then
    echo "gpu_smoke: no CUDA GPU visible to torch (torch ${PROBE#* }; CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset})." >&2
    echo "gpu_smoke: run it on a GPU node (e.g. srun --gpus=2 bash scripts/gpu_smoke.sh); --cpu-dry-run tests the script on CPU." >&2
    exit 2
fi

OUT=${GPU_SMOKE_OUT:-$(mktemp -d -t merl-gpu-smoke.XXXXXX)}
mkdir -p "$OUT"
LOG="$OUT/gpu_smoke.log"
: > "$LOG"
if [ "$DRY" = 1 ]; then
    DEVICE=cpu; NPROC=2; MODEL=vit1d-tiny; BATCH=4; N=64; STEPS=8; EVERY=4; PRECS="fp32"
    OVR='--set model_overrides={"width":64,"depth":1,"heads":1,"mlp_dim":128} --set threads=1'
else
    DEVICE=cuda; NPROC=$(( NGPU >= 2 ? 2 : 1 )); MODEL=resnet1d18; BATCH=32; N=256; STEPS=30
    EVERY=10; OVR=""
    PRECS=$("$PY" -c 'from merl_core.train.pretrain import cuda_bf16_native as f; print("bf16 fp16" if f() else "fp16")')
fi
printf 'from merl_core.cli import app\napp(prog_name="merl-core")\n' > "$OUT/merl_main.py"
MERL=("$PY" "$OUT/merl_main.py")
TORCHRUN=("$PY" -m torch.distributed.run --standalone --nproc_per_node=2 "$OUT/merl_main.py")
FAILED=()
T0=$SECONDS

say() { echo "gpu_smoke: $*" | tee -a "$LOG"; }
check() {  # check NAME CMD...: run, log, record pass/fail
    local name=$1; shift
    local t=$SECONDS
    if "$@" >>"$LOG" 2>&1; then say "PASS $name ($((SECONDS - t)) s)"
    else say "FAIL $name ($((SECONDS - t)) s; see $LOG)"; FAILED+=("$name"); fi
}
pretrain() {  # pretrain OUTDIR PRECISION [extra args...]
    local out=$1 prec=$2; shift 2
    # shellcheck disable=SC2086
    "${MERL[@]}" pretrain --cache "$OUT/cache" --out "$out" --model "$MODEL" \
        --batch-size "$BATCH" --epochs 100 --max-steps "$STEPS" --ckpt-every "$EVERY" \
        --precision "$prec" --device "$DEVICE" --set progress=false $OVR "$@"
}
inspect_run() {  # inspect_run OUTDIR STEP WORLD: checkpoint at STEP, finite losses, figures
    "$PY" - "$@" <<'EOF'
import json, math, sys
from pathlib import Path
from safetensors.torch import load_file
out, step, world = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ckpt = out / (out / "latest").read_text().strip()
state = json.loads((ckpt / "trainer_state.json").read_text())
assert state["step"] == step and state["world_size"] == world, (state["step"], state["world_size"])
keys = load_file(str(ckpt / "state.safetensors")).keys()
for r in range(world):
    assert f"rng/cpu/{r}" in keys, f"no CPU RNG state of rank {r}"
    if (state.get("numerics") or {}).get("gpu"):
        assert f"rng/cuda/{r}" in keys, f"no CUDA RNG state of rank {r}"
recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
assert [r["step"] for r in recs] == list(range(1, step + 1)), "metrics steps"
assert all(r["loss"] is not None and math.isfinite(r["loss"]) for r in recs), "non-finite loss"
tail = sorted(r["pairs_per_s"] for r in recs[len(recs) // 3:])
peak = max((r.get("peak_mem_gib") or 0) for r in recs)
print(f"{out.name}: {tail[len(tail) // 2]:.0f} pairs/s (median), peak {peak:.2f} GiB, "
      f"loss {recs[0]['loss']:.3f} -> {recs[-1]['loss']:.3f}, numerics {state.get('numerics')}")
EOF
}

say "output in $OUT (device $DEVICE, $NGPU GPU(s), model $MODEL)"
check versions "$PY" - <<'EOF'
import platform, torch
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version(), "nccl",
      torch.cuda.nccl.version() if torch.cuda.is_available() else None)
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    from merl_core.train.pretrain import cuda_bf16_native
    torch.cuda.set_device(i)
    print(f"cuda:{i} {p.name} sm_{p.major}{p.minor} {p.total_memory / 2**30:.0f} GiB "
          f"bf16 native {cuda_bf16_native()}")
EOF
grep -E "^(python|cuda:)" "$LOG" | sed 's/^/gpu_smoke:   /'
check "synthetic cache ($N records)" "${MERL[@]}" prepare synthetic --out "$OUT/cache" --n "$N" \
    --seed 0 --no-progress

for prec in $PRECS; do
    check "$STEPS steps $prec, checkpoint every $EVERY" pretrain "$OUT/run-$prec" "$prec"
    check "$prec run: checkpoint, losses" inspect_run "$OUT/run-$prec" "$STEPS" 1
    grep -E "^run-$prec:" "$LOG" | tail -1 | sed 's/^/gpu_smoke:   /'
done

sigterm_resume() {  # sigterm_resume OUTDIR LAUNCHER...: SIGTERM mid-run, then resume to the end
    local out=$1; shift
    "$@" &
    local pid=$!
    for _ in $(seq 1 600); do
        [ -s "$out/metrics.jsonl" ] && [ "$(wc -l < "$out/metrics.jsonl")" -ge $((EVERY + 2)) ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    pkill -TERM -P "$pid" 2>/dev/null  # the launcher's process, not this shell's subshell
    wait "$pid"
    local step
    step=$("$PY" -c "import json,sys; p=sys.argv[1]; n=open(p+'/latest').read().strip(); print(json.load(open(p+'/'+n+'/trainer_state.json'))['step'])" "$out") || return 1
    echo "stopped by SIGTERM, checkpoint at step $step"
    echo "$step" > "$out.step"
    [ "$step" -lt "$LONG" ] || { echo "the run ended before the signal"; return 1; }
    [ "$(tail -1 "$out/metrics.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["step"])')" = "$step" ] \
        || { echo "steps after the checkpoint were lost"; return 1; }
}
P1=${PRECS%% *}
LONG=3000  # long enough for the signal to land mid-run however fast the GPU
check "SIGTERM mid-run saves the step reached" sigterm_resume "$OUT/stop" \
    pretrain "$OUT/stop" "$P1" --ckpt-every 0 --max-steps "$LONG"
END=$(( $(cat "$OUT/stop.step" 2>/dev/null || echo 0) + EVERY ))
check "resume continues (to step $END)" pretrain "$OUT/stop" "$P1" --ckpt-every 0 \
    --max-steps "$END" --resume auto
check "resumed run: checkpoint, losses" inspect_run "$OUT/stop" "$END" 1

if [ "$NPROC" -ge 2 ]; then
    ddp() { "${TORCHRUN[@]}" pretrain --cache "$OUT/cache" --out "$OUT/ddp" --model "$MODEL" \
        --batch-size "$BATCH" --epochs 100 --max-steps "$STEPS" --ckpt-every "$EVERY" \
        --precision "$P1" --device "$DEVICE" --set progress=false $OVR "$@"; }
    check "torchrun 2 processes, stopped after step $((EVERY + 1))" ddp --stop-after $((EVERY + 1))
    check "torchrun resume (RNG states of both ranks)" ddp --resume auto
    check "torchrun run: checkpoint, both ranks' RNG" inspect_run "$OUT/ddp" "$STEPS" 2
    grad_check() {
        local args=(--cache "$OUT/cache" --global-batch 8 --device "$DEVICE")
        "$PY" tests/merl_core/ddp_grad_check.py "${args[@]}" --out "$OUT/grad1.safetensors" &&
        "$PY" -m torch.distributed.run --standalone --nproc_per_node=2 \
            tests/merl_core/ddp_grad_check.py "${args[@]}" --out "$OUT/grad2.safetensors" &&
        "$PY" - "$OUT/grad1.safetensors" "$OUT/grad2.safetensors" <<'EOF'
import sys
from safetensors.torch import load_file
one, two = load_file(sys.argv[1]), load_file(sys.argv[2])
worst = max(((two[k] - one[k]).norm() / one[k].norm().clamp_min(1e-12)).item()
            for k in one if k.startswith("grad/") and k != "grad/loss")
print(f"DDP vs one process: worst relative gradient difference {worst:.2e}")
assert worst < 1e-3
EOF
    }
    check "DDP gradients = one process (TF32 off)" grad_check
else
    say "SKIP torchrun and DDP gradient checks: one GPU visible"
fi

zeroshot_devices() {
    "$PY" - "$OUT/run-$P1" "$OUT/cache" "$DEVICE" <<'EOF'
import sys
import numpy as np
from merl_core.data.cache import ECGCache
from merl_core.eval.zeroshot import run_zeroshot
from merl_core.train.checkpoint import load_model
run, cache, device = sys.argv[1], ECGCache(sys.argv[2]), sys.argv[3]
texts = [["sinus rhythm"], ["atrial fibrillation", "irregular rhythm"], ["left bundle branch block"]]
idx = list(range(min(64, len(cache))))
cpu = run_zeroshot(load_model(run), cache.signals, texts, indices=idx, progress=False)
dev = run_zeroshot(load_model(run, map_location=device), cache.signals, texts, indices=idx,
                   device=device, progress=False)
diff = float(np.abs(cpu - dev).max())
print(f"zero-shot {device} vs cpu: max score difference {diff:.2e}")
assert diff < 1e-3
EOF
}
check "zero-shot $DEVICE vs cpu within 1e-3" zeroshot_devices

say "done in $((SECONDS - T0)) s; figures:"
grep -E "^(run-|stop:|ddp:|DDP vs|zero-shot)" "$LOG" | sed 's/^/gpu_smoke:   /'
if [ "${#FAILED[@]}" -gt 0 ]; then
    say "${#FAILED[@]} check(s) failed: ${FAILED[*]}"
    exit 1
fi
say "all checks passed"
