"""The pretraining loop: one process or torchrun, exact DDP loss, checkpoints, exact resume.

Data order is a function of (seed, epoch, step) only: the pairs of global step ``s`` are
``perm_epoch[pos·B·W : (pos+1)·B·W]`` and rank ``r`` takes its ``B``-slice, so W processes with
B pairs see the same pairs as one process with W·B, and a resumed run continues exactly.
Incomplete last batches are dropped (the all-gather needs equal batch sizes).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from merl_core.errors import MerlCoreError
from merl_core.models import create_model
from merl_core.train import checkpoint as ckpt_io
from merl_core.train.config import PretrainConfig, dump_config
from merl_core.train.distributed import DistInfo, cleanup_distributed, init_distributed
from merl_core.train.loss import MERLLoss

log = logging.getLogger(__name__)


class PretrainError(MerlCoreError, RuntimeError):
    """A run that cannot start (no reports, too few records, bad resume point)."""


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The record order of one epoch (the same on every rank)."""
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=g).numpy()


class StepBatches(Dataset):
    """Item ``s`` = this rank's batch of global step ``s`` (ECG array + tokenised reports)."""

    def __init__(self, cache: Any, n: int, batch: int, dist: DistInfo, seed: int,
                 tokenize: Any) -> None:  # fmt: skip
        self.cache, self.n, self.batch, self.dist = cache, n, batch, dist
        self.seed, self.tokenize = seed, tokenize
        self.steps_per_epoch = n // (batch * dist.world_size)

    def __len__(self) -> int:  # steps are addressed directly; length is nominal
        return 2**62

    def indices(self, step: int) -> np.ndarray:
        """Cache rows of this rank's batch at global ``step``."""
        epoch, pos = divmod(step, self.steps_per_epoch)
        perm = epoch_permutation(self.n, self.seed, epoch)
        start = (pos * self.dist.world_size + self.dist.rank) * self.batch
        return perm[start : start + self.batch]

    def __getitem__(self, step: int) -> dict[str, Any]:
        idx = self.indices(step)
        reports = [self.cache.reports[i] for i in idx]
        return {"ecg": torch.from_numpy(self.cache.batch(idx)), "tokens": self.tokenize(reports),
                "step": step}  # fmt: skip


def lr_at(cfg: PretrainConfig, step: int, total: int) -> float:
    """Learning rate for ``step`` (0-based): linear warm-up, then the schedule."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.scheduler == "constant":
        return cfg.lr
    t = step - cfg.warmup_steps
    if cfg.scheduler == "cosine_restarts":
        frac = (t % cfg.restart_steps) / cfg.restart_steps
    else:
        frac = t / max(1, total - cfg.warmup_steps)
    return cfg.min_lr + (cfg.lr - cfg.min_lr) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))


def cpu_has_bf16_units() -> bool:
    """True where the CPU multiplies bf16 in hardware (the avx512_bf16 or amx_bf16 flag)."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: str) -> torch.dtype | None:
    """Autocast dtype for ``precision`` on ``device`` (None = fp32)."""
    if precision == "fp32":
        return None
    if precision == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if cpu_has_bf16_units() else None
    if precision == "fp16" and not device.startswith("cuda"):
        raise PretrainError("fp16 autocast needs CUDA; use bf16 on CPU")
    return torch.bfloat16 if precision == "bf16" else torch.float16


@dataclass
class Run:
    """A built run: model, its DDP wrapper, optimiser, scaler, autocast dtype, step range."""

    cfg: PretrainConfig
    dist: DistInfo
    model: Any
    ddp: Any
    optimizer: torch.optim.Optimizer
    scaler: Any
    amp: torch.dtype | None
    total: int
    start: int
    meta: dict[str, Any]


def open_cache(cfg: PretrainConfig) -> tuple[Any, int]:
    """The cache of ``cfg.cache`` and how many of its records to train on."""
    from merl_core.data.cache import ECGCache

    if cfg.cache is None:
        raise PretrainError("no data: give --cache DIR (a folder made by `merl-core prepare`)")
    cache = ECGCache(cfg.cache)
    if not cache.reports or not any(cache.reports):
        raise PretrainError(f"{cfg.cache}: the cache has no report texts to pretrain on")
    n = min(len(cache), cfg.limit or len(cache))
    return cache, n


def run_meta(cfg: PretrainConfig, cache: Any, n: int) -> dict[str, Any]:
    """What a checkpoint records about its data: leads, fs, preprocessing, labels, cache."""
    from merl_core.data.leads import LEADS

    m = cache.meta
    return {"leads": list(m.get("lead_order") or LEADS), "fs": m.get("fs"),
            "preprocessing": m.get("preprocessing"), "label_names": list(cache.label_names),
            "train_data": {"cache": str(cfg.cache), "dataset": m.get("dataset"), "records": n,
                           "fingerprint": m.get("fingerprint")}}  # fmt: skip


