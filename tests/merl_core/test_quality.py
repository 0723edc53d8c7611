"""Record quality checks on real PTB-XL records damaged in tmp_path: reason codes, counts,
the bad-lead policy, the expected sampling rate and ``--resample``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import wfdb
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.cache import ECGCache
from merl_core.data.datasets import prepare
from merl_core.data.quality import REASONS, QualityConfig, check_record
from merl_core.data.source import read_wfdb
from tests.merl_core.test_data_cache import mini_ptbxl, stem

pytestmark = pytest.mark.data

NAMES = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9)


def rewrite(root: Path, ecg_id: int, x: np.ndarray, fs: float = 500) -> None:
    """Write (12, samples) mV as the record's 16-bit WFDB files (NaN → the WFDB NaN value)."""
    wfdb.wrsamp(f"{ecg_id:05d}_hr", fs=fs, units=["mV"] * 12, sig_name=NAMES,
                p_signal=x.T.astype(np.float64), fmt=["16"] * 12, adc_gain=[1000.0] * 12,
                baseline=[0] * 12, write_dir=str(stem(root, ecg_id).parent))  # fmt: skip


def edit_header(root: Path, ecg_id: int, field: int, value: str) -> None:
    """Replace one field of the header's record line (2 = fs, 3 = number of samples)."""
    hea = Path(str(stem(root, ecg_id)) + ".hea")
    lines = hea.read_text().splitlines()
    parts = lines[0].split()
    parts[field] = value
    lines[0] = " ".join(parts)
    hea.write_text("\n".join(lines) + "\n")


@pytest.fixture()
def damaged(ptbxl_root: Path, tmp_path: Path) -> Path:
    """Nine real records; 2–7 damaged one way each, 1, 8 and 9 intact."""
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl", IDS)
    x = {i: read_wfdb(str(stem(root, i)))[0] for i in IDS}
    nan5 = x[2].copy()
    nan5[[0, 3, 6, 8, 11]] = np.nan  # 5 of 12 leads all-NaN
    rewrite(root, 2, nan5)
    edit_header(root, 3, 3, "100")  # header claims 100 samples: 0.2 s
    rewrite(root, 4, x[4], fs=250)  # a 250 Hz header in a 500 Hz dataset
    edit_header(root, 5, 2, "0")  # fs = 0
    flat = x[6].copy()
    flat[7] = 0.25  # V2 constant
    rewrite(root, 6, flat)
    sat = x[7].copy()
    sat[1] = np.clip(sat[1], -0.05, 0.05)  # lead II clipped: most samples at the rails
    rewrite(root, 7, sat)
    return root


EXPECTED = {"2": "lead_nan", "3": "too_short", "4": "fs_mismatch", "5": "bad_fs",
            "6": "lead_flat", "7": "lead_saturated"}  # fmt: skip


