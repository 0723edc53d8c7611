"""PTB-XL in its PhysioNet layout: records, reports and the benchmark's label matrices.

Works unchanged on the full release (``ptbxl_database.csv``, ``scp_statements.csv``,
``records100/``, ``records500/``). Label tasks as the PTB-XL benchmark (Strodthoff et al.)
aggregates them: ``all`` (the 71 SCP statements), ``super`` (``diagnostic_class``), ``sub``
(``diagnostic_subclass``), ``form`` and ``rhythm`` (statements flagged so). Like the
benchmark, every statement listed in ``scp_codes`` counts whatever its likelihood
(``min_likelihood`` raises the bar). Names outside ``all`` drop the trailing ``_`` of
``NST_``/``ISC_`` as the MERL split files do.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from merl_core.data.source import RecordRef, Source
from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

TASKS = ("all", "super", "sub", "form", "rhythm")


class PTBXLError(MerlCoreError, ValueError):
    """A PTB-XL root that cannot be read."""


def read_database(root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``ptbxl_database.csv`` (``scp_codes`` parsed) and ``scp_statements.csv``."""
    root = Path(root)
    db_path, st_path = root / "ptbxl_database.csv", root / "scp_statements.csv"
    for p in (db_path, st_path):
        if not p.exists():
            raise PTBXLError(f"{p}: file not found (is {root} a PTB-XL root?)")
    db = pd.read_csv(db_path, index_col="ecg_id")
    db["scp_codes"] = db["scp_codes"].apply(ast.literal_eval)
    statements = pd.read_csv(st_path, index_col=0)
    return db, statements


def _clean(name: str) -> str:
    return name.strip("_")


def task_map(statements: pd.DataFrame, task: str) -> dict[str, str]:
    """SCP statement → label name of ``task``."""
    if task == "all":
        return {code: code for code in statements.index}
    if task in ("super", "sub"):
        col = "diagnostic_class" if task == "super" else "diagnostic_subclass"
        rows = statements[statements["diagnostic"] == 1.0]
        return {code: _clean(str(v)) for code, v in rows[col].items() if isinstance(v, str)}
    if task in ("form", "rhythm"):
        rows = statements[statements[task] == 1.0]
        return {code: _clean(code) for code in rows.index}
    raise PTBXLError(f"unknown PTB-XL task {task!r} (one of {', '.join(TASKS)})")


def label_matrix(
    db: pd.DataFrame, statements: pd.DataFrame, task: str, min_likelihood: float = 0.0
) -> tuple[list[str], np.ndarray]:
    """(label names, (N, C) 0/1 float32) of ``task`` for every row of ``db``."""
    mapping = task_map(statements, task)
    names = sorted(set(mapping.values())) if task != "all" else list(mapping.values())
    col = {n: i for i, n in enumerate(names)}
    out = np.zeros((len(db), len(names)), dtype=np.float32)
    for r, codes in enumerate(db["scp_codes"]):
        for code, lik in codes.items():
            if code in mapping and float(lik) >= min_likelihood:
                out[r, col[mapping[code]]] = 1.0
    return names, out


def ptbxl_source(
    root: str | Path, *, fs: int = 500, task: str = "all", min_likelihood: float = 0.0
) -> Source:
    """Every record of a PTB-XL root, labels of ``task`` plus the other tasks as extras."""
    root = Path(root)
    db, statements = read_database(root)
    col = "filename_hr" if fs == 500 else "filename_lr"
    if fs not in (100, 500):
        raise PTBXLError(f"PTB-XL comes at 100 or 500 Hz, not {fs}")
    records, missing, keep = [], [], []
    for r, (ecg_id, row) in enumerate(db.iterrows()):
        stem = root / str(row[col])
        rid = str(int(ecg_id))
        if not Path(str(stem) + ".hea").exists():
            missing.append({"id": rid, "reason": f"{stem}.hea: file not found"})
            continue
        report = row.get("report")
        records.append(RecordRef(rid, str(stem), None if pd.isna(report) else str(report)))
        keep.append(r)
    if missing:
        logger.warning("%s: %d of %d database rows have no record files (skipped)",
                       root, len(missing), len(db))  # fmt: skip
    sub = db.iloc[keep]
    extra = {t: label_matrix(sub, statements, t, min_likelihood) for t in TASKS}
    names, labels = extra[task]
    info = {"fs_files": fs, "task": task, "min_likelihood": min_likelihood,
            "strat_fold": [int(v) for v in sub["strat_fold"]]}  # fmt: skip
    return Source("ptbxl", records, names, labels, info=info, missing=missing, extra_tasks=extra)
