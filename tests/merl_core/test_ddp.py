"""Two torchrun processes (gloo, CPU) × B pairs = one process × 2B pairs, loss and gradients."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

SCRIPT = Path(__file__).with_name("ddp_grad_check.py")
ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], timeout: int = 240) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm().clamp_min(1e-12)).item()


@pytest.mark.slow
def test_two_process_gather_equals_one_process_doubled_batch(
    ptbxl_cache: Path,
    tmp_path: Path,
) -> None:
    single, double = tmp_path / "single.safetensors", tmp_path / "ddp.safetensors"
    args = ["--cache", str(ptbxl_cache), "--global-batch", "8"]
    _run([sys.executable, str(SCRIPT), *args, "--out", str(single)])
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
          str(SCRIPT), *args, "--out", str(double)])  # fmt: skip
    one, two = load_file(str(single)), load_file(str(double))
    assert one.keys() == two.keys()
    assert two["grad/loss"].item() == pytest.approx(one["grad/loss"].item(), rel=1e-5)
    grads = [k for k in one if k.startswith("grad/") and k != "grad/loss"]
    assert any(".ecg." in k or k.startswith("grad/ecg.") for k in grads)
    assert any(k.startswith("grad/text.") for k in grads)
    for key in grads:
        assert _rel(two[key], one[key]) < 1e-3, f"{key}: DDP gradient differs"
    # The published trainer's gather (no gradient through other ranks' features) does not:
    # its encoder gradients come out about world-size times too small.
    ecg_key = "nograd/ecg.patch.weight"
    assert _rel(two[ecg_key], one[ecg_key]) > 0.2


@pytest.mark.slow
def test_pretrain_cli_runs_unchanged_under_torchrun(ptbxl_cache: Path, tmp_path: Path) -> None:
    import json
    import shutil

    out = tmp_path / "run"
    tiny = {"width": 64, "depth": 1, "heads": 1, "mlp_dim": 128, "text_freeze_embeddings": True}
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
          "--no-python", shutil.which("merl-core") or "merl-core", "pretrain",
          "--cache", str(ptbxl_cache), "--out", str(out), "--max-steps", "2",
          "--batch-size", "2", "--set", "model=vit1d-tiny", "--set",
          f"model_overrides={json.dumps(tiny)}", "--set", "limit=16", "--set", "threads=1",
          "--set", "progress=false"])  # fmt: skip
    ckpt = out / (out / "latest").read_text().strip()
    state = json.loads((ckpt / "trainer_state.json").read_text())
    assert state["step"] == 2 and state["world_size"] == 2
    rng = load_file(str(ckpt / "state.safetensors"))
    assert {"rng/cpu/0", "rng/cpu/1"} <= rng.keys()
    assert not torch.equal(rng["rng/cpu/0"], rng["rng/cpu/1"])  # each rank its own dropout
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # rank 0 alone writes metrics
