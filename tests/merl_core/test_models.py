"""The encoder registry and every registered encoder on random input (no data needed)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from merl_core.models import (
    ModelConfigError,
    ResNet1dConfig,
    UnknownModelError,
    ViT1dConfig,
    create_model,
    get_model_config,
    list_models,
)
from merl_core.train.checkpoint import load_model, save_checkpoint
from tests._numerics import relative_error_bound, unit_norm_bound

# Trainable parameters of each ECG encoder (backbone + CMA head + UMA views), fixed by the
# architecture JSONs; a change here is a change of architecture.
ECG_PARAMS = {
    "resnet1d18": 4_454_784, "resnet1d34": 7_829_120, "resnet1d50": 16_958_336,
    "resnet1d101": 29_265_792, "vit1d-tiny": 5_687_872, "vit1d-small": 21_925_504,
    "vit1d-middle": 38_648_832, "vit1d-base": 86_251_264,
}  # fmt: skip
BATCH_ONE = {"resnet1d50", "resnet1d101"}
LEGACY = Path(__file__).with_name("legacy_checkpoints")


@pytest.fixture(scope="module")
def two_records() -> torch.Tensor:
    """Two random 12-lead, 5000-sample records in the cache's value range."""
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 12, 5000, generator=g)


def test_registry_lists_all_encoders_and_returns_typed_copies() -> None:
    assert set(list_models()) == set(ECG_PARAMS)
    cfg = get_model_config("vit1d-tiny")
    assert isinstance(cfg.ecg, ViT1dConfig)
    cfg.ecg.depth = 1
    assert get_model_config("vit1d-tiny").ecg.depth == 12
    big = get_model_config("resnet1d50").ecg
    assert isinstance(big, ResNet1dConfig) and big.block == "bottleneck"
    assert get_model_config("resnet1d18").text.model is None  # the packaged MiniLM


def test_config_round_trips_through_its_json_form() -> None:
    from merl_core.models import ModelConfig

    for name in list_models():
        cfg = get_model_config(name)
        doc = json.loads(json.dumps(cfg.to_dict()))
        assert ModelConfig.from_dict(doc) == cfg
        assert doc["ecg"]["family"] in ("resnet1d", "vit1d")
    with pytest.raises(ModelConfigError, match="bogus"):
        ModelConfig.from_dict({**get_model_config("vit1d-tiny").to_dict(), "bogus": 1})
    bad = get_model_config("vit1d-tiny").to_dict()
    bad["ecg"]["blocks"] = 3
    with pytest.raises(ModelConfigError, match="blocks"):
        ModelConfig.from_dict(bad)


def test_unknown_model_and_override_name_the_valid_ones() -> None:
    with pytest.raises(UnknownModelError, match="resnet1d18"):
        create_model("resnet1d19")
    with pytest.raises(KeyError, match="depth"):  # still a KeyError for old callers
        create_model("vit1d-tiny", text=False, nonsense=1)
    model = create_model("vit1d-tiny", text=False, depth=1, drop_rate=0.0)
    assert model.config.ecg.depth == 1 and model.config.drop_rate == 0.0


@pytest.mark.parametrize("name", list_models())
def test_every_encoder_forward_backward_on_random_input(name: str, two_records) -> None:
    torch.manual_seed(0)
    model = create_model(name, text=False)
    n_params = sum(p.numel() for p in model.ecg.parameters() if p.requires_grad)
    assert n_params == ECG_PARAMS[name], f"{name}: {n_params:,} parameters"
    # The big ResNets at batch 1 (their BatchNorm sees 313+ values per channel); ViT's
    # projection BatchNorm needs two records in training mode.
    x = two_records[:1] if name in BATCH_ONE else two_records
    proj, v1, v2 = model.ecg(x)
    assert proj.shape == v1.shape == v2.shape == (len(x), 256)
    assert all(torch.isfinite(t).all() for t in (proj, v1, v2))
    (proj.square().sum() + v1.sum() + v2.sum()).backward()
    for pname, p in model.ecg.named_parameters():
        assert p.grad is not None, f"{name}: {pname} got no gradient"
        assert torch.isfinite(p.grad).all(), f"{name}: {pname} has a non-finite gradient"
        assert p.grad.abs().sum() > 0, f"{name}: {pname} got an all-zero gradient"
    model.eval()
    with torch.no_grad():
        emb = model.encode_ecg(two_records, normalize=True)
    assert emb.shape == (2, 256)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(2), rtol=0, atol=unit_norm_bound(256))


def test_resnet_attention_pool_sees_313_positions() -> None:
    model = create_model("resnet1d18", text=False)
    assert model.ecg.seq_len == 313
    assert model.ecg.att_pool.pos.shape == (314, 256)
    assert create_model("vit1d-tiny", text=False).ecg.seq_len == 100


