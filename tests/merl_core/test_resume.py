"""Resume rules: settings must match, metrics cut back, damaged newest → previous checkpoint,
non-finite losses stop the run, a finished run stays untouched, one-line checkpoint errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ckepe.fileio import sha256_file
from merl_core.cli import app
from merl_core.train import checkpoint as ckpt_io
from merl_core.train.config import PretrainConfig
from merl_core.train.distributed import DistInfo
from merl_core.train.pretrain import NonFiniteLoss, StepBatches, train
from merl_core.train.resume import ResumeMismatch
from tests.merl_core import _pretrain_procs as procs
from tests.merl_core.tiny import TINY

pytestmark = pytest.mark.data


def _cfg(cache: Path, out: Path, **kw) -> PretrainConfig:
    base = {"model": "vit1d-tiny", "model_overrides": TINY, "cache": cache, "out": out,
            "limit": 24, "batch_size": 4, "epochs": 1, "ckpt_every": 2, "threads": 2,
            "progress": False, "tensorboard": False, "warmup_steps": 2, "lr": 3e-4,
            "precision": "fp32", "max_steps": 6}  # fmt: skip
    return PretrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def reference(ptbxl_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted 6-step run."""
    out = tmp_path_factory.mktemp("ref") / "run"
    assert train(_cfg(ptbxl_cache, out))["steps"] == 6
    return out


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(folder)): (sha256_file(p), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_finished_run_resumed_is_a_no_op(reference: Path, ptbxl_cache: Path) -> None:
    before = _snapshot(reference)
    summary = train(_cfg(ptbxl_cache, reference, resume="auto"))
    assert summary["start_step"] == 6 and summary["steps"] == 6
    assert summary["checkpoint"].endswith("step_0000006")
    assert _snapshot(reference) == before  # checkpoint_sha256 and every other file unchanged


def test_damaged_newest_checkpoint_falls_back_to_the_previous(
    reference: Path, ptbxl_cache: Path, tmp_path: Path,
) -> None:  # fmt: skip
    out = tmp_path / "cut"
    assert train(_cfg(ptbxl_cache, out, stop_after=5))["stopped"] is True
    assert procs.latest(out).name == "step_0000004"
    newest = out / "step_0000004" / "model.safetensors"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # a torn copy
    (out / ".step_0000006.tmp-99999").mkdir()  # left by a killed run
    summary = train(_cfg(ptbxl_cache, out, resume="auto"))
    assert summary["start_step"] == 2 and summary["steps"] == 6
    procs.assert_same_weights(reference / "step_0000006", out / "step_0000006")
    assert not (out / ".step_0000006.tmp-99999").exists()
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").open()]
    assert steps == [1, 2, 3, 4, 5, 6]  # records after the resumed step were cut, then redone


def test_a_flipped_byte_is_caught_by_the_saved_hash(reference: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "step_0000006"
    shutil.copytree(reference / "step_0000006", ckpt)
    ckpt_io.verify_checkpoint(ckpt)
    state = ckpt / "state.safetensors"
    data = bytearray(state.read_bytes())
    data[-3] ^= 0xFF
    state.write_bytes(bytes(data))
    with pytest.raises(ckpt_io.CheckpointError, match="state.safetensors: damaged"):
        ckpt_io.verify_checkpoint(ckpt)


def test_other_settings_are_refused_unless_forced(
    reference: Path, ptbxl_cache: Path, tmp_path: Path,
) -> None:  # fmt: skip
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    with pytest.raises(ResumeMismatch, match=r"batch_size: checkpoint 4, now 3.*--resume force"):
        train(_cfg(ptbxl_cache, out, resume="auto", batch_size=3, max_steps=8))
    res = _invoke(*procs.pretrain_args(ptbxl_cache, out, 8, "--resume", "auto", limit=24))
    assert res.exit_code == 2 and "cannot resume with other settings" in res.output
    assert "Traceback" not in res.output and "batch_size: checkpoint 4, now 2" in res.output
    summary = train(_cfg(ptbxl_cache, out, resume="force", batch_size=3, max_steps=8))
    assert summary["start_step"] == 6 and summary["steps"] == 8


def _poison(cache: Path, out: Path, rows: np.ndarray) -> Path:
    shutil.copytree(cache, out)
    sig = np.load(out / "signals.npy", mmap_mode="r+")
    sig[rows] = np.nan
    sig.flush()
    return out


def test_nonfinite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(
    ptbxl_cache: Path, tmp_path: Path,
) -> None:  # fmt: skip
    step3 = StepBatches(ptbxl_cache, 24, 4, DistInfo(), 42, None).indices(2)
    bad = _poison(ptbxl_cache, tmp_path / "nan-cache", step3)
    out = tmp_path / "nan"
    with pytest.raises(NonFiniteLoss, match=r"step 3 .*step_0000002\) is kept"):
        train(_cfg(bad, out))
    assert procs.latest(out).name == "step_0000002" and not (out / "step_0000004").exists()
    res = _invoke(*procs.pretrain_args(bad, tmp_path / "nan2", 6), "--batch-size", "4")
    assert res.exit_code == 1 and "non-finite loss at step 3" in res.output
    summary = train(_cfg(bad, tmp_path / "skip", skip_nonfinite=1))
    assert summary["steps"] == 6 and summary["stopped"] is False
    recs = [json.loads(x) for x in (tmp_path / "skip" / "metrics.jsonl").open()]
    assert [r["skipped"] for r in recs] == [0, 0, 1, 0, 0, 0] and recs[2]["loss"] is None


def test_checkpoint_and_latest_errors_are_one_line(
    reference: Path, ptbxl_cache: Path, tmp_path: Path,
) -> None:  # fmt: skip
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    (out / "latest").write_text("../../elsewhere\n")
    res = _invoke("export", str(out), str(tmp_path / "enc"))
    assert res.exit_code == 2 and "not a checkpoint inside the run folder" in res.output
    res = _invoke(*procs.pretrain_args(ptbxl_cache, out, 8, "--resume", "auto"))
    assert res.exit_code == 2 and "not a checkpoint inside the run folder" in res.output
    (out / "latest").write_text("step_0000006\n")
    for ckpt in ckpt_io.step_folders(out):
        f = ckpt / "model.safetensors"
        f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(ckpt_io.CheckpointError, match="truncated or damaged safetensors"):
        ckpt_io.load_model(out)
    res = _invoke("export", str(out), str(tmp_path / "enc"))
    assert res.exit_code == 2 and "truncated or damaged" in res.output
    assert len(res.output.strip().splitlines()) == 1
    enc = tmp_path / "enc-ok"
    ckpt_io.export_ecg_encoder(reference, enc)
    with pytest.raises(ckpt_io.CheckpointError, match="not a training checkpoint"):
        ckpt_io.verify_checkpoint(enc)


def test_bad_set_key_is_named_as_a_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("batch_size: 8\n")
    res = _invoke("pretrain", "--config", str(cfg), "--set", "batchsize=64")
    assert res.exit_code == 2
    msg = "--set batchsize=64: unknown setting 'batchsize' (did you mean batch_size?)"
    assert msg in res.output
    assert str(cfg) not in res.output
    res = _invoke("pretrain", "--config", str(cfg), "--set", "batch_size=0")
    assert res.exit_code == 2 and "--set batch_size:" in res.output and str(cfg) not in res.output
    res = _invoke("pretrain", "--config", str(cfg), "--batch-size", "0")
    assert res.exit_code == 2 and "--batch-size:" in res.output


def test_free_space_is_checked_before_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ckpt_io.CheckpointError, match="not enough free space"):
        ckpt_io.ensure_free_space(tmp_path / "run", 1 << 62)
    ckpt_io.ensure_free_space(tmp_path / "run", 1024)


def test_checkpoint_files_are_fsynced(reference: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    model = ckpt_io.load_model(reference)
    ckpt_io.save_checkpoint(tmp_path / "step_0000001", model, trainer_state={"step": 1})
    names = {Path(p).name for p in synced}
    assert {"model.safetensors", "state.safetensors"} <= names
    assert str(tmp_path) in synced  # the folder holding the renamed checkpoint


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".step_0000004.tmp-123").mkdir()
    (tmp_path / ".step_0000002.old-9").mkdir()
    (tmp_path / ".latest.abc.tmp").write_text("x")
    (tmp_path / "step_0000002").mkdir()
    removed = ckpt_io.clean_stale(tmp_path)
    assert len(removed) == 3 and [p.name for p in tmp_path.iterdir()] == ["step_0000002"]


def test_latest_naming_a_missing_folder_falls_back(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    shutil.rmtree(out / "step_0000006")  # e.g. removed by hand, latest not updated
    assert ckpt_io.find_resume_point(out) == out / "step_0000004"
