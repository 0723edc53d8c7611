"""The MERL model: ECG encoder + text encoder, one interface for training and evaluation."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from merl_core.data.preprocess import InputSpec
from merl_core.models.dropout import use_fast_dropout
from merl_core.models.registry import ModelConfig, ResNet1dConfig, ecg_params
from merl_core.models.resnet1d import ResNet1dEncoder
from merl_core.models.text import ReportTokenizer, TextEncoder, resolve_text_model
from merl_core.models.vit1d import ViT1dEncoder


def build_ecg_encoder(cfg: ModelConfig) -> ResNet1dEncoder | ViT1dEncoder:
    """The ECG encoder a config describes."""
    params = ecg_params(cfg.ecg)
    shared: dict[str, Any] = {"in_leads": cfg.in_leads, "num_samples": cfg.num_samples,
              "embed_dim": cfg.embed_dim, "drop_rate": cfg.drop_rate}  # fmt: skip
    if isinstance(cfg.ecg, ResNet1dConfig):
        return ResNet1dEncoder(**params, **shared)
    return ViT1dEncoder(**params, **shared)


class MERLModel(nn.Module):
    """ECG and report encoders sharing a 256-d space (CMA) plus the UMA views.

    ``text`` may be ``None`` for an exported ECG-only model.
    """

    def __init__(self, cfg: ModelConfig, *, text: bool = True, load_text_weights: bool = True):
        super().__init__()
        self.config = cfg
        self.ecg: ResNet1dEncoder | ViT1dEncoder = build_ecg_encoder(cfg)
        self.text: TextEncoder | None = None
        if text:
            t = cfg.text
            self.text = TextEncoder(
                t.model, embed_dim=cfg.embed_dim, pooling=t.pooling, max_length=t.max_length,
                pad_to_max=t.pad_to_max, train_backbone=t.train_backbone,
                freeze_layers=t.freeze_layers, freeze_embeddings=t.freeze_embeddings,
                load_weights=load_text_weights, revision=t.revision,
            )  # fmt: skip
            t.revision = self.text.revision  # recorded with the checkpoint's config
        use_fast_dropout(self)  # same dropout, cheaper masks on CPU
        # Fixed temperature, as upstream (not learned).
        self.logit_scale: torch.Tensor
        self.register_buffer("logit_scale", torch.tensor(1.0 / cfg.temperature), persistent=False)
        self.meta: dict[str, Any] = {}

    @property
    def input_spec(self) -> InputSpec | None:
        """The preprocessing its checkpoint records (fs, length, normalisation, crop, lead
        order): what an evaluation's data must match; None for a model that records none."""
        return InputSpec.from_meta(self.meta)

    def encode_ecg(self, x: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """(B, leads, samples) → attention-pooled CMA projection (B, embed_dim)."""
        feats = self.ecg.embed(x)
        return F.normalize(feats, dim=-1) if normalize else feats

    def encode_text(
        self, texts: list[str] | dict[str, torch.Tensor], normalize: bool = False
    ) -> torch.Tensor:
        """Reports (strings or tokenised) → projected embedding (B, embed_dim)."""
        if self.text is None:
            raise RuntimeError("this model has no text encoder (an exported ECG encoder)")
        feats = self.text(texts)
        return F.normalize(feats, dim=-1) if normalize else feats

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Tokenise reports as the text encoder expects (for data-loader workers)."""
        if self.text is None:
            raise RuntimeError("this model has no text encoder (an exported ECG encoder)")
        return self.text.tokenize(texts)

    def report_tokenizer(self) -> ReportTokenizer:
        """:meth:`tokenize` as a picklable value (the tokenizer's path and options), for
        data-loader workers, which must not receive the model."""
        if self.text is None:
            raise RuntimeError("this model has no text encoder (an exported ECG encoder)")
        return ReportTokenizer(resolve_text_model(self.text.model_name), self.text.max_length,
                               self.text.pad_to_max, self.text.revision)  # fmt: skip

    def forward(
        self, ecg: torch.Tensor, texts: list[str] | dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Normalised ``ecg``, ``text``, ``ecg_view1``, ``ecg_view2`` and ``logit_scale``."""
        proj, v1, v2 = self.ecg(ecg)
        return {
            "ecg": F.normalize(proj, dim=-1),
            "text": F.normalize(self.encode_text(texts), dim=-1),
            "ecg_view1": F.normalize(v1, dim=-1),
            "ecg_view2": F.normalize(v2, dim=-1),
            "logit_scale": self.logit_scale,
        }