def test_every_damage_has_its_code_and_nothing_else_is_skipped(
    damaged: Path, tmp_path: Path
) -> None:
    res = CliRunner().invoke(app, ["prepare", "ptbxl", "--root", str(damaged), "--out",
                                   str(tmp_path / "c"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cache = ECGCache(tmp_path / "c")
    assert cache.ids == ["1", "8", "9"]
    codes = {s["id"]: s["code"] for s in cache.skipped}
    assert codes == EXPECTED
    assert all(c in REASONS for c in codes.values())
    assert "ZeroDivisionError" not in json.dumps(cache.skipped)
    counts = cache.meta["counts"]
    assert (counts["records"], counts["cached"], counts["skipped"]) == (9, 3, 6)
    assert cache.meta["skip_reasons"] == dict.fromkeys(EXPECTED.values(), 1)
    line = next(ln for ln in res.output.splitlines() if ln.startswith("skipped by reason"))
    assert all(f"{c} 1" in line for c in EXPECTED.values())
    detail = {s["id"]: s["reason"] for s in cache.skipped}
    assert re.search(r"I .*100% NaN", detail["2"]) and "V3" in detail["2"]
    assert "0.20 s" in detail["3"] and "250 Hz" in detail["4"] and "V2" in detail["6"]


def test_zero_policy_keeps_the_record_and_records_the_leads(damaged: Path, tmp_path: Path) -> None:
    out = prepare("ptbxl", damaged, tmp_path / "z", bad_lead="zero", progress=False)
    cache = ECGCache(out)
    assert cache.ids == ["1", "2", "6", "7", "8", "9"]
    assert cache.zeroed_leads == {
        "2": dict.fromkeys(["I", "aVR", "V1", "V3", "V6"], "lead_nan"),
        "6": {"V2": "lead_flat"}, "7": {"II": "lead_saturated"},
    }  # fmt: skip
    row = cache.ids.index("2")
    assert not cache.signals[row, [0, 3, 6, 8, 11]].any()  # zeroed
    assert cache.signals[row, [1, 2, 4]].std(axis=1).min() > 0.01  # the others are signal
    assert cache.meta["counts"]["zeroed"] == 3 and cache.meta["quality"]["bad_lead"] == "zero"


def test_resample_only_when_asked_and_recorded(damaged: Path, tmp_path: Path) -> None:
    out = prepare("ptbxl", damaged, tmp_path / "r", resample=True, progress=False)
    cache = ECGCache(out)
    assert "4" in cache.ids and cache.resampled_from == {"4": 250.0}
    assert {s["id"]: s["code"] for s in cache.skipped} == \
        {k: v for k, v in EXPECTED.items() if k != "4"}  # fmt: skip
    assert cache.meta["quality"]["resample"] is True
    assert ECGCache(prepare("ptbxl", damaged, tmp_path / "n", progress=False)).fingerprint \
        != cache.fingerprint  # fmt: skip


def test_min_seconds_is_a_setting(damaged: Path, tmp_path: Path) -> None:
    out = prepare("ptbxl", damaged, tmp_path / "m", min_seconds=0.1, progress=False)
    cache = ECGCache(out)
    assert "3" in cache.ids and "3" not in {s["id"] for s in cache.skipped}


def test_real_records_flag_only_real_dead_leads(ptbxl_root: Path, challenge_root: Path) -> None:
    """No false alarms: of the real samples (first 60 PTB-XL, every Challenge record), only the
    three Ningbo records whose chest leads are stored as zeros are flagged, as lead_flat."""
    from merl_core.data.quality import BadRecordError, quality_for

    stems = sorted(ptbxl_root.glob("records500/*/*_hr.hea"))[:60]
    stems += sorted(challenge_root.rglob("*.hea"))
    assert len(stems) > 100
    qc = quality_for("challenge")
    flagged = {}
    for hea in stems:
        x, fs = read_wfdb(str(hea.with_suffix("")))
        try:
            check_record(x, fs, qc)
        except BadRecordError as exc:
            flagged[hea.stem] = exc.code
            dead = [j for j in range(12) if not x[j].any()]
            assert dead and str(exc).count("flat") == len(dead), hea.name
    assert flagged == dict.fromkeys(["JS45542", "JS45544", "JS45551"], "lead_flat")


def test_check_record_rules() -> None:
    """The pure rules: fs=0 and NaN fs are bad_fs, the order of the lead codes."""
    x = np.sin(np.linspace(0, 60, 5000))[None].repeat(12, 0)
    qc = QualityConfig(expected_fs=500)
    for fs in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="sampling rate") as err:
            check_record(x, fs, qc)
        assert err.value.code == "bad_fs"  # type: ignore[attr-defined]
    y = x.copy()
    y[0] = np.nan
    y[1] = 0.0
    with pytest.raises(ValueError) as err:
        check_record(y, 500, qc)
    assert err.value.code == "lead_nan"  # type: ignore[attr-defined]
    assert check_record(x, 500, qc).zeroed == {}
