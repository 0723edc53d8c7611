"""Sharded prepare + merge = the unsharded cache byte for byte; one writer per folder; stale
build folders removed; a free-space check before any byte is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.buildfs import InsufficientSpaceError, folder_lock
from merl_core.data.datasets import prepare
from merl_core.data.preprocess import PreprocessConfig
from tests.merl_core.test_data_cache import mini_ptbxl, stem

IDS = tuple(range(1, 15))
REPO = Path(__file__).resolve().parents[2]


def _args(root: Path, out: Path) -> list[str]:
    return ["prepare", "ptbxl", "--root", str(root), "--out", str(out), "--no-progress"]


@pytest.mark.data
def test_shards_merged_equal_the_unsharded_cache(ptbxl_root: Path, tmp_path: Path) -> None:
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl", IDS)
    for i in (3, 10):  # skipped records in two shards
        dat = Path(str(stem(root, i)) + ".dat")
        dat.write_bytes(dat.read_bytes()[:3000])
    run = CliRunner().invoke
    assert run(app, _args(root, tmp_path / "ref")).exit_code == 0
    out = tmp_path / "sharded"
    assert run(app, [*_args(root, out), "--shard", "0/3"]).exit_code == 0
    early = run(app, [*_args(root, out), "--merge"])
    assert early.exit_code == 1 and "shard(s) 1/3, 2/3 not done" in early.output
    for i in (2, 1):  # any order, any node
        res = run(app, [*_args(root, out), "--shard", f"{i}/3"])
        assert res.exit_code == 0, res.output
    res = run(app, [*_args(root, out), "--merge"])
    assert res.exit_code == 0, res.output
    for name in ("signals.npy", "manifest.json", "columns/reports.bin", "columns/labels.all.npy"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name
    assert not list(out.glob(".build-*"))
    bad = run(app, [*_args(root, out), "--shard", "3/3"])
    assert bad.exit_code == 2 and "0 ≤ I < N" in bad.output


def test_second_writer_is_refused_and_stale_builds_go(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    stale = out / ".build-0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "partial.npy").write_bytes(b"old")
    args = ["prepare", "synthetic", "--n", "4", "--out", str(out), "--no-progress"]
    with folder_lock(out):
        res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "another prepare (pid" in res.output
    assert stale.exists()  # nothing touched while locked
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert not stale.exists() and not list(out.glob(".build-*"))


def test_free_space_is_checked_before_writing(tmp_path: Path) -> None:
    huge = PreprocessConfig(length=200_000_000)  # 9.6 GB per record: 1000 never fit
    with pytest.raises(InsufficientSpaceError, match=r"not enough free space .* needs 9\.6 TB"):
        prepare("synthetic", None, tmp_path / "big", n=1000, cfg=huge, progress=False)
    assert not list((tmp_path / "big").rglob("*.npy"))


def _proc(args: list[str], cwd: Path, hash_seed: str) -> subprocess.CompletedProcess[str]:
    """``merl-core`` as a cluster job runs it: a fresh interpreter, its own working folder and
    hash seed, nothing inherited from a parent Python process but the environment."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TZ": f"UTC+{hash_seed}"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "merl_core.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


# Fields of a cache folder that legitimately differ between runs: build.json (when and how fast
# it was built, how many shards). Everything else (signals.npy, manifest.json and its columns)
# must be identical.
RUN_SPECIFIC = ("build.json",)


def _files(folder: Path) -> list[str]:
    """Every file of a cache folder (signals, manifest, columns/), not the hidden lock files."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not p.name.startswith("."))  # fmt: skip


@pytest.mark.data
def test_shards_as_separate_processes_equal_one_process(ptbxl_root: Path, tmp_path: Path) -> None:
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl", IDS)
    dat = Path(str(stem(root, 7)) + ".dat")  # one skipped record, in the middle shard
    dat.write_bytes(dat.read_bytes()[:3000])
    ref, out = tmp_path / "ref", tmp_path / "sharded"
    one = _proc(_args(root, ref), tmp_path, "0")
    assert one.returncode == 0, one.stderr
    for i in (2, 0, 1):  # three jobs, any order, each in its own folder as on three nodes
        node = tmp_path / f"node{i}"
        node.mkdir()
        workers = ["--workers", "2"] if i == 1 else []  # one shard with a pool
        res = _proc([*_args(root, out), "--shard", f"{i}/3", *workers], node, str(i + 1))
        assert res.returncode == 0, res.stderr
        assert f"shard {i}/3 done" in res.stdout
    merged = _proc([*_args(root, out), "--merge"], tmp_path, "7")
    assert merged.returncode == 0, merged.stderr
    names = _files(ref)
    assert names == _files(out) and "columns/ids.bin" in names and "columns/notes.json" in names
    for name in names:
        if name not in RUN_SPECIFIC:
            assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "build.json").read_text())["shards"] == 3
    assert json.loads((ref / "build.json").read_text())["shards"] is None
    assert not list(out.glob(".build-*"))


def test_slurm_array_script_submits_and_runs_shards_then_merge(tmp_path: Path) -> None:
    """scripts/slurm_prepare_array.sh: ``submit`` makes an array of N and a merge after it
    (a stand-in ``sbatch`` records the calls); each array task and the merge, run as SLURM
    would run them, build a cache equal to one process's."""
    script = REPO / "scripts" / "slurm_prepare_array.sh"
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "sbatch").write_text('#!/bin/sh\necho "$@" >> "$SBATCH_LOG"\necho 4242\n')
    (bin_ / "sbatch").chmod(0o755)
    out, ref = tmp_path / "cache", tmp_path / "ref"
    prep = f"synthetic --n 6 --out {out}"
    env = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}", "SHARDS": "3",
           "PREPARE_ARGS": prep, "SBATCH_LOG": str(tmp_path / "sbatch.log"),
           "PYTHON": sys.executable, "SLURM_SUBMIT_DIR": str(REPO), "CPUS": "1"}  # fmt: skip

    def sh(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(script), *args], env={**env, **extra}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip

    sub = sh("submit")
    assert sub.returncode == 0, sub.stderr
    calls = (tmp_path / "sbatch.log").read_text().splitlines()
    assert len(calls) == 2 and "--array=0-2" in calls[0] and calls[0].endswith(str(script))
    assert "--dependency=afterok:4242" in calls[1] and "MODE=merge" in calls[1]
    for i in (1, 0, 2):
        res = sh(SLURM_ARRAY_TASK_ID=str(i))
        assert res.returncode == 0, res.stderr
    res = sh(MODE="merge")
    assert res.returncode == 0, res.stderr
    one = _proc(["prepare", "synthetic", "--n", "6", "--out", str(ref), "--no-progress"],
                tmp_path, "0")  # fmt: skip
    assert one.returncode == 0, one.stderr
    assert _files(out) == _files(ref)
    for name in _files(ref):
        if name not in RUN_SPECIFIC:
            assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    nothing = sh(SLURM_ARRAY_TASK_ID="", PREPARE_ARGS=prep)
    assert nothing.returncode == 2 and "not an array task" in nothing.stderr
