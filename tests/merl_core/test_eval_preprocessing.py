"""A model carries its preprocessing: loading a checkpoint (ours, or published weights
imported) gives the fs, length, normalisation, crop and lead order its input was prepared
with, and evaluation refuses a cache prepared otherwise with one line naming both values."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.leads import LEADS
from merl_core.data.preprocess import InputSpec, PreprocessConfig
from merl_core.eval.checks import PreprocessingMismatch, check_preprocessing
from tests.merl_core.tiny import TINY

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC_PROMPTS = REPO / "prompts" / "synthetic.json"
runner = CliRunner()


def _meta(**pre: object) -> dict:
    cfg = PreprocessConfig(**pre)  # type: ignore[arg-type]
    return {"fs": cfg.fs, "lead_order": list(LEADS), "preprocessing": cfg.to_dict()}


def test_the_spec_is_read_from_a_manifest_and_from_a_checkpoint_meta() -> None:
    cache = InputSpec.from_meta(_meta(fs=250, length=2500, normalize="zscore"))
    assert cache == InputSpec(250, 2500, "zscore", "start", LEADS)
    ckpt = {"leads": list(LEADS), "fs": 500, "preprocessing": PreprocessConfig().to_dict()}
    assert InputSpec.from_meta(ckpt) == InputSpec(500, 5000, "minmax", "start", LEADS)
    assert InputSpec.from_meta({"fs": 500}) is None  # a checkpoint that records nothing


def test_each_difference_is_named_with_both_values() -> None:
    model = SimpleNamespace(meta=_meta())
    cache = SimpleNamespace(meta=_meta(fs=250, normalize="zscore"), path=Path("/c/ptbxl"))
    with pytest.raises(PreprocessingMismatch) as err:
        check_preprocessing(model, cache, Path("/ck/step_1"))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("/c/ptbxl:")
    assert "fs 250, normalize zscore" in msg and "fs 500, normalize minmax" in msg
    assert "/ck/step_1" in msg
    swapped = _meta()
    swapped["lead_order"] = [*LEADS[:4], "aVF", "aVL", *LEADS[6:]]  # MIMIC-IV-ECG's order
    with pytest.raises(PreprocessingMismatch, match="leads I,II,III,aVR,aVF,aVL"):
        check_preprocessing(model, SimpleNamespace(meta=swapped, path="c"))
    # the same preprocessing but another crop (the published CPSC2018 protocol) passes
    check_preprocessing(model, SimpleNamespace(meta=_meta(crop="first2500"), path="c"))


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic set prepared as upstream does, and at 250 Hz with z-scores."""
    from merl_core.data.datasets import prepare

    tmp = tmp_path_factory.mktemp("prep")
    other = PreprocessConfig(fs=250, length=2500, normalize="zscore")
    return {
        "default": prepare("synthetic", None, tmp / "default", n=8, seed=0, progress=False),
        "other": prepare(
            "synthetic", None, tmp / "other", n=8, seed=0, cfg=other, progress=False
        ),  # fmt: skip
    }


def _zeroshot(ckpt: Path, data: Path, out: Path):
    return runner.invoke(app, [
        "zeroshot", "--prompts", str(SYNTHETIC_PROMPTS), "--checkpoint", str(ckpt),
        "--data", str(data), "--no-split", "--out", str(out), "--bootstrap", "10",
    ])  # fmt: skip


def _refused(res, cache: Path) -> None:
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    line = " ".join(res.output.split())  # the console wraps long lines
    for part in (str(cache), "fs 250, length 2500, normalize zscore",
                 "fs 500, length 5000, normalize minmax"):  # fmt: skip
        assert part in line, line


def test_our_checkpoint_refuses_a_cache_prepared_otherwise(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    from merl_core.data.cache import ECGCache
    from merl_core.models import create_model
    from merl_core.train.checkpoint import load_model, save_checkpoint
    from merl_core.train.pretrain import run_meta

    cache = ECGCache(caches["default"])
    model = create_model("vit1d-tiny", **TINY)
    meta = run_meta(SimpleNamespace(cache=caches["default"]), cache, len(cache))  # type: ignore[arg-type]
    ckpt = save_checkpoint(tmp_path / "ckpt", model, meta=meta)
    assert load_model(ckpt).input_spec == InputSpec(500, 5000, "minmax", "start", LEADS)
    _refused(_zeroshot(ckpt, caches["other"], tmp_path / "zs-other"), caches["other"])
    res = _zeroshot(ckpt, caches["default"], tmp_path / "zs")
    assert res.exit_code == 0, res.output


@pytest.mark.slow
def test_imported_published_weights_refuse_a_cache_prepared_otherwise(
    caches: dict[str, Path], tmp_path: Path, minilm_path: str
) -> None:
    from merl_core.train.checkpoint import load_model
    from tests.merl_core._upstream_ref import build_published, load_reference, save_published

    whole, _ = save_published(build_published(load_reference(), "resnet18", minilm_path),
                              tmp_path / "pub")  # fmt: skip
    res = runner.invoke(app, ["import-upstream", str(whole), "--out", str(tmp_path / "imp"),
                              "--text-encoder", minilm_path])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert load_model(tmp_path / "imp").input_spec == InputSpec(500, 5000, "minmax", "start",
                                                                LEADS)  # fmt: skip
    _refused(_zeroshot(tmp_path / "imp", caches["other"], tmp_path / "zs"), caches["other"])


def test_a_dataset_root_is_prepared_as_the_checkpoint_was_trained(
    ptbxl_root: Path, tmp_path: Path
) -> None:
    """Given a dataset root, not a cache, evaluation prepares it at the checkpoint's fs,
    length and normalisation (a folder of its own beside the default one)."""
    import json

    from merl_core.models import create_model
    from merl_core.train.checkpoint import save_checkpoint
    from tests.merl_core.test_data_cache import mini_ptbxl

    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl", tuple(range(1, 13)))
    trained = PreprocessConfig(fs=250, length=2500, normalize="zscore")
    model = create_model("vit1d-tiny", num_samples=2500, **TINY)
    meta = {"leads": list(LEADS), "fs": 250, "preprocessing": trained.to_dict()}
    ckpt = save_checkpoint(tmp_path / "ckpt", model, meta=meta)
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(REPO / "prompts" / "ptbxl.json"), "--checkpoint", str(ckpt),
        "--data", str(root), "--dataset", "ptbxl", "--task", "super", "--no-split",
        "--out", str(tmp_path / "runs" / "zs"), "--bootstrap", "10",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    (cache,) = (tmp_path / "runs" / "caches").iterdir()
    manifest = json.loads((cache / "manifest.json").read_text())
    assert manifest["fs"] == 250 and manifest["shape"][1:] == [12, 2500]
    assert manifest["preprocessing"]["normalize"] == "zscore"
