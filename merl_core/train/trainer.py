"""The public trainer API: open a cache, build model and optimiser, step, save.

``merl-core pretrain`` runs :func:`train`; benchmarks and studies that time or drive single
steps use :class:`Trainer`, which goes through the same functions as the loop, so a timed
step is the step the loop takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from merl_core.train.config import PretrainConfig
from merl_core.train.distributed import DistInfo
from merl_core.train.loss import MERLLoss
from merl_core.train.pretrain import (
    PretrainError,
    Run,
    StepBatches,
    build_run,
    create_optimizer,
    lr_at,
    open_cache,
    run_meta,
    save_run,
    train,
    train_step,
)

__all__ = [
    "PretrainError",
    "Run",
    "StepBatches",
    "Trainer",
    "build_run",
    "create_optimizer",
    "lr_at",
    "open_cache",
    "run_meta",
    "save_run",
    "train",
    "train_step",
]


class Trainer:
    """One pretraining run, stepped by hand.

    Args:
        cfg: the run's configuration (``cfg.cache`` must name a prepared cache with reports).
        dist: where this process stands (``init_distributed()``); default one CPU process.
    """

    def __init__(self, cfg: PretrainConfig, dist: DistInfo | None = None) -> None:
        self.cfg = cfg
        self.dist = dist if dist is not None else DistInfo()
        self.cache, self.n = open_cache(cfg)
        self.run: Run = build_run(cfg, self.dist, self.n, run_meta(cfg, self.cache, self.n))
        self.loss_fn = MERLLoss(cfg.gather)
        self.batches = StepBatches(self.cache, self.n, cfg.batch_size, self.dist, cfg.seed,
                                   self.run.model.tokenize)  # fmt: skip
        self.run.ddp.train()

    @property
    def model(self) -> Any:
        """The (unwrapped) MERL model."""
        return self.run.model

    @property
    def total_steps(self) -> int:
        """Global steps of the whole run."""
        return self.run.total

    @property
    def start_step(self) -> int:
        """The step the run starts at (> 0 when resumed)."""
        return self.run.start

    def batch(self, step: int) -> dict[str, Any]:
        """This rank's batch of global ``step`` (ECGs, tokenised reports)."""
        return self.batches[step]

    def step(self, batch: dict[str, Any], lr: float | None = None) -> dict[str, float]:
        """One optimiser step; ``lr`` defaults to the schedule's value at ``batch["step"]``."""
        if lr is None:
            lr = lr_at(self.cfg, int(batch["step"]), self.run.total)
        return train_step(self.run, batch, self.loss_fn, lr)

    def save(self, step: int) -> Path | None:
        """Checkpoint after ``step`` steps (every rank must call it; rank 0 writes)."""
        return save_run(self.run, step)
