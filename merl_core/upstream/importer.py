"""Import the published MERL state dicts (``xxx_ckpt.pth``, ``xxx_encoder.pth``).

The published trainer saves ``model.module.state_dict()`` of its ``ECGCLIP`` (the whole model)
and ``ecg_encoder.state_dict()`` (the backbone alone, for linear probing). Both are read with
``torch.load(weights_only=True)``, so nothing in the file can run code. Every published key is
mapped onto this project's :class:`~merl_core.models.merl.MERLModel` by a fixed rule; a file
with keys the rule does not know, or without keys the model needs, is refused with both lists.

Deliberate exceptions, recorded in the checkpoint's provenance:

- ignored: ``ecg_encoder.linear.*`` (the ResNet's 10-way classifier, never used by the
  published forward) and the ``position_ids``/``token_type_ids`` buffers older transformers
  saved with the language model (constants);
- folded: the attention pool's ``cls_token`` gets its first positional embedding added once
  (the published head adds it twice; ours adds the positional table once);
- filled: the ViT patch embedding's bias (the published one has none) is zero; in an
  ``--encoder-only`` import of an encoder file the CMA/UMA heads, absent from that file, keep
  their seeded initialisation and ``probe_features`` says the linear probe reads the backbone.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ckepe.fileio import sha256_file
from merl_core.data.leads import LEADS
from merl_core.data.preprocess import PreprocessConfig
from merl_core.errors import MerlCoreError
from merl_core.models.registry import ModelConfig, ResNet1dConfig, get_model_config

logger = logging.getLogger(__name__)

UPSTREAM_FORMAT = "MERL-ICML2024"
DEFAULT_TEXT_ENCODER = "ncbi/MedCPT-Query-Encoder"
ARCHS = ("resnet1d18", "resnet1d34", "resnet1d50", "resnet1d101",
         "vit1d-tiny", "vit1d-small", "vit1d-middle", "vit1d-base")  # fmt: skip

_IGNORED = re.compile(
    r"^(ecg_encoder\.linear\.(weight|bias)|lm_model\.embeddings\.(position_ids|token_type_ids))$"
)
_RESNET_DEPTHS: dict[tuple[str, tuple[int, ...]], str] = {
    ("basic", (2, 2, 2, 2)): "resnet1d18", ("basic", (3, 4, 6, 3)): "resnet1d34",
    ("bottleneck", (3, 4, 6, 3)): "resnet1d50", ("bottleneck", (3, 4, 23, 3)): "resnet1d101",
}  # fmt: skip
_VIT_WIDTHS = {192: "vit1d-tiny", 384: "vit1d-small", 512: "vit1d-middle", 768: "vit1d-base"}
_RENAMES: tuple[tuple[str, str], ...] = (
    # ResNet1d backbone
    (r"^ecg_encoder\.conv1\.", "ecg.stem.0."),
    (r"^ecg_encoder\.bn1\.", "ecg.stem.1."),
    (r"^ecg_encoder\.layer(\d)\.(\d+)\.shortcut\.", "ecg.stages.{L}.\\2.downsample."),
    (r"^ecg_encoder\.layer(\d)\.(\d+)\.", "ecg.stages.{L}.\\2."),
    # ResNet1d heads
    (r"^downconv\.", "ecg.downconv."),
    (r"^att_pool_head\.positional_embedding$", "ecg.att_pool.pos"),
    (r"^att_pool_head\.cls_token$", "ecg.att_pool.cls"),
    (r"^att_pool_head\.mhsa\.", "ecg.att_pool.attn."),
    (r"^att_pool_head\.c_proj\.", "ecg.att_pool.out."),
    # ViT1d backbone and head
    (r"^ecg_encoder\.to_patch_embedding\.", "ecg.patch."),
    (r"^ecg_encoder\.pos_embedding$", "ecg.pos"),
    (r"^ecg_encoder\.block(\d+)\.attn\.norm\.", "ecg.blocks.\\1.norm1."),
    (r"^ecg_encoder\.block(\d+)\.attn\.fn\.to_qkv\.", "ecg.blocks.\\1.attn.qkv."),
    (r"^ecg_encoder\.block(\d+)\.attn\.fn\.to_out\.0\.", "ecg.blocks.\\1.attn.proj."),
    (r"^ecg_encoder\.block(\d+)\.ff\.norm\.", "ecg.blocks.\\1.norm2."),
    (r"^ecg_encoder\.block(\d+)\.ff\.fn\.net\.(0|3)\.", "ecg.blocks.\\1.mlp.\\2."),
    (r"^ecg_encoder\.norm\.", "ecg.norm."),
    (r"^proj_e\.", "ecg.proj."),
    # UMA views, text encoder and its projection
    (r"^linear1\.", "ecg.uma.view1."),
    (r"^linear2\.", "ecg.uma.view2."),
    (r"^lm_model\.", "text.backbone."),
    (r"^proj_t\.", "text.proj."),
)
_HEADS = re.compile(r"^ecg\.(downconv|att_pool|uma|proj)\.")


class UpstreamImportError(MerlCoreError, ValueError):
    """A published weights file that cannot be imported (one-line message)."""


def _short(keys: list[str], n: int = 8) -> str:
    shown = ", ".join(keys[:n])
    return f"[{shown}{f', … (+{len(keys) - n} more)' if len(keys) > n else ''}]"


def read_published(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a published ``.pth`` (``module.`` stripped), read without unpickling code.

    Accepts a bare state dict or the trainer's ``{"model_state_dict": …}`` resume file.
    """
    path = Path(path)
    if not path.is_file():
        raise UpstreamImportError(f"{path}: file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UpstreamImportError(
            f"{path}: holds objects other than tensors, refused (read with "
            f"torch.load(weights_only=True), which never runs code from a file: {first[:160]})"
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UpstreamImportError(
            f"{path}: not a readable PyTorch file (truncated or corrupt: {first[:160]})"
        ) from exc
    if isinstance(obj, Mapping):
        for wrapper in ("model_state_dict", "state_dict", "model"):
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise UpstreamImportError(f"{path}: not a state dict (a {type(obj).__name__})")
    state: dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise UpstreamImportError(
                f"{path}: entry {key!r} is a {type(value).__name__}, not a tensor"
            )
        state[key[len("module.") :] if str(key).startswith("module.") else str(key)] = value
    return state


def is_encoder_file(state: Mapping[str, torch.Tensor]) -> bool:
    """True for ``ecg_encoder.state_dict()`` (``xxx_encoder.pth``): backbone keys, no prefix."""
    return not any(k.startswith("ecg_encoder.") for k in state) and (
        "conv1.weight" in state or "to_patch_embedding.weight" in state
    )


def infer_arch(state: Mapping[str, torch.Tensor]) -> str:
    """The registry name of the ECG encoder whose keys ``state`` holds (whole-model keys)."""
    if "ecg_encoder.conv1.weight" in state:
        block = "bottleneck" if any(".conv3." in k for k in state) else "basic"
        depth = tuple(
            len(
                {
                    m.group(1)
                    for k in state
                    if (m := re.match(rf"ecg_encoder\.layer{i}\.(\d+)\.", k))
                }
            )
            for i in range(1, 5)
        )
        name = _RESNET_DEPTHS.get((block, depth))
        if name is None:
            raise UpstreamImportError(f"ResNet with {block} blocks {depth} is not a published arch")
        return name
    if "ecg_encoder.to_patch_embedding.weight" in state:
        width = int(state["ecg_encoder.to_patch_embedding.weight"].shape[0])
        if width not in _VIT_WIDTHS:
            raise UpstreamImportError(f"ViT of width {width} is not a published arch")
        return _VIT_WIDTHS[width]
    raise UpstreamImportError(
        "no ECG encoder keys (ecg_encoder.conv1.weight or ecg_encoder.to_patch_embedding.weight)"
    )


def _rename(key: str) -> str | None:
    for pattern, repl in _RENAMES:
        m = re.match(pattern, key)
        if m:
            if "{L}" in repl:
                repl = repl.replace("{L}", str(int(m.group(1)) - 1))
            return re.sub(pattern, repl, key)
    return None


def map_state_dict(
    state: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor], *, with_text: bool,
    fill_heads: bool = False,
) -> tuple[dict[str, torch.Tensor], dict[str, list[str]]]:  # fmt: skip
    """Published keys → this project's keys, checked against ``target`` (a state dict).

    Returns the mapped tensors and a report (``ignored``, ``filled``).

    Raises:
        UpstreamImportError: keys missing, unexpected, or of another shape (all listed).
    """
    out: dict[str, torch.Tensor] = {}
    unexpected: list[str] = []
    report: dict[str, list[str]] = {"ignored": [], "filled": []}
    for key, value in state.items():
        if not with_text and key.startswith(("lm_model.", "proj_t.")):
            continue  # an encoder-only import of a whole-model file
        if _IGNORED.match(key):
            report["ignored"].append(key)
            continue
        new = _rename(key)
        if new is None or new not in target:
            unexpected.append(key)
            continue
        out[new] = value
    if "ecg.att_pool.pos" in out:
        out["ecg.att_pool.pos"] = out["ecg.att_pool.pos"].reshape(target["ecg.att_pool.pos"].shape)
        if "ecg.att_pool.cls" in out:  # published: cls + pos[0] + pos[0]; ours adds pos once
            cls = out["ecg.att_pool.cls"].reshape(1, -1)
            out["ecg.att_pool.cls"] = cls + out["ecg.att_pool.pos"][:1]
    if "ecg.patch.bias" in target and "ecg.patch.bias" not in out and "ecg.patch.weight" in out:
        out["ecg.patch.bias"] = torch.zeros_like(target["ecg.patch.bias"])
        report["filled"].append("ecg.patch.bias")
    wanted = [k for k in target if with_text or k.startswith("ecg.")]
    missing = [k for k in wanted if k not in out]
    if fill_heads:
        for k in [k for k in missing if _HEADS.match(k)]:
            out[k] = target[k].clone()
            report["filled"].append(k)
        missing = [k for k in missing if not _HEADS.match(k)]
    shapes = [f"{k} {tuple(v.shape)}≠{tuple(target[k].shape)}" for k, v in out.items()
              if tuple(v.shape) != tuple(target[k].shape)]  # fmt: skip
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} keys {_short(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} keys {_short(unexpected)}")
        if shapes:
            parts.append(f"{len(shapes)} shapes differ {_short(shapes, 4)}")
        raise UpstreamImportError("; ".join(parts))
    return out, report


def import_config(
    arch: str, state: Mapping[str, torch.Tensor], text_encoder: str | None
) -> ModelConfig:
    """This project's config of the published ``arch`` (``text_encoder=None``: ECG only)."""
    if arch not in ARCHS:
        raise UpstreamImportError(
            f"--arch {arch}: not a published architecture ({', '.join(ARCHS)})"
        )
    cfg = get_model_config(arch)
    if isinstance(cfg.ecg, ResNet1dConfig):
        cfg.ecg.pool_query = "cls"
    head = state.get("downconv.weight", state.get("proj_e.3.weight"))
    if head is not None:
        cfg.embed_dim = int(head.shape[0])
    if text_encoder is not None:
        w0, w2 = state.get("proj_t.0.weight"), state.get("proj_t.2.weight")
        if w0 is not None and w2 is not None and int(w0.shape[0]) != int(w2.shape[0]):
            raise UpstreamImportError(
                f"proj_t hidden size {w0.shape[0]} ≠ projection size {w2.shape[0]}: "
                "this project's text head needs them equal"
            )
        cfg.text = dataclasses.replace(
            cfg.text, model=text_encoder, pooling="pooler", max_length=256, pad_to_max=True
        )
    return cfg


def _build(cfg: ModelConfig, with_text: bool, text_encoder: str | None) -> Any:
    from merl_core.models.merl import MERLModel

    torch.manual_seed(0)  # heads absent from an encoder file get a reproducible initialisation
    try:
        return MERLModel(cfg, text=with_text, load_text_weights=False)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UpstreamImportError(
            f"--text-encoder {text_encoder}: its config and tokenizer cannot be loaded "
            f"({first[:160]}); download it first or pass a local folder"
        ) from exc


def import_upstream(
    pth: str | Path,
    out: str | Path,
    *,
    arch: str | None = None,
    text_encoder: str | None = DEFAULT_TEXT_ENCODER,
    encoder_only: bool = False,
) -> Path:
    """Write this project's checkpoint folder ``out`` from a published ``.pth``; returns ``out``.

    Raises:
        UpstreamImportError: unreadable file, unknown arch, or keys that do not map (one line,
            naming the file).
    """
    from merl_core.train.checkpoint import save_checkpoint

    pth = Path(pth)
    state = read_published(pth)
    encoder_file = is_encoder_file(state)
    if encoder_file and not encoder_only:
        raise UpstreamImportError(
            f"{pth}: an ECG-encoder file (xxx_encoder.pth, no text encoder): use --encoder-only"
        )
    if encoder_file:
        state = {f"ecg_encoder.{k}": v for k, v in state.items()}
    try:
        inferred = infer_arch(state)
        if arch is not None and arch != inferred:
            raise UpstreamImportError(f"--arch {arch}, but its keys are those of {inferred}")
        arch = inferred
        cfg = import_config(arch, state, None if encoder_only else text_encoder)
        model = _build(cfg, not encoder_only, text_encoder)
        if not encoder_only:
            hidden = model.text.backbone.config.hidden_size
            want = int(state["proj_t.0.weight"].shape[1]) if "proj_t.0.weight" in state else hidden
            if hidden != want:
                raise UpstreamImportError(
                    f"--text-encoder {text_encoder} has hidden size {hidden}, the file's proj_t "
                    f"takes {want}: give the text encoder the weights were trained with"
                )
        mapped, report = map_state_dict(state, model.state_dict(), with_text=not encoder_only,
                                        fill_heads=encoder_file)  # fmt: skip
    except UpstreamImportError as exc:
        raise UpstreamImportError(f"{pth}: {exc}") from exc
    model.load_state_dict(mapped, strict=not encoder_only)
    source = {
        "format": UPSTREAM_FORMAT, "file": pth.name, "sha256": sha256_file(pth), "arch": arch,
        "encoder_only": encoder_only, "encoder_file": encoder_file,
        "text_encoder": None if encoder_only else text_encoder,
        "ignored_keys": report["ignored"], "filled_keys": report["filled"],
    }  # fmt: skip
    # the published preprocessing: 500 Hz, 5000 samples, per-record min-max (our defaults)
    meta = {"leads": list(LEADS), "fs": 500, "preprocessing": PreprocessConfig().to_dict(),
            "source": source,
            # the published linear probe reads the backbone's pooled features
            "probe_features": "backbone"}  # fmt: skip
    path = save_checkpoint(out, model, cfg, meta=meta, ecg_only=encoder_only)
    logger.info("imported %s (%s%s) into %s", pth.name, arch,
                ", encoder only" if encoder_only else "", path)  # fmt: skip
    return path
