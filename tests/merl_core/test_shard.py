"""Sharded prepare + merge = the unsharded cache byte for byte; one writer per folder; stale
build folders removed; a free-space check before any byte is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.buildfs import InsufficientSpaceError, folder_lock
from merl_core.data.datasets import prepare
from merl_core.data.preprocess import PreprocessConfig
from tests.merl_core.test_data_cache import mini_ptbxl, stem

IDS = tuple(range(1, 15))


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
    for name in ("signals.npy", "manifest.json"):
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
