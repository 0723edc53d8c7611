"""Preprocessing to the model input: 12 canonical leads × 5000 samples at 500 Hz.

Steps (each a field of :class:`PreprocessConfig`, recorded in every cache manifest):
resample to ``fs``; crop to ``length`` (``crop="start"``: the first ``length``
samples; ``crop="first2500"``: upstream's CPSC2018 choice, the first 2500 samples then zeros);
NaN/inf filled from neighbours (linear interpolation, as upstream's MIMIC pipeline);
per-record normalisation (``minmax`` to [0, 1] over all leads, upstream's default;
``zscore`` per lead; ``none``) of the cropped signal; then zero padding to ``length``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from merl_core.data.quality import BadRecordError, check_fs

__all__ = [
    "CROPS",
    "NORMS",
    "BadRecordError",
    "InputSpec",
    "PreprocessConfig",
    "crop_pad",
    "fill_nan",
    "normalize",
    "preprocess",
    "resample",
]

CROPS = ("start", "first2500")
NORMS = ("minmax", "zscore", "none")


@dataclass(frozen=True)
class PreprocessConfig:
    """How raw records become model input (recorded in the cache manifest)."""

    fs: int = 500
    length: int = 5000
    crop: str = "start"
    normalize: str = "minmax"
    nan: str = "interpolate"
    max_nan_fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.crop not in CROPS:
            raise ValueError(f"crop must be one of {CROPS}, not {self.crop!r}")
        if self.normalize not in NORMS:
            raise ValueError(f"normalize must be one of {NORMS}, not {self.normalize!r}")

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a JSON-able dict."""
        return asdict(self)

    def digest(self) -> str:
        """A short stable hash of the parameters."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class InputSpec:
    """What a model's input was prepared as (a checkpoint's ``meta``) or a cache holds (its
    manifest): sampling rate, length, normalisation, crop and lead order."""

    fs: int
    length: int
    normalize: str
    crop: str
    leads: tuple[str, ...]

    # compared between a checkpoint and a cache; crop is not: the published protocol crops
    # CPSC2018 to its first 2500 samples for a model pretrained on whole records
    CHECKED = ("fs", "length", "normalize", "leads")

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> InputSpec | None:
        """From a checkpoint's ``meta`` or a cache's manifest; None when it records none."""
        pre = (meta or {}).get("preprocessing")
        if not isinstance(pre, dict):
            return None
        from merl_core.data.leads import LEADS

        leads = (meta or {}).get("lead_order") or (meta or {}).get("leads") or LEADS
        return cls(fs=int(pre.get("fs", 500)), length=int(pre.get("length", 5000)),
                   normalize=str(pre.get("normalize", "minmax")),
                   crop=str(pre.get("crop", "start")), leads=tuple(leads))  # fmt: skip

    def differences(self, other: InputSpec) -> list[tuple[str, Any, Any]]:
        """``(field, self's value, other's value)`` for every checked field that differs."""
        return [(f, getattr(self, f), getattr(other, f)) for f in self.CHECKED
                if getattr(self, f) != getattr(other, f)]  # fmt: skip


def import_resampler() -> None:
    """Import the resampler (scipy.signal, 1.7 s) now: a parent calls this before forking its
    workers so that they inherit it instead of each importing it. Commands that only read a
    cache never import it."""
    import scipy.signal  # noqa: F401


def resample(x: np.ndarray, fs_in: float, fs_out: int) -> np.ndarray:
    """Resample (leads, samples) from ``fs_in`` to ``fs_out`` (polyphase, exact ratio)."""
    if float(fs_in) == float(fs_out):
        return x
    ratio = Fraction(fs_out).limit_denominator(10_000) / Fraction(fs_in).limit_denominator(10_000)
    from scipy.signal import resample_poly  # 1.7 s to import: see :func:`import_resampler`

    return resample_poly(x, ratio.numerator, ratio.denominator, axis=1)


def fill_nan(x: np.ndarray, max_fraction: float = 0.5) -> np.ndarray:
    """Fill NaN/inf samples per lead by linear interpolation from their neighbours."""
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    if bad.mean() > max_fraction:
        raise BadRecordError(f"{bad.mean():.0%} of samples are NaN/inf", "lead_nan")
    x = x.copy()
    idx = np.arange(x.shape[1])
    for lead in np.flatnonzero(bad.any(axis=1)):
        ok = ~bad[lead]
        x[lead] = np.interp(idx, idx[ok], x[lead, ok]) if ok.any() else 0.0
    return x


def crop_pad(x: np.ndarray, length: int, crop: str = "start") -> np.ndarray:
    """Crop or zero-pad (leads, samples) to ``length`` samples."""
    keep = min(length, 2500) if crop == "first2500" else length
    x = x[:, :keep]
    if x.shape[1] < length:
        x = np.pad(x, ((0, 0), (0, length - x.shape[1])))
    return x


def normalize(x: np.ndarray, how: str = "minmax") -> np.ndarray:
    """Per-record normalisation: ``minmax`` over all leads to [0, 1], ``zscore`` per lead."""
    if how == "minmax":
        lo, hi = float(x.min()), float(x.max())
        return (x - lo) / (hi - lo + 1e-8)
    if how == "zscore":
        mu = x.mean(axis=1, keepdims=True)
        sd = x.std(axis=1, keepdims=True)
        return (x - mu) / (sd + 1e-8)
    return x


def preprocess(x: np.ndarray, fs: float, cfg: PreprocessConfig) -> np.ndarray:
    """(12, samples) canonical-order signal at ``fs`` → (12, cfg.length) float32.

    Raises:
        BadRecordError: wrong lead count, empty, too many NaN, or constant (all zero).
    """
    if x.ndim != 2 or x.shape[0] != 12:
        raise BadRecordError(f"expected 12 leads, got shape {x.shape}", "bad_leads")
    if x.shape[1] == 0:
        raise BadRecordError("record has no samples", "too_short")
    x = fill_nan(np.asarray(x, dtype=np.float64), cfg.max_nan_fraction)
    if float(np.ptp(x)) == 0.0:
        raise BadRecordError("record is constant (all zero)", "constant")
    check_fs(fs)
    x = resample(x, fs, cfg.fs)
    keep = min(cfg.length, 2500) if cfg.crop == "first2500" else cfg.length
    x = normalize(x[:, :keep], cfg.normalize)  # statistics of the signal, not of the padding
    return crop_pad(x, cfg.length, cfg.crop).astype(np.float32)
