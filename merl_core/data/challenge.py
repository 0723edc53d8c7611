"""PhysioNet/CinC Challenge 2020/2021 format: ``.hea`` + ``.mat``, SNOMED CT codes in ``#Dx:``.

One reader for CPSC2018 (``A*``), CPSC-Extra (``Q*``), Chapman-Shaoxing + Ningbo (``JS*``,
the "CSN" set of the MERL paper), Georgia (``E*``), PTB-XL copies (``HR*``) and PTB (``S*``);
folders are scanned recursively, so the original CSN release layout (``WFDBRecords/01/010/``)
reads too. Labels:

- ``cpsc2018``: the 9 columns of the MERL ``icbeb`` split files, from the CPSC2018 codes
  (the Challenge's equivalent codes — CRBBB/RBBB, PAC/SVPB, PVC/VPB — count as the same).
- ``csn``: the 38 CSN acronym columns of the ``chapman`` split files, from the dataset's own
  ``ConditionNames_SNOMED-CT.csv`` table (acronyms sharing one code are all set).
- others: one column per SNOMED CT code present (the code as the name).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from merl_core.data.source import RecordRef, Source
from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

PREFIXES: dict[str, tuple[str, ...]] = {
    "cpsc2018": ("A",), "cpsc-extra": ("Q",), "csn": ("JS",), "georgia": ("E",),
    "ptbxl-challenge": ("HR",), "ptb": ("S",), "challenge": (),
}  # fmt: skip
NINGBO_FIRST = 10647  # JS10647… are Ningbo, JS00001–JS10646 Chapman-Shaoxing

# icbeb split column -> SNOMED CT codes (dx_mapping_*.csv of the Challenge; CPSC2018 labels)
CPSC2018_CODES: dict[str, tuple[str, ...]] = {
    "AFIB": ("164889003",),              # AF
    "VPC": ("164884008", "427172004", "17338001"),  # ventricular ectopics, PVC, VPB
    "NORM": ("426783006",),              # NSR
    "1AVB": ("270492004",),              # IAVB
    "CRBBB": ("59118001", "713427006"),  # RBBB, CRBBB
    "STE": ("164931005",),               # STE
    "PAC": ("284470004", "63593006"),    # PAC, SVPB
    "CLBBB": ("164909002", "733534002"),  # LBBB, CLBBB
    "STD": ("429622005",),               # STD
}  # fmt: skip

# chapman split columns, in the split files' order
CSN_COLUMNS: tuple[str, ...] = (
    "AQW", "UW", "SR", "WPW", "2AVB", "AT", "VB", "ARS", "STTC", "SA", "STE", "VPB", "TWO",
    "STTU", "ALS", "APB", "2AVB1", "PRIE", "CCR", "CR", "AF", "AVB", "QTIE", "LBBB", "VEB",
    "SVT", "RBBB", "1AVB", "STDD", "MI", "AFIB", "TWC", "PWC", "ERV", "RVH", "LVH", "ST", "JEB",
)  # fmt: skip


class ChallengeError(MerlCoreError, ValueError):
    """A Challenge-format root that cannot be read."""


def parse_dx(hea: str | Path) -> list[str]:
    """SNOMED CT codes of a header's ``#Dx:`` line (empty when absent)."""
    with open(hea, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = re.match(r"#\s*Dx:\s*(.*)", line.strip())
            if m:
                return [c.strip() for c in m.group(1).split(",") if c.strip()]
    return []


def read_csn_table(path: str | Path) -> dict[str, str]:
    """``ConditionNames_SNOMED-CT.csv``: acronym → SNOMED CT code."""
    import pandas as pd

    df = pd.read_csv(path, dtype=str)
    return {str(a).strip(): str(c).strip() for a, c in zip(df["AcronymName"], df["Snomed_CT"],
                                                              strict=True)}  # fmt: skip


def find_csn_table(root: Path) -> Path | None:
    """The CSN condition table in or beside ``root`` (or in the shared data root)."""
    from merl_core.paths import shared_data_root

    name = "ConditionNames_SNOMED-CT.csv"
    for cand in (root / name, root.parent / name, root.parent / "chapman-shaoxing" / name,
                 shared_data_root() / "chapman-shaoxing" / name):  # fmt: skip
        if cand.exists():
            return cand
    return None


def code_columns(dataset: str, root: Path) -> dict[str, tuple[str, ...]]:
    """Label column → SNOMED CT codes for ``dataset`` (empty: one column per code)."""
    if dataset == "cpsc2018":
        return dict(CPSC2018_CODES)
    if dataset in ("csn", "ningbo"):
        table_path = find_csn_table(root)
        if table_path is None:
            raise ChallengeError(f"{root}: ConditionNames_SNOMED-CT.csv not found (needed for CSN)")
        table = read_csn_table(table_path)
        return {c: (table[c],) for c in CSN_COLUMNS if c in table}
    return {}


def _wanted(rid: str, dataset: str) -> bool:
    prefixes = PREFIXES.get(dataset, ())
    if dataset == "ningbo":
        return rid.startswith("JS") and int(rid[2:] or 0) >= NINGBO_FIRST
    return not prefixes or rid.startswith(prefixes)


def challenge_source(root: str | Path, dataset: str = "challenge") -> Source:
    """Every record of ``dataset`` under a Challenge-format ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise ChallengeError(f"{root}: not a folder")
    if dataset not in PREFIXES and dataset != "ningbo":
        raise ChallengeError(f"unknown Challenge dataset {dataset!r}")
    heads = sorted((p for p in root.rglob("*.hea") if _wanted(p.stem, dataset)),
                   key=lambda p: p.stem)  # fmt: skip
    records, dx = [], []
    for hea in heads:
        records.append(RecordRef(hea.stem, str(hea.with_suffix(""))))
        dx.append(parse_dx(hea))
    cols = code_columns(dataset, root)
    if not cols:
        codes = sorted({c for d in dx for c in d})
        cols = {c: (c,) for c in codes}
    names = list(cols)
    labels = np.zeros((len(records), len(names)), dtype=np.float32)
    for r, codes in enumerate(dx):
        have = set(codes)
        for j, n in enumerate(names):
            labels[r, j] = float(bool(have & set(cols[n])))
    info = {"dx": [",".join(d) for d in dx], "label_codes": {n: list(c) for n, c in cols.items()}}
    logger.info("%s: %d %s records", root, len(records), dataset)
    return Source(dataset, records, names, labels, info=info)
