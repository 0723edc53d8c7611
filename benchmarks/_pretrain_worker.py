"""The timed side of ``bench_pretrain.py``: one configuration per process (or torchrun pair).

``project``: this project's training step through the trainer API. ``published``: the
published step (``_upstream.py``) on the same batches — the pairs of global step ``s`` are
``StepBatches.indices(s)`` for both, read from the same cache inside the timed step.
Optionally counts the forward + backward FLOPs of the timed batches afterwards, with
``FlopCounterMode``, without an optimiser step (the weights do not change a count).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from merl_core.train.trainer import StepBatches, Trainer


def add_worker_args(ap: argparse.ArgumentParser) -> None:
    """The worker's own (hidden) options, and the DDP experiment switches."""
    hide = argparse.SUPPRESS
    ap.add_argument("--worker", help=hide)  # codes to time: project, published or both
    ap.add_argument("--model", help=hide)
    ap.add_argument("--precision", help=hide)
    ap.add_argument("--result", help=hide)
    ap.add_argument("--count-flops", action="store_true", help=hide)
    ap.add_argument("--profile", action="store_true", help="profiler table of one step")
    ap.add_argument(
        "--pin", action="store_true", help="experiment: pin each DDP rank to its own cores"
    )
    ap.add_argument(
        "--bucket-mb",
        type=float,
        default=None,
        help="experiment: DDP bucket_cap_mb (default: the trainer's)",
    )
    ap.add_argument("--grad-as-bucket-view", action="store_true",
                    help="experiment: DDP gradient_as_bucket_view")  # fmt: skip


