"""Linear probe: a logistic-regression head on frozen ECG features.

Features are extracted once per split; the head is trained on a fraction of the training
split (fixed seed, each class kept present where the fraction allows: "stratified where
possible"), the weight decay and the epoch are selected on the validation split's macro
AUC (never on test, unlike the published trainer), and the test split gets the same metrics
as zero-shot, with F1 thresholds chosen on validation.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from merl_core.eval.metrics import EvalResult, evaluate, macro_auc, select_thresholds

logger = logging.getLogger(__name__)

WEIGHT_DECAYS = (0.0, 1e-4, 1e-2)


def subsample_indices(labels: np.ndarray, ratio: float, seed: int = 0) -> np.ndarray:
    """Indices of a ``ratio`` fraction of rows (sorted), seeded; each class with a positive
    in the full split keeps at least one positive when the budget allows (rarest first)."""
    n = len(labels)
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    k = max(1, math.ceil(ratio * n))
    if k >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    y = np.nan_to_num(np.asarray(labels, dtype=np.float64)) > 0
    chosen: list[int] = []
    taken = np.zeros(n, dtype=bool)
    for c in np.argsort(y.sum(axis=0), kind="stable"):
        if len(chosen) >= k or y[:, c].sum() == 0 or (y[taken, c]).any():
            continue
        i = int(rng.choice(np.nonzero(y[:, c])[0]))
        chosen.append(i)
        taken[i] = True
    rest = rng.permutation(np.nonzero(~taken)[0])[: k - len(chosen)]
    return np.sort(np.r_[np.array(chosen, dtype=np.int64), rest])


@dataclass
class ProbeFit:
    """A trained head and how it was selected."""

    weight: torch.Tensor  # (C, D)
    bias: torch.Tensor  # (C,)
    mean: torch.Tensor
    std: torch.Tensor
    weight_decay: float
    epoch: int
    val_macro_auc: float

    def scores(self, x: torch.Tensor) -> np.ndarray:
        """Logits (N, C) of features ``x``."""
        z = (x.float() - self.mean) / self.std
        return (z @ self.weight.T + self.bias).numpy()


def _bce_masked(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    mask = ~torch.isnan(y)
    return F.binary_cross_entropy_with_logits(logits[mask], y[mask])


def fit_probe(
    x_train: torch.Tensor,
    y_train: np.ndarray,
    x_val: torch.Tensor,
    y_val: np.ndarray,
    *,
    epochs: int = 200,
    lr: float = 1e-2,
    weight_decays: tuple[float, ...] = WEIGHT_DECAYS,
    eval_every: int = 10,
    seed: int = 0,
) -> ProbeFit:
    """Full-batch AdamW logistic regression; weight decay and epoch chosen on val macro AUC."""
    mean = x_train.float().mean(0)
    std = x_train.float().std(0).clamp_min(1e-6) if len(x_train) > 1 else torch.ones_like(mean)
    xt, xv = (x_train.float() - mean) / std, (x_val.float() - mean) / std
    yt = torch.as_tensor(y_train, dtype=torch.float32)
    best: ProbeFit | None = None
    for wd in weight_decays:
        torch.manual_seed(seed)
        head = torch.nn.Linear(xt.shape[1], yt.shape[1])
        opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=wd)
        for epoch in range(1, epochs + 1):
            opt.zero_grad()
            loss = _bce_masked(head(xt), yt)
            loss.backward()
            opt.step()
            if epoch % eval_every and epoch != epochs:
                continue
            with torch.no_grad():
                auc = macro_auc(y_val, head(xv).numpy())
            auc = -1.0 if math.isnan(auc) else auc
            if best is None or auc > best.val_macro_auc:
                best = ProbeFit(head.weight.detach().clone(), head.bias.detach().clone(),
                                mean, std, wd, epoch, auc)  # fmt: skip
    assert best is not None
    logger.info("probe selected wd=%g epoch=%d (val macro AUC %.3f)",
                best.weight_decay, best.epoch, best.val_macro_auc)  # fmt: skip
    return best


def run_probe(
    features: dict[str, torch.Tensor],
    labels: dict[str, np.ndarray],
    label_names: list[str],
    *,
    ratio: float,
    seed: int = 0,
    n_bootstrap: int = 1000,
    epochs: int = 200,
    train_rows: np.ndarray | None = None,
) -> tuple[EvalResult, np.ndarray, dict[str, Any]]:
    """Train on ``ratio`` of train, select on val, evaluate on test.

    ``train_rows``: the train rows, if already drawn (``subsample_indices(labels["train"],
    ratio, seed)``): only their ``features["train"]`` rows are read.

    Returns:
        The test metrics, the test scores and a dict describing the fit.
    """
    sub = subsample_indices(labels["train"], ratio, seed) if train_rows is None else train_rows
    fit = fit_probe(features["train"][sub], labels["train"][sub], features["val"],
                    labels["val"], epochs=epochs, seed=seed)  # fmt: skip
    thresholds = select_thresholds(labels["val"], fit.scores(features["val"]))
    s_test = fit.scores(features["test"])
    result = evaluate(labels["test"], s_test, label_names, thresholds=thresholds,
                      n_bootstrap=n_bootstrap, seed=seed)  # fmt: skip
    info = {
        "ratio": ratio,
        "train_rows": int(len(sub)),
        "weight_decay": fit.weight_decay,
        "epoch": fit.epoch,
        "val_macro_auc": fit.val_macro_auc,
    }
    return result, s_test, info


class BackboneFeatures:
    """A model whose ``encode_ecg`` gives the ECG backbone's pooled features.

    What the published linear probe reads: the ResNet's last feature map averaged over time,
    or the ViT's mean-pooled, layer-normalised tokens (before any projection head).
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["model"], name)

    def encode_ecg(self, x: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """Pooled backbone features (B, feature_dim)."""
        ecg = self.model.ecg
        if hasattr(ecg, "stages"):
            feats = ecg.stages(ecg.stem(x)).mean(dim=2)
        else:
            feats = ecg.features(x)
        return F.normalize(feats, dim=-1) if normalize else feats


def probe_view(model: Any) -> tuple[Any, str]:
    """The model the probe reads features from, and which features (checkpoint ``meta``)."""
    if (getattr(model, "meta", None) or {}).get("probe_features") == "backbone":
        return BackboneFeatures(model), "backbone"
    return model, "embedding"


def randomize_weights(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Re-initialise every layer of ``model`` in place (the ``--random-init`` baseline)."""
    torch.manual_seed(seed)
    for module in model.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()
        else:
            # parameters a module owns directly without an initialiser (positional
            # embeddings, CLS queries): small normal, as ViT/CLIP initialise them
            for p in module.parameters(recurse=False):
                torch.nn.init.normal_(p, std=0.02)
    return model
