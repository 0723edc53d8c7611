"""The torch ``Dataset``s over a prepared cache (kept apart so readers never import torch).

Both pickle small: a DataLoader worker started by spawn or forkserver (Python 3.14's default
on Linux) receives the cache's path and the tokenizer's name, and reopens the memory map and
the tokenizer itself, never a copy of a 100–200 GB array or of the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The record order of one epoch (the same on every rank)."""
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=g).numpy()


def _picklable_tokenizer(tokenize: Any) -> Any:
    """A model's bound ``tokenize`` becomes its picklable ``ReportTokenizer`` (no model in
    workers; the model says which, so the data stage needs no import of the models stage)."""
    owner = getattr(tokenize, "__self__", None)
    if owner is not None and getattr(owner, "text", None) is not None:
        return owner.report_tokenizer()
    return tokenize


class StepBatches(Dataset):
    """Item ``s`` = this rank's batch of global step ``s`` (ECG array + tokenised reports).

    The pairs of global step ``s`` are ``perm_epoch[pos·B·W : (pos+1)·B·W]`` and rank ``r``
    takes its ``B``-slice, so W processes with B pairs see the pairs of one process with W·B.
    ``cache`` is an ``ECGCache`` (or its folder); pickled, it is its folder alone.
    """

    def __init__(self, cache: Any, n: int, batch: int, dist: Any, seed: int,
                 tokenize: Any) -> None:  # fmt: skip
        self._cache = None if isinstance(cache, (str, Path)) else cache
        self.cache_path = str(cache) if isinstance(cache, (str, Path)) else getattr(
            cache, "path", None)  # fmt: skip
        self.n, self.batch, self.rank, self.world = n, batch, dist.rank, dist.world_size
        self.seed, self.tokenize = seed, _picklable_tokenizer(tokenize)
        self.steps_per_epoch = n // (batch * dist.world_size)
        self._perm: tuple[int, np.ndarray] | None = None  # (epoch, its permutation)

    @property
    def cache(self) -> Any:
        """The cache, opened on first use in this process."""
        if self._cache is None:
            from merl_core.data.cache import ECGCache

            if self.cache_path is None:
                raise RuntimeError("StepBatches: no cache and no cache folder to open")
            self._cache = ECGCache(self.cache_path)
        return self._cache

    def __len__(self) -> int:  # steps are addressed directly; length is nominal
        return 2**62

    def permutation(self, epoch: int) -> np.ndarray:
        """The record order of ``epoch``, drawn once per epoch in this process (a draw of
        800,000 records costs ~13 ms, two batches' worth of loading)."""
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (epoch, epoch_permutation(self.n, self.seed, epoch))
        return self._perm[1]

    def indices(self, step: int) -> np.ndarray:
        """Cache rows of this rank's batch at global ``step``, in the epoch's order."""
        epoch, pos = divmod(step, self.steps_per_epoch)
        start = (pos * self.world + self.rank) * self.batch
        return self.permutation(epoch)[start : start + self.batch]

    def __getitem__(self, step: int) -> dict[str, Any]:
        idx = self.indices(step)
        reports = [self.cache.reports[i] for i in idx]
        return {"ecg": torch.from_numpy(self.cache.batch(idx)), "tokens": self.tokenize(reports),
                "step": step}  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        """The cache's folder, not the cache (a worker reopens the memory map)."""
        state = self.__dict__.copy()
        state["_perm"] = None  # redrawn in the worker: 6.4 MB at 800k records
        if self.cache_path is not None:
            state["_cache"] = None
        return state


class ECGDataset(Dataset):
    """Rows of a cache memory map as ``{"ecg", "report", "label", "index"}`` items."""

    def __init__(
        self, signals: np.ndarray, labels: np.ndarray, reports: list[str] | None,
        indices: np.ndarray,
    ) -> None:  # fmt: skip
        self.signals = signals
        self.labels = torch.from_numpy(np.array(labels, dtype=np.float32))  # writable copy
        self.reports = reports
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k: int) -> dict[str, Any]:
        i = int(self.indices[k])
        # a copy: a tensor over the read-only map would crash the process on an in-place write
        x = torch.from_numpy(np.array(self.signals[i], dtype=np.float32))
        return {
            "ecg": x,
            "report": self.reports[i] if self.reports is not None else "",
            "label": self.labels[i],
            "index": i,
        }

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the memory map as its file name (spawned DataLoader workers reopen it)."""
        state = self.__dict__.copy()
        filename = getattr(self.signals, "filename", None)
        if filename:
            state["signals"] = ("__memmap__", str(filename))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        sig = state["signals"]
        if isinstance(sig, tuple) and sig[0] == "__memmap__":
            state["signals"] = np.load(sig[1], mmap_mode="r")
        self.__dict__.update(state)


def cache_dataset(
    cache: Any, indices: Sequence[int] | np.ndarray | None = None, task: str | None = None
) -> ECGDataset:
    """A torch ``Dataset`` over rows ``indices`` (all by default) of an ``ECGCache``.

    Items: ``{"ecg": FloatTensor(12, L), "report": str, "label": FloatTensor(C),
    "index": int}``; ``index`` is the cache row. ``task`` picks a stored label set.
    """
    labels = cache.labels if task is None else cache.task_labels(task)[1]
    idx = np.arange(len(cache)) if indices is None else np.asarray(indices, dtype=np.int64)
    return ECGDataset(cache.signals, labels, cache.reports, idx)
