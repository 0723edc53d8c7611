"""English statement text for PTB-XL records, built from ``scp_codes`` and ``scp_statements.csv``.

PTB-XL's free-text ``report`` is mostly German ("sinusrhythmus normales ekg"); the English
variant joins the English ``description`` of each SCP statement a record carries, MERL style
(lower case, ``". "`` between statements, a final "."): e.g. "sinus rhythm. left ventricular
hypertrophy.". Rhythm statements come first (as a cardiologist's report opens with the
rhythm); the others follow by decreasing likelihood, ties in the record's own order.
PTB-XL gives rhythm and form statements likelihood 0 ("not stated"), so likelihood alone
would push them to the end.

Note: this text is derived from the labels themselves, so a model pretrained on it has seen
the label vocabulary; it is a comparison variant, not a substitute for real reports.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

TEXT_COLUMN = "description"


class StatementError(MerlCoreError, ValueError):
    """An ``scp_statements.csv`` or ``scp_codes`` value that cannot be used."""


def read_statements(path: str | Path) -> pd.DataFrame:
    """``scp_statements.csv`` indexed by SCP code (needs ``description`` and ``rhythm``)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, index_col=0)
    except FileNotFoundError as exc:
        raise StatementError(f"{path}: file not found") from exc
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise StatementError(f"{path}: unreadable CSV ({exc})") from exc
    missing = [c for c in (TEXT_COLUMN, "rhythm") if c not in df.columns]
    if missing:
        raise StatementError(f"{path}: no column(s) {', '.join(missing)}")
    return df


def _normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip().lower()
    return text.rstrip(".")


def parse_scp_codes(value: str | Mapping[str, float]) -> dict[str, float]:
    """``scp_codes`` as a dict (the CSV stores it as a Python literal)."""
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError) as exc:
        raise StatementError(f"scp_codes {value!r}: not a dict literal") from exc
    if not isinstance(parsed, dict):
        raise StatementError(f"scp_codes {value!r}: not a dict literal")
    return {str(k): float(v) for k, v in parsed.items()}


def order_codes(codes: Mapping[str, float], statements: pd.DataFrame) -> list[str]:
    """Known codes of a record: rhythm first, then by decreasing likelihood (stable)."""
    known = [c for c in codes if c in statements.index]
    unknown = [c for c in codes if c not in statements.index]
    if unknown:
        logger.warning("SCP code(s) not in scp_statements.csv (skipped): %s", ", ".join(unknown))
    rhythm = statements["rhythm"].fillna(0).astype(float)
    pos = {c: i for i, c in enumerate(known)}
    return sorted(known, key=lambda c: (rhythm[c] != 1.0, -float(codes[c]), pos[c]))


def english_report(codes: str | Mapping[str, float], statements: pd.DataFrame) -> str:
    """The English statement text of one record ("" when it has no known statement)."""
    parsed = parse_scp_codes(codes)
    parts: list[str] = []
    for code in order_codes(parsed, statements):
        text = _normalise(statements.at[code, TEXT_COLUMN])
        if text and text not in parts:
            parts.append(text)
    return (". ".join(parts) + ".") if parts else ""


def english_reports(
    scp_codes: Iterable[str | Mapping[str, float]], statements: pd.DataFrame
) -> list[str]:
    """English statement texts of many records, in order."""
    return [english_report(c, statements) for c in scp_codes]


def english_reports_for_root(root: str | Path) -> dict[str, str]:
    """``ecg_id`` (as a string) → English statement text for a PTB-XL root."""
    root = Path(root)
    statements = read_statements(root / "scp_statements.csv")
    db_path = root / "ptbxl_database.csv"
    try:
        db = pd.read_csv(db_path, usecols=["ecg_id", "scp_codes"])
    except FileNotFoundError as exc:
        raise StatementError(f"{db_path}: file not found") from exc
    except ValueError as exc:
        raise StatementError(f"{db_path}: no ecg_id/scp_codes columns ({exc})") from exc
    texts = english_reports(db["scp_codes"], statements)
    return {str(int(i)): t for i, t in zip(db["ecg_id"], texts, strict=True)}
