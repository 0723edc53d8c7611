"""Pretraining: data order, schedule, exact resume after a stop, the loss falls on PTB-XL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.train.config import ConfigError, PretrainConfig, load_config
from merl_core.train.distributed import DistInfo
from merl_core.train.pretrain import StepBatches, lr_at, train
from tests.merl_core.tiny import TINY


def test_ranks_split_the_single_process_batch() -> None:
    class _Cache:
        reports = [f"r{i}" for i in range(40)]

    one = StepBatches(_Cache(), 40, 8, DistInfo(), 3, None)
    two = [StepBatches(_Cache(), 40, 4, DistInfo(rank=r, world_size=2), 3, None) for r in (0, 1)]
    for step in range(7):  # crosses an epoch boundary (5 steps per epoch)
        both = list(two[0].indices(step)) + list(two[1].indices(step))
        assert both == list(one.indices(step))
    epoch0 = sorted(i for s in range(5) for i in one.indices(s))
    assert epoch0 == list(range(40))  # drop_last: every record once per epoch
    assert list(one.indices(5)) != list(one.indices(0))  # reshuffled next epoch


def test_warmup_then_cosine() -> None:
    cfg = PretrainConfig(lr=1e-3, warmup_steps=4, min_lr=1e-5)
    lrs = [lr_at(cfg, s, 20) for s in range(20)]
    assert lrs[:4] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3])
    assert lrs[4] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs[4:], lrs[5:], strict=False))
    assert lrs[-1] > 1e-5 and lr_at(cfg, 20, 20) == pytest.approx(1e-5)


def test_config_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("model: vit1d-tiny\nbatch_size: 16\nmodel_overrides: {depth: 2}\n")
    cfg = load_config(path, ["lr=3e-4", "model_overrides.width=64"], batch_size=4)
    assert (cfg.model, cfg.batch_size, cfg.lr) == ("vit1d-tiny", 4, 3e-4)
    assert cfg.model_overrides == {"depth": 2, "width": 64}
    with pytest.raises(ConfigError, match="batch_size"):
        load_config(path, ["batch_size=0"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(path, ["lr"])


def _cfg(cache: Path, out: Path, **kw) -> PretrainConfig:
    base = {"model": "vit1d-tiny", "model_overrides": TINY, "cache": cache, "out": out,
            "limit": 24, "batch_size": 4, "epochs": 1, "ckpt_every": 2, "threads": 2,
            "progress": False, "tensorboard": False, "warmup_steps": 2, "lr": 3e-4}  # fmt: skip
    return PretrainConfig(**{**base, **kw})


@pytest.mark.slow
def test_resume_after_a_stop_gives_the_same_weights(ptbxl_cache: Path, tmp_path: Path) -> None:
    full = train(_cfg(ptbxl_cache, tmp_path / "full", max_steps=5))
    assert full["steps"] == 5 and not full["stopped"]
    stopped = train(_cfg(ptbxl_cache, tmp_path / "cut", max_steps=5, stop_after=3))
    assert stopped["stopped"]
    latest = (tmp_path / "cut" / "latest").read_text().strip()
    assert latest == "step_0000002"  # step 3 is lost, as in a crash
    result = CliRunner().invoke(app, ["pretrain", "--cache", str(ptbxl_cache), "--out",
        str(tmp_path / "cut"), "--max-steps", "5", "--resume", "auto", "--set",
        f"model_overrides={json.dumps(TINY)}", "--set", "model=vit1d-tiny", "--set", "limit=24",
        "--batch-size", "4", "--epochs", "1", "--set", "warmup_steps=2", "--set", "lr=3e-4",
        "--set", "threads=2", "--set", "progress=false", "--set", "tensorboard=false",
        "--set", "ckpt_every=2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '{"steps"' in result.output, result.output
    line = result.output[result.output.index('{"steps"') :].splitlines()[0]
    summary = json.loads(line)
    assert summary["start_step"] == 2 and summary["steps"] == 5
    a = load_file(str(tmp_path / "full" / "step_0000005" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "step_0000005" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs after resume"
    steps = [json.loads(x)["step"] for x in (tmp_path / "cut" / "metrics.jsonl").open()]
    assert steps == [1, 2, 3, 3, 4, 5]  # step 3 was redone from the step-2 checkpoint


def test_bad_inputs_exit_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["pretrain", "--cache", str(tmp_path / "none"), "--out",
                              str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "manifest.json" in res.output
    res = runner.invoke(app, ["pretrain", "--set", "model=resnet1d19", "--cache", str(tmp_path)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["pretrain", "--set", "bogus=1"])
    assert res.exit_code == 2 and "bogus" in res.output


@pytest.mark.slow
def test_resnet18_loss_falls_on_real_ptbxl(ptbxl_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "r18"
    summary = train(PretrainConfig(model="resnet1d18", cache=ptbxl_cache, out=out, limit=16,
                                   batch_size=4, epochs=6, lr=1e-3, warmup_steps=2, threads=2,
                                   progress=False, precision="fp32"))  # fmt: skip
    assert summary["steps"] == 24
    recs = [json.loads(x) for x in (out / "metrics.jsonl").open()]
    first = sum(r["loss"] for r in recs[:4]) / 4
    last = sum(r["loss"] for r in recs[-4:]) / 4
    assert last < 0.8 * first, (first, last)
    assert (out / "tensorboard").is_dir() and (out / "latest").read_text().strip()
