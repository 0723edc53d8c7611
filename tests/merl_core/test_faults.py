"""Fault injection: ``prepare`` SIGKILLed at random points three times, then resumed, gives the
same cache bytes as an uninterrupted run; skip reasons survive every kill."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from merl_core.data.datasets import prepare
from tests.merl_core._kill import CLI, records_done, run_and_kill, unexplained_skips
from tests.merl_core.test_data_cache import mini_ptbxl, stem

pytestmark = pytest.mark.data

N_RECORDS = 100


def damaged_root(ptbxl_root: Path, dst: Path) -> Path:
    """``N_RECORDS`` real PTB-XL records, every 20th with its data file truncated."""
    root = mini_ptbxl(ptbxl_root, dst, tuple(range(1, N_RECORDS + 1)))
    for i in range(5, N_RECORDS + 1, 20):
        dat = Path(str(stem(root, i)) + ".dat")
        dat.write_bytes(dat.read_bytes()[:4000])
    return root


def test_prepare_survives_three_sigkills(
    ptbxl_root: Path, tmp_path: Path, random_seed: int
) -> None:
    root = damaged_root(ptbxl_root, tmp_path / "ptbxl")
    ref = prepare("ptbxl", root, tmp_path / "ref", progress=False)
    out = tmp_path / "killed"
    cmd = [*CLI, "prepare", "ptbxl", "--root", str(root), "--out", str(out), "--workers", "2",
           "--no-progress"]  # fmt: skip
    seed = random_seed  # printed; MERL_TEST_SEED replays it
    rng = random.Random(seed)
    kills, last = 0, 0
    for _ in range(3):
        target = rng.randint(last + 1, last + (N_RECORDS - last) // 2)
        if run_and_kill(cmd, lambda t=target: records_done(out) >= t):
            kills += 1
        last = records_done(out)
        assert not unexplained_skips(out), f"seed {seed}: a skip without its reason"
        assert not (out / "manifest.json").exists()
    assert kills == 3, f"seed {seed}: the run ended before the kill"
    assert not run_and_kill(cmd, lambda: False)  # resume to the end
    names = ["signals.npy", "manifest.json", *(f"columns/{p.name}" for p in
                                               (ref / "columns").iterdir())]  # fmt: skip
    for name in names:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), f"seed {seed}: {name}"
    assert not list(out.glob(".build-*"))
    notes = (out / "columns" / "notes.json").read_text()  # the skipped records, by id
    assert notes.count('"code":"truncated"') == len(range(5, N_RECORDS + 1, 20))
    assert np.load(out / "signals.npy").shape[0] == N_RECORDS - len(range(5, N_RECORDS + 1, 20))
