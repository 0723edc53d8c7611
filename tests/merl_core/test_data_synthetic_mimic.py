"""Synthetic ECG–report pairs (determinism, rates, regularity) and the MIMIC-IV-ECG layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import wfdb
from scipy.signal import find_peaks

from merl_core.data.cache import ECGCache
from merl_core.data.datasets import prepare
from merl_core.data.mimic import clean_report
from merl_core.data.preprocess import PreprocessConfig
from merl_core.data.synthetic import CLASSES, RATES, synth_signal, synthetic_plan


def _rr(x: np.ndarray) -> np.ndarray:
    lead = x[1] - np.median(x[1])
    peaks, _ = find_peaks(lead, height=0.5 * lead.max(), distance=int(0.25 * 500))
    return np.diff(peaks) / 500.0


def test_synthetic_deterministic_across_workers(tmp_path: Path) -> None:
    a = ECGCache(prepare("synthetic", None, tmp_path / "a", n=12, seed=5, progress=False))
    b = ECGCache(prepare("synthetic", None, tmp_path / "b", n=12, seed=5, workers=2,
                         progress=False))  # fmt: skip
    np.testing.assert_array_equal(a.signals, b.signals)
    assert a.reports == b.reports and a.fingerprint == b.fingerprint
    c = synthetic_plan(12, 6)
    assert [p["report"] for p in c] != a.reports
    assert a.label_names == list(CLASSES) and (a.labels.sum(1) == 1).all()


def test_synthetic_rates_and_regularity() -> None:
    plan = synthetic_plan(16, 2)
    cv = {k: [] for k in CLASSES}
    for i, p in enumerate(plan):
        x = synth_signal(2, i, p["label"], p["rate"])
        assert x.shape == (12, 5000) and np.isfinite(x).all()
        rr = _rr(x)
        hr = 60.0 / rr.mean()
        lo, hi = RATES[p["label"]]
        assert lo - 8 <= hr <= hi + 8, (p, hr)
        cv[p["label"]].append(rr.std() / rr.mean())
        assert str(round(p["rate"])) in p["report"] or p["report"].count(".") >= 2
        assert CLASSES[p["label"]].split()[-1] in p["report"]  # "rhythm", "bradycardia", ...
    assert min(cv["AFIB"]) > max(cv["SR"] + cv["SBRAD"] + cv["STACH"])


def test_mimic_layout(tmp_path: Path) -> None:
    root = tmp_path / "mimic"
    order = ["I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"]
    rng = np.random.default_rng(0)
    rows, meas = [], []
    for k, sid in enumerate((40689238, 44458630, 49036311)):
        rel = f"files/p1000/p1000003{k}/s{sid}"
        (root / rel).mkdir(parents=True)
        sig = np.cumsum(rng.standard_normal((5000, 12)), axis=0) * 0.01
        sig[:, 4] += 1.0  # aVF marked by an offset, aVL (file column 5) by a ramp
        sig[:, 5] = np.linspace(-1, 1, 5000)
        if k == 1:
            sig[100:110, 2] = np.nan
        wfdb.wrsamp(str(sid), fs=500, units=["mV"] * 12, sig_name=order, p_signal=sig,
                    fmt=["16"] * 12, adc_gain=[200.0] * 12, baseline=[0] * 12,
                    write_dir=str(root / rel))  # fmt: skip
        rows.append({"subject_id": 10000030 + k, "study_id": sid, "file_name": sid,
                     "ecg_time": "2180-07-23 08:44:00", "path": f"{rel}/{sid}"})  # fmt: skip
        reps = [
            ["Sinus rhythm", "Possible ***  EKG === abnormality", None],
            ["Atrial  fibrillation", "=- Abnormal ECG", "Lateral ST-T changes"],
            ["Normal", None, None],
        ][k]
        meas.append({"subject_id": 10000030 + k, "study_id": sid,
                     **{f"report_{i}": r for i, r in enumerate(reps)}})  # fmt: skip
    pd.DataFrame(rows).to_csv(root / "record_list.csv", index=False)
    pd.DataFrame(meas).to_csv(root / "machine_measurements.csv", index=False)
    cfg = PreprocessConfig(normalize="none")
    out = prepare("mimic", root, tmp_path / "cache", progress=False, cfg=cfg)
    cache = ECGCache(out)
    assert cache.ids == ["40689238", "44458630"]
    assert cache.reports == [
        "sinus rhythm. possible ecg abnormality.",
        "atrial fibrillation. abnormal ecg. lateral st-t changes.",
    ]
    assert cache.meta["counts"]["missing"] == 1  # "normal." is under 4 words
    x = cache.signals[0]
    np.testing.assert_allclose(x[4], np.linspace(-1, 1, 5000), atol=0.01)  # aVL by name
    assert abs(float(x[5].mean()) - 1.0) < 0.5  # aVF carries the offset
    assert np.isfinite(cache.signals[1]).all()  # NaN samples filled


def test_clean_report() -> None:
    assert clean_report(["Sinus  bradycardia", float("nan"), "EKG=normal"]) == \
        "sinus bradycardia. ecgnormal."  # fmt: skip
    assert clean_report([None, None]) == ""