@pytest.mark.parametrize("name", ["resnet1d18", "vit1d-tiny"])
def test_both_encoders_share_one_uma_head(name: str, two_records) -> None:
    from merl_core.models.uma import UMAHead

    model = create_model(name, text=False, **({"depth": 1} if "vit" in name else {}))
    assert isinstance(model.ecg.uma, UMAHead)
    model.ecg.uma.view2.load_state_dict(model.ecg.uma.view1.state_dict())
    model.train()
    _, v1, v2 = model.ecg(two_records)
    assert not torch.allclose(v1, v2)  # dropout makes two views
    model.eval()
    _, v1, v2 = model.ecg(two_records)
    assert torch.allclose(v1, v2)


@pytest.mark.parametrize("family", ["resnet1d", "vit1d"])
def test_checkpoint_saved_before_the_shared_uma_head_still_loads(
    family: str, tmp_path: Path
) -> None:
    """The folders were written by the encoders of commit 44f2522 (``uma1``/``uma2``)."""
    from safetensors.torch import load_file

    folder = LEGACY / family
    old = load_file(str(folder / "model.safetensors"))
    assert "ecg.uma1.weight" in old and not any(".uma.view" in k for k in old)
    model = load_model(folder).eval()
    torch.testing.assert_close(model.ecg.uma.view1.weight, old["ecg.uma1.weight"])
    torch.testing.assert_close(model.ecg.uma.view2.weight, old["ecg.uma2.weight"])
    expected = json.loads((folder / "expected.json").read_text())
    x = torch.linspace(-1, 1, 12 * 500).reshape(1, 12, 500).repeat(2, 1, 1)
    with torch.no_grad():
        proj, v1, v2 = model.ecg(x)
    # expected.json was written on another CPU: the two runs differ by fp32's rounding over
    # this network's products (attention over the patches or positions and the CLS token)
    rel = relative_error_bound(model.ecg, model.ecg.seq_len + 1)
    for key, out in (("proj", proj), ("view1", v1), ("view2", v2)):
        diff = float((out[0, :8] - torch.tensor(expected[key])).norm())
        assert diff <= rel * float(out[0].norm()), f"{key}: {diff:.2e}"
    # saved again, it uses the new names and loads the same
    save_checkpoint(tmp_path / "new", model)
    new = load_file(str(tmp_path / "new" / "model.safetensors"))
    assert "ecg.uma.view1.weight" in new and "ecg.uma1.weight" not in new
    again = load_model(tmp_path / "new").eval()
    with torch.no_grad():
        torch.testing.assert_close(again.ecg(x)[1], v1)
    assert asdict(again.config) == asdict(model.config)


def test_text_encoder_pooling_padding_and_freezing(minilm_path: str) -> None:
    torch.manual_seed(0)
    model = create_model("vit1d-tiny", depth=1, text_model=minilm_path).eval()
    text = model.text
    assert text.pooling == "pooler"  # all-MiniLM-L6-v2 ships pooler weights
    # as upstream (reports embedded under no_grad): the language model is fixed, the head trains
    assert not any(p.requires_grad for p in text.backbone.parameters())
    assert all(p.requires_grad for p in text.proj.parameters())
    reports = ["sinus rhythm. normal ecg.", "atrial fibrillation with rapid ventricular response"]
    dyn = text.tokenize(reports)
    assert dyn["input_ids"].shape[1] < 32  # padded to the longest report only
    text.pad_to_max = True
    fixed = text.tokenize(reports)
    assert fixed["input_ids"].shape[1] == 256
    with torch.no_grad():
        a = model.encode_text(dyn)
        b = model.encode_text(fixed)
    # padding changes cost, not the embedding: within fp32's error of the text encoder at
    # 256 tokens (the padded positions weigh exactly 0, the sums run in another order)
    rel = relative_error_bound(text, 256)
    assert ((a - b).norm(dim=-1) <= rel * a.norm(dim=-1)).all()
    long = text.tokenize(["word " * 1000])
    assert long["input_ids"].shape[1] == 256  # truncated


def test_fixed_backbone_gets_no_gradient_and_tuning_freezes_first_layers(
    minilm_path: str,
) -> None:
    torch.manual_seed(0)
    reports = ["sinus rhythm. normal ecg.", "atrial fibrillation"]
    fixed = create_model("vit1d-tiny", depth=1, text_model=minilm_path).train()
    fixed.encode_text(reports).square().sum().backward()
    assert all(p.grad is None for p in fixed.text.backbone.parameters())
    assert all(p.grad is not None for p in fixed.text.proj.parameters())

    tuned = create_model("vit1d-tiny", depth=1, text_model=minilm_path,
                         text_train_backbone=True, text_freeze_layers=4).train()  # fmt: skip
    assert tuned.text.frozen_layers == 4
    tuned.encode_text(reports).square().sum().backward()
    named = dict(tuned.text.backbone.named_parameters())
    frozen = [n for n, p in named.items() if not p.requires_grad]
    assert frozen and all(n.split(".")[2] in {"0", "1", "2", "3"} for n in frozen)
    assert named["embeddings.word_embeddings.weight"].grad is not None
    assert named["encoder.layer.5.output.dense.weight"].grad is not None


