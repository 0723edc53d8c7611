"""Launch real pretraining processes (one, torchrun or srun-style) for resume/preempt tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from tests.merl_core.tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
MAIN = Path(__file__).with_name("_pretrain_main.py")
_LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                "MASTER_PORT", "TORCHELASTIC_RUN_ID", "GROUP_RANK")  # fmt: skip


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without launcher variables, offline, one thread per process."""
    env = {k: v for k, v in os.environ.items()
           if k not in _LAUNCH_VARS and not k.startswith("SLURM_")}  # fmt: skip
    env.update({"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)})  # fmt: skip
    env.update(extra)
    return env


def pretrain_args(cache: Path, out: Path, steps: int, *extra: str, limit: int = 24) -> list[str]:
    """CLI arguments of a tiny, fast, fp32 run (batch 2 per process, a checkpoint every 2)."""
    return ["pretrain", "--cache", str(cache), "--out", str(out), "--max-steps", str(steps),
            "--batch-size", "2", "--epochs", "4", "--ckpt-every", "2", "--precision", "fp32",
            "--set", "model=vit1d-tiny", "--set", f"model_overrides={json.dumps(TINY)}",
            "--set", f"limit={limit}", "--set", "threads=1", "--set", "progress=false",
            "--set", "tensorboard=false", "--set", "warmup_steps=2", "--set", "lr=3e-4",
            *extra]  # fmt: skip


def one(args: list[str]) -> list[str]:
    """Command for one process."""
    return [sys.executable, str(MAIN), *args]


def torchrun(args: list[str], nproc: int = 2) -> list[str]:
    """Command for ``nproc`` gloo processes under torchrun."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", str(MAIN), *args]  # fmt: skip


def run(cmd: list[str], timeout: int = 240, **env: str) -> subprocess.CompletedProcess:
    """Run to the end; returns the finished process (output captured)."""
    return subprocess.run(cmd, env=clean_env(**env), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def start(cmd: list[str], **env: str) -> subprocess.Popen:
    """Start in its own session (so a kill reaches it and its children alone)."""
    return subprocess.Popen(cmd, env=clean_env(**env), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip


def wait_for_step(out: Path, step: int, proc: subprocess.Popen, timeout: float = 180,
                  since: float = 0.0) -> int:  # fmt: skip
    """Block until ``metrics.jsonl`` (written after ``since``) has reached ``step``; returns
    the step seen."""
    end = time.monotonic() + timeout
    path = out / "metrics.jsonl"
    while time.monotonic() < end:
        if path.exists() and path.stat().st_mtime >= since:
            steps = [json.loads(x)["step"] for x in path.read_text().splitlines() if x.strip()]
            if steps and steps[-1] >= step:
                return steps[-1]
        if proc.poll() is not None:
            err = proc.stderr.read()[-2000:] if proc.stderr else ""
            raise AssertionError(f"run ended early ({proc.returncode}): {err}")
        time.sleep(0.05)
    raise AssertionError(f"no step {step} within {timeout} s")


def weights(folder: Path) -> dict[str, torch.Tensor]:
    """The model weights of a checkpoint folder."""
    return load_file(str(folder / "model.safetensors"))


def assert_same_weights(a: Path, b: Path) -> None:
    """Bit-identical model weights in two checkpoint folders."""
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), f"{key} differs: {a} vs {b}"


def latest(out: Path) -> Path:
    """The checkpoint ``out/latest`` names."""
    return out / (out / "latest").read_text().strip()


def summary(output: str) -> dict:
    """The JSON summary line ``pretrain`` prints."""
    line = next(x for x in output.splitlines() if x.startswith('{"steps"'))
    return json.loads(line)
