"""Prepared caches: round trip, reads, stale parameters, bad records, resume."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import wfdb
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.cache import CacheError, ECGCache
from merl_core.data.datasets import prepare
from merl_core.data.preprocess import PreprocessConfig, preprocess
from merl_core.data.source import read_wfdb
from merl_core.data.torch_dataset import cache_dataset

IDS = (1, 2, 3, 4, 5, 6, 7, 8)


def mini_ptbxl(src: Path, dst: Path, ids: tuple[int, ...] = IDS) -> Path:
    """A PTB-XL root with a few real records (500 Hz files only)."""
    dst.mkdir(parents=True, exist_ok=True)
    db = pd.read_csv(src / "ptbxl_database.csv")
    db[db["ecg_id"].isin(ids)].to_csv(dst / "ptbxl_database.csv", index=False)
    shutil.copy(src / "scp_statements.csv", dst)
    for name in db[db["ecg_id"].isin(ids)]["filename_hr"]:
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        for ext in (".hea", ".dat"):
            shutil.copy(src / (name + ext), dst / (name + ext))
    return dst


def stem(root: Path, ecg_id: int) -> Path:
    return root / "records500" / "00000" / f"{ecg_id:05d}_hr"


def test_ptbxl_round_trip_and_zero_copy(ptbxl_root: Path, tmp_path: Path) -> None:
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl")
    out = prepare("ptbxl", root, tmp_path / "cache", task="super", progress=False)
    cache = ECGCache(out)
    assert cache.ids == [str(i) for i in IDS]
    assert cache.signals.shape == (len(IDS), 12, 5000) and cache.signals.dtype == np.float32
    assert cache.label_names == ["CD", "HYP", "MI", "NORM", "STTC"]
    assert cache.task_labels("all")[1].shape == (len(IDS), 71)
    x, fs = read_wfdb(str(stem(root, 3)))
    np.testing.assert_array_equal(cache.signals[2], preprocess(x, fs, PreprocessConfig()))
    assert cache.meta["preprocessing"]["normalize"] == "minmax"
    assert cache.meta["source_sha256"]["3"] and cache.meta["lead_order"][4] == "aVL"
    ds = cache_dataset(cache, indices=[2, 5])
    item = ds[0]
    assert item["index"] == 2 and item["report"] == cache.reports[2]
    assert item["ecg"].dtype == torch.float32 and tuple(item["ecg"].shape) == (12, 5000)
    assert not np.shares_memory(item["ecg"].numpy(), cache.signals)  # a copy (read-only map)
    torch.testing.assert_close(item["label"], torch.tensor(cache.labels[2]))
    np.testing.assert_array_equal(cache.batch([5, 2]), cache.signals[[5, 2]])
    clone = pickle.loads(pickle.dumps(ds))  # what a spawned DataLoader worker receives
    assert len(pickle.dumps(ds)) < 100_000  # the file name, not the signals
    torch.testing.assert_close(clone[1]["ecg"], ds[1]["ecg"])


def test_stale_parameters_rebuild_same_reuse(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    prepare("synthetic", None, out, n=8, seed=1, progress=False)
    first = ECGCache(out)
    mtime = (out / "signals.npy").stat().st_mtime_ns
    prepare("synthetic", None, out, n=8, seed=1, progress=False)
    assert (out / "signals.npy").stat().st_mtime_ns == mtime  # reused
    cfg = PreprocessConfig(normalize="zscore")
    prepare("synthetic", None, out, n=8, seed=1, cfg=cfg, dtype="float16", progress=False)
    second = ECGCache(out)
    assert second.fingerprint != first.fingerprint
    assert second.meta["preprocessing"]["normalize"] == "zscore"
    assert second.signals.dtype == np.float16
    assert abs(float(second.signals[0].astype(np.float32).mean())) < 0.05  # z-scored
    assert cache_dataset(second)[0]["ecg"].dtype == torch.float32
    assert not list(out.glob(".build-*"))


def test_bad_records_are_reported_and_skipped(ptbxl_root: Path, tmp_path: Path) -> None:
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl")
    dat = Path(str(stem(root, 2)) + ".dat")
    dat.write_bytes(dat.read_bytes()[:5000])  # truncated
    Path(str(stem(root, 3)) + ".hea").write_text("this is not a header\n")  # broken
    Path(str(stem(root, 4)) + ".dat").unlink()  # missing data file
    x, _ = read_wfdb(str(stem(root, 5)))  # 11 leads
    names = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    wfdb.wrsamp(f"{5:05d}_hr", fs=500, units=["mV"] * 11, sig_name=names[:11],
                p_signal=x[:11].T.astype(np.float64), fmt=["16"] * 11,
                write_dir=str(stem(root, 5).parent))  # fmt: skip
    wfdb.wrsamp(f"{6:05d}_hr", fs=500, units=["mV"] * 12, sig_name=names,
                d_signal=np.zeros((5000, 12), dtype=np.int16), adc_gain=[1000.0] * 12,
                baseline=[0] * 12, fmt=["16"] * 12,
                write_dir=str(stem(root, 6).parent))  # fmt: skip
    res = CliRunner().invoke(
        app,
        [
            "prepare",
            "ptbxl",
            "--root",
            str(root),
            "--out",
            str(tmp_path / "c"),
            "--no-progress",
            "--workers",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    cache = ECGCache(tmp_path / "c")
    assert cache.ids == ["1", "7", "8"]
    reasons = {s["id"]: s["reason"] for s in cache.skipped}
    codes = {s["id"]: s["code"] for s in cache.skipped}
    assert codes == {"2": "truncated", "3": "unreadable", "4": "missing_file", "5": "bad_leads",
                     "6": "lead_flat"}  # fmt: skip
    assert reasons["2"].startswith("truncated data file 00002_hr.dat")
    assert "12 leads" in reasons["5"] and reasons["6"].startswith("all 12 leads flat")
    assert cache.meta["skip_reasons"] == dict.fromkeys(sorted(codes.values()), 1)
    assert "skipped by reason: bad_leads 1, lead_flat 1, missing_file 1" in res.output
    # nothing usable: non-zero exit, one-line error
    for i in (1, 7, 8):
        Path(str(stem(root, i)) + ".dat").unlink()
    res = CliRunner().invoke(
        app,
        ["prepare", "ptbxl", "--root", str(root), "--out", str(tmp_path / "d"), "--no-progress"],
    )
    assert res.exit_code == 2 and "all 8 records were skipped" in res.output  # bad input


def test_resume_after_interruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import merl_core.data.prepare as prep

    calls = {"n": 0}
    real = prep._work

    def flaky(job):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(prep, "_FLUSH_EVERY", 2)
    monkeypatch.setattr(prep, "_work", flaky)
    with pytest.raises(KeyboardInterrupt):
        prepare("synthetic", None, tmp_path / "r", n=10, seed=3, progress=False)
    assert not (tmp_path / "r" / "manifest.json").exists()  # nothing half-written
    with pytest.raises(CacheError):
        ECGCache(tmp_path / "r")
    monkeypatch.setattr(prep, "_work", real)
    calls["n"] = 0
    counted = {"n": 0}

    def counting(job):  # noqa: ANN001, ANN202
        counted["n"] += 1
        return real(job)

    monkeypatch.setattr(prep, "_work", counting)
    prepare("synthetic", None, tmp_path / "r", n=10, seed=3, progress=False)
    assert counted["n"] == 5  # the 5 finished before the interruption are not redone
    fresh = prepare("synthetic", None, tmp_path / "f", n=10, seed=3, progress=False)
    np.testing.assert_array_equal(ECGCache(tmp_path / "r").signals, ECGCache(fresh).signals)


def test_manifest_is_json_with_hashes(tmp_path: Path) -> None:
    out = prepare("synthetic", None, tmp_path / "s", n=4, seed=0, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {
        "records": 4,
        "cached": 4,
        "skipped": 0,
        "missing": 0,
        "zeroed": 0,
        "resampled": 0,
    }
    assert manifest["skip_reasons"] == {} and manifest["quality"]["expected_fs"] == 500
    assert "created_at" not in manifest  # timings live in build.json: same inputs, same bytes
    assert json.loads((out / "build.json").read_text())["build_seconds"] >= 0
    assert len(manifest["source_hash"]) == 64 and manifest["dtype"] == "float32"
