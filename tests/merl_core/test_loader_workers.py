"""Workers that live: the pretraining loader's workers persist, prefetch, pin memory on CUDA
only, and tokenise the reports themselves (never the training process) when there are any."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from merl_core.train.distributed import DistInfo
from merl_core.train.pretrain import build_loader, loader_workers


def test_auto_workers_zero_on_cpu_some_on_cuda() -> None:
    assert loader_workers(None, "cpu", cores=16) == 0
    assert loader_workers(None, "cuda:0", cores=16) == 4
    assert loader_workers(None, "cuda:0", cores=16, local_world=8) == 1  # 2 cores per rank
    assert loader_workers(None, "cuda:0", cores=4, local_world=8) == 1  # at least one
    assert loader_workers(0, "cuda:0", cores=16) == 0 and loader_workers(3, "cpu") == 3


def pid_tokenize(texts: list[str]) -> dict[str, torch.Tensor]:
    """Stands in for the tokenizer: says which process tokenised."""
    return {"pid": torch.tensor(os.getpid()), "n": torch.tensor(len(texts))}


def _run(num_workers: int | None, device: str = "cpu") -> Any:
    cfg = SimpleNamespace(batch_size=4, seed=0, num_workers=num_workers, prefetch_factor=3)
    return SimpleNamespace(cfg=cfg, dist=DistInfo(device=device), start=0, total=6,
                           model=SimpleNamespace(tokenize=pid_tokenize))  # fmt: skip


def test_loader_settings() -> None:
    cpu = build_loader(_run(None), "unused", 16)
    assert cpu.num_workers == 0 and not cpu.pin_memory
    two = build_loader(_run(2), "unused", 16)
    assert two.num_workers == 2 and two.persistent_workers and two.prefetch_factor == 3
    assert not two.pin_memory
    gpu = build_loader(_run(None, "cuda:0"), "unused", 16)
    assert gpu.num_workers >= 1 and gpu.persistent_workers and gpu.pin_memory


def test_workers_tokenise_not_the_training_process(synthetic_cache: Path) -> None:
    batches = list(build_loader(_run(1), synthetic_cache, 16))
    assert [int(b["step"]) for b in batches] == list(range(6))
    assert all(int(b["tokens"]["pid"]) != os.getpid() for b in batches)
    assert all(tuple(b["ecg"].shape)[0] == 4 and int(b["tokens"]["n"]) == 4 for b in batches)
