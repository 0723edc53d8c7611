"""Read a prepared cache: memory-mapped signals, ids, reports, labels, metadata.

``merl_core.data.torch_dataset.cache_dataset(ECGCache(path))`` gives a torch ``Dataset``
whose items are float32 copies of one row each.

Every per-record array is mapped read-only (``mmap_mode="r"``: ``MAP_SHARED``, ``PROT_READ``).
A copy-on-write map (``"c"``: ``MAP_PRIVATE`` and writable) is charged in full to each process's
commit limit and turns any page written into that process's private copy: with a 190 GB cache
under ranks × workers processes the kernel refuses the mapping or the writes (ENOMEM).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from merl_core.data.columns import FOLDER, HashColumn, StringColumn, prefetch_rows, read_notes
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
    """A prepared cache folder (``signals.npy`` + ``columns/`` + ``manifest.json``).

    Per-record data is memory-mapped (:mod:`merl_core.data.columns`): opening a cache of any
    size reads a summary of a few KB; ids, reports and labels are paged in where read. A cache
    of format version 2 (everything in ``manifest.json``) is still read, into lists.

    Attributes:
        signals: (N, 12, L) read-only memory map (shared by every process reading the cache).
        ids: record ids. reports: report texts, or None when the dataset has none.
        label_names: label columns. labels: (N, C) float32, NaN = unknown.
        meta: the manifest's summary (dataset, fs, preprocessing, counts; ``source_sha256``:
            id → the source file's hash).
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
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CacheError(f"{mpath}: not a {FORMAT} manifest")
        try:
            self.signals = np.load(self.path / "signals.npy", mmap_mode="r")
        except (OSError, ValueError) as exc:
            sig = self.path / "signals.npy"
            raise CacheError(f"{sig}: unreadable ({exc})") from exc
        if list(self.signals.shape) != list(manifest["shape"]):
            raise CacheError(
                f"{self.path}: signals.npy shape {self.signals.shape} does not match the "
                f"manifest's {manifest['shape']} (partial write?)"
            )
        self.label_names: list[str] = list(manifest["label_names"])
        self._notes: dict[str, Any] | None = None
        if "columns" in manifest:
            self._open_columns(manifest)
        elif isinstance(manifest.get("ids"), list):
            self._read_legacy(manifest)
        else:
            raise CacheError(f"{mpath}: format version {manifest.get('format_version')} not "
                             "readable by this version; prepare the cache again")  # fmt: skip
        if len(self.ids) != self.signals.shape[0]:
            raise CacheError(f"{self.path}: {len(self.ids)} ids for {self.signals.shape[0]} "
                             "signals (partial write?)")  # fmt: skip

    def _open_columns(self, manifest: dict[str, Any]) -> None:
        folder = self.path / FOLDER
        cols = manifest["columns"]
        n = manifest["shape"][0]

        def col(name: str) -> Any:
            entry = cols.get(name)
            if entry is None:
                raise CacheError(f"{self.path}: column {name!r} missing from the manifest")
            files = [folder / f for f in entry["files"]]
            try:
                for f in files:
                    if f.stat().st_size != entry["bytes"][f.name]:
                        raise CacheError(f"{f}: {f.stat().st_size} bytes, the manifest says "
                                         f"{entry['bytes'][f.name]} (partial write?)")  # fmt: skip
                if entry["kind"] == "strings":
                    out: Any = StringColumn(files[0], files[1])
                else:
                    out = np.load(files[0], mmap_mode="r")
            except (OSError, ValueError) as exc:
                raise CacheError(f"{files[0]}: unreadable ({exc})") from exc
            if len(out) != n:
                raise CacheError(f"{files[0]}: {len(out)} rows, the manifest says {n}")
            return out

        self.ids: Sequence[str] = col("ids")
        self.reports: Sequence[str] | None = col("reports") if manifest.get("has_reports") \
            else None  # fmt: skip
        self.labels: np.ndarray = col("labels")
        self.tasks: dict[str, tuple[list[str], np.ndarray]] = {
            t: (list(v["label_names"]), col(f"labels.{t}"))
            for t, v in (manifest.get("tasks") or {}).items()
        }
        self.meta: dict[str, Any] = {k: v for k, v in manifest.items() if k != "columns"}
        info = dict(self.meta.get("info") or {})
        for k, v in info.items():
            if isinstance(v, dict) and set(v) == {"column"}:
                info[k] = col(v["column"])
        self.meta["info"] = info
        self.meta["source_sha256"] = HashColumn(self.ids, col("source_sha256"))
        self._notes_path: Path | None = folder / "notes.json"

    def _read_legacy(self, manifest: dict[str, Any]) -> None:
        """Format version 2: every per-record list in the JSON document."""
        self.ids = list(manifest["ids"])
        self.reports = manifest.get("reports")
        self.labels = _labels(manifest["labels"], len(self.label_names))
        self.tasks = {
            t: (list(v["label_names"]), _labels(v["labels"], len(v["label_names"])))
            for t, v in (manifest.get("tasks") or {}).items()
        }
        self._notes = {k: manifest.get(k) for k in ("skipped", "missing", "zeroed_leads",
                                                    "resampled_from")}  # fmt: skip
        self._notes_path = None
        self.meta = {k: v for k, v in manifest.items() if k not in _BIG_KEYS}
        self.meta["source_sha256"] = manifest.get("source_sha256", {})

    def _note(self, key: str) -> Any:
        if self._notes is None:
            try:
                self._notes = read_notes(self._notes_path) if self._notes_path else {}
            except (OSError, ValueError) as exc:
                raise CacheError(f"{self._notes_path}: unreadable ({exc})") from exc
        return self._notes.get(key)

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """``{id, code, reason}`` of every skipped record."""
        return list(self._note("skipped") or [])

    @property
    def zeroed_leads(self) -> dict[str, dict[str, str]]:
        """id → {lead: code} of the records kept with bad leads zeroed."""
        return dict(self._note("zeroed_leads") or {})

    @property
    def resampled_from(self) -> dict[str, float]:
        """id → the original sampling rate of the records resampled."""
        return dict(self._note("resampled_from") or {})

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
        """(B, 12, L) float32 array of rows ``indices``, in that order, copied once from the map."""
        idx = np.asarray(indices, dtype=np.int64)
        prefetch_rows(self.signals, idx)  # a cold cache: every row's read queued at once
        if self.signals.dtype == np.float32:
            return np.asarray(self.signals[idx])  # the gather is the copy
        out = np.empty((len(idx), *self.signals.shape[1:]), dtype=np.float32)
        for k, i in enumerate(idx):  # gather and widen in one pass (no float16 temporary)
            out[k] = self.signals[i]
        return out
