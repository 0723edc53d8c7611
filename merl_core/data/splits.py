"""The MERL paper's split files: rows (record ids) and 0/1 label columns, read by name.

Every label column is checked against the label set of the file's dataset and task
(``knowledge/labelsets/*.tsv`` through ``ckepe.labelsets``): a missing column, an unknown
column or a value other than 0/1 is a :class:`SplitError` naming the file, the column and
the row, never a class silently dropped.

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
    "rhythm", "all", "report", "Unnamed: 0", "Unnamed: 0.1",
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
    task: str | None = None


def record_id(value: object) -> str:
    """Normalised record id: basename without extension/_hr/_lr, integers without zeros."""
    s = str(value).strip().replace("\\", "/").rsplit("/", 1)[-1]
    s = re.sub(r"\.(mat|hea|dat|npy)$", "", s)
    s = re.sub(r"_(hr|lr)$", "", s)
    return str(int(float(s))) if re.fullmatch(r"\d+(\.0)?", s) else s


PTBXL_TASK_COLUMNS = {"super_class": "super", "sub_class": "sub", "form": "form",
                      "rhythm": "rhythm"}  # fmt: skip


def _ptbxl_task(path: Path, columns: list[str]) -> str:
    """The PTB-XL task of a split file: its task column, else its file name."""
    tasks = [PTBXL_TASK_COLUMNS[c] for c in columns if c in PTBXL_TASK_COLUMNS]
    if len(tasks) == 1:
        return tasks[0]
    m = re.search(r"ptbxl_(super_class|sub_class|form|rhythm)_", path.name)
    if m:
        return PTBXL_TASK_COLUMNS[m.group(1)]
    raise SplitError(
        f"{path}: cannot tell its PTB-XL task (no super_class, sub_class, form "
        "or rhythm column, and the file name does not say)"
    )


def expected_labels(dataset: str, task: str | None) -> list[str]:
    """The label columns a split file of ``dataset`` (and PTB-XL ``task``) must have."""
    from ckepe.labelsets import LabelSetError, load_labelset

    try:
        return [e.label for e in load_labelset(dataset, task or "default")]
    except LabelSetError as exc:
        raise SplitError(str(exc)) from exc


def _check_labels(path: Path, df: pd.DataFrame, ids: pd.Series, expected: list[str],
                  what: str) -> list[str]:  # fmt: skip
    """The label columns of ``df`` in file order, checked against ``expected``.

    Raises:
        SplitError: a missing column, an unknown column or a non-binary value, naming the
            file, the column and (for values) the row and record.
    """
    labels = [c for c in df.columns if c not in META_COLUMNS]
    unknown = [c for c in labels if c not in expected]
    if unknown:
        raise SplitError(f"{path}: unknown column(s) {', '.join(map(repr, unknown))} (not a "
                         f"label of {what}; expected {len(expected)} labels)")  # fmt: skip
    missing = [c for c in expected if c not in labels]
    if missing:
        raise SplitError(f"{path}: missing label column(s) {', '.join(map(repr, missing))} "
                         f"of {what}")  # fmt: skip
    for col in labels:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = ~values.isin([0, 1])
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raw = df[col].iloc[r]
            shown = "an empty cell" if pd.isna(raw) else f"value {str(raw)!r}"
            raise SplitError(f"{path}: column {col!r}, row {r + 2} (record {ids.iloc[r]}): "
                             f"{shown}, not 0 or 1 ({int(bad.sum())} such rows)")  # fmt: skip
    return labels


def read_split(path: str | Path) -> SplitFile:
    """Read a split file, its label columns checked by name against the dataset's label set
    (``knowledge/labelsets``); columns are kept in the file's order."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError as exc:
        raise SplitError(f"{path}: split file not found") from exc
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SplitError(f"{path}: unreadable CSV ({exc})") from exc
    task = None
    if "ecg_id" in df.columns and "filename_hr" in df.columns:
        dataset, ids = "ptbxl", df["ecg_id"]
        task = _ptbxl_task(path, list(df.columns))
    elif "ecg_path" in df.columns:
        dataset, ids = "csn", df["ecg_path"]
    elif "filename" in df.columns:
        dataset, ids = "cpsc2018", df["filename"]
    else:
        raise SplitError(f"{path}: no record id column (ecg_id, ecg_path or filename)")
    what = f"{dataset} task {task}" if task else dataset
    names = _check_labels(path, df, ids, expected_labels(dataset, task), what)
    diag = [str(d) if isinstance(d, str) else "" for d in df["diagnose"]] \
        if "diagnose" in df.columns else None  # fmt: skip
    labels = df[names].to_numpy(dtype=np.float32)
    return SplitFile(str(path), dataset, [record_id(v) for v in ids], names, labels, diag, task)


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
    return pd.DataFrame(
        {
            "label": split.label_names,
            "published": pub.sum(0).astype(int),
            "rebuilt": reb.sum(0).astype(int),
            "published_only": ((pub == 1) & (reb == 0)).sum(0).astype(int),
            "rebuilt_only": ((pub == 0) & (reb == 1)).sum(0).astype(int),
        }
    )
