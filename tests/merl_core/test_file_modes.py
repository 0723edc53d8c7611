"""Results and checkpoints are readable by colleagues: files get the user's umask, not 0600."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from merl_core.eval.metrics import evaluate
from merl_core.eval.report import TaskOutput, write_run
from merl_core.models import create_model
from merl_core.train.checkpoint import save_checkpoint
from tests.merl_core.tiny import TINY


@pytest.fixture(params=[0o022, 0o027])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mode & 0o777
            for p in folder.rglob("*") if p.is_file()}  # fmt: skip


def test_run_folder_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((40, 2)) < 0.5).astype(float)
    s = rng.random((40, 2))
    task = TaskOutput("demo-task", evaluate(y, s, ["A", "B"], n_bootstrap=20), y, s)
    write_run(tmp_path / "run", {"mode": "test"}, [task])
    modes = _modes(tmp_path / "run")
    assert "metrics.json" in modes and "metrics.md" in modes
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_checkpoint_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    model = create_model("vit1d-tiny", **TINY)
    save_checkpoint(tmp_path / "ckpt", model)
    modes = _modes(tmp_path / "ckpt")
    assert any(name.endswith(".safetensors") for name in modes)
    assert set(modes.values()) == {0o666 & ~umask}, modes
