"""Synthetic 12-lead ECG–report pairs for the demo and tests (neurokit2, seeded).

Four single-label rhythm classes that differ in rate and regularity (label columns as in
``knowledge/labelsets/synthetic.tsv``): ``SR`` normal sinus rhythm 62–92 bpm, ``SBRAD``
sinus bradycardia 40–56 bpm, ``STACH`` sinus tachycardia 105–150 bpm, ``AFIB`` atrial
fibrillation (irregular RR intervals, P waves flattened, low-amplitude 4–8 Hz f-waves).

Speed: ``neurokit2.ecg_simulate(method="multileads")`` costs ~0.3 s per call, so a few beat
templates (one 12-lead set each, a fixed bank shared by every seed) are simulated once per
process and every record is built from them: beats placed at the record's own beat times,
each cycle time-scaled with the RR interval (QT shortens with rate), per-lead gain, baseline
wander and noise. The model's R wave is small next to its T wave (neurokit2 0.3). Everything is a
function of ``(seed, index)``: the same seed gives the same cache on any number of workers.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal.windows import tukey

from merl_core.data.source import RecordRef, Source

logger = logging.getLogger(__name__)

FS = 500
DURATION_S = 10
CLASSES: dict[str, str] = {
    "SR": "normal sinus rhythm",
    "SBRAD": "sinus bradycardia",
    "STACH": "sinus tachycardia",
    "AFIB": "atrial fibrillation",
}
RATES: dict[str, tuple[float, float]] = {
    "SR": (62, 92), "SBRAD": (40, 56), "STACH": (105, 150), "AFIB": (75, 140),
}  # fmt: skip
N_TEMPLATES = 6
TEMPLATE_SEED = 0  # one fixed template bank: records vary by (seed, index)
_PRE, _POST = 0.35, 0.65  # template cycle: 0.35 s before R to 0.65 s after, at 60 bpm

REPORTS: dict[str, tuple[str, ...]] = {
    "SR": (
        "sinus rhythm at {r} bpm. normal ecg.",
        "normal sinus rhythm, rate {r}. normal ecg.",
        "sinus rhythm. otherwise normal ecg.",
    ),
    "SBRAD": (
        "sinus bradycardia at {r} bpm. otherwise normal ecg.",
        "sinus bradycardia, rate {r}. otherwise normal ecg.",
        "sinus bradycardia. normal axis, normal intervals.",
    ),
    "STACH": (
        "sinus tachycardia at {r} bpm. otherwise normal ecg.",
        "sinus tachycardia, rate {r}. otherwise normal ecg.",
        "sinus tachycardia. normal axis, normal intervals.",
    ),
    "AFIB": (
        "atrial fibrillation with {resp} ventricular response at {r} bpm.",
        "atrial fibrillation, rate {r}. irregularly irregular rhythm, no p waves.",
        "atrial fibrillation. otherwise normal ecg.",
    ),
}


@lru_cache(maxsize=2)
def beat_templates(seed: int = 0) -> np.ndarray:
    """(N_TEMPLATES, 12, 500) one-cycle 12-lead templates at 60 bpm, baseline at zero."""
    import neurokit2 as nk

    out = np.zeros((N_TEMPLATES, 12, FS), dtype=np.float64)
    taper = np.ones(FS)
    ramp = np.hanning(40)
    taper[:20], taper[-20:] = ramp[:20], ramp[20:]
    for k in range(N_TEMPLATES):
        sig = nk.ecg_simulate(duration=3, sampling_rate=FS, heart_rate=60, noise=0.0,
                              method="multileads", random_state=seed * 1000 + k)  # fmt: skip
        x = np.asarray(sig, dtype=np.float64).T
        # QRS = steepest slope over all leads (this model's T wave is taller than its R)
        slope = np.abs(np.diff(x[:, FS : 2 * FS], axis=1)).sum(axis=0)
        peak = FS + int(np.argmax(slope))
        cyc = x[:, peak - int(_PRE * FS) : peak + int(_POST * FS)]
        line = np.linspace(cyc[:, :1], cyc[:, -1:], FS, axis=1)[..., 0]
        out[k] = (cyc - line) * taper
    return out


def _beat_times(rng: np.random.Generator, label: str, rate: float) -> np.ndarray:
    rr_mean = 60.0 / rate
    times, t = [], rng.uniform(0.1, rr_mean)
    while t < DURATION_S + 1.0:
        times.append(t)
        if label == "AFIB":
            t += rr_mean * rng.uniform(0.55, 1.45)
        else:
            t += rr_mean * (1.0 + 0.025 * rng.standard_normal())
    return np.array(times)


def synth_signal(seed: int, index: int, label: str, rate: float) -> np.ndarray:
    """The (12, 5000) signal (mV) of record ``index`` of a synthetic set."""
    rng = np.random.default_rng([seed, index, 1])
    tpl = beat_templates(TEMPLATE_SEED)[rng.integers(N_TEMPLATES)].copy()
    if label == "AFIB":  # no P waves: flatten 0.34–0.04 s before the QRS onto a straight line
        lo, hi = int((_PRE - 0.34) * FS), int((_PRE - 0.04) * FS)
        w = tukey(hi - lo, alpha=0.3)
        line = np.linspace(tpl[:, lo], tpl[:, hi - 1], hi - lo, axis=1)
        tpl[:, lo:hi] = tpl[:, lo:hi] * (1.0 - w) + line * w
    n = DURATION_S * FS
    pad = FS
    canvas = np.zeros((12, n + 2 * pad))
    scale = float(np.clip(np.sqrt(60.0 / rate), 0.55, 1.3))  # cycle scaled with sqrt(RR)
    width = int(round(FS * scale))
    grid = np.linspace(0, FS - 1, width)
    beat = np.stack([np.interp(grid, np.arange(FS), lead) for lead in tpl])
    for t in _beat_times(rng, label, rate):
        start = pad + int(round(t * FS)) - int(round(_PRE * FS * scale))
        if 0 <= start and start + width <= canvas.shape[1]:
            canvas[:, start : start + width] += beat
    x = canvas[:, pad : pad + n] * rng.uniform(0.8, 1.2, size=(12, 1))
    tt = np.arange(n) / FS
    wander = rng.uniform(0.03, 0.12) * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * tt
                                               + rng.uniform(0, 2 * np.pi))  # fmt: skip
    x += wander * rng.uniform(0.5, 1.0, size=(12, 1))
    if label == "AFIB":
        f = sum(np.sin(2 * np.pi * rng.uniform(4, 8) * tt + rng.uniform(0, 2 * np.pi))
                for _ in range(3))  # fmt: skip
        x += rng.uniform(0.02, 0.05) * f * rng.uniform(0.3, 1.0, size=(12, 1))
    x += rng.uniform(0.005, 0.02) * rng.standard_normal(x.shape)
    return x.astype(np.float32)


def synthetic_plan(n: int, seed: int) -> list[dict[str, Any]]:
    """Class, rate and report of each of ``n`` records (balanced classes, shuffled)."""
    rng = np.random.default_rng([seed, 0])
    names = list(CLASSES)
    order = rng.permutation(np.arange(n) % len(names))
    plan = []
    for c in order:
        label = names[int(c)]
        lo, hi = RATES[label]
        rate = float(rng.uniform(lo, hi))
        r = int(round(rate))
        tmpl = REPORTS[label][int(rng.integers(len(REPORTS[label])))]
        resp = "rapid" if r > 100 else "controlled"
        plan.append({"label": label, "rate": rate, "report": tmpl.format(r=r, resp=resp)})
    return plan


def synthetic_source(n: int, seed: int = 0) -> Source:
    """A :class:`Source` of ``n`` synthetic records (signals made by the loader)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, not {n}")
    plan = synthetic_plan(n, seed)
    names = list(CLASSES)
    labels = np.zeros((n, len(names)), dtype=np.float32)
    records = []
    for i, p in enumerate(plan):
        labels[i, names.index(p["label"])] = 1.0
        path = f"synthetic:{seed}:{i}:{p['label']}:{p['rate']!r}"
        records.append(RecordRef(f"syn{seed}-{i:06d}", path, p["report"]))
    info = {"seed": seed, "n": n, "class_names": CLASSES, "rates_bpm": RATES,
            "generator": "neurokit2 multileads beat templates",
            "template_seed": TEMPLATE_SEED, "n_templates": N_TEMPLATES}  # fmt: skip
    return Source("synthetic", records, names, labels, loader="synthetic", load=load_synthetic,
                  warm_up=_warm_up, info=info)  # fmt: skip


def _warm_up() -> None:
    """Build the template bank once before ``prepare`` forks its workers."""
    beat_templates(TEMPLATE_SEED)


def load_synthetic(ref: RecordRef) -> tuple[np.ndarray, float, str]:
    """Loader for ``synthetic:`` references: ((12, 5000), 500, parameter string)."""
    _, seed, index, label, rate = ref.path.split(":")
    return synth_signal(int(seed), int(index), label, float(rate)), float(FS), ref.path


def make_synthetic_cache(
    out: str | Path, n: int, seed: int = 0, *, workers: int = 1, dtype: str = "float32"
) -> Path:
    """Build (or reuse, when identical) a prepared cache of ``n`` synthetic records."""
    from merl_core.data.prepare import prepare_source

    return prepare_source(synthetic_source(n, seed), Path(out), workers=workers, dtype=dtype,
                          params={"n": n, "seed": seed})  # fmt: skip
