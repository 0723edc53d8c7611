"""The torch ``Dataset`` over a prepared cache (kept apart so readers never import torch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


class ECGDataset(Dataset):
    """Rows of a cache memory map as ``{"ecg", "report", "label", "index"}`` items."""

    def __init__(
        self, signals: np.ndarray, labels: np.ndarray, reports: list[str] | None,
        indices: np.ndarray,
    ) -> None:  # fmt: skip
        self.signals = signals
        self.labels = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.float32))
        self.reports = reports
        self.indices = indices
        self._f32 = signals.dtype == np.float32

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k: int) -> dict[str, Any]:
        i = int(self.indices[k])
        x = torch.from_numpy(self.signals[i])  # a view of the memory map
        return {
            "ecg": x if self._f32 else x.float(),
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
            state["signals"] = np.load(sig[1], mmap_mode="c")
        self.__dict__.update(state)
