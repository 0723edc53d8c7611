"""Published MERL weights: built by the published code, saved as its trainer does, imported,
and scored by both sides on real PTB-XL records (issue 12)."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from merl_core.cli import app
from tests._numerics import network_error_bound, relative_error_bound, unit_norm_bound
from tests.merl_core._upstream_ref import (
    build_published,
    load_reference,
    published_backbone_features,
    published_scores,
    save_published,
)

pytestmark = [pytest.mark.data, pytest.mark.slow]
runner = CliRunner()
SUPER_TEXTS = {"NORM": "Normal ECG", "MI": "Myocardial Infarction",
               "STTC": "ST/T change, T wave inversion", "CD": "Conduction Disturbance",
               "HYP": "Left ventricular HYPERTROPHY"}  # fmt: skip
ARCHS = {"resnet1d18": "resnet18", "vit1d-tiny": "vit_tiny"}
TOKENS = {"resnet1d18": 314, "vit1d-tiny": 100}  # attention length: 313 + CLS; 5000 / 50


@pytest.fixture(scope="module")
def ref() -> dict:
    return load_reference()


@pytest.fixture(scope="module")
def cache(ptbxl_cache: Path) -> Path:
    """The session's PTB-XL sample cache (all folds: the probe needs train/val/test)."""
    return ptbxl_cache


@pytest.fixture(scope="module", params=list(ARCHS))
def published(request: pytest.FixtureRequest, ref: dict, minilm_path: str,
              tmp_path_factory: pytest.TempPathFactory) -> dict:  # fmt: skip
    arch = request.param
    model = build_published(ref, ARCHS[arch], minilm_path)
    whole, enc = save_published(model, tmp_path_factory.mktemp(f"pub-{arch}"))
    return {"arch": arch, "model": model, "whole": whole, "encoder": enc}


def _import(pth: Path, out: Path, *extra: str):
    return runner.invoke(app, ["import-upstream", str(pth), "--out", str(out), *extra])


