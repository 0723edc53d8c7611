"""Faults: damaged inputs tried and caught; kills survived with identical results.

1. Damaged inputs: real PTB-XL records (and published split files) damaged in a temporary
   folder one way each; ``prepare`` must skip exactly the damaged record with the expected
   reason code (split files: a one-line error naming file, column and row).
2. ``prepare`` kills: SIGKILL (the whole process group, workers too) at random record counts
   three times per trial, resume, compare ``signals.npy`` and ``manifest.json`` bytes with an
   uninterrupted run; after every kill, no skipped record may lack its reason.
3. ``pretrain`` kills: a CLI pretraining run SIGKILLed once a checkpoint exists, resumed
   with ``--resume auto``, final weights compared with an uninterrupted run (this exercises
   the training side's resume).

    python benchmarks/bench_faults.py [--root PATH] [--trials 2] [--records 300]
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))
from _common import write_results  # noqa: E402

from merl_core.data.cache import ECGCache  # noqa: E402
from merl_core.data.datasets import prepare  # noqa: E402
from merl_core.data.source import read_wfdb  # noqa: E402
from merl_core.data.splits import SplitError, read_split  # noqa: E402
from merl_core.paths import shared_data_root  # noqa: E402
from tests.merl_core._kill import (  # noqa: E402
    CLI,
    records_done,
    run_and_kill,
    unexplained_skips,
)
from tests.merl_core.test_data_cache import mini_ptbxl, stem  # noqa: E402
from tests.merl_core.test_quality import edit_header, rewrite  # noqa: E402

Damage = Callable[[Path, int], None]


def _signal(root: Path, i: int) -> np.ndarray:
    return read_wfdb(str(stem(root, i)))[0]


def _leads(value: float | None, leads: list[int]) -> Damage:
    def apply(root: Path, i: int) -> None:
        x = _signal(root, i)
        x[leads] = np.nan if value is None else value
        rewrite(root, i, x)

    return apply


def _clip(root: Path, i: int) -> None:
    x = _signal(root, i)
    x[1] = np.clip(x[1], -0.05, 0.05)
    rewrite(root, i, x)


def _fs(fs: float) -> Damage:
    return lambda root, i: rewrite(root, i, _signal(root, i), fs=fs)


def _file(ext: str, how: str) -> Damage:
    def apply(root: Path, i: int) -> None:
        path = Path(str(stem(root, i)) + ext)
        if how == "truncate":
            path.write_bytes(path.read_bytes()[:4000])
        elif how == "delete":
            path.unlink()
        else:
            path.write_text("this is not a header\n")

    return apply


def _eleven(root: Path, i: int) -> None:
    import wfdb

    x = _signal(root, i)
    names = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5"]
    wfdb.wrsamp(f"{i:05d}_hr", fs=500, units=["mV"] * 11, sig_name=names,
                p_signal=x[:11].T, fmt=["16"] * 11, adc_gain=[1000.0] * 11, baseline=[0] * 11,
                write_dir=str(stem(root, i).parent))  # fmt: skip


RECORD_DAMAGES: list[tuple[str, Damage, str]] = [
    ("5 of 12 leads all-NaN", _leads(None, [0, 3, 6, 8, 11]), "lead_nan"),
    ("one lead all-NaN", _leads(None, [9]), "lead_nan"),
    ("header claims 100 samples", lambda r, i: edit_header(r, i, 3, "100"), "too_short"),
    ("header at 250 Hz", _fs(250), "fs_mismatch"),
    ("header at 1000 Hz", _fs(1000), "fs_mismatch"),
    ("fs = 0 in the header", lambda r, i: edit_header(r, i, 2, "0"), "bad_fs"),
    ("one flat lead (V2 = 0.25 mV)", _leads(0.25, [7]), "lead_flat"),
    ("all leads zero", _leads(0.0, list(range(12))), "lead_flat"),
    ("lead II clipped at ±0.05 mV", _clip, "lead_saturated"),
    ("data file truncated", _file(".dat", "truncate"), "truncated"),
    ("data file missing", _file(".dat", "delete"), "missing_file"),
    ("header garbage", _file(".hea", "garbage"), "unreadable"),
    ("11 leads", _eleven, "bad_leads"),
]


def damaged_inputs(ptbxl_root: Path, splits_root: Path, tmp: Path) -> list[dict[str, Any]]:
    """Each damage on one record of a 4-record root; caught = right code, nothing else."""
    rows = []
    for k, (what, damage, code) in enumerate(RECORD_DAMAGES):
        root = mini_ptbxl(ptbxl_root, tmp / f"d{k}", (1, 2, 3, 4))
        damage(root, 3)
        cache = ECGCache(prepare("ptbxl", root, tmp / f"c{k}", progress=False))
        got = {s["id"]: s["code"] for s in cache.skipped}
        rows.append({"input": what, "expected": code, "got": ", ".join(got.values()) or "-",
                     "caught": got == {"3": code} and cache.ids == ["1", "2", "4"]})  # fmt: skip
    src = splits_root / "icbeb" / "icbeb_test.csv"
    df = pd.read_csv(src).head(50)
    dirty = df.astype({"STD": object})
    dirty.loc[5, "STD"] = 2
    splits = [
        ("split: a label value 2", dirty, "column 'STD', row 7"),
        ("split: a label column missing", df.drop(columns=["PAC"]), "missing label column"),
        ("split: an unknown column", df.assign(XYZ=0), "unknown column(s) 'XYZ'"),
    ]
    for what, frame, needle in splits:
        path = tmp / "icbeb_test.csv"
        frame.to_csv(path, index=False)
        try:
            read_split(path)
            got = "accepted"
        except SplitError as exc:
            got = str(exc)
        rows.append({"input": what, "expected": "SplitError", "got": got.split(": ", 1)[-1][:60],
                     "caught": needle in got and "icbeb_test.csv" in got})  # fmt: skip
    return rows


def prepare_kills(ptbxl_root: Path, tmp: Path, trials: int, n: int,
                  rng: random.Random) -> list[dict[str, Any]]:  # fmt: skip
    """Per trial: 3 SIGKILLs at random record counts, resume, compare bytes."""
    root = mini_ptbxl(ptbxl_root, tmp / "kill-root", tuple(range(1, n + 1)))
    for i in range(7, n + 1, 25):  # some skips, so reasons must survive too
        _file(".dat", "truncate")(root, i)
    t0 = time.perf_counter()
    ref = prepare("ptbxl", root, tmp / "kill-ref", progress=False, workers=2)
    ref_s = time.perf_counter() - t0
    rows = []
    for t in range(trials):
        out = tmp / f"kill-{t}"
        cmd = [*CLI, "prepare", "ptbxl", "--root", str(root), "--out", str(out), "--workers",
               "2", "--no-progress"]  # fmt: skip
        kills, points, unexplained, last = 0, [], 0, 0
        t0 = time.perf_counter()
        for _ in range(3):
            target = rng.randint(last + 1, last + max(1, (n - last) // 2))
            kills += run_and_kill(cmd, lambda t=target, o=out: records_done(o) >= t)
            last = records_done(out)
            points.append(last)
            unexplained += len(unexplained_skips(out))
        run_and_kill(cmd, lambda: False)
        same = all((out / f).read_bytes() == (ref / f).read_bytes()
                   for f in ("signals.npy", "manifest.json"))  # fmt: skip
        rows.append({"trial": t, "records": n, "kills": kills,
                     "killed at (records done)": " / ".join(map(str, points)),
                     "skips without reason": unexplained, "identical bytes": same,
                     "uninterrupted s": round(ref_s, 1),
                     "killed + resumed s": round(time.perf_counter() - t0, 1)})  # fmt: skip
    return rows


def _weights(run: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    from merl_core.train.checkpoint import read_latest

    return load_file(str(read_latest(run) / "model.safetensors"))


def _checkpointed(run: Path, step: int) -> bool:
    from merl_core.train.checkpoint import step_folders

    return any(int(p.name.split("_")[-1]) >= step for p in step_folders(run))


def pretrain_kills(tmp: Path, trials: int, rng: random.Random) -> list[dict[str, Any]]:
    """A CLI pretraining run killed once a checkpoint exists, resumed, weights compared."""
    cache = prepare("synthetic", None, tmp / "syn", n=64, seed=0, progress=False)
    steps = 8
    base = [*CLI, "pretrain", "--cache", str(cache), "--model", "resnet1d18", "--max-steps",
            str(steps), "--batch-size", "8", "--ckpt-every", "2"]  # fmt: skip
    t0 = time.perf_counter()
    run_and_kill([*base, "--out", str(tmp / "run-ref")], lambda: False, timeout_s=900)
    ref_s = time.perf_counter() - t0
    ref = _weights(tmp / "run-ref")
    rows = []
    for t in range(trials):
        run = tmp / f"run-{t}"
        need = rng.choice([2, 4, 6])
        t0 = time.perf_counter()
        killed = run_and_kill(
            [*base, "--out", str(run)], lambda r=run, k=need: _checkpointed(r, k), timeout_s=900
        )
        run_and_kill([*base, "--out", str(run), "--resume", "auto"], lambda: False,
                     timeout_s=900)  # fmt: skip
        got = _weights(run)
        same = got.keys() == ref.keys() and all(np.array_equal(got[k], ref[k]) for k in ref)
        rows.append({"trial": t, "steps": steps, "killed after checkpoint": need,
                     "killed": killed, "bit-identical weights": same,
                     "uninterrupted s": round(ref_s, 1),
                     "killed + resumed s": round(time.perf_counter() - t0, 1)})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=shared_data_root())
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--skip-pretrain", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        damaged = damaged_inputs(args.root / "ptbxl-sample", args.root / "merl-splits", tmp)
        kills = prepare_kills(args.root / "ptbxl-sample", tmp, args.trials, args.records, rng)
        train: list[dict[str, Any]] = []
        train_note = "not run (--skip-pretrain)"
        if not args.skip_pretrain:
            try:
                train = pretrain_kills(tmp, args.trials, rng)
                train_note = ""
            except (RuntimeError, TimeoutError, OSError) as exc:
                train_note = f"failed: {str(exc).splitlines()[-1][:200]}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    caught = sum(r["caught"] for r in damaged)
    same = sum(r["identical bytes"] for r in kills)
    notes = (
        f"**Damaged inputs**: {caught} of {len(damaged)} caught with the right reason "
        "and nothing else skipped.\n\n"
        f"**prepare SIGKILLed** 3× per trial at random record counts (seed {seed}): "
        f"{same} of {len(kills)} trials resumed to identical cache bytes.\n\n"
    )
    from _common import markdown_table

    notes += markdown_table(kills) + "\n"
    if train:
        ok = sum(r["bit-identical weights"] for r in train)
        notes += (
            f"**pretrain SIGKILLed** after a checkpoint, resumed with `--resume auto`: "
            f"{ok} of {len(train)} trials bit-identical.\n\n" + markdown_table(train)
        )
    else:
        notes += f"**pretrain SIGKILLed**: {train_note}\n"
    write_results(
        "bench_faults",
        "Faults: damaged inputs and kills",
        damaged,
        notes=notes,
        extra={
            "seed": seed,
            "prepare_kills": kills,
            "pretrain_kills": train,
            "pretrain_note": train_note,
        },
    )


if __name__ == "__main__":
    main()
