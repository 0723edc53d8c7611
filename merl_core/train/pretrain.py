"""The pretraining loop: one process, torchrun or srun; exact DDP loss, checkpoints, exact resume.

Data order is a function of (seed, epoch, step) only (:class:`StepBatches`), so W processes
with B pairs see the same pairs as one process with W·B, and a resumed run continues exactly.
Incomplete last batches are dropped (the all-gather needs equal batch sizes). A run saves
every ``ckpt_every`` steps, every ``ckpt_every_minutes``, on SIGTERM/SIGUSR1 (then exits
cleanly) and at the end; a NaN/inf loss skips its step and stops the run once more than
``skip_nonfinite`` steps were bad, keeping the last good checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from merl_core.data.torch_dataset import StepBatches, epoch_permutation
from merl_core.errors import MerlCoreError
from merl_core.models import create_model
from merl_core.train import checkpoint as ckpt_io
from merl_core.train import resume as resume_io
from merl_core.train import run_folder
from merl_core.train.config import PretrainConfig, dump_config
from merl_core.train.distributed import (
    DistInfo,
    all_gather_tensor,
    any_rank,
    cleanup_distributed,
    init_distributed,
)
from merl_core.train.loss import MERLLoss
from merl_core.train.preempt import CheckpointClock, StopSignals, ignore_stop_signals
from merl_core.train.run_folder import RunFolderError

log = logging.getLogger(__name__)

__all__ = ["NonFiniteLoss", "PretrainError", "Run", "StepBatches", "build_run",
           "create_optimizer", "epoch_permutation", "lr_at", "open_cache", "resolve_precision",
           "run_meta", "save_run", "train", "train_step"]  # fmt: skip


class PretrainError(MerlCoreError, RuntimeError):
    """A run that cannot start (no reports, too few records, bad resume point)."""


class NonFiniteLoss(PretrainError):
    """More steps with a NaN/inf loss than ``skip_nonfinite`` allows; the run stopped."""


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


def cuda_bf16_native() -> bool:
    """True where the current GPU computes bf16 in hardware (Ampere+), not emulated."""
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # torch < 2.4 has no including_emulation
        return torch.cuda.get_device_capability()[0] >= 8


def resolve_precision(precision: str, device: str) -> torch.dtype | None:
    """Autocast dtype for ``precision`` on ``device`` (None = fp32).

    ``auto``: bf16 where the hardware has it natively, else fp16 with a GradScaler on CUDA
    (the published trainer's choice) and fp32 on CPUs without bf16 units.
    """
    if precision == "fp32":
        return None
    cuda = device.startswith("cuda")
    if precision == "auto":
        if cuda:
            return torch.bfloat16 if cuda_bf16_native() else torch.float16
        return torch.bfloat16 if cpu_has_bf16_units() else None
    if precision == "fp16" and not cuda:
        raise PretrainError("fp16 autocast needs CUDA; use bf16 on CPU")
    if precision == "bf16" and cuda and not cuda_bf16_native():
        log.warning("bf16 is emulated on this GPU (slow); precision auto would use fp16")
    return torch.bfloat16 if precision == "bf16" else torch.float16


def configure_numerics(cfg: PretrainConfig, device: str, amp: torch.dtype | None) -> dict:
    """Set TF32 and cuDNN autotuning as configured; return what a checkpoint records."""
    rec: dict[str, Any] = {"precision": cfg.precision,
                           "autocast": str(amp).replace("torch.", "") if amp else "fp32",
                           "grad_scaler": amp == torch.float16, "loss_logits": "fp32",
                           "broadcast_buffers": True, "sync_bn": cfg.sync_bn,
                           "torch": torch.__version__}  # fmt: skip
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
        torch.backends.cudnn.allow_tf32 = cfg.tf32
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
        rec.update(tf32=cfg.tf32, cudnn_benchmark=cfg.cudnn_benchmark,
                   cuda=torch.version.cuda, gpu=torch.cuda.get_device_name(device),
                   capability=list(torch.cuda.get_device_capability(device)))  # fmt: skip
    return rec


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
    settings: dict[str, Any] = field(default_factory=dict)
    numerics: dict[str, Any] = field(default_factory=dict)
    resumed_from: Path | None = None


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
    """Every rank's torch RNG states, gathered through the backend's collective device (a CPU
    tensor never enters an NCCL-only collective)."""
    states = {"cpu": torch.get_rng_state()}
    if dist.device.startswith("cuda"):
        states["cuda"] = torch.cuda.get_rng_state(dist.device)
    out: dict[str, torch.Tensor] = {}
    for k, v in states.items():
        parts = all_gather_tensor(v, dist)
        out.update({f"rng/{k}/{r}": p.cpu() for r, p in enumerate(parts)})
    return out


def _restore_rng(rng: dict[str, torch.Tensor], dist: DistInfo, force: bool) -> None:
    key = f"rng/cpu/{dist.rank}"
    if key not in rng:
        if not force:
            raise PretrainError(f"checkpoint has no RNG state for rank {dist.rank} "
                                "(other world size?)")  # fmt: skip
        log.warning("no RNG state for rank %d in the checkpoint: fresh dropout stream", dist.rank)
        return
    torch.set_rng_state(rng[key])
    if dist.device.startswith("cuda") and f"rng/cuda/{dist.rank}" in rng:
        torch.cuda.set_rng_state(rng[f"rng/cuda/{dist.rank}"], dist.device)


def create_optimizer(params: list[torch.nn.Parameter], cfg: PretrainConfig) -> torch.optim.AdamW:
    """AdamW with the fused kernel (one pass over all parameters instead of a loop over
    tensors, which cost up to ~0.9 s a step on 2 CPU cores); the same update rule, so only
    float rounding differs."""
    kwargs: dict[str, Any] = {"lr": cfg.lr, "betas": cfg.betas, "weight_decay": cfg.weight_decay}
    try:
        return torch.optim.AdamW(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.AdamW(params, **kwargs)


def _sync_bn(model: Any, cfg: PretrainConfig, dist: DistInfo) -> Any:
    if not cfg.sync_bn or dist.world_size == 1:
        return model
    if not dist.device.startswith("cuda"):
        raise PretrainError("sync_bn needs CUDA (SyncBatchNorm has no CPU kernel)")
    return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)


def build_run(cfg: PretrainConfig, dist: DistInfo, n: int, meta: dict[str, Any]) -> Run:
    """Model, optimiser, scaler and step range (resumed if ``cfg.resume`` says so)."""
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    model = _sync_bn(create_model(cfg.model, **cfg.model_overrides), cfg, dist).to(dist.device)
    model.meta = meta
    optimizer = create_optimizer([p for p in model.parameters() if p.requires_grad], cfg)
    steps_per_epoch = n // (cfg.batch_size * dist.world_size)
    if steps_per_epoch == 0:
        raise PretrainError(f"{n} records < one global batch ({cfg.batch_size} × "
                            f"{dist.world_size} processes); lower --batch-size")  # fmt: skip
    total = min(cfg.max_steps or 10**18, cfg.epochs * steps_per_epoch)
    amp = resolve_precision(cfg.precision, dist.device)
    scaler = torch.amp.GradScaler("cuda") if amp == torch.float16 else None
    settings = resume_io.run_settings(cfg, dist.world_size, model.config.to_dict(),
                                      meta["train_data"])  # fmt: skip
    _seed_rank(cfg.seed, dist.rank)
    start, point = 0, resume_io.resume_point(cfg.resume, cfg.out)
    if point is not None:
        start = _load_resume(point, model, optimizer, scaler, dist, settings,
                             cfg.resume == resume_io.FORCE)  # fmt: skip
    ddp: Any = model
    if dist.world_size > 1:
        from torch.nn.parallel import DistributedDataParallel

        ids = [dist.device] if dist.device.startswith("cuda") else None
        # broadcast_buffers (the default, as published): rank 0's BatchNorm statistics every
        # forward, so the saved ones are the ones every rank used.
        ddp = DistributedDataParallel(model, device_ids=ids)
    if cfg.compile:
        ddp = torch.compile(ddp)
    numerics = configure_numerics(cfg, dist.device, amp)
    numerics["backend"] = dist.backend
    return Run(cfg, dist, model, ddp, optimizer, scaler, amp, total, start, meta, settings,
               numerics, point)  # fmt: skip


def _load_resume(point: Path, model: Any, optimizer: Any, scaler: Any, dist: DistInfo,
                 settings: dict[str, Any], force: bool) -> int:  # fmt: skip
    state = json.loads((point / "trainer_state.json").read_text(encoding="utf-8"))  # verified
    doc = ckpt_io.read_config(point)
    resume_io.check_resume(point, resume_io.saved_settings(state, doc), settings, force)
    weights = ckpt_io.load_weights(point, dist.device)
    try:
        model.load_state_dict(weights)
        state, rng = ckpt_io.load_training_state(point, optimizer)
    except RuntimeError as exc:
        raise ckpt_io.CheckpointError(f"{point}: does not fit this model "
                                      f"({str(exc).splitlines()[0]})") from exc  # fmt: skip
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    _restore_rng(rng, dist, force)
    log.info("resumed from %s at step %d", point, state["step"])
    return int(state["step"])


def save_run(run: Run, step: int) -> Path | None:
    """Checkpoint after ``step`` steps (all ranks join the RNG gather; rank 0 writes)."""
    rng = _rng_tensors(run.dist)
    if not run.dist.is_main:
        return None
    state = {"step": step, "total_steps": run.total, "world_size": run.dist.world_size,
             "config": run.cfg.model_dump(mode="json"), "settings": run.settings,
             "numerics": run.numerics,
             "scaler": run.scaler.state_dict() if run.scaler else None}  # fmt: skip
    path = ckpt_io.save_checkpoint(
        run.cfg.out / f"step_{step:07d}", run.model, meta=run.meta, optimizer=run.optimizer,
        trainer_state=state, rng_tensors=rng,
    )  # fmt: skip
    ckpt_io.write_latest(run.cfg.out, path, run.cfg.keep_last)
    return path


def train_step(run: Run, batch: dict[str, Any], loss_fn: MERLLoss, lr: float) -> dict[str, float]:
    """One optimiser step on ``batch`` at learning rate ``lr``; returns its losses.

    A NaN/inf loss or gradient on any rank skips the update on every rank (``skipped`` = 1).
    """
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
    # Under a GradScaler inf gradients are routine (it skips those steps itself).
    local_bad = not math.isfinite(loss.item()) or (
        run.scaler is None and not math.isfinite(float(gnorm)))  # fmt: skip
    (bad,) = any_rank([local_bad], run.dist)
    if run.scaler:
        run.scaler.step(run.optimizer)
        run.scaler.update()
    elif not bad:
        run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    return {"loss": loss.item(), "cma": losses["cma"].item(), "uma": losses["uma"].item(),
            "grad_norm": float(gnorm), "lr": lr, "skipped": int(bad)}  # fmt: skip


def _finite(rec: dict[str, float]) -> dict[str, float | None]:
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
            for k, v in rec.items()}  # fmt: skip


class _Logger:
    """Rank-0 metrics: JSON lines, TensorBoard, a tqdm bar."""

    def __init__(self, run: Run) -> None:
        self.on = run.dist.is_main
        self.every = run.cfg.log_every
        self.fh = self.tb = self.bar = None
        if not self.on:
            return
        run.cfg.out.mkdir(parents=True, exist_ok=True)
        resume_io.truncate_metrics(run.cfg.out / "metrics.jsonl", run.start)
        self.fh = open(run.cfg.out / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        if run.cfg.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step drops events after the resumed step, as metrics.jsonl does.
            self.tb = SummaryWriter(str(run.cfg.out / "tensorboard"),
                                    purge_step=run.start + 1 if run.start else None)  # fmt: skip
        if run.cfg.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=run.total, initial=run.start, desc="pretrain", unit="step")

    def log(self, step: int, rec: dict[str, float]) -> None:
        if not self.on or self.fh is None:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{rec['loss']:.3f}", pairs_s=f"{rec['pairs_per_s']:.1f}")
        if step % self.every and step != 1 and not rec.get("skipped"):
            return
        self.fh.write(json.dumps({"step": step, **_finite(rec)}) + "\n")
        self.fh.flush()
        if self.tb is not None:
            for k, v in rec.items():
                self.tb.add_scalar(f"train/{k}", v, step)

    def close(self) -> None:
        for h in (self.bar, self.fh, self.tb):
            if h is not None:
                h.close()


def loader_workers(num_workers: int | None, device: str, cores: int | None = None,
                   local_world: int = 1) -> int:  # fmt: skip
    """DataLoader workers per rank: ``num_workers`` when set; else 0 on CPU (the step uses the
    cores) and on CUDA min(4, cores per rank − 1), at least 1 (the reports are then tokenised
    in the workers, beside the GPU step, not in it)."""
    if num_workers is not None:
        return num_workers
    if not device.startswith("cuda"):
        return 0
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    per_rank = (cores or os.cpu_count() or 1) // max(1, local_world)
    return max(1, min(4, per_rank - 1))


def build_loader(run: Run, cache: Any, n: int) -> DataLoader:
    """One loader for the whole run (its sampler spans every remaining step, so workers start
    once, not per epoch). Workers, when any, receive the cache's folder and the tokenizer's
    name (:mod:`merl_core.data.torch_dataset`), open the memory maps, read and tokenise; they
    persist and keep ``prefetch_factor`` batches ready; pinned memory on CUDA only."""
    src = StepBatches(cache, n, run.cfg.batch_size, run.dist, run.cfg.seed, run.model.tokenize)
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    workers = loader_workers(run.cfg.num_workers, run.dist.device, local_world=local_world)
    extra: dict[str, Any] = {"prefetch_factor": run.cfg.prefetch_factor} if workers else {}
    log.info("loader: %d worker process(es) per rank%s", workers,
             "" if run.cfg.num_workers is not None else " (automatic)")  # fmt: skip
    return DataLoader(src, batch_size=None, sampler=range(run.start, run.total),
                      num_workers=workers, worker_init_fn=ignore_stop_signals if workers else None,
                      persistent_workers=workers > 0, **extra,
                      # Its own generator, so the loader never draws from the global RNG
                      # (dropout's): a resumed run then continues the exact random stream.
                      generator=torch.Generator().manual_seed(run.cfg.seed),
                      pin_memory=run.dist.device.startswith("cuda"))  # fmt: skip


def cpu_threads_per_rank(device: str | None, env: Mapping[str, str] | None = None,
                         cores: int | None = None) -> int | None:  # fmt: skip
    """torch threads for one rank of a CPU run under torchrun: the cores this process may use
    divided by the ranks on this machine (torchrun's own default is 1 thread per rank, which
    leaves the other cores idle). None (leave torch's setting) outside torchrun, on CUDA, or when
    the user set ``OMP_NUM_THREADS`` to something other than torchrun's ``1``."""
    values: Mapping[str, str] = os.environ if env is None else env
    local_world = int(values.get("LOCAL_WORLD_SIZE", "1") or 1)
    if local_world <= 1 or values.get("OMP_NUM_THREADS", "1") != "1":
        return None
    if (device or "auto").startswith("cuda") or (device in (None, "auto")
                                                 and torch.cuda.is_available()):  # fmt: skip
        return None
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = cores or os.cpu_count() or 1
    return max(1, cores // local_world)


def train(cfg: PretrainConfig) -> dict[str, Any]:
    """Run (or resume) pretraining; returns a summary (steps, final loss, checkpoint)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    threads = cfg.threads or cpu_threads_per_rank(cfg.device)
    if threads:
        torch.set_num_threads(threads)
    dist = init_distributed(cfg.device, rendezvous_dir=cfg.out)
    try:
        with contextlib.ExitStack() as stack:
            _own_run_folder(cfg, dist, stack)
            return _train(cfg, dist)
    finally:
        cleanup_distributed()


def _own_run_folder(cfg: PretrainConfig, dist: DistInfo, stack: contextlib.ExitStack) -> None:
    """Rank 0 locks the run folder for the whole run and checks it may write there; every
    rank stops when it may not (one line from rank 0)."""
    error: RunFolderError | None = None
    if dist.is_main:
        try:
            stack.enter_context(run_folder.run_lock(cfg.out))
            run_folder.claim(cfg.out, cfg.resume, cfg.overwrite)
        except RunFolderError as exc:
            error = exc
    if any_rank([error is not None], dist)[0]:
        raise error or PretrainError(f"{cfg.out}: rank 0 cannot use this run folder")


def _summary(run: Run, rec: dict[str, float], ckpt: Path | None, stopped: Any) -> dict[str, Any]:
    return {"steps": run.total, "start_step": run.start, "stopped": stopped,
            "final": _finite(rec), "checkpoint": str(ckpt) if ckpt else None,
            "rank": run.dist.rank}  # fmt: skip


def _train(cfg: PretrainConfig, dist: DistInfo) -> dict[str, Any]:
    cache, n = open_cache(cfg)
    run = build_run(cfg, dist, n, run_meta(cfg, cache, n))
    if run.start >= run.total:  # a finished run: nothing to do, nothing rewritten
        log.info("%s: already at step %d of %d; nothing to do", run.resumed_from, run.start,
                 run.total)  # fmt: skip
        return _summary(run, {}, run.resumed_from, False)
    if dist.is_main:
        cfg.out.mkdir(parents=True, exist_ok=True)
        ckpt_io.clean_stale(cfg.out)
        dump_config(cfg, cfg.out / "pretrain_config.yaml")
        log.info("numerics: %s", run.numerics)
    loss_fn, logger = MERLLoss(cfg.gather), _Logger(run)
    run.ddp.train()
    try:
        with StopSignals() as stop:
            rec, last_ckpt, stopped = _loop(run, cache, n, loss_fn, logger, stop)
    finally:
        logger.close()
    return _summary(run, rec, last_ckpt, stopped)


def _loop(run: Run, cache: Any, n: int, loss_fn: MERLLoss, logger: _Logger,
          stop: StopSignals) -> tuple[dict[str, float], Path | None, Any]:  # fmt: skip
    cfg, dist = run.cfg, run.dist
    global_batch = cfg.batch_size * dist.world_size
    clock = CheckpointClock(cfg.ckpt_every_minutes)
    rec: dict[str, float] = {}
    last_ckpt, bad = run.resumed_from, 0
    t0 = time.perf_counter()
    for batch in build_loader(run, cache, n):
        step = int(batch["step"]) + 1  # steps done after this one
        rec = train_step(run, batch, loss_fn, lr_at(cfg, step - 1, run.total))
        now = time.perf_counter()
        rec["pairs_per_s"] = global_batch / max(now - t0, 1e-9)
        rec["epoch"] = (step - 1) // (n // global_batch)
        if dist.device.startswith("cuda"):
            rec["peak_mem_gib"] = torch.cuda.max_memory_allocated(dist.device) / 2**30
        t0 = now
        logger.log(step, rec)
        bad += int(rec["skipped"])
        if bad > cfg.skip_nonfinite:
            raise NonFiniteLoss(
                f"non-finite loss at step {step} ({bad} bad step(s), --skip-nonfinite "
                f"{cfg.skip_nonfinite}); stopped without saving, the last good checkpoint "
                f"({last_ckpt or 'none'}) is kept"
            )
        signalled, due = any_rank([stop.received is not None, clock.due()], dist)
        if step >= run.total:
            break
        if signalled or due or (cfg.ckpt_every and step % cfg.ckpt_every == 0):
            last_ckpt = save_run(run, step) or last_ckpt
            clock.reset()
        if signalled:
            stopped = stop.received.name if stop.received else "signal (another rank)"
            log.warning("%s at step %d: checkpoint saved, exiting; continue with --resume auto",
                        stopped, step)  # fmt: skip
            return rec, last_ckpt, stopped
        if cfg.stop_after and step >= cfg.stop_after:
            log.warning("stopping after step %d (--stop-after); no final checkpoint", step)
            return rec, last_ckpt, True
    last_ckpt = save_run(run, run.total) or last_ckpt
    return rec, last_ckpt, False
