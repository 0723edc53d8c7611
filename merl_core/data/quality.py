"""Record quality checks before preprocessing: sampling rate, duration and per-lead defects.

Every record that cannot be used is skipped with a coded reason (:data:`REASONS`), counted in
the cache manifest. A defective lead (NaN, flat, saturated) either skips the record or, with
``bad_lead="zero"``, is zeroed in the cached signal and recorded per record; the policy is
chosen per dataset (:func:`quality_for`) and may be overridden. A record whose sampling rate
differs from its dataset's is resampled only when asked (``resample=True``) and is then
listed in the manifest; otherwise it is skipped as ``fs_mismatch``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ckepe.registry import DATASETS
from merl_core.data.leads import LEADS
from merl_core.errors import MerlCoreError

# Coded skip reasons: code -> what it means (docs/data-checks.md lists the same table).
REASONS: dict[str, str] = {
    "missing_file": "a header or data file is missing",
    "unreadable": "the WFDB header or data file cannot be parsed",
    "truncated": "a data file is shorter than its header says",
    "bad_leads": "not 12 leads, or lead names that do not map to the canonical 12",
    "bad_fs": "sampling rate missing, not finite, or outside 50-10000 Hz",
    "bad_amplitude": "samples beyond +/-50 mV (a gain or unit error, not an ECG)",
    "fs_mismatch": "sampling rate differs from the dataset's (resampled only with --resample)",
    "too_short": "shorter than the minimum duration",
    "lead_nan": "a lead with more NaN/inf samples than allowed",
    "lead_flat": "a flat (constant) lead",
    "lead_saturated": "a lead stuck at its extremes (clipped ADC)",
    "constant": "the whole record is constant",
    "error": "an unexpected error while reading the record (the detail says which)",
}
LEAD_CODES = ("lead_nan", "lead_flat", "lead_saturated")
# Sampling rates a 12-lead ECG is recorded at: diagnostic ECGs 250-1000 Hz, Holter down to
# 100-128 Hz (PTB-XL ships 100 Hz files), research recordings up to 10 kHz (PTB 1 kHz). A
# rate outside is a damaged header (fs = 0.05 would resample one record to gigabytes).
FS_RANGE_HZ = (50.0, 10000.0)
# Surface ECG amplitudes are a few mV (a tall QRS 5-6 mV; the shared samples peak at 11.4 mV);
# beyond this a record's gain or units are wrong (microvolts read as millivolts).
MAX_ABS_MV = 50.0
BAD_LEAD_POLICIES = ("skip", "zero")

# The sampling rate each dataset is recorded at (None: mixed, any rate is accepted).
EXPECTED_FS: dict[str, float | None] = {n: d.fs for n, d in DATASETS.items()}
# MIMIC-IV-ECG is pretraining data with dead leads in a small share of 800k records: keeping
# the record with the lead zeroed loses less than skipping it. Ningbo stores some records with
# dead chest leads as zeros (JS45542: V1–V6); it is not a protocol evaluation set, so it keeps
# them the same way. Evaluation sets skip.
BAD_LEAD_POLICY: dict[str, str] = {n: d.bad_leads for n, d in DATASETS.items()}


class BadRecordError(MerlCoreError, ValueError):
    """A record that cannot be used; ``code`` is one of :data:`REASONS`."""

    def __init__(self, detail: str, code: str = "error") -> None:
        super().__init__(detail)
        self.code = code if code in REASONS else "error"


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds and policies of the record checks (recorded in the cache manifest)."""

    expected_fs: float | None = None
    resample: bool = False
    min_seconds: float = 5.0
    max_nan_fraction: float = 0.5  # per lead
    flat_ptp: float = 1e-3  # peak-to-peak at or under this (mV) is a flat lead
    saturation_fraction: float = 0.2  # share of samples at the lead's min or max
    bad_lead: str = "skip"
    max_abs_mv: float = MAX_ABS_MV  # a sample beyond this: bad_amplitude

    def __post_init__(self) -> None:
        if self.bad_lead not in BAD_LEAD_POLICIES:
            raise ValueError(f"bad_lead must be one of {BAD_LEAD_POLICIES}, not {self.bad_lead!r}")

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a JSON-able dict."""
        return asdict(self)


@dataclass
class CheckResult:
    """A record that passed: its signal (bad leads zeroed) and what was done to it."""

    x: np.ndarray
    zeroed: dict[str, str] = field(default_factory=dict)  # lead name -> code
    resampled_from: float | None = None


def quality_for(
    dataset: str, *, fs_files: float | None = None, resample: bool = False,
    bad_lead: str | None = None, min_seconds: float | None = None,
) -> QualityConfig:  # fmt: skip
    """The checks of ``dataset`` (PTB-XL: the rate of the files read, 100 or 500 Hz)."""
    expected = EXPECTED_FS.get(dataset)
    if dataset == "ptbxl" and fs_files:
        expected = fs_files
    kwargs: dict[str, Any] = {
        "expected_fs": expected,
        "resample": resample,
        "bad_lead": bad_lead or BAD_LEAD_POLICY.get(dataset, "skip"),
    }
    if min_seconds is not None:
        kwargs["min_seconds"] = min_seconds
    return QualityConfig(**kwargs)


def lead_defect(lead: np.ndarray, qc: QualityConfig) -> tuple[str, str] | None:
    """(code, detail) of one lead's defect, or None when it is usable."""
    finite = np.isfinite(lead)
    nan_frac = 1.0 - float(finite.mean())
    if nan_frac > qc.max_nan_fraction:
        return "lead_nan", f"{nan_frac:.0%} NaN/inf"
    vals = lead[finite]
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo <= qc.flat_ptp:
        return "lead_flat", f"flat (peak-to-peak {hi - lo:.3g})"
    at_edge = float(((vals == lo) | (vals == hi)).mean())
    if at_edge > qc.saturation_fraction:
        return "lead_saturated", f"{at_edge:.0%} of samples at its min/max"
    return None


