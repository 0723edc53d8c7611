"""Input bounds (issue 27): a sampling rate outside 50-10000 Hz is bad_fs before any sample
is read, absurd amplitudes are bad_amplitude, microvolt records are read as millivolts, and
a prepared cache's memory maps hold their disk blocks (a full disk is one line, resumable)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import numpy as np
import pytest
import wfdb
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data import buildfs
from merl_core.data.buildfs import allocated_bytes, preallocate
from merl_core.data.quality import REASONS, QualityConfig, check_fs, check_record
from merl_core.data.source import read_wfdb

NAMES = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def _ecg(seconds: float = 10.0, fs: float = 500.0, peak_mv: float = 1.5) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    beat = np.exp(-(((t % 0.8) - 0.2) ** 2) / 2e-4)  # a QRS-like spike at 75 bpm
    return np.stack([peak_mv * beat * (1 + j / 12) + 0.05 * np.sin(t + j) for j in range(12)])


def _write(folder: Path, name: str, x: np.ndarray, fs: float, units: str = "mV") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    gain = 1000.0 if units == "mV" else 1.0
    wfdb.wrsamp(name, fs=fs, units=[units] * 12, sig_name=NAMES, p_signal=x.T,
                fmt=["16"] * 12, adc_gain=[gain] * 12, baseline=[0] * 12,
                write_dir=str(folder))  # fmt: skip
    return str(folder / name)


def test_fs_outside_the_range_is_bad_fs() -> None:
    x = _ecg()
    qc = QualityConfig(expected_fs=None)
    for fs in (0.05, 49.9, 10001.0, 0, -500, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="outside 50-10000 Hz") as err:
            check_record(x, fs, qc)  # type: ignore[arg-type]
        assert err.value.code == "bad_fs"  # type: ignore[attr-defined]
    assert check_fs(50) == 50.0 and check_fs(10000.0) == 10000.0
    assert check_record(x, 500, qc).zeroed == {}


def test_a_header_with_fs_0_05_costs_nothing(tmp_path: Path, monkeypatch) -> None:
    stem = _write(tmp_path, "r1", _ecg(), 500)
    hea = Path(stem + ".hea")
    parts = hea.read_text().splitlines()
    first = parts[0].split()
    first[2] = "0.05"
    hea.write_text("\n".join([" ".join(first), *parts[1:]]) + "\n")

    def no_read(*a, **k):
        raise AssertionError("samples read for a record with an impossible rate")

    monkeypatch.setattr(wfdb, "rdrecord", no_read)
    t = time.perf_counter()
    with pytest.raises(ValueError, match="0.05") as err:
        read_wfdb(stem)
    assert err.value.code == "bad_fs" and time.perf_counter() - t < 1.0  # type: ignore[attr-defined]


def test_absurd_amplitudes_are_bad_amplitude_and_microvolts_are_converted(
    tmp_path: Path,
) -> None:
    assert "bad_amplitude" in REASONS
    qc = QualityConfig(expected_fs=500)
    x = _ecg(peak_mv=11.0)  # as tall as the tallest shared record: kept
    assert check_record(x, 500, qc).x is not None
    with pytest.raises(ValueError, match="mV") as err:
        check_record(x * 1000, 500, qc)  # microvolts taken for millivolts
    assert err.value.code == "bad_amplitude"  # type: ignore[attr-defined]
    stem = _write(tmp_path, "uv", x * 1000, 500, units="uV")
    got, fs = read_wfdb(stem)
    assert fs == 500 and np.allclose(got, x, atol=2e-3)  # read back in mV
    assert check_record(got, fs, qc).zeroed == {}


def test_preallocate_reserves_the_blocks_of_a_sparse_map(tmp_path: Path) -> None:
    from numpy.lib.format import open_memmap

    path = tmp_path / "partial.npy"
    m = open_memmap(path, mode="w+", dtype="float32", shape=(64, 12, 5000))
    del m
    size = path.stat().st_size
    assert allocated_bytes(path) < size  # sparse: a write into it may SIGBUS on a full disk
    preallocate(path)
    assert allocated_bytes(path) >= size


def test_a_full_disk_is_one_line_and_the_build_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    args = ["prepare", "synthetic", "--out", str(tmp_path / "c"), "--n", "16", "--no-progress"]
    with monkeypatch.context() as mp:
        mp.setattr(buildfs.os, "posix_fallocate", full)
        res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "disk is full" in errors[0] and "rerun" in errors[0]
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
