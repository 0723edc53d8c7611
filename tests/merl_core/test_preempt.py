"""Preemption and kills: SIGTERM saves the step reached and exits cleanly; SIGKILL at random
points loses at most the steps since the last checkpoint; either way the resumed 2-process
gloo run ends with bit-identical weights."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from merl_core.train.preempt import CheckpointClock, StopSignals
from tests.merl_core import _pretrain_procs as procs

STEPS = 8


def test_stop_signals_are_recorded_and_handlers_restored() -> None:
    before = signal.getsignal(signal.SIGUSR1)
    with StopSignals() as stop:
        assert stop.received is None
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)  # the first signal is the one kept
        time.sleep(0.01)
        assert stop.received == signal.SIGUSR1
    assert signal.getsignal(signal.SIGUSR1) == before


def test_checkpoint_clock() -> None:
    assert not CheckpointClock(0).due()
    clock = CheckpointClock(0.5 / 60_000)  # half a millisecond
    time.sleep(0.01)
    assert clock.due()
    clock.reset()
    assert not CheckpointClock(10).due()


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        for child in map(int, text.split()):
            out += [child, *_children(child)]
    return out


def _signal_all(proc, sig: signal.Signals) -> None:
    """As SLURM does: the signal to every process of the step (launcher and workers)."""
    for pid in [*_children(proc.pid), proc.pid]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


@pytest.mark.data
def test_wall_clock_checkpoints(ptbxl_cache: Path, tmp_path: Path) -> None:
    from merl_core.train.config import PretrainConfig
    from merl_core.train.pretrain import train
    from tests.merl_core.tiny import TINY

    out = tmp_path / "run"
    cfg = PretrainConfig(model="vit1d-tiny", model_overrides=TINY, cache=ptbxl_cache, out=out,
                         limit=16, batch_size=4, max_steps=3, ckpt_every=0, threads=2,
                         ckpt_every_minutes=1e-9, progress=False, tensorboard=False,
                         precision="fp32")  # fmt: skip
    train(cfg)
    assert [p.name for p in sorted(out.glob("step_*"))] == ["step_0000002", "step_0000003"]
    without = tmp_path / "end-only"
    train(cfg.model_copy(update={"out": without, "ckpt_every_minutes": 0}))
    assert [p.name for p in without.glob("step_*")] == ["step_0000003"]


@pytest.fixture(scope="module")
def reference(ptbxl_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted 2-process run of STEPS steps."""
    out = tmp_path_factory.mktemp("ddp-ref") / "run"
    res = procs.run(procs.torchrun(procs.pretrain_args(ptbxl_cache, out, STEPS)))
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.mark.data
@pytest.mark.slow
def test_sigterm_saves_the_step_reached_and_resume_continues(
    reference: Path, ptbxl_cache: Path, tmp_path: Path,
) -> None:  # fmt: skip
    out = tmp_path / "run"
    args = procs.pretrain_args(ptbxl_cache, out, STEPS, "--ckpt-every", "0")
    proc = procs.start(procs.torchrun(args))
    procs.wait_for_step(out, 2, proc)
    _signal_all(proc, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert "SIGTERM at step" in err, err[-3000:]
    ckpt = procs.latest(out)
    step = json.loads((ckpt / "trainer_state.json").read_text())["step"]
    metrics = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert 2 <= step < STEPS and metrics[-1] == step  # saved at the step reached, none lost
    res = procs.run(procs.torchrun(procs.pretrain_args(ptbxl_cache, out, STEPS, "--resume",
                                                       "auto")))  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert procs.summary(res.stdout)["start_step"] == step
    procs.assert_same_weights(procs.latest(reference), procs.latest(out))


@pytest.mark.data
@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_gives_identical_weights(
    reference: Path, ptbxl_cache: Path, tmp_path: Path, random_seed: int,
) -> None:  # fmt: skip
    out = tmp_path / "run"
    rng = random.Random(random_seed)  # printed; MERL_TEST_SEED replays it
    args = procs.pretrain_args(ptbxl_cache, out, STEPS, "--resume", "auto")
    done = 0
    for _ in range(3):
        if done >= STEPS:  # the last kill landed after the final checkpoint: nothing to resume
            break
        began = time.time()
        proc = procs.start(procs.torchrun(args))
        target = rng.randint(min(done + 1, STEPS - 1), STEPS - 1)
        procs.wait_for_step(out, target, proc, since=began)
        time.sleep(rng.uniform(0, 0.5))  # mid-step, mid-checkpoint or between
        _signal_all(proc, signal.SIGKILL)
        proc.communicate(timeout=60)
        done = (
            int(json.loads((procs.latest(out) / "trainer_state.json").read_text())["step"])
            if (out / "latest").exists()
            else 0
        )
    res = procs.run(procs.torchrun(args))
    assert res.returncode == 0, res.stderr[-3000:]
    procs.assert_same_weights(procs.latest(reference), procs.latest(out))
    metrics = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert metrics == list(range(1, STEPS + 1))
