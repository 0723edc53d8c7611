"""A run folder has one owner (issue 27): an existing run is refused without --resume or
--overwrite, two runs cannot write one folder at once, links out of the folder are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.train import checkpoint as ckpt_io
from merl_core.train.run_folder import RunFolderError, claim, run_lock
from tests.merl_core.tiny import TINY

runner = CliRunner()
HOLD = """
import sys, time
from pathlib import Path
from merl_core.train.run_folder import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def _pretrain(cache: Path, out: Path, *extra: str):
    return runner.invoke(app, [
        "pretrain", "--cache", str(cache), "--model", "vit1d-tiny", "--out", str(out),
        "--set", f"model_overrides={json.dumps(TINY)}", "--set", "limit=16",
        "--set", "threads=2", "--set", "tensorboard=false", "--set", "progress=false",
        "--batch-size", "4", "--max-steps", "2", "--precision", "fp32", *extra,
    ])  # fmt: skip


def _one_line_exit2(res, *needles: str) -> str:
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


@pytest.mark.data
def test_a_second_run_into_a_run_folder_is_refused(ptbxl_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = _pretrain(ptbxl_cache, out)
    assert res.exit_code == 0, res.output
    before = (out / "metrics.jsonl").read_text()
    latest = (out / "latest").read_text()
    _one_line_exit2(_pretrain(ptbxl_cache, out), "holds a run", "--resume", "--overwrite")
    assert (out / "metrics.jsonl").read_text() == before  # nothing touched
    assert (out / "latest").read_text() == latest
    _one_line_exit2(_pretrain(ptbxl_cache, out, "--resume", "auto", "--overwrite"), "exclude")
    (out / "notes.txt").write_text("mine")
    res = _pretrain(ptbxl_cache, out, "--overwrite", "--max-steps", "1")
    assert res.exit_code == 0, res.output
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").open()]
    assert steps == [1] and [p.name for p in ckpt_io.step_folders(out)] == ["step_0000001"]
    assert (out / "notes.txt").read_text() == "mine"  # only the run's own files replaced


def test_two_runs_cannot_hold_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderError, match="another run is writing"):
            with run_lock(out):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:  # the kernel released the dead holder's lock
        try:
            with run_lock(out):
                break
        except RunFolderError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert [p.name for p in out.iterdir()] == []  # no lock file left in the run folder


def test_links_out_of_the_run_folder_are_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    (elsewhere / "step_0000009").mkdir(parents=True)
    (elsewhere / "latest").write_text("step_0000009\n")
    out.mkdir()
    (out / "step_0000009").symlink_to(elsewhere / "step_0000009")
    with pytest.raises(RunFolderError, match="symbolic link"):
        claim(out, "auto", False)
    with pytest.raises(ckpt_io.CheckpointError, match="symbolic link"):
        ckpt_io.find_resume_point(out)
    with pytest.raises(ckpt_io.CheckpointError, match="symbolic link"):
        ckpt_io.write_latest(out, out / "step_0000009", keep_last=1)
    assert (elsewhere / "step_0000009").is_dir()  # pruning never reached outside
    (out / "step_0000009").unlink()
    (out / "step_0000009").mkdir()
    (out / "latest").symlink_to(elsewhere / "latest")
    with pytest.raises(RunFolderError, match="symbolic link"):
        claim(out, "auto", False)
    with pytest.raises(ckpt_io.CheckpointError, match="symbolic link"):
        ckpt_io.read_latest(out)
