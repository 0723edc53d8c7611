"""The canonical 12-lead order and the mapping of a file's lead names onto it.

Every reader maps its file's leads onto :data:`LEADS` **by name**: MIMIC-IV-ECG stores aVF
before aVL, PTB-XL, CPSC2018 and CSN store aVL before aVF, and PTB-XL spells them ``AVL``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from merl_core.errors import MerlCoreError

LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)  # fmt: skip

_CANON = {name.upper(): i for i, name in enumerate(LEADS)}
_ALIASES = {"MLI": "I", "MLII": "II", "MLIII": "III", "-AVR": "AVR"}


class LeadError(MerlCoreError, ValueError):
    """A record whose lead names cannot be mapped onto the 12 canonical leads."""


def canonical_name(name: str) -> str | None:
    """The canonical spelling of a lead name (``AVL`` → ``aVL``), or None if unknown."""
    key = str(name).strip().upper().replace(" ", "")
    key = _ALIASES.get(key, key)
    idx = _CANON.get(key)
    return None if idx is None else LEADS[idx]


def lead_permutation(names: Sequence[str]) -> np.ndarray:
    """Column index in ``names`` of each canonical lead, in :data:`LEADS` order.

    Raises:
        LeadError: a canonical lead is missing or appears twice.
    """
    pos: dict[str, int] = {}
    for i, name in enumerate(names):
        canon = canonical_name(name)
        if canon is None:
            continue
        if canon in pos:
            raise LeadError(f"lead {canon} appears twice in {list(names)}")
        pos[canon] = i
    missing = [lead for lead in LEADS if lead not in pos]
    if missing:
        raise LeadError(f"missing lead(s) {', '.join(missing)} (file has {list(names)})")
    return np.array([pos[lead] for lead in LEADS], dtype=np.int64)


def to_canonical(signal: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Reorder a (samples, leads) array to (12, samples) in canonical lead order."""
    if signal.ndim != 2 or signal.shape[1] != len(names):
        raise LeadError(f"signal shape {signal.shape} does not match {len(names)} lead names")
    return np.ascontiguousarray(signal[:, lead_permutation(names)].T)