def _seed_rank(seed: int, rank: int) -> None:
    torch.manual_seed(seed * 7919 + 1 + rank)
    if torch.cuda.is_available():
        torch.cuda.manual_seed(seed * 7919 + 1 + rank)


def _rng_tensors(dist: DistInfo) -> dict[str, torch.Tensor]:
    """Every rank's torch RNG state (gathered to all ranks as uint8 tensors)."""
    states = {"cpu": torch.get_rng_state()}
    if dist.device.startswith("cuda"):
        states["cuda"] = torch.cuda.get_rng_state()
    if dist.world_size == 1:
        return {f"rng/{k}/0": v for k, v in states.items()}
    import torch.distributed as tdist

    out: dict[str, torch.Tensor] = {}
    for k, v in states.items():
        parts = [torch.empty_like(v) for _ in range(dist.world_size)]
        tdist.all_gather(parts, v)
        out.update({f"rng/{k}/{r}": p for r, p in enumerate(parts)})
    return out


def _restore_rng(rng: dict[str, torch.Tensor], dist: DistInfo) -> None:
    key = f"rng/cpu/{dist.rank}"
    if key not in rng:
        raise PretrainError(f"checkpoint has no RNG state for rank {dist.rank} (other world size?)")
    torch.set_rng_state(rng[key])
    if dist.device.startswith("cuda") and f"rng/cuda/{dist.rank}" in rng:
        torch.cuda.set_rng_state(rng[f"rng/cuda/{dist.rank}"])


def _resume_point(cfg: PretrainConfig) -> Path | None:
    if not cfg.resume:
        return None
    if cfg.resume == "auto":
        return ckpt_io.resolve_checkpoint(cfg.out) if (cfg.out / ckpt_io.LATEST).exists() else None
    return ckpt_io.resolve_checkpoint(cfg.resume)


def create_optimizer(params: list[torch.nn.Parameter], cfg: PretrainConfig) -> torch.optim.AdamW:
    """AdamW with the fused kernel (one pass over all parameters instead of a loop over
    tensors, which cost up to ~0.9 s a step on 2 CPU cores); the same update rule, so only
    float rounding differs."""
    kwargs: dict[str, Any] = {"lr": cfg.lr, "betas": cfg.betas, "weight_decay": cfg.weight_decay}
    try:
        return torch.optim.AdamW(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.AdamW(params, **kwargs)


def build_run(cfg: PretrainConfig, dist: DistInfo, n: int, meta: dict[str, Any]) -> Run:
    """Model, optimiser, scaler and step range (resumed if ``cfg.resume`` says so)."""
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    model = create_model(cfg.model, **cfg.model_overrides).to(dist.device)
    model.meta = meta
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = create_optimizer(params, cfg)
    steps_per_epoch = n // (cfg.batch_size * dist.world_size)
    if steps_per_epoch == 0:
        raise PretrainError(f"{n} records < one global batch ({cfg.batch_size} × "
                            f"{dist.world_size} processes); lower --batch-size")  # fmt: skip
    total = min(cfg.max_steps or 10**18, cfg.epochs * steps_per_epoch)
    amp = resolve_precision(cfg.precision, dist.device)
    scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
    _seed_rank(cfg.seed, dist.rank)
    start = 0
    point = _resume_point(cfg)
    if point is not None:
        start = _load_resume(point, model, optimizer, scaler, dist)
    ddp: Any = model
    if dist.world_size > 1:
        from torch.nn.parallel import DistributedDataParallel

        ids = [dist.local_rank] if dist.device.startswith("cuda") else None
        ddp = DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)
    if cfg.compile:
        ddp = torch.compile(ddp)
    return Run(cfg, dist, model, ddp, optimizer, scaler, amp, total, start, meta)


def _load_resume(point: Path, model: Any, optimizer: Any, scaler: Any, dist: DistInfo) -> int:
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(point / "model.safetensors"), device=dist.device))
    state, rng = ckpt_io.load_training_state(point, optimizer)
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    _restore_rng(rng, dist)
    log.info("resumed from %s at step %d", point, state["step"])
    return int(state["step"])


def save_run(run: Run, step: int) -> Path | None:
    """Checkpoint after ``step`` steps (all ranks join the RNG gather; rank 0 writes)."""
    rng = _rng_tensors(run.dist)
    if not run.dist.is_main:
        return None
    state = {"step": step, "total_steps": run.total, "world_size": run.dist.world_size,
             "config": run.cfg.model_dump(mode="json"),
             "scaler": run.scaler.state_dict() if run.scaler else None}  # fmt: skip
    path = ckpt_io.save_checkpoint(
        run.cfg.out / f"step_{step:07d}", run.model, meta=run.meta, optimizer=run.optimizer,
        trainer_state=state, rng_tensors=rng,
    )  # fmt: skip
    ckpt_io.write_latest(run.cfg.out, path, run.cfg.keep_last)
    return path


