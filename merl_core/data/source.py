"""What every reader gives ``prepare``: record references, labels, and one WFDB loader.

A :class:`Source` lists the records of one dataset (ids, file stems, reports) with a label
matrix aligned to them; :func:`load_wfdb` reads one record into canonical lead order and is
picklable, so ``prepare`` runs it in worker processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from merl_core.data.leads import LeadError, to_canonical
from merl_core.data.quality import BadRecordError, check_fs


@dataclass(frozen=True)
class RecordRef:
    """One record to read: its id, WFDB record path (no extension) and report text."""

    id: str
    path: str
    report: str | None = None


Loader = Callable[[RecordRef], tuple[np.ndarray, float, str]]
"""Reads one record: ((12, samples), fs, a hash or parameter string); picklable."""


@dataclass
class Source:
    """The records of one dataset with labels aligned to them."""

    dataset: str
    records: list[RecordRef]
    label_names: list[str]
    labels: np.ndarray  # (N, C) float32, NaN = unknown
    loader: str = "wfdb"  # the loader's name, recorded in the cache fingerprint
    load: Loader | None = None  # reads one record; None = :func:`load_wfdb`
    warm_up: Callable[[], object] | None = None  # run once before forking workers
    info: dict[str, Any] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    extra_tasks: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)


def _header_data_files(hea: Path) -> list[Path]:
    files: list[str] = []
    with open(hea, encoding="utf-8", errors="replace") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    for ln in lines[1:]:
        name = ln.split()[0]
        if name not in files:
            files.append(name)
    return [hea.parent / f for f in files]


def source_hash(stem: str) -> str:
    """SHA-256 over a record's header and data files (in header order)."""
    hea = Path(stem + ".hea")
    h = hashlib.sha256()
    for path in [hea, *_header_data_files(hea)]:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


_BYTES = {"8": 1.0, "16": 2.0, "24": 3.0, "32": 4.0, "61": 2.0, "80": 1.0, "160": 2.0,
          "212": 1.5, "310": 4 / 3, "311": 4 / 3}  # fmt: skip


def _check_sizes(header: Any, folder: Path) -> None:
    """Raise when a data file is shorter than its header says (a truncated download)."""
    if not header.sig_len or not header.file_name:
        return
    per_file: dict[str, list[int]] = {}
    for j, name in enumerate(header.file_name):
        per_file.setdefault(name, []).append(j)
    for name, sigs in per_file.items():
        path = folder / name
        if not path.exists():
            raise BadRecordError(f"missing file ({path})", "missing_file")
        width = _BYTES.get(str(header.fmt[sigs[0]]))
        if width is None:
            continue
        offset = (header.byte_offset or [0] * header.n_sig)[sigs[0]] or 0
        need = int(offset + header.sig_len * len(sigs) * width)
        have = path.stat().st_size
        if have < need:
            raise BadRecordError(f"truncated data file {name}: {have} of {need} bytes", "truncated")


def read_wfdb(stem: str) -> tuple[np.ndarray, float]:
    """Read a WFDB record (``.dat`` or Challenge ``.mat``) → ((12, samples), fs).

    Raises:
        BadRecordError: missing/unreadable files, wrong lead count, truncated data.
    """
    import wfdb

    if not Path(stem + ".hea").exists():
        raise BadRecordError(f"{stem}.hea: file not found", "missing_file")
    try:
        header = wfdb.rdheader(stem)
        check_fs(header.fs, " in the header")  # before any sample is read
        _check_sizes(header, Path(stem).parent)
        rec = wfdb.rdrecord(stem, physical=True)
    except BadRecordError:
        raise
    except FileNotFoundError as exc:
        raise BadRecordError(f"missing file ({exc.filename or exc})", "missing_file") from exc
    except Exception as exc:  # wfdb raises many types for a broken header or data file
        raise BadRecordError(
            f"unreadable WFDB record ({type(exc).__name__}: {exc})", "unreadable"
        ) from exc
    if rec.p_signal is None or rec.n_sig != 12:
        raise BadRecordError(f"expected 12 leads, header declares {rec.n_sig}", "bad_leads")
    if header.sig_len and rec.p_signal.shape[0] < header.sig_len:
        raise BadRecordError(
            f"truncated data: {rec.p_signal.shape[0]} of {header.sig_len} samples", "truncated"
        )
    signal = rec.p_signal
    micro = [str(u).strip().lower() in ("uv", "\u00b5v", "\u03bcv") for u in rec.units or []]
    if any(micro):  # WFDB's physical units are the header's: the cache holds millivolts
        signal = signal * np.where(np.asarray(micro), 1e-3, 1.0)
    try:
        x = to_canonical(signal, rec.sig_name)
    except LeadError as exc:
        raise BadRecordError(str(exc), "bad_leads") from exc
    return x, float(rec.fs)


def load_wfdb(ref: RecordRef) -> tuple[np.ndarray, float, str]:
    """Read one record and hash its files: ((12, samples), fs, sha256)."""
    x, fs = read_wfdb(ref.path)
    try:
        digest = source_hash(ref.path)
    except OSError as exc:
        raise BadRecordError(f"cannot hash files ({exc})", "unreadable") from exc
    return x, fs, digest
