"""MERL encoders: a registry of architectures, ``create_model``, and the model class."""

from __future__ import annotations

from typing import Any

from merl_core.models.registry import (
    ModelConfig,
    apply_overrides,
    get_model_config,
    list_models,
)

__all__ = ["MERLModel", "ModelConfig", "create_model", "get_model_config", "list_models"]


def create_model(name: str, *, text: bool = True, **overrides: Any) -> Any:
    """Build a freshly initialised :class:`MERLModel` by registry name.

    Args:
        name: a name from :func:`list_models`.
        text: build the text encoder too (False: ECG encoder only).
        **overrides: config keys (``embed_dim``, ``drop_rate``, ECG keys such as ``depth``,
            ``text_model``, ``text_freeze_layers``, ...).
    """
    from merl_core.models.merl import MERLModel

    cfg = apply_overrides(get_model_config(name), overrides)
    return MERLModel(cfg, text=text)


def __getattr__(name: str) -> Any:
    if name == "MERLModel":
        from merl_core.models.merl import MERLModel

        return MERLModel
    raise AttributeError(name)
