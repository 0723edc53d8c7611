"""The published MERL code (``$MERL_DATA_ROOT/../reference/merl-upstream``) run beside ours.

Loaded at test time as its README says — source read, four patches applied, ``exec`` — and
never copied into the project. Builds the published ``ECGCLIP`` with the packaged MiniLM in
place of MedCPT, perturbs every weight so a dropped key shows, and saves it as the published
trainer does.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
import torch

from merl_core.paths import shared_data_root


def reference_root() -> Path:
    """The published code's folder; skips with a message where it is absent."""
    root = shared_data_root().parent / "reference" / "merl-upstream"
    if not (root / "utils" / "utils_builder.py").is_file():
        pytest.skip(f"published MERL code not found at {root} (../shared/reference/merl-upstream)")
    return root


def _module(name: str, path: Path, source: str | None = None) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__file__ = str(path)
    code = compile(source if source is not None else path.read_text(), str(path), "exec")
    exec(code, mod.__dict__)  # noqa: S102 - the reference code, read-only, as its README says
    return mod


def load_reference() -> dict[str, types.ModuleType]:
    """``utils_builder`` and ``zeroshot_val`` of the published code, patched to run offline."""
    pytest.importorskip("einops", reason="the published ViT1d needs einops (dev extra)")
    utils = reference_root() / "utils"
    saved = {k: sys.modules.get(k) for k in ("resnet1d", "vit1d")}
    try:
        sys.modules["resnet1d"] = _module("resnet1d", utils / "resnet1d.py")
        sys.modules["vit1d"] = _module("vit1d", utils / "vit1d.py")
        src = (utils / "utils_builder.py").read_text()
        for line in ("from cgi import test\n", "import torchvision\n"):  # patch 1
            assert line in src
            src = src.replace(line, "", 1)
        old = "self.tokenizer.batch_encode_plus(batch_text_or_text_pairs=text,"
        assert old in src
        src = src.replace(old, "self.tokenizer(text,")  # patch 2
        old = "nn.Linear(768, self.proj_hidden)"
        assert old in src
        src = src.replace(old, "nn.Linear(network_config['text_hidden'], self.proj_hidden)")  # 3
        builder = _module("merl_utils_builder", utils / "utils_builder.py", src)
        zs_src = (utils / "zeroshot_val.py").read_text()
        for line in ('sys.path.append("../finetune/")\n',
                     "from finetune_dataset import getdataset as get_zero_dataset\n"):  # fmt: skip
            assert line in zs_src
            zs_src = zs_src.replace(line, "", 1)
        zeroshot_val = _module("merl_zeroshot_val", utils / "zeroshot_val.py", zs_src)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return {"builder": builder, "zeroshot_val": zeroshot_val}


def build_published(ref: dict[str, types.ModuleType], ecg_model: str, text_path: str,
                    seed: int = 0) -> Any:  # fmt: skip
    """The published ``ECGCLIP`` with every tensor perturbed (BN variances kept positive)."""
    from transformers import AutoConfig

    torch.manual_seed(seed)
    cfg = {"ecg_model": ecg_model, "num_leads": 12, "text_model": text_path,
           "text_hidden": AutoConfig.from_pretrained(text_path).hidden_size,
           "projection_head": {"mlp_hidden_size": 256, "projection_size": 256}}  # fmt: skip
    model = ref["builder"].ECGCLIP(cfg)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen) * (0.05 * (t.std() if t.numel() > 1 else 1))
            t.add_(noise.abs() + 0.01 if name.endswith("running_var") else noise + 0.01)
    return model.eval()


def save_published(model: Any, folder: Path) -> tuple[Path, Path]:
    """``xxx_ckpt.pth`` and ``xxx_encoder.pth`` as the published trainer writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    whole, enc = folder / "merl_ckpt.pth", folder / "merl_encoder.pth"
    torch.save(model.state_dict(), whole)
    torch.save(model.ecg_encoder.state_dict(), enc)
    return whole, enc


def published_scores(ref: dict[str, types.ModuleType], model: Any, prompts: list[str],
                     signals: Any, batch_size: int = 8) -> Any:  # fmt: skip
    """Scores (N, C) by the published ``get_class_emd`` / ``get_ecg_emd``."""
    zs = ref["zeroshot_val"]
    weights = zs.get_class_emd(model, prompts, device="cpu")
    x = torch.as_tensor(signals, dtype=torch.float32)
    loader = [(x[i : i + batch_size], None) for i in range(0, len(x), batch_size)]
    return zs.get_ecg_emd(model, loader, weights, device="cpu", softmax_eval=True)


def published_backbone_features(model: Any, signals: Any) -> torch.Tensor:
    """What the published linear probe feeds its head: pooled backbone features."""
    x = torch.as_tensor(signals, dtype=torch.float32)
    with torch.no_grad():
        out = model.ecg_encoder(x)
        return out.mean(dim=2) if out.dim() == 3 else out


__all__ = ["build_published", "load_reference", "published_backbone_features",
           "published_scores", "reference_root", "save_published"]  # fmt: skip
