"""MERL encoders: a registry of architectures, ``create_model``, and the model class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from merl_core.models.registry import (
    ModelConfig,
    ModelConfigError,
    ResNet1dConfig,
    TextConfig,
    UnknownModelError,
    ViT1dConfig,
    apply_overrides,
    get_model_config,
    list_models,
)

if TYPE_CHECKING:
    from merl_core.models.merl import MERLModel

__all__ = [
    "MERLModel",
    "ModelConfig",
    "ModelConfigError",
    "ResNet1dConfig",
    "TextConfig",
    "UnknownModelError",
    "ViT1dConfig",
    "create_model",
    "get_model_config",
    "list_models",
]


def create_model(name: str, *, text: bool = True, **overrides: Any) -> MERLModel:
    """Build a freshly initialised :class:`MERLModel` by registry name.

    Args:
        name: a name from :func:`list_models`.
        text: build the text encoder too (False: ECG encoder only).
        **overrides: config keys (``embed_dim``, ``drop_rate``, ECG keys such as ``depth``,
            ``text_model``, ``text_freeze_layers``, ...).

    Raises:
        UnknownModelError: an unknown name or override key (the message lists valid ones).
    """
    from merl_core.models.merl import MERLModel

    cfg = apply_overrides(get_model_config(name), overrides)
    return MERLModel(cfg, text=text)


def __getattr__(name: str) -> Any:
    if name == "MERLModel":
        from merl_core.models.merl import MERLModel

        return MERLModel
    raise AttributeError(name)
