"""The MERL paper's split files: rows (record ids) and 0/1 label columns, read by name.

``apply_split`` restricts a :class:`Source` to a split file's rows (in the file's order;
rows whose record is absent are reported in ``missing`` and skipped) and takes the label
columns by **name** (the PTB-XL sub-class train file orders them differently from val/test).
Labels: ``published`` = the file's columns; ``rebuilt`` = for CSN, an exact acronym match
on the ``diagnose`` column (the published CSN columns came from substring matching, so
``AF`` fires on "AFIB", ``ST`` on "STTC"…); for other datasets, the reader's own labels of
the same names (PTB-XL from ``scp_codes``, CPSC2018 from ``#Dx``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from merl_core.data.source import Source
from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

META_COLUMNS = frozenset({
    "ecg_id", "patient_id", "strat_fold", "filename_lr", "filename_hr", "filename", "ecg_path",
    "validation", "age", "sex", "scp_codes", "diagnose", "super_class", "sub_class", "form",
    "rhythm", "all", "report", "Unnamed: 0",
})  # fmt: skip
LABEL_MODES = ("published", "rebuilt")


class SplitError(MerlCoreError, ValueError):
    """A split file that cannot be read or used."""


@dataclass
class SplitFile:
    """One split file: record ids, label columns and (CSN) the ``diagnose`` strings."""

    path: str
    dataset: str
    ids: list[str]
    label_names: list[str]
    labels: np.ndarray
    diagnose: list[str] | None = None


def record_id(value: object) -> str:
    """Normalised record id: basename without extension/_hr/_lr, integers without zeros."""
    s = str(value).strip().replace("\\", "/").rsplit("/", 1)[-1]
    s = re.sub(r"\.(mat|hea|dat|npy)$", "", s)
    s = re.sub(r"_(hr|lr)$", "", s)
    return str(int(float(s))) if re.fullmatch(r"\d+(\.0)?", s) else s


def read_split(path: str | Path) -> SplitFile:
    """Read a split file; label columns are the 0/1 columns that are not metadata."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError as exc:
        raise SplitError(f"{path}: split file not found") from exc
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SplitError(f"{path}: unreadable CSV ({exc})") from exc
    if "ecg_id" in df.columns and "filename_hr" in df.columns:
        dataset, ids = "ptbxl", df["ecg_id"]
    elif "ecg_path" in df.columns:
        dataset, ids = "csn", df["ecg_path"]
    elif "filename" in df.columns:
        dataset, ids = "cpsc2018", df["filename"]
    else:
        raise SplitError(f"{path}: no record id column (ecg_id, ecg_path or filename)")
    names = [c for c in df.columns if c not in META_COLUMNS
             and df[c].notna().any() and df[c].dropna().isin([0, 1]).all()]  # fmt: skip
    if not names:
        raise SplitError(f"{path}: no 0/1 label columns")
    diag = [str(d) if isinstance(d, str) else "" for d in df["diagnose"]] \
        if "diagnose" in df.columns else None  # fmt: skip
    labels = df[names].to_numpy(dtype=np.float32)
    return SplitFile(str(path), dataset, [record_id(v) for v in ids], names, labels, diag)


def rebuild_from_diagnose(diagnose: list[str], names: list[str]) -> np.ndarray:
    """0/1 labels by exact acronym match on comma-separated ``diagnose`` strings."""
    out = np.zeros((len(diagnose), len(names)), dtype=np.float32)
    col = {n: j for j, n in enumerate(names)}
    for r, d in enumerate(diagnose):
        for code in (c.strip() for c in d.split(",")):
            if code in col:
                out[r, col[code]] = 1.0
    return out


def split_labels(split: SplitFile, mode: str) -> np.ndarray:
    """Labels of every split row for ``mode`` (CSN only; others use the source's)."""
    if mode == "published":
        return split.labels
    if split.diagnose is None:
        raise SplitError(f"{split.path}: no 'diagnose' column to rebuild labels from")
    return rebuild_from_diagnose(split.diagnose, split.label_names)


def apply_split(source: Source, split: SplitFile, mode: str = "published") -> Source:
    """``source`` restricted to the split's rows, with the split's label columns."""
    if mode not in LABEL_MODES:
        raise SplitError(f"--labels must be one of {LABEL_MODES}, not {mode!r}")
    pos = {record_id(r.id): i for i, r in enumerate(source.records)}
    rows = [(k, pos[i]) for k, i in enumerate(split.ids) if i in pos]
    missing = [{"id": i, "reason": f"in {Path(split.path).name} but not under the root"}
               for i in split.ids if i not in pos]  # fmt: skip
    if missing:
        logger.warning("%s: %d of %d rows have no record under the root (skipped)",
                       split.path, len(missing), len(split.ids))  # fmt: skip
    srow = np.array([k for k, _ in rows], dtype=np.int64)
    idx = np.array([i for _, i in rows], dtype=np.int64)
    if mode == "published" or split.diagnose is not None:
        labels = split_labels(split, mode)[srow] if len(srow) else \
            np.zeros((0, len(split.label_names)), np.float32)  # fmt: skip
    else:  # rebuilt from the reader's own labels of the same names
        labels = np.full((len(idx), len(split.label_names)), np.nan, dtype=np.float32)
        for j, n in enumerate(split.label_names):
            if n in source.label_names and len(idx):
                labels[:, j] = source.labels[idx, source.label_names.index(n)]
    info = {k: ([v[i] for i in idx] if isinstance(v, list) and len(v) == len(source.records)
                else v) for k, v in source.info.items()}  # fmt: skip
    info.update({"split_file": split.path, "labels": mode, "split_rows": len(split.ids)})
    extra = {t: (n, m[idx]) for t, (n, m) in source.extra_tasks.items()}
    return replace(source, records=[source.records[i] for i in idx],
                   label_names=list(split.label_names), labels=labels, info=info,
                   missing=source.missing + missing, extra_tasks=extra)  # fmt: skip


def compare_labels(split: SplitFile) -> pd.DataFrame:
    """Per class: published positives, rebuilt positives, and rows where they differ."""
    pub = split.labels
    reb = split_labels(split, "rebuilt")
    return pd.DataFrame({
        "label": split.label_names,
        "published": pub.sum(0).astype(int),
        "rebuilt": reb.sum(0).astype(int),
        "published_only": ((pub == 1) & (reb == 0)).sum(0).astype(int),
        "rebuilt_only": ((pub == 0) & (reb == 1)).sum(0).astype(int),
    })
