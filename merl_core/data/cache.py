"""Read a prepared cache: memory-mapped signals, ids, reports, labels, metadata.

``merl_core.data.torch_dataset.cache_dataset(ECGCache(path))`` gives a torch ``Dataset``
whose float32 items are views of the memory map (``torch.from_numpy`` on a slice: no copy);
float16 caches are converted per item.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from merl_core.data.prepare import FORMAT
from merl_core.errors import MerlCoreError

_BIG_KEYS = (
    "ids",
    "reports",
    "labels",
    "tasks",
    "source_sha256",
    "skipped",
    "missing",
    "zeroed_leads",
    "resampled_from",
)


class CacheError(MerlCoreError, ValueError):
    """A folder that is not a readable prepared cache."""


def _labels(rows: list[list[float | None]], n_cols: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, n_cols), dtype=np.float32)
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float32)


class ECGCache:
    """A prepared cache folder (``signals.npy`` + ``manifest.json``).

    Attributes:
        signals: (N, 12, L) memory map (copy-on-write: writes never reach the file).
        ids: record ids. reports: report texts, or None when the dataset has none.
        label_names: label columns. labels: (N, C) float32, NaN = unknown.
        meta: the manifest without the per-record lists (dataset, fs, preprocessing, hashes).
        tasks: other label sets of the same records (PTB-XL: all/super/sub/form/rhythm).
        skipped: ``{id, code, reason}`` of every skipped record; zeroed_leads: id → {lead:
            code} of records kept with bad leads zeroed; resampled_from: id → original rate.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        mpath = self.path / "manifest.json"
        try:
            with open(mpath, encoding="utf-8") as fh:
                manifest = json.load(fh)
        except FileNotFoundError as exc:
            raise CacheError(f"{mpath}: not found (not a prepared cache)") from exc
        except ValueError as exc:
            raise CacheError(f"{mpath}: not valid JSON ({exc})") from exc
        if manifest.get("format") != FORMAT:
            raise CacheError(f"{mpath}: not a {FORMAT} manifest")
        try:
            self.signals = np.load(self.path / "signals.npy", mmap_mode="c")
        except (OSError, ValueError) as exc:
            sig = self.path / "signals.npy"
            raise CacheError(f"{sig}: unreadable ({exc})") from exc
        if list(self.signals.shape) != list(manifest["shape"]):
            raise CacheError(
                f"{self.path}: signals.npy shape {self.signals.shape} does not match the "
                f"manifest's {manifest['shape']} (partial write?)"
            )
        self.ids: list[str] = list(manifest["ids"])
        self.reports: list[str] | None = manifest.get("reports")
        self.label_names: list[str] = list(manifest["label_names"])
        self.labels = _labels(manifest["labels"], len(self.label_names))
        self.tasks: dict[str, tuple[list[str], np.ndarray]] = {
            t: (list(v["label_names"]), _labels(v["labels"], len(v["label_names"])))
            for t, v in (manifest.get("tasks") or {}).items()
        }
        self.skipped: list[dict[str, Any]] = list(manifest.get("skipped") or [])
        self.zeroed_leads: dict[str, dict[str, str]] = dict(manifest.get("zeroed_leads") or {})
        self.resampled_from: dict[str, float] = dict(manifest.get("resampled_from") or {})
        self.meta: dict[str, Any] = {k: v for k, v in manifest.items() if k not in _BIG_KEYS}
        self.meta["source_sha256"] = manifest.get("source_sha256", {})

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (f"ECGCache({str(self.path)!r}, dataset={self.meta.get('dataset')!r}, "
                f"n={len(self)}, labels={len(self.label_names)})")  # fmt: skip

    @property
    def fingerprint(self) -> str:
        """The parameters' hash the cache was built with."""
        return str(self.meta["fingerprint"])

    def task_labels(self, task: str) -> tuple[list[str], np.ndarray]:
        """(names, (N, C) labels) of another label set stored with the cache."""
        if task not in self.tasks:
            raise KeyError(f"{self.path}: no label set {task!r} (has {sorted(self.tasks)})")
        return self.tasks[task]

    def batch(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """(B, 12, L) float32 array of rows ``indices`` (one read of the memory map)."""
        idx = np.asarray(indices, dtype=np.int64)
        order = np.argsort(idx, kind="stable")
        out = np.empty((len(idx), *self.signals.shape[1:]), dtype=np.float32)
        out[order] = self.signals[idx[order]]
        return out
