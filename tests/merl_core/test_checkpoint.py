"""Checkpoints: safetensors + JSON round trip, export of the ECG encoder, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.models import create_model
from merl_core.train.checkpoint import (
    CheckpointError,
    export_ecg_encoder,
    load_model,
    load_training_state,
    save_checkpoint,
)
from tests.merl_core.tiny import TINY

REPORTS = ["sinus rhythm. normal ecg.", "atrial fibrillation. left axis deviation."]


@pytest.fixture(scope="module")
def records(ptbxl_cache: Path) -> torch.Tensor:
    from merl_core.data.cache import ECGCache

    return torch.from_numpy(ECGCache(ptbxl_cache).batch([3, 4]))


@pytest.fixture(scope="module")
def trained(records: torch.Tensor, tmp_path_factory: pytest.TempPathFactory):
    """A tiny model after one AdamW step, saved with its optimizer state."""
    from merl_core.train.loss import MERLLoss

    torch.manual_seed(1)
    model = create_model("vit1d-tiny", **TINY)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    MERLLoss()(model(records, REPORTS))["loss"].backward()
    opt.step()
    model.eval()
    path = tmp_path_factory.mktemp("ckpt") / "step_0000001"
    meta = {"leads": ["I", "II"], "fs": 500, "label_names": ["NORM"]}
    save_checkpoint(path, model, meta=meta, optimizer=opt, trainer_state={"step": 1},
                    rng_tensors={"rng/cpu/0": torch.get_rng_state()})  # fmt: skip
    return model, opt, path


def test_round_trip_gives_the_same_embeddings(trained, records: torch.Tensor) -> None:
    model, _, path = trained
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json", "model.safetensors", "state.safetensors", "trainer_state.json"]  # fmt: skip
    loaded = load_model(path).eval()
    with torch.no_grad():
        assert torch.allclose(loaded.encode_ecg(records), model.encode_ecg(records), atol=1e-6)
        assert torch.allclose(loaded.encode_text(REPORTS), model.encode_text(REPORTS), atol=1e-6)
    assert loaded.meta["fs"] == 500 and loaded.meta["label_names"] == ["NORM"]
    doc = json.loads((path / "config.json").read_text())
    assert doc["model"]["ecg"]["width"] == 64 and doc["components"] == ["ecg", "text"]


def test_optimizer_state_round_trip(trained) -> None:
    model, opt, path = trained
    fresh = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    state, rng = load_training_state(path, fresh)
    assert state["step"] == 1 and "rng/cpu/0" in rng
    a, b = opt.state_dict(), fresh.state_dict()
    assert a["param_groups"][0]["lr"] == b["param_groups"][0]["lr"]
    for pid, st in a["state"].items():
        assert torch.equal(st["exp_avg_sq"], b["state"][pid]["exp_avg_sq"])


def test_export_keeps_the_ecg_encoder_alone(trained, records, tmp_path: Path) -> None:
    model, _, path = trained
    result = CliRunner().invoke(app, ["export", str(path), str(tmp_path / "enc")])
    assert result.exit_code == 0, result.output
    enc = load_model(tmp_path / "enc").eval()
    assert enc.text is None
    with torch.no_grad():
        assert torch.allclose(enc.encode_ecg(records), model.encode_ecg(records), atol=1e-6)
    with pytest.raises(RuntimeError, match="no text encoder"):
        enc.encode_text(["x"])
    size = (tmp_path / "enc" / "model.safetensors").stat().st_size
    assert size < (path / "model.safetensors").stat().st_size / 4


def test_bad_checkpoints_fail_with_the_path(trained, tmp_path: Path) -> None:
    _, _, path = trained
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_model(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    doc = json.loads((path / "config.json").read_text())
    doc["model"]["ecg"]["width"] = 32
    (broken / "config.json").write_text(json.dumps(doc))
    (broken / "model.safetensors").write_bytes((path / "model.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="broken.*size mismatch"):
        load_model(broken)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "nowhere"), str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a checkpoint" in result.output
    assert not (tmp_path / "o").exists()


def test_export_of_a_directory_can_be_replaced_atomically(trained, tmp_path: Path) -> None:
    _, _, path = trained
    export_ecg_encoder(path, tmp_path / "enc")
    export_ecg_encoder(path, tmp_path / "enc")  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc"]  # no temp folders left
