"""scripts/gpu_smoke.sh: on a machine without CUDA it stops at once with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.merl_core._pretrain_procs import clean_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible: run the script itself")
def test_gpu_smoke_without_cuda_exits_2_with_a_message(tmp_path: Path) -> None:
    env = clean_env(PYTHON=sys.executable, GPU_SMOKE_OUT=str(tmp_path / "out"))
    res = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_smoke.sh")], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "no CUDA GPU visible to torch" in res.stderr and "run it on a GPU node" in res.stderr
    assert not (tmp_path / "out").exists()  # nothing started


def test_cuda_device_without_a_gpu_is_one_error() -> None:
    from merl_core.train.distributed import LaunchError, init_distributed

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(LaunchError, match="torch sees no GPU"):
        init_distributed("cuda", env={})
