"""Lead subsets: evaluate a 12-lead model on fewer leads, the absent ones zeroed.

Zeroing the absent leads is the missing-lead baseline of the literature (the model and its
input shape stay the same). A subset is written as lead names and named sets joined by commas
(``I,II``, ``limb6``, ``limb6,V1``); a sweep is subsets joined by ``;`` (or ``default``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch

from merl_core.data.leads import LEADS, canonical_name
from merl_core.errors import MerlCoreError

NAMED_SETS: dict[str, tuple[str, ...]] = {
    "all12": LEADS,
    "limb6": LEADS[:6],
    "precordial6": LEADS[6:],
    "limb3": LEADS[:3],
}
DEFAULT_SWEEP = ("all12", "limb6", "precordial6", "I,II", "I", "II")


class LeadSpecError(MerlCoreError, ValueError):
    """A lead subset that names no known lead or set."""


def parse_leads(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Canonical lead names (in the 12-lead order) of ``spec``; raises :class:`LeadSpecError`."""
    items = spec if not isinstance(spec, str) else re.split(r"[,+\s]+", spec.strip())
    chosen: set[str] = set()
    for item in (i for i in items if i):
        named = NAMED_SETS.get(item.lower())
        if named is not None:
            chosen.update(named)
            continue
        canon = canonical_name(item)
        if canon is None:
            raise LeadSpecError(
                f"{item!r} is neither a lead ({', '.join(LEADS)}) nor a named set "
                f"({', '.join(NAMED_SETS)})"
            )
        chosen.add(canon)
    if not chosen:
        raise LeadSpecError("no lead given")
    return tuple(lead for lead in LEADS if lead in chosen)


def subset_label(leads: Sequence[str]) -> str:
    """A short name of a subset: the named set it equals, else the leads joined by commas."""
    for name, members in NAMED_SETS.items():
        if tuple(leads) == members:
            return name
    return ",".join(leads)


def parse_sweep(spec: str) -> list[tuple[str, ...]]:
    """The subsets of a sweep (``default`` or ``"all12;limb6;I,II"``), duplicates dropped."""
    parts = DEFAULT_SWEEP if spec.strip().lower() == "default" else spec.split(";")
    out: list[tuple[str, ...]] = []
    for part in (p.strip() for p in parts):
        if part and (leads := parse_leads(part)) not in out:
            out.append(leads)
    if not out:
        raise LeadSpecError("no lead subset given")
    return out


def lead_mask(leads: Sequence[str], order: Sequence[str] = LEADS) -> torch.Tensor:
    """A (len(order), 1) float mask: 1 for the kept leads, 0 for the absent."""
    keep = set(leads)
    return torch.tensor([[1.0] if lead in keep else [0.0] for lead in order])


class LeadSubsetModel:
    """A model whose ECG input has the absent leads zeroed (text and the rest unchanged)."""

    def __init__(self, model: Any, leads: Sequence[str]) -> None:
        self.model = model
        self.leads = tuple(leads)
        self._mask = lead_mask(self.leads)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["model"], name)

    def encode_ecg(self, x: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """``model.encode_ecg`` of ``x`` with the absent leads set to zero."""
        return self.model.encode_ecg(x * self._mask.to(x.device, x.dtype), normalize=normalize)


def with_leads(model: Any, leads: Sequence[str] | None) -> Any:
    """``model`` itself for all 12 leads (or None), else a :class:`LeadSubsetModel`."""
    if leads is None or tuple(leads) == LEADS:
        return model
    return LeadSubsetModel(model, leads)
