"""The public trainer API drives the same steps as ``merl-core pretrain``'s loop."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from merl_core.train.config import PretrainConfig
from merl_core.train.trainer import PretrainError, Trainer, train
from tests.merl_core.tiny import TINY


def _cfg(cache: Path, out: Path) -> PretrainConfig:
    return PretrainConfig(model="vit1d-tiny", model_overrides=TINY, cache=cache, out=out,
                          batch_size=4, max_steps=2, warmup_steps=1, lr=1e-3, seed=3,
                          precision="fp32", progress=False, tensorboard=False)  # fmt: skip


def test_trainer_steps_give_the_loop_s_weights(synthetic_cache: Path, tmp_path: Path) -> None:
    summary = train(_cfg(synthetic_cache, tmp_path / "loop"))
    trainer = Trainer(_cfg(synthetic_cache, tmp_path / "api"))
    assert (trainer.start_step, trainer.total_steps) == (0, summary["steps"]) == (0, 2)
    losses = []
    for step in range(trainer.total_steps):
        rec = trainer.step(trainer.batch(step))
        assert set(rec) >= {"loss", "cma", "uma", "grad_norm", "lr"}
        losses.append(rec["loss"])
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] == pytest.approx(summary["final"]["loss"], rel=1e-4)
    saved = trainer.save(trainer.total_steps)
    assert saved is not None and saved.name == "step_0000002"
    ours = load_file(str(saved / "model.safetensors"))
    loop = load_file(str(Path(summary["checkpoint"]) / "model.safetensors"))
    assert ours.keys() == loop.keys()
    for key, value in loop.items():
        torch.testing.assert_close(ours[key], value, rtol=1e-4, atol=1e-6, msg=key)


def test_trainer_refuses_a_cache_without_reports(tmp_path: Path) -> None:
    with pytest.raises(PretrainError, match="--cache"):
        Trainer(PretrainConfig(model="vit1d-tiny", cache=None, out=tmp_path))
