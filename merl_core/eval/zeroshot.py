"""Zero-shot classification: class embeddings from prompt texts, cosine scores.

The classifier is a small pure function (as in open_clip): per class, encode its texts,
L2-normalise each, average, L2-normalise again, giving a (D, C) matrix; scores are the
normalised ECG embeddings times that matrix. With one text per class (the MERL
``description`` mode) the average is that text's embedding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

TextEncoder = Callable[[list[str]], torch.Tensor]


@torch.inference_mode()
def build_classifier(
    encode_text: TextEncoder,
    class_texts: Sequence[Sequence[str]],
    *,
    batch_size: int = 64,
    lowercase: bool = False,
) -> torch.Tensor:
    """The (D, C) zero-shot weight matrix: per class the normalised mean of normalised texts.

    Args:
        encode_text: maps a list of strings to (B, D) embeddings (normalised or not).
        class_texts: one non-empty list of texts per class.
        batch_size: texts per encoder call (all classes' texts are batched together).
        lowercase: lower-case every text first (upstream MERL does). Off by default: the
            text encoder's own tokenizer decides what case it sees (the packaged
            all-MiniLM-L6-v2 tokenizer is uncased and lower-cases by itself, so its scores
            are unchanged; a cased encoder keeps rsR' vs RSR', flutter F vs fibrillatory f).
    """
    if any(len(t) == 0 for t in class_texts):
        raise ValueError("every class needs at least one text")
    flat = [t.lower() if lowercase else t for texts in class_texts for t in texts]
    owner = torch.tensor([c for c, texts in enumerate(class_texts) for _ in texts])
    parts = [encode_text(flat[i : i + batch_size]).float() for i in range(0, len(flat), batch_size)]
    emb = F.normalize(torch.cat(parts), dim=-1)
    sums = torch.zeros(len(class_texts), emb.shape[1], dtype=emb.dtype)
    sums.index_add_(0, owner, emb)
    counts = torch.bincount(owner, minlength=len(class_texts)).unsqueeze(1).to(emb.dtype)
    return F.normalize(sums / counts, dim=-1).T.contiguous()


def zeroshot_scores(ecg_features: torch.Tensor, classifier: torch.Tensor) -> torch.Tensor:
    """Cosine scores (N, C) of ECG embeddings (N, D) against a (D, C) classifier."""
    return F.normalize(ecg_features.float(), dim=-1) @ classifier


@torch.inference_mode()
def encode_ecgs(
    model: Any,
    signals: np.ndarray | torch.Tensor,
    *,
    indices: Sequence[int] | None = None,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    normalize: bool = True,
    progress: bool = True,
    desc: str = "encoding ECGs",
) -> torch.Tensor:
    """ECG embeddings (N, D) from ``model.encode_ecg`` in batches, on ``device``, returned on CPU.

    ``signals`` is (N, 12, T) — a NumPy memmap is read one batch at a time.
    """
    idx = np.arange(len(signals)) if indices is None else np.asarray(indices, dtype=np.int64)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    out = []
    try:
        for start in tqdm(
            range(0, len(idx), batch_size), desc=desc, disable=not progress, unit="batch"
        ):
            chunk = np.sort(idx[start : start + batch_size])
            order = np.argsort(np.argsort(idx[start : start + batch_size]))
            x = torch.as_tensor(np.asarray(signals[chunk], dtype=np.float32), device=device)
            feats = model.encode_ecg(x, normalize=normalize).float().cpu()
            out.append(feats[torch.as_tensor(order)])
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if not out:
        raise ValueError("no ECGs to encode")
    return torch.cat(out)


def text_encoder_of(model: Any, device: str | torch.device = "cpu") -> TextEncoder:
    """Wrap ``model.encode_text`` as a :data:`TextEncoder` returning CPU tensors."""

    def encode(texts: list[str]) -> torch.Tensor:
        return model.encode_text(texts, normalize=True).float().cpu()

    return encode


class FeatureBank:
    """ECG embeddings of one cache computed once and reused across tasks (memoised by row)."""

    def __init__(self, model: Any, signals: np.ndarray, *, batch_size: int = 64,
                 device: str | torch.device = "cpu", normalize: bool = True) -> None:  # fmt: skip
        self.model, self.signals = model, signals
        self.batch_size, self.device, self.normalize = batch_size, device, normalize
        self._rows: dict[int, torch.Tensor] = {}

    def get(self, indices: Sequence[int] | np.ndarray, progress: bool = True) -> torch.Tensor:
        """Embeddings (N, D) of the rows ``indices``, encoding only the rows not seen yet."""
        todo = sorted({int(i) for i in indices} - self._rows.keys())
        if todo:
            feats = encode_ecgs(self.model, self.signals, indices=todo,
                                batch_size=self.batch_size, device=self.device,
                                normalize=self.normalize, progress=progress)  # fmt: skip
            self._rows.update(zip(todo, feats, strict=True))
        return torch.stack([self._rows[int(i)] for i in indices])


def zeroshot_task(
    name: str,
    bank: FeatureBank,
    classifier: torch.Tensor,
    test: Any,
    val: Any | None = None,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
    info: dict[str, Any] | None = None,
) -> Any:
    """Score one task's test (and val) rows and compute its metrics.

    ``test``/``val`` are :class:`merl_core.eval.evalsets.EvalSplit`; F1 thresholds come from val
    only. Returns a :class:`merl_core.eval.report.TaskOutput`.
    """
    from merl_core.eval.metrics import evaluate, select_thresholds
    from merl_core.eval.report import TaskOutput

    s_test = zeroshot_scores(bank.get(test.indices), classifier).numpy()
    thresholds = None
    if val is not None and len(val.indices):
        if val.label_names != test.label_names:
            raise ValueError(f"{name}: val and test label columns differ")
        s_val = zeroshot_scores(bank.get(val.indices), classifier).numpy()
        thresholds = select_thresholds(val.labels, s_val)
    result = evaluate(test.labels, s_test, test.label_names, thresholds=thresholds,
                      n_bootstrap=n_bootstrap, seed=seed)  # fmt: skip
    meta = {**(info or {}), "test": test.info, "val": val.info if val is not None else None}
    return TaskOutput(name, result, test.labels, s_test, meta)
