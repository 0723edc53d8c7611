"""Model architectures as data: one JSON per name in ``merl_core/configs/``.

``list_models()``, ``get_model_config(name)`` (a copy), and :class:`ModelConfig`, the typed
form a checkpoint stores beside its weights.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

TEXT_DEFAULTS: dict[str, Any] = {
    "model": None,  # None = the packaged all-MiniLM-L6-v2
    "pooling": "auto",
    "max_length": 256,
    "pad_to_max": False,
    # Upstream embeds reports under torch.no_grad (its get_text_emb), so the language model
    # never trains and only the projection head learns; True fine-tunes it, with the first
    # freeze_layers layers (and optionally the embeddings) frozen.
    "train_backbone": False,
    "freeze_layers": 6,
    "freeze_embeddings": False,
}
ECG_FAMILIES = ("resnet1d", "vit1d")
_TOP_KEYS = ("embed_dim", "in_leads", "num_samples", "drop_rate", "temperature")


@dataclass
class ModelConfig:
    """A full MERL architecture: ECG encoder, text encoder and the shared settings."""

    name: str
    ecg: dict[str, Any]
    text: dict[str, Any] = field(default_factory=lambda: dict(TEXT_DEFAULTS))
    embed_dim: int = 256
    in_leads: int = 12
    num_samples: int = 5000
    drop_rate: float = 0.1
    temperature: float = 0.07

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict, filling text defaults; unknown keys are errors."""
        data = copy.deepcopy(data)
        known = {"name", "ecg", "text", *_TOP_KEYS}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown model config keys: {sorted(extra)}")
        if data.get("ecg", {}).get("family") not in ECG_FAMILIES:
            raise ValueError(f"ecg.family must be one of {ECG_FAMILIES}")
        data["text"] = {**TEXT_DEFAULTS, **data.get("text", {})}
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
        raise KeyError(f"unknown model {name!r}; valid: {', '.join(list_models())}")
    return ModelConfig.from_dict(_REGISTRY[name])


def apply_overrides(cfg: ModelConfig, overrides: dict[str, Any]) -> ModelConfig:
    """Apply ``key=value`` overrides: top-level keys, ``text_<key>``/``text`` or ECG keys."""
    cfg = copy.deepcopy(cfg)
    for key, value in overrides.items():
        if key in _TOP_KEYS:
            setattr(cfg, key, value)
        elif key == "text" and isinstance(value, dict):
            cfg.text.update(value)
        elif key.startswith("text_") and key[5:] in TEXT_DEFAULTS:
            cfg.text[key[5:]] = value
        elif key in cfg.ecg:
            cfg.ecg[key] = value
        else:
            valid = sorted([*_TOP_KEYS, *cfg.ecg, *(f"text_{k}" for k in TEXT_DEFAULTS)])
            raise KeyError(f"unknown override {key!r} for {cfg.name}; valid: {', '.join(valid)}")
    return cfg
