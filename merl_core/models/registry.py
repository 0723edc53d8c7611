"""Model architectures as data: one JSON per name in ``merl_core/configs/``.

``list_models()``, ``get_model_config(name)`` (a copy), and :class:`ModelConfig` (with
:class:`TextConfig` and one ECG config per family), the typed form a checkpoint stores
beside its weights.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from typing import Any, Literal

from merl_core.errors import MerlCoreError


class ModelConfigError(MerlCoreError, ValueError):
    """A model config (a registry JSON or a checkpoint's config.json) that cannot be used."""


class UnknownModelError(MerlCoreError, KeyError):
    """An architecture name or override key the registry does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0]) if self.args else ""


@dataclass
class TextConfig:
    """The report encoder: a Hugging Face model, its pooling, tokenisation and training."""

    model: str | None = None  # None = the packaged all-MiniLM-L6-v2
    pooling: str = "auto"
    max_length: int = 256
    pad_to_max: bool = False
    # Upstream embeds reports under torch.no_grad (its get_text_emb), so the language model
    # never trains and only the projection head learns; True fine-tunes it, with the first
    # freeze_layers layers (and optionally the embeddings) frozen.
    train_backbone: bool = False
    freeze_layers: int = 6
    freeze_embeddings: bool = False
    # The hub revision (commit) of a model loaded from the Hugging Face cache: recorded at
    # load, and pinned when set (a folder has none).
    revision: str | None = None


@dataclass
class ResNet1dConfig:
    """A ResNet1d ECG encoder (:class:`merl_core.models.resnet1d.ResNet1dEncoder`)."""

    family: Literal["resnet1d"] = "resnet1d"
    block: str = "basic"
    layers: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
    widths: list[int] = field(default_factory=lambda: [64, 128, 256, 512])
    stem_kernel: int = 7
    attn_heads: int = 4
    # "cls": the published attention pool's learned query token (imported MERL weights);
    # "mean": the mean of the sequence as the query (this project's trained models).
    pool_query: str = "mean"


@dataclass
class ViT1dConfig:
    """A ViT1d ECG encoder (:class:`merl_core.models.vit1d.ViT1dEncoder`)."""

    family: Literal["vit1d"] = "vit1d"
    width: int = 192
    depth: int = 12
    heads: int = 3
    mlp_dim: int = 768
    patch_size: int = 50


ECGConfig = ResNet1dConfig | ViT1dConfig
ECG_CONFIGS: dict[str, type[ResNet1dConfig] | type[ViT1dConfig]] = {
    "resnet1d": ResNet1dConfig, "vit1d": ViT1dConfig,
}  # fmt: skip
ECG_FAMILIES = tuple(ECG_CONFIGS)
TEXT_DEFAULTS: dict[str, Any] = asdict(TextConfig())
_TOP_KEYS = ("embed_dim", "in_leads", "num_samples", "drop_rate", "temperature")


def ecg_params(ecg: ECGConfig) -> dict[str, Any]:
    """The encoder's keyword arguments (the config without ``family``)."""
    return {k: v for k, v in asdict(ecg).items() if k != "family"}


def _build(cls: type[Any], data: dict[str, Any], what: str) -> Any:
    names = {f.name for f in fields(cls)}
    extra = sorted(set(data) - names)
    if extra:
        raise ModelConfigError(f"unknown {what} config keys: {extra} (valid: {sorted(names)})")
    return cls(**data)


@dataclass
class ModelConfig:
    """A full MERL architecture: ECG encoder, text encoder and the shared settings."""

    name: str
    ecg: ECGConfig
    text: TextConfig = field(default_factory=TextConfig)
    embed_dim: int = 256
    in_leads: int = 12
    num_samples: int = 5000
    drop_rate: float = 0.1
    temperature: float = 0.07

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shape of the registry JSON files and ``config.json``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict, filling defaults.

        Raises:
            ModelConfigError: an unknown key or ECG family.
        """
        data = copy.deepcopy(data)
        extra = set(data) - {"name", "ecg", "text", *_TOP_KEYS}
        if extra:
            raise ModelConfigError(f"unknown model config keys: {sorted(extra)}")
        ecg = data.get("ecg") or {}
        family = ecg.get("family")
        if family not in ECG_CONFIGS:
            raise ModelConfigError(f"ecg.family must be one of {ECG_FAMILIES}, not {family!r}")
        data["ecg"] = _build(ECG_CONFIGS[family], ecg, "ecg")
        data["text"] = _build(TextConfig, data.get("text") or {}, "text")
        return cls(**data)


def _load_all() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in resources.files("merl_core.configs").iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            out[data["name"]] = data
    return out


_REGISTRY: dict[str, dict[str, Any]] = _load_all()


def list_models() -> list[str]:
    """Names of the registered architectures, sorted."""
    return sorted(_REGISTRY)


def get_model_config(name: str) -> ModelConfig:
    """A fresh copy of the named architecture's config."""
    if name not in _REGISTRY:
        raise UnknownModelError(f"unknown model {name!r}; valid: {', '.join(list_models())}")
    return ModelConfig.from_dict(_REGISTRY[name])


def apply_overrides(cfg: ModelConfig, overrides: dict[str, Any]) -> ModelConfig:
    """Apply ``key=value`` overrides: top-level keys, ``text_<key>``/``text`` or ECG keys."""
    cfg = copy.deepcopy(cfg)
    ecg_keys = set(ecg_params(cfg.ecg))
    for key, value in overrides.items():
        if key in _TOP_KEYS:
            setattr(cfg, key, value)
        elif key == "text" and isinstance(value, dict):
            cfg.text = _build(TextConfig, {**asdict(cfg.text), **value}, "text")
        elif key.startswith("text_") and key[5:] in TEXT_DEFAULTS:
            cfg.text = replace(cfg.text, **{key[5:]: value})
        elif key in ecg_keys:
            cfg.ecg = replace(cfg.ecg, **{key: value})
        else:
            valid = sorted([*_TOP_KEYS, *ecg_keys, *(f"text_{k}" for k in TEXT_DEFAULTS)])
            raise UnknownModelError(
                f"unknown override {key!r} for {cfg.name}; valid: {', '.join(valid)}"
            )
    return cfg