def check_fs(fs: Any, where: str = "") -> float:
    """``fs`` as a float when it is a finite rate within :data:`FS_RANGE_HZ`.

    Raises:
        BadRecordError: ``bad_fs`` otherwise.
    """
    lo, hi = FS_RANGE_HZ
    ok = isinstance(fs, int | float) and not isinstance(fs, bool) and math.isfinite(fs)
    if not ok or not lo <= float(fs) <= hi:
        raise BadRecordError(f"sampling rate {fs!r} Hz{where}, outside {lo:g}-{hi:g} Hz",
                             "bad_fs")  # fmt: skip
    return float(fs)


def check_record(x: np.ndarray, fs: float, qc: QualityConfig) -> CheckResult:
    """Check a (12, samples) canonical-order record; returns it with bad leads zeroed.

    Raises:
        BadRecordError: with the reason code of the first failed check.
    """
    check_fs(fs)
    if x.ndim != 2 or x.shape[0] != 12:
        raise BadRecordError(f"expected 12 leads, got shape {x.shape}", "bad_leads")
    with np.errstate(invalid="ignore"):
        peak = float(np.nanmax(np.abs(np.where(np.isfinite(x), x, np.nan)), initial=0.0))
    if peak > qc.max_abs_mv:
        raise BadRecordError(f"a sample of {peak:.4g} mV, beyond +/-{qc.max_abs_mv:g} mV (gain or "
                             "units wrong?)", "bad_amplitude")  # fmt: skip
    resampled_from = None
    if qc.expected_fs is not None and float(fs) != float(qc.expected_fs):
        if not qc.resample:
            raise BadRecordError(f"{fs:g} Hz, the dataset is {qc.expected_fs:g} Hz "
                                 "(--resample to resample it)", "fs_mismatch")  # fmt: skip
        resampled_from = float(fs)
    seconds = x.shape[1] / float(fs)
    if seconds < qc.min_seconds:
        raise BadRecordError(f"{seconds:.2f} s ({x.shape[1]} samples at {fs:g} Hz), minimum "
                             f"{qc.min_seconds:g} s", "too_short")  # fmt: skip
    bad = {j: d for j in range(12) if (d := lead_defect(x[j], qc)) is not None}
    if not bad:
        return CheckResult(x, {}, resampled_from)
    code = min((c for c, _ in bad.values()), key=LEAD_CODES.index)
    detail = "; ".join(f"{LEADS[j]} {d}" for j, (_, d) in bad.items())
    if len(bad) == 12:
        same = {d for _, d in bad.values()}
        raise BadRecordError(f"all 12 leads {same.pop() if len(same) == 1 else detail}", code)
    if qc.bad_lead == "skip":
        raise BadRecordError(f"lead {detail}", code)
    x = np.array(x, dtype=np.float64, copy=True)
    x[list(bad)] = 0.0
    return CheckResult(x, {LEADS[j]: c for j, (c, _) in bad.items()}, resampled_from)