def train_step(run: Run, batch: dict[str, Any], loss_fn: MERLLoss, lr: float) -> dict[str, float]:
    """One optimiser step on ``batch`` at learning rate ``lr``; returns its losses."""
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    dev = run.dist.device
    ecg = batch["ecg"].to(dev, non_blocking=True)
    tokens = {k: v.to(dev, non_blocking=True) for k, v in batch["tokens"].items()}
    ctx = (torch.autocast(dev.split(":")[0], dtype=run.amp) if run.amp is not None
           else nullcontext())  # fmt: skip
    with ctx:
        losses = loss_fn(run.ddp(ecg, tokens))
    loss = losses["loss"]
    (run.scaler.scale(loss) if run.scaler else loss).backward()
    if run.scaler:
        run.scaler.unscale_(run.optimizer)
    params = [p for p in run.model.parameters() if p.requires_grad]
    clip = run.cfg.grad_clip or float("inf")
    gnorm = torch.nn.utils.clip_grad_norm_(params, clip)
    if run.scaler:
        run.scaler.step(run.optimizer)
        run.scaler.update()
    else:
        run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    return {"loss": loss.item(), "cma": losses["cma"].item(), "uma": losses["uma"].item(),
            "grad_norm": float(gnorm), "lr": lr}  # fmt: skip


class _Logger:
    """Rank-0 metrics: JSON lines, TensorBoard, a tqdm bar."""

    def __init__(self, run: Run) -> None:
        self.on = run.dist.is_main
        self.every = run.cfg.log_every
        self.fh = self.tb = self.bar = None
        if not self.on:
            return
        run.cfg.out.mkdir(parents=True, exist_ok=True)
        self.fh = open(run.cfg.out / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        if run.cfg.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run.cfg.out / "tensorboard"))
        if run.cfg.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=run.total, initial=run.start, desc="pretrain", unit="step")

    def log(self, step: int, rec: dict[str, float]) -> None:
        if not self.on:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{rec['loss']:.3f}", pairs_s=f"{rec['pairs_per_s']:.1f}")
        if step % self.every and step != 1:
            return
        self.fh.write(json.dumps({"step": step, **rec}) + "\n")
        self.fh.flush()
        if self.tb is not None:
            for k, v in rec.items():
                self.tb.add_scalar(f"train/{k}", v, step)

    def close(self) -> None:
        for h in (self.bar, self.fh, self.tb):
            if h is not None:
                h.close()


def _loader(run: Run, cache: Any, n: int) -> DataLoader:
    src = StepBatches(cache, n, run.cfg.batch_size, run.dist, run.cfg.seed, run.model.tokenize)
    return DataLoader(src, batch_size=None, sampler=range(run.start, run.total),
                      num_workers=run.cfg.num_workers,
                      # Its own generator, so the loader never draws from the global RNG
                      # (dropout's): a resumed run then continues the exact random stream.
                      generator=torch.Generator().manual_seed(run.cfg.seed),
                      pin_memory=run.dist.device.startswith("cuda"))  # fmt: skip


def train(cfg: PretrainConfig) -> dict[str, Any]:
    """Run (or resume) pretraining; returns a summary (steps, final loss, checkpoint)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dist = init_distributed(cfg.device)
    try:
        return _train(cfg, dist)
    finally:
        cleanup_distributed()


def _train(cfg: PretrainConfig, dist: DistInfo) -> dict[str, Any]:
    cache, n = open_cache(cfg)
    run = build_run(cfg, dist, n, run_meta(cfg, cache, n))
    if dist.is_main:
        cfg.out.mkdir(parents=True, exist_ok=True)
        dump_config(cfg, cfg.out / "pretrain_config.yaml")
    loss_fn, logger = MERLLoss(cfg.gather), _Logger(run)
    global_batch = cfg.batch_size * dist.world_size
    run.ddp.train()
    rec: dict[str, float] = {}
    last_ckpt, stopped = None, False
    try:
        t0 = time.perf_counter()
        for batch in _loader(run, cache, n):
            step = int(batch["step"]) + 1  # steps done after this one
            rec = train_step(run, batch, loss_fn, lr_at(cfg, step - 1, run.total))
            now = time.perf_counter()
            rec["pairs_per_s"] = global_batch / max(now - t0, 1e-9)
            rec["epoch"] = (step - 1) // (n // global_batch)
            t0 = now
            logger.log(step, rec)
            if cfg.ckpt_every and step % cfg.ckpt_every == 0 and step < run.total:
                last_ckpt = save_run(run, step) or last_ckpt
            if cfg.stop_after and step >= cfg.stop_after and step < run.total:
                stopped = True
                log.warning("stopping after step %d (--stop-after); no final checkpoint", step)
                break
        if not stopped:
            last_ckpt = save_run(run, run.total) or last_ckpt
    finally:
        logger.close()
    return {"steps": run.total, "start_step": run.start, "stopped": stopped,
            "final": rec, "checkpoint": str(last_ckpt) if last_ckpt else None}  # fmt: skip