def test_mean_pooling_and_model_forward_dict(minilm_path: str, two_records) -> None:
    model = create_model("vit1d-tiny", depth=1, text_pooling="mean").eval()
    assert model.text.pooling == "mean"
    with torch.no_grad():
        out = model(two_records, ["sinus rhythm", "left bundle branch block"])
    assert set(out) == {"ecg", "text", "ecg_view1", "ecg_view2", "logit_scale"}
    for key in ("ecg", "text", "ecg_view1", "ecg_view2"):
        assert out[key].shape == (2, 256)
        assert torch.allclose(out[key].norm(dim=-1), torch.ones(2), rtol=0,
                              atol=unit_norm_bound(256))  # fmt: skip
    assert out["logit_scale"].item() == pytest.approx(1 / 0.07)


def test_fixed_backbone_features_are_memoised_exactly_and_keyed_by_weights(
    minilm_path: str,
) -> None:
    from merl_core.models.text import POOLED_MEMO

    POOLED_MEMO.clear()
    prompts = ["left bundle branch block", "sinus rhythm. normal ecg."]
    torch.manual_seed(0)
    a = create_model("vit1d-tiny", depth=1, text_model=minilm_path).eval()
    torch.manual_seed(1)
    b = create_model("vit1d-tiny", depth=1, text_model=minilm_path).eval()
    with torch.inference_mode():
        first = a.encode_text(prompts)
        assert POOLED_MEMO.misses == 1 and POOLED_MEMO.hits == 0
        again = a.encode_text(prompts)
        other = b.encode_text(prompts)  # another model, the same backbone weights: a hit
    assert POOLED_MEMO.hits == 2
    assert torch.equal(first, again)
    with torch.no_grad():  # b's own projection on the memoised features = b computed afresh
        tokens = b.tokenize(prompts)
        fresh = b.text.proj(b.text._pool(tokens["input_ids"], tokens["attention_mask"]))
    assert torch.equal(other, fresh)
    # a feature stored under inference_mode still trains the projection head
    a.encode_text(prompts).square().sum().backward()
    assert all(p.grad is not None for p in a.text.proj.parameters())
    # new backbone weights (in place, as load_state_dict does) change the key
    with torch.no_grad():
        b.text.backbone.embeddings.word_embeddings.weight.mul_(1.5)
        changed = b.encode_text(prompts)
    assert POOLED_MEMO.misses == 2 and not torch.allclose(changed, other)
    # training mode (dropout in the backbone) never reads or fills the memo
    hits, misses = POOLED_MEMO.hits, POOLED_MEMO.misses
    a.train().encode_text(prompts)
    assert (POOLED_MEMO.hits, POOLED_MEMO.misses) == (hits, misses)


def test_text_model_stored_in_half_precision_runs_in_fp32(minilm_path: str, tmp_path) -> None:
    """Hub models are often stored in fp16; recent transformers load them in that dtype
    ("auto"), which the fp32 projection head cannot take. The encoder must come up in fp32,
    and its embedding must match the fp32-stored model's to fp16 storage precision."""
    import shutil

    from safetensors.torch import load_file, save_file

    half = tmp_path / "minilm-fp16"
    shutil.copytree(minilm_path, half, ignore=shutil.ignore_patterns("model.safetensors"))
    weights = load_file(str(Path(minilm_path) / "model.safetensors"))
    save_file({k: v.half() if v.is_floating_point() else v for k, v in weights.items()},
              str(half / "model.safetensors"), metadata={"format": "pt"})  # fmt: skip
    torch.manual_seed(0)
    ref = create_model("vit1d-tiny", depth=1, text_model=minilm_path).eval()
    torch.manual_seed(0)
    model = create_model("vit1d-tiny", depth=1, text_model=str(half)).eval()
    assert {p.dtype for p in model.text.parameters()} == {torch.float32}
    toks = model.text.tokenize(["sinus rhythm. left bundle branch block."])
    with torch.no_grad():
        a, b = ref.encode_text(toks), model.encode_text(toks)
    # fp16 storage rounds each weight by <= 2^-11 relative; through six layers the embedding
    # moves by far less than its unit norm
    assert torch.isfinite(b).all() and float((a - b).norm() / a.norm()) < 2e-2