def _pin(rank: int, world: int) -> None:
    cores = sorted(os.sched_getaffinity(0))
    per = max(1, len(cores) // world)
    os.sched_setaffinity(0, set(cores[rank * per : (rank + 1) * per]))


def _count_flops(fn: Any, batches: list[Any]) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    total = 0.0
    for b in batches:
        with FlopCounterMode(display=False) as fc:
            fn(b)
        total += float(fc.get_total_flops())
    return total


@dataclass
class _Bench:
    """One code's step, its batch source and its forward + backward (for the FLOP count)."""

    step: Callable[[Any], Any]
    get: Callable[[int], Any]
    fwd_bwd: Callable[[Any], None]
    is_main: bool = True
    world: int = 1


def _time(benches: dict[str, _Bench], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Warm-up then timed steps, the codes interleaved step by step (alternating which goes
    first) so that both see the same load; data loading is inside the timed step."""
    out: dict[str, dict[str, Any]] = {
        k: {"times": [], "batches": [], "profile": None} for k in benches
    }
    names = list(benches)
    for s in range(args.warmup + args.steps):
        for name in names if s % 2 == 0 else names[::-1]:
            b, rec = benches[name], out[name]
            t0 = time.perf_counter()
            batch = b.get(s)
            if args.profile and s == args.warmup and b.is_main:
                from torch.profiler import ProfilerActivity, profile

                with profile(activities=[ProfilerActivity.CPU]) as prof:
                    b.step(batch)
                rec["profile"] = prof.key_averages().table(sort_by="self_cpu_time_total",
                                                           row_limit=15)  # fmt: skip
            else:
                b.step(batch)
            if s >= args.warmup:
                rec["times"].append(time.perf_counter() - t0)
                rec["batches"].append(batch)
    return out


def _project(args: argparse.Namespace) -> _Bench:
    from merl_core.train.config import PretrainConfig
    from merl_core.train.distributed import init_distributed

    dist = init_distributed("cpu")
    if args.pin and dist.world_size > 1:
        _pin(dist.rank, dist.world_size)
    overrides = {"text_pad_to_max": args.padding == "static256"}
    cfg = PretrainConfig(model=args.model, model_overrides=overrides, cache=args.cache,
                         batch_size=args.batch // dist.world_size, precision=args.precision,
                         progress=False, tensorboard=False)  # fmt: skip
    tr = Trainer(cfg, dist)
    if dist.world_size > 1 and (args.bucket_mb or args.grad_as_bucket_view):
        from torch.nn.parallel import DistributedDataParallel

        kw: dict[str, Any] = {"broadcast_buffers": False,
                              "gradient_as_bucket_view": args.grad_as_bucket_view}  # fmt: skip
        if args.bucket_mb:
            kw["bucket_cap_mb"] = args.bucket_mb
        tr.run.ddp = DistributedDataParallel(tr.model, **kw)

    def fwd_bwd(b: dict[str, Any]) -> None:
        tr.loss_fn(tr.run.ddp(b["ecg"], dict(b["tokens"])))["loss"].backward()
        tr.run.optimizer.zero_grad(set_to_none=True)

    return _Bench(tr.step, tr.batch, fwd_bwd, dist.is_main, dist.world_size)


def _published(args: argparse.Namespace) -> _Bench:
    from benchmarks._upstream import load_upstream, network_config
    from merl_core.data.cache import ECGCache
    from merl_core.train.config import PretrainConfig
    from merl_core.train.distributed import DistInfo

    up = load_upstream()
    cfg = PretrainConfig(model=args.model, cache=args.cache, batch_size=args.batch)
    cache = ECGCache(args.cache)
    reports = cache.reports or []
    src = StepBatches(cache, len(cache), args.batch, DistInfo(), cfg.seed, None)
    torch.manual_seed(cfg.seed)
    model = up.ECGCLIP(network_config(args.model)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas,
                            weight_decay=cfg.weight_decay)  # fmt: skip
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5000, T_mult=1,
                                                                 eta_min=1e-8)  # fmt: skip
    amp = args.precision == "bf16"

    def get(s: int) -> dict[str, Any]:
        idx = src.indices(s)
        return {"ecg": torch.from_numpy(cache.batch(idx)).float().contiguous(),
                "reports": [reports[i] for i in idx]}  # fmt: skip

    def losses(b: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tok = model._tokenize(b["reports"])
        out = model(b["ecg"], tok.input_ids.contiguous(), tok.attention_mask.contiguous())
        cma, acc1, acc5 = up.clip_loss(out["proj_ecg_emb"][0], out["proj_text_emb"][0],
                                       device="cpu")  # fmt: skip
        uma, _, _ = up.clip_loss(out["ecg_emb"][0], out["ecg_emb"][1], device="cpu")
        return cma + uma, acc1, acc5

    def step(b: dict[str, Any]) -> None:
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16) if amp else nullcontext():
            loss, acc1, acc5 = losses(b)
            loss.item(), acc1.item(), acc5.item()  # the published loop logs these every step
            loss.backward()
            opt.step()
            sched.step()

    def fwd_bwd(b: dict[str, Any]) -> None:
        losses(b)[0].backward()
        opt.zero_grad()

    return _Bench(step, get, fwd_bwd)


def worker(args: argparse.Namespace) -> None:
    """Time the codes of ``args.worker`` (comma-separated, interleaved); rank 0 writes JSON."""
    from merl_core.train.distributed import cleanup_distributed

    torch.set_num_threads(args.threads)
    make = {"project": _project, "published": _published}
    benches = {name: make[name](args) for name in args.worker.split(",")}
    timed = _time(benches, args)
    out: dict[str, Any] = {}
    for name, b in benches.items():
        rec = timed[name]
        flops = _count_flops(b.fwd_bwd, rec["batches"]) if args.count_flops else None
        if flops is not None and b.world > 1:
            t = torch.tensor([flops], dtype=torch.float64)
            torch.distributed.all_reduce(t)
            flops = float(t)
        times = rec["times"]
        out[name] = {"step_s": statistics.median(times), "times": times, "flops": flops,
                     "flop_pairs": args.batch * len(times), "profile": rec["profile"]}  # fmt: skip
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    world = max(b.world for b in benches.values())
    if world > 1:
        t = torch.tensor([rss_mib])
        torch.distributed.all_reduce(t)
        rss_mib = float(t)
    if all(b.is_main for b in benches.values()):
        for rec in out.values():
            rec["rss_mib"] = rss_mib  # of the process, all its codes together
        Path(args.result).write_text(json.dumps(out))
    cleanup_distributed()
