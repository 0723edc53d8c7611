"""Evaluation splits: which cached ECGs a task evaluates, with which labels.

The published protocol's split files (``merl-splits/``) define the rows and the 0/1 label
columns of each test set. A split file is matched to a prepared cache (``ECGCache``) by record
id; label columns are read **by name** (the PTB-XL sub-class train file orders them
differently from val/test). Rows whose records are not in the cache are dropped and counted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.registry import PROTOCOL_SETS
from merl_core.data.splits import SplitError, SplitFile, read_split, record_id
from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

# (dataset, task, split-file stem under merl-splits/) of the six published test sets
PROTOCOL = PROTOCOL_SETS


class EvalDataError(MerlCoreError, ValueError):
    """A split file or cache that cannot be used for an evaluation."""


class NoRecordsError(EvalDataError):
    """None of a split file's records is in the cache."""


# A split file as evaluation sees it: the data layer's reader is the one reader.
SplitTable = SplitFile


@dataclass
class EvalSplit:
    """Rows of a cache to evaluate and their labels."""

    indices: np.ndarray  # row indices into the cache
    labels: np.ndarray  # (N, C) float32, NaN = unknown
    label_names: list[str]
    info: dict[str, Any] = field(default_factory=dict)


def normalize_id(value: Any) -> str:
    """A record id comparable across sources (see :func:`merl_core.data.splits.record_id`)."""
    return record_id(value)


def read_split_file(path: str | Path) -> SplitTable:
    """Read a published split file: record ids and 0/1 label columns by name."""
    try:
        return read_split(path)
    except SplitError as exc:
        raise EvalDataError(str(exc)) from exc


def protocol_split_files(splits_root: str | Path, stem: str) -> dict[str, Path]:
    """``train``/``val``/``test`` paths of one protocol entry (those that exist)."""
    root = Path(splits_root)
    return {
        part: root / f"{stem}_{part}.csv"
        for part in ("train", "val", "test")
        if (root / f"{stem}_{part}.csv").exists()
    }


def default_split_files(splits_root: str | Path, dataset: str, task: str) -> dict[str, Path]:
    """Published split files of a dataset task (empty when there are none, e.g. PTB-XL all)."""
    for ds, tk, stem in PROTOCOL:
        if ds == dataset and (tk == task or tk == "default"):
            return protocol_split_files(splits_root, stem)
    return {}


def sibling_split(path: str | Path, part: str) -> Path | None:
    """``x_val.csv`` beside ``x_test.csv`` (None when it does not exist)."""
    path = Path(path)
    m = re.match(r"(.*)_(train|val|test)\.csv$", path.name)
    if not m:
        return None
    cand = path.with_name(f"{m.group(1)}_{part}.csv")
    return cand if cand.exists() else None


def select_split(
    cache_ids: list[str],
    cache_label_names: list[str] | None,
    cache_labels: np.ndarray | None,
    split: SplitTable | None,
    *,
    label_source: str = "split",
) -> EvalSplit:
    """Match a split file to the cache rows; labels from the split file or the cache.

    Args:
        cache_ids: the cache's record ids.
        cache_label_names, cache_labels: the cache's own labels (``label_source='cache'``,
            or when no split file is given).
        split: the split file, or None for every cache row.
        label_source: ``split`` (the published columns) or ``cache`` (the cache's labels of
            the same names, e.g. CSN labels rebuilt by exact acronym match).
    """
    if split is None:
        if cache_labels is None or not cache_label_names:
            raise EvalDataError("the cache has no labels and no split file was given")
        idx = np.arange(len(cache_ids))
        return EvalSplit(idx, cache_labels.astype(np.float32), list(cache_label_names),
                         {"label_source": "cache", "rows": len(idx)})  # fmt: skip
    pos = {normalize_id(v): i for i, v in enumerate(cache_ids)}
    rows = [(k, pos[i]) for k, i in enumerate(split.ids) if i in pos]
    if not rows:
        raise NoRecordsError(
            f"{split.path}: none of its {len(split.ids)} records is in the cache "
            f"(ids like {split.ids[:3]} vs cache {list(cache_ids)[:3]})"
        )
    srow = np.array([r[0] for r in rows])
    idx = np.array([r[1] for r in rows])
    if label_source == "split":
        labels = split.labels[srow]
    elif label_source == "cache":
        if cache_labels is None or cache_label_names is None:
            raise EvalDataError("labels from the cache: the cache has no labels")
        missing = [n for n in split.label_names if n not in cache_label_names]
        if missing:
            raise EvalDataError(
                f"labels from the cache: the cache lacks label(s) {', '.join(missing)}"
            )
        cols = [list(cache_label_names).index(n) for n in split.label_names]
        labels = cache_labels[idx][:, cols]
    else:
        raise EvalDataError(f"unknown label source {label_source!r} (split or cache)")
    dropped = len(split.ids) - len(rows)
    if dropped:
        logger.info("%s: %d of %d records are not in the cache (dropped)",
                    split.path, dropped, len(split.ids))  # fmt: skip
    info = {
        "split_file": split.path,
        "label_source": label_source,
        "rows": len(rows),
        "rows_in_split_file": len(split.ids),
        "rows_missing_from_cache": dropped,
    }
    return EvalSplit(idx, labels.astype(np.float32), list(split.label_names), info)
