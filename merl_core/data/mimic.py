"""MIMIC-IV-ECG layout: ``record_list.csv``, ``machine_measurements.csv``, WFDB under ``files/``.

Reports as upstream MERL builds them: the non-null ``report_0`` … ``report_17`` joined with
". ", "EKG" → "ECG", "***", "=-" and "=" removed, lower-cased, whitespace normalised, a final
"." added; records whose report has under 4 words are dropped (listed as missing, with the
reason). Lead order (aVF before aVL in these files) is mapped by name; NaN samples are filled
from neighbours by the preprocessing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from merl_core.data.source import RecordRef, Source
from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

REPORT_COLUMNS = tuple(f"report_{i}" for i in range(18))
MIN_WORDS = 4


class MimicError(MerlCoreError, ValueError):
    """A MIMIC-IV-ECG root that cannot be read."""


def clean_report(parts: list[object]) -> str:
    """One report from the ``report_*`` fields of a row (upstream's cleaning)."""
    texts = [str(p).strip() for p in parts if isinstance(p, str) and str(p).strip()]
    text = ". ".join(texts)
    text = text.replace("EKG", "ECG").replace("ekg", "ecg")
    for junk in ("***", "=-", "="):
        text = text.replace(junk, "")
    text = re.sub(r"\s+", " ", text.lower()).strip()
    return text + "." if text else ""


def mimic_source(root: str | Path) -> Source:
    """Every record of a MIMIC-IV-ECG root with its cleaned machine report."""
    root = Path(root)
    rl, mm = root / "record_list.csv", root / "machine_measurements.csv"
    for p in (rl, mm):
        if not p.exists():
            raise MimicError(f"{p}: file not found (is {root} a MIMIC-IV-ECG root?)")
    records_df = pd.read_csv(rl)
    cols = [c for c in REPORT_COLUMNS if c in pd.read_csv(mm, nrows=0).columns]
    meas = pd.read_csv(mm, usecols=["study_id", *cols], dtype=dict.fromkeys(cols, str))
    reports = {int(s): clean_report(list(row)) for s, *row in meas.itertuples(index=False)}
    records, missing = [], []
    for sid, path in zip(records_df["study_id"], records_df["path"], strict=True):
        rid = str(int(sid))
        report = reports.get(int(sid), "")
        if len(report.split()) < MIN_WORDS:
            missing.append({"id": rid, "reason": f"report under {MIN_WORDS} words: {report!r}"})
            continue
        records.append(RecordRef(rid, str(root / str(path)), report))
    if missing:
        logger.warning("%s: %d records dropped for short or missing reports", root, len(missing))
    labels = np.zeros((len(records), 0), dtype=np.float32)
    return Source("mimic", records, [], labels, missing=missing,
                  info={"min_report_words": MIN_WORDS})  # fmt: skip
