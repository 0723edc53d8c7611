"""Pretraining throughput (ECG–report pairs/s) and peak memory per encoder on this machine.

Each configuration runs in a fresh process (or two under torchrun, gloo) reading batches from
a prepared cache through the real training step (forward, CMA+UMA loss, backward, clipping,
AdamW). Global batch 32 (16 per rank under DDP). Reports achieved GFLOP/s and the fraction
of this CPU's matmul peak using DESIGN.md's FLOPs per pair, and the ratio to the published
implementation measured here (4.3 pairs/s ResNet1d-18, 5.4 ViT1d-tiny; fp32, static-256).

    python benchmarks/bench_pretrain.py                              # full grid, PTB-XL sample
    python benchmarks/bench_pretrain.py --cache DIR --profile        # own cache + profiler table

Without ``--cache`` the PTB-XL sample under the data root (``MERL_DATA_ROOT``) is prepared
once, with its German reports, into ``runs/bench_pretrain/ptbxl-cache``. bf16 rows run only
where the CPU multiplies bf16 in hardware (the avx512_bf16 / amx_bf16 flag); elsewhere bf16 matmuls
are emulated hundreds of times slower than fp32 and the notes say they were skipped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# GFLOP per pair for one training step (forward + backward), from DESIGN.md.
GFLOP_PER_PAIR = {("resnet1d18", "static256"): 16.8, ("resnet1d18", "dynamic"): 11.1,
                  ("vit1d-tiny", "static256"): 9.6, ("vit1d-tiny", "dynamic"): 3.8}  # fmt: skip
PEAK_GFLOPS = {"fp32": 144.0, "bf16": 366.0}  # 2-thread matmul peak of the reference CPU
UPSTREAM = {"resnet1d18": 4.3, "vit1d-tiny": 5.4}  # pairs/s, published code, fp32, batch 32


def default_cache() -> Path:
    """Prepare (once) the PTB-XL sample with its reports; reused by later runs."""
    from merl_core.data.datasets import prepare
    from merl_core.paths import shared_data_root

    root = shared_data_root() / "ptbxl-sample"
    if not root.exists():
        sys.exit(f"bench_pretrain: {root} not found; pass --cache DIR or set MERL_DATA_ROOT")
    return prepare("ptbxl", root, ROOT / "runs" / "bench_pretrain" / "ptbxl-cache",
                   progress=False)  # fmt: skip


def worker(args: argparse.Namespace) -> None:
    """Time ``args.steps`` training steps after ``args.warmup``; rank 0 writes JSON."""
    import torch

    from merl_core.train.config import PretrainConfig
    from merl_core.train.distributed import cleanup_distributed, init_distributed
    from merl_core.train.loss import MERLLoss
    from merl_core.train.trainer import StepBatches
    from merl_core.train.trainer import build_run as _build
    from merl_core.train.trainer import open_cache as _open_cache
    from merl_core.train.trainer import run_meta as _meta
    from merl_core.train.trainer import train_step as _step

    torch.set_num_threads(args.threads)
    dist = init_distributed("cpu")
    overrides = {"text_pad_to_max": args.padding == "static256"}
    cfg = PretrainConfig(model=args.model, model_overrides=overrides, cache=args.cache,
                         batch_size=args.batch // dist.world_size, precision=args.precision,
                         progress=False, tensorboard=False, compile=args.compile)  # fmt: skip
    cache, n = _open_cache(cfg)
    run = _build(cfg, dist, n, _meta(cfg, cache, n))
    src = StepBatches(cache, n, cfg.batch_size, dist, cfg.seed, run.model.tokenize)
    loss_fn = MERLLoss()
    run.ddp.train()
    times, prof_table = [], None
    for s in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        batch = src[s]  # data loading is inside the timed step (num_workers=0)
        if args.profile and s == args.warmup and dist.is_main:
            from torch.profiler import ProfilerActivity, profile

            with profile(activities=[ProfilerActivity.CPU]) as prof:
                _step(run, batch, loss_fn, cfg.lr)
            prof_table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15)
        else:
            _step(run, batch, loss_fn, cfg.lr)
        if s >= args.warmup:
            times.append(time.perf_counter() - t0)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if dist.world_size > 1:
        t = torch.tensor([rss_mib])
        torch.distributed.all_reduce(t)
        rss_mib = float(t)
    if dist.is_main:
        sec = sorted(times)[len(times) // 2]
        Path(args.result).write_text(json.dumps({"step_s": sec, "rss_mib": rss_mib,
                                                 "profile": prof_table}))  # fmt: skip
    cleanup_distributed()


def _launch(args: argparse.Namespace, model: str, mode: str, precision: str, padding: str,
            result: Path) -> dict:  # fmt: skip
    nproc = 2 if mode == "ddp2" else 1
    threads = max(1, args.threads // nproc)
    wargs = ["--worker", "--cache", str(args.cache), "--model", model, "--precision", precision,
             "--padding", padding, "--batch", str(args.batch), "--steps", str(args.steps),
             "--warmup", str(args.warmup), "--threads", str(threads), "--result", str(result)]
    if args.profile:
        wargs.append("--profile")
    if args.compile:
        wargs.append("--compile")
    head = [sys.executable] if nproc == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}  # fmt: skip
    proc = subprocess.run([*head, __file__, *wargs], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{model}/{mode}/{precision}/{padding} failed:\n{proc.stderr[-2000:]}")
    return json.loads(result.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, help="prepared cache with reports (merl-core prepare)")
    ap.add_argument("--models", default="resnet1d18,vit1d-tiny")
    ap.add_argument("--modes", default="single,ddp2")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--paddings", default="static256,dynamic")
    ap.add_argument("--batch", type=int, default=32, help="global batch")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="in total")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--name", default="bench_pretrain")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--precision", help=argparse.SUPPRESS)
    ap.add_argument("--padding", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if args.cache is None:
        args.cache = default_cache()
    from benchmarks._common import matmul_gflops, write_results
    from merl_core.train.pretrain import cpu_has_bf16_units

    rows, profiles = [], {}
    precisions = args.precisions.split(",")
    skipped = ""
    if "bf16" in precisions and not cpu_has_bf16_units():
        precisions.remove("bf16")
        import torch

        torch.set_num_threads(args.threads)
        bf16 = matmul_gflops(512, repeats=1, dtype="bfloat16")
        skipped = (" bf16 skipped: this CPU has no bf16 matrix instructions (no avx512_bf16 "
                   f"or amx_bf16 flag; a 512² matmul ran at {bf16:.2g} GFLOP/s in bf16 against "
                   f"{matmul_gflops(512, repeats=3):.3g} in fp32).")  # fmt: skip
    grid = itertools.product(args.models.split(","), args.modes.split(","),
                             precisions, args.paddings.split(","))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for i, (model, mode, prec, pad) in enumerate(grid):
            res = _launch(args, model, mode, prec, pad, Path(tmp) / f"{i}.json")
            pps = args.batch / res["step_s"]
            gflop = GFLOP_PER_PAIR.get((model, pad))
            row = {"encoder": model, "mode": mode, "precision": prec, "padding": pad,
                   "pairs_per_s": pps, "step_s": res["step_s"], "peak_rss_mib": res["rss_mib"],
                   "gflops": pps * gflop if gflop else None,
                   "frac_peak": pps * gflop / PEAK_GFLOPS[prec] if gflop else None,
                   "x_upstream": pps / UPSTREAM[model] if model in UPSTREAM else None}  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)  # noqa: T201
            if res.get("profile"):
                profiles[f"{model}/{mode}/{prec}/{pad}"] = res["profile"]
    notes = (f"Global batch {args.batch} (per rank {args.batch // 2} under ddp2, gloo), "
             f"{args.threads} threads in total, median of {args.steps} steps after "
             f"{args.warmup} warm-up; data read from the cache inside the timed step. "
             "x_upstream: ratio to the published trainer measured on the reference machine "
             "(fp32, static-256: 4.3 / 5.4 pairs/s). GFLOP/s from DESIGN.md's FLOPs per pair; "
             "frac_peak against 144 (fp32) / 366 (bf16) GFLOP/s." + skipped)  # fmt: skip
    if profiles:
        notes += "\n\n" + "\n\n".join(f"Profile {k} (top ops by self CPU time):\n\n```\n{v}```"
                                      for k, v in profiles.items())  # fmt: skip
    write_results(args.name, "Pretraining throughput (CPU)", rows, notes=notes)


if __name__ == "__main__":
    main()
