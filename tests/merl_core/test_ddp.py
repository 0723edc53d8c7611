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


def _gpu_backend_constructs_here() -> bool:
    """Whether a ``cpu:gloo,cuda:nccl`` group can be created on this machine (a CUDA build
    of torch creates NCCL communicators lazily, so even without a GPU)."""
    code = ("import os, torch.distributed as d; os.environ.update(MASTER_ADDR='127.0.0.1', "
            "MASTER_PORT='29517'); d.init_process_group('cpu:gloo,cuda:nccl', rank=0, "
            "world_size=1); d.destroy_process_group()")  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          timeout=120).returncode == 0  # fmt: skip


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gloo", "cpu:gloo,cuda:nccl"])
def test_pretrain_saves_and_resumes_every_ranks_rng(
    ptbxl_cache: Path, tmp_path: Path, backend: str,
) -> None:  # fmt: skip
    """The save/resume path under torchrun, with the process group a GPU run uses where this
    machine can create it: the RNG states (CPU tensors) travel through its gloo part."""
    import json

    from tests.merl_core import _pretrain_procs as procs

    if backend != "gloo" and not _gpu_backend_constructs_here():
        pytest.skip("this torch build cannot create a cpu:gloo,cuda:nccl group")
    out = tmp_path / "run"
    env = {"MERL_DIST_BACKEND": backend}
    args = procs.pretrain_args(ptbxl_cache, out, 4, "--device", "cpu", limit=16)
    res = procs.run(procs.torchrun([*args, "--stop-after", "3"]), **env)
    assert res.returncode == 0, res.stderr[-3000:]
    ckpt = procs.latest(out)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    assert state["step"] == 2 and state["world_size"] == 2
    assert state["numerics"]["backend"] == backend
    rng = load_file(str(ckpt / "state.safetensors"))
    assert {"rng/cpu/0", "rng/cpu/1"} <= rng.keys()
    assert not torch.equal(rng["rng/cpu/0"], rng["rng/cpu/1"])  # each rank its own dropout
    res = procs.run(procs.torchrun([*args, "--resume", "auto"]), **env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert procs.summary(res.stdout)["start_step"] == 2
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]  # rank 0 alone writes metrics; step 3 cut back and redone


def test_cpu_ranks_share_the_cores_under_torchrun() -> None:
    """torchrun sets OMP_NUM_THREADS=1 per rank; a CPU run then gives each rank its share of the
    cores instead, and leaves an explicit setting, CUDA and single-process runs alone."""
    from merl_core.train.pretrain import cpu_threads_per_rank

    torchrun = {"LOCAL_WORLD_SIZE": "2", "OMP_NUM_THREADS": "1"}
    assert cpu_threads_per_rank("cpu", torchrun, cores=16) == 8
    assert cpu_threads_per_rank("cpu", {**torchrun, "LOCAL_WORLD_SIZE": "4"}, cores=2) == 1
    assert cpu_threads_per_rank("cpu", {**torchrun, "OMP_NUM_THREADS": "3"}, cores=16) is None
    assert cpu_threads_per_rank("cpu", {"LOCAL_WORLD_SIZE": "1"}, cores=16) is None
    assert cpu_threads_per_rank("cpu", {}, cores=16) is None
    assert cpu_threads_per_rank("cuda", torchrun, cores=16) is None
