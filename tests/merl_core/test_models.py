"""The encoder registry and every registered encoder on real PTB-XL records."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from merl_core.models import create_model, get_model_config, list_models
from tests.merl_core._train_fixtures import ptbxl_cache  # noqa: F401

# Trainable parameters of each ECG encoder (backbone + CMA head + UMA views), fixed by the
# architecture JSONs; a change here is a change of architecture.
ECG_PARAMS = {
    "resnet1d18": 4_454_784, "resnet1d34": 7_829_120, "resnet1d50": 16_958_336,
    "resnet1d101": 29_265_792, "vit1d-tiny": 5_687_872, "vit1d-small": 21_925_504,
    "vit1d-middle": 38_648_832, "vit1d-base": 86_251_264,
}  # fmt: skip
BATCH_ONE = {"resnet1d50", "resnet1d101"}


def test_registry_lists_all_encoders_and_returns_copies() -> None:
    assert set(list_models()) == set(ECG_PARAMS)
    cfg = get_model_config("vit1d-tiny")
    cfg.ecg["depth"] = 1
    assert get_model_config("vit1d-tiny").ecg["depth"] == 12
    assert get_model_config("resnet1d50").ecg["block"] == "bottleneck"


def test_unknown_model_and_override_name_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="resnet1d18"):
        create_model("resnet1d19")
    with pytest.raises(KeyError, match="depth"):
        create_model("vit1d-tiny", text=False, nonsense=1)


@pytest.fixture(scope="module")
def two_records(ptbxl_cache: Path) -> torch.Tensor:  # noqa: F811
    from merl_core.data.cache import ECGCache

    return torch.from_numpy(ECGCache(ptbxl_cache).batch([0, 1]))


@pytest.mark.parametrize("name", sorted(ECG_PARAMS))
def test_every_encoder_forward_backward_on_real_records(name: str, two_records) -> None:
    torch.manual_seed(0)
    model = create_model(name, text=False)
    n_params = sum(p.numel() for p in model.ecg.parameters() if p.requires_grad)
    print(f"{name}: {n_params:,} parameters")  # shown with pytest -s
    assert n_params == ECG_PARAMS[name]
    # The big ResNets at batch 1 (their BatchNorm sees 313+ values per channel); ViT's
    # projection BatchNorm needs two records in training mode.
    x = two_records[:1] if name in BATCH_ONE else two_records
    proj, v1, v2 = model.ecg(x)
    assert proj.shape == v1.shape == v2.shape == (len(x), 256)
    (proj.square().sum() + v1.sum() + v2.sum()).backward()
    for pname, p in model.ecg.named_parameters():
        assert p.grad is not None, f"{name}: {pname} got no gradient"
        assert torch.isfinite(p.grad).all(), f"{name}: {pname} has a non-finite gradient"
    model.eval()
    with torch.no_grad():
        emb = model.encode_ecg(two_records, normalize=True)
    assert emb.shape == (2, 256)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_resnet_attention_pool_sees_313_positions() -> None:
    model = create_model("resnet1d18", text=False)
    assert model.ecg.seq_len == 313
    assert model.ecg.att_pool.pos.shape == (314, 256)
    assert create_model("vit1d-tiny", text=False).ecg.seq_len == 100


def test_uma_views_differ_in_training_and_agree_in_eval(two_records) -> None:
    model = create_model("vit1d-tiny", text=False, depth=1)
    model.ecg.uma2.load_state_dict(model.ecg.uma1.state_dict())
    model.train()
    _, v1, v2 = model.ecg(two_records)
    assert not torch.allclose(v1, v2)  # dropout makes two views
    model.eval()
    _, v1, v2 = model.ecg(two_records)
    assert torch.allclose(v1, v2)


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
    assert torch.allclose(a, b, atol=1e-4)  # padding changes cost, not the embedding
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
        assert torch.allclose(out[key].norm(dim=-1), torch.ones(2), atol=1e-5)
    assert out["logit_scale"].item() == pytest.approx(1 / 0.07)