def test_zeroshot_reproduces_published_scores(published: dict, ref: dict, cache: Path,
                                              minilm_path: str, splits_root: Path,
                                              tmp_path: Path) -> None:  # fmt: skip
    ckpt = tmp_path / "imported"
    res = _import(published["whole"], ckpt, "--text-encoder", minilm_path)
    assert res.exit_code == 0, res.output
    doc = json.loads((ckpt / "config.json").read_text())
    src = doc["meta"]["source"]
    assert doc["model"]["name"] == published["arch"]  # --arch inferred from the keys
    assert src["format"] == "MERL-ICML2024" and src["file"] == "merl_ckpt.pth"
    from ckepe.fileio import sha256_file

    assert src["sha256"] == sha256_file(published["whole"])
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(SUPER_TEXTS))
    out = tmp_path / "zs"
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(flat), "--checkpoint", str(ckpt), "--data", str(cache),
        "--dataset", "ptbxl", "--task", "super", "--bootstrap", "0", "--out", str(out),
        "--split-file", str(splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    npz = np.load(out / "scores_ptbxl-super.npz")
    labels = [str(x) for x in npz["labels"]]
    from merl_core.data.cache import ECGCache

    c = ECGCache(cache)
    rows = [c.ids.index(str(i)) for i in npz["ids"]]
    assert len(rows) == len(npz["scores"]) > 20
    expect = published_scores(ref, published["model"], [SUPER_TEXTS[k] for k in labels],
                              np.asarray(c.signals[sorted(rows)]))  # fmt: skip
    order = np.argsort(np.argsort(rows))
    diff = np.abs(npz["scores"] - expect[order]).max()
    from merl_core.train.checkpoint import load_model

    ecg = load_model(ckpt).eval()
    # a score is the cosine of an ECG and a class direction: each direction within twice its
    # embedding's relative fp32 error (two runs, quadrature over the network's products;
    # prompts within the text encoder's max_length tokens), the cosine's own sum rounding
    tokens = TOKENS[published["arch"]]
    width = ecg.config.embed_dim
    bound = 2 * relative_error_bound(ecg.ecg, tokens) + 2 * relative_error_bound(
        ecg.text, ecg.text.max_length
    ) + unit_norm_bound(width)  # fmt: skip
    assert diff <= bound, f"max |ours - published| = {diff:.2e}, fp32 bound {bound:.2e}"
    # the ECG embeddings themselves (unnormalised): a wrongly mapped ECG key shows here even
    # where the perturbed model's cosine scores vary little between records
    x = torch.as_tensor(np.asarray(c.signals[sorted(rows)[:4]]))
    with torch.no_grad():
        ours, theirs = ecg.encode_ecg(x), published["model"].ext_ecg_emb(x)
    # fp32: within what fp32 rounding can make of this network on any CPU (issue 27: the
    # kernels of an AMX CPU sum in another order than those of an AVX2 one)
    scale = float(theirs.abs().max())
    bound = network_error_bound(ecg.ecg, tokens, scale)
    assert float((ours - theirs).abs().max()) <= bound, f"fp32 bound {bound:.2e}"
    # fidelity: both codes in float64, where rounding (1e-16) cannot hide a wrongly mapped
    # key; the centred embeddings show one even where the perturbed model's cosine scores
    # vary little between records
    with torch.no_grad():
        ours64 = copy.deepcopy(ecg).double().encode_ecg(x.double())
        theirs64 = copy.deepcopy(published["model"]).double().ext_ecg_emb(x.double())
    centred = (ours64 - ours64.mean(0)) - (theirs64 - theirs64.mean(0))
    bound64 = network_error_bound(ecg.ecg, tokens, scale, torch.float64)
    assert float(centred.abs().max()) <= bound64, f"fp64 bound {bound64:.2e}"
    assert float((theirs64 - theirs64.mean(0)).abs().max()) > 1e3 * bound64  # not vacuous


def test_encoder_only_probe_reads_published_backbone(
    published: dict, cache: Path, splits_root: Path, tmp_path: Path
) -> None:
    from merl_core.data.cache import ECGCache
    from merl_core.eval.probe import probe_view
    from merl_core.train.checkpoint import load_model

    ckpt = tmp_path / "enc"
    res = _import(published["encoder"], ckpt, "--encoder-only")
    assert res.exit_code == 0, res.output
    model = load_model(ckpt).eval()
    assert model.text is None
    view, kind = probe_view(model)
    x = np.asarray(ECGCache(cache).signals[:6])
    with torch.no_grad():
        ours = view.encode_ecg(torch.as_tensor(x))
    theirs = published_backbone_features(published["model"], x)
    # raw features, not cosines; within fp32's rounding bound for this network on any CPU
    bound = network_error_bound(model.ecg, TOKENS[published["arch"]], float(theirs.abs().max()))
    assert ours.shape == theirs.shape and float((ours - theirs).abs().max()) <= bound
    assert kind == "backbone"
    out = tmp_path / "probe"
    res = runner.invoke(app, [
        "linear-probe", "--checkpoint", str(ckpt / "model.safetensors"), "--data", str(cache),
        "--task", "super", "--ratio", "10", "--epochs", "20", "--bootstrap", "0",
        "--split-file", str(splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"),
        "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["run"]["features"] == "backbone"
    assert m["tasks"]["ptbxl-super-10pct"]["macro_auc"] is not None  # 10 %: a quicker encode
    res = runner.invoke(app, ["export", str(ckpt), str(tmp_path / "exported")])
    assert res.exit_code == 0, res.output
    (tmp_path / "flat.json").write_text(json.dumps(SUPER_TEXTS))
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(tmp_path / "flat.json"), "--checkpoint", str(ckpt),
        "--data", str(cache), "--dataset", "ptbxl", "--out", str(tmp_path / "zs"),
        "--split-file", str(splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"),
    ])  # fmt: skip
    _one_line_exit2(res, "encoder-only", "no text encoder")  # issue 16: one line, exit 2


def _one_line_exit2(res, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    for n in needles:
        assert n in errors[0], errors[0]


def test_bad_files_are_refused(published: dict, tmp_path: Path, minilm_path: str) -> None:
    if published["arch"] != "resnet1d18":
        pytest.skip("the refusals do not depend on the architecture")
    state = torch.load(published["whole"], weights_only=True)
    truncated = tmp_path / "truncated.pth"
    data = published["whole"].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    _one_line_exit2(_import(truncated, tmp_path / "a", "--text-encoder", minilm_path),
                    "truncated.pth", "truncated or corrupt")  # fmt: skip
    missing = dict(state)
    del missing["att_pool_head.c_proj.weight"], missing["lm_model.pooler.dense.bias"]
    torch.save(missing, tmp_path / "missing.pth")
    res = _import(tmp_path / "missing.pth", tmp_path / "b", "--text-encoder", minilm_path)
    _one_line_exit2(res, "missing 2 keys", "ecg.att_pool.out.weight", "pooler.dense.bias")
    extra = {**state, "module.extra_head.weight": torch.zeros(3)}
    torch.save(extra, tmp_path / "extra.pth")
    _one_line_exit2(_import(tmp_path / "extra.pth", tmp_path / "c", "--text-encoder", minilm_path),
                    "unexpected 1 keys", "extra_head.weight")  # fmt: skip
    torch.save({**state, "note": Fraction(1, 3)}, tmp_path / "object.pth", pickle_protocol=2)
    _one_line_exit2(_import(tmp_path / "object.pth", tmp_path / "d", "--text-encoder", minilm_path),
                    "object.pth", "other than tensors")  # fmt: skip
    for name in "abcd":
        assert not (tmp_path / name).exists()
    _one_line_exit2(_import(published["encoder"], tmp_path / "e"), "--encoder-only")
