"""Score the audit on a labelled claim set (benchmarks/data/audit_claims.tsv).

Claims of split ``dev`` were written while the grounding was built (and the claims in the
eight categories of the structured reading, column ``category``, are tuned on); ``heldout``
claims were written afterwards; ``test`` claims (in the eight categories) were written and
committed before the structured reading was tuned, and are reported, never tuned on.

Each claim is one phrase for one class of a dataset, with its truth. A false claim is
caught when the audit says ``contradicted``; a true claim is a false alarm when the audit
says ``contradicted``. ``unverifiable`` is counted apart in both directions: it is "cannot
tell", neither a catch nor a false alarm (under ``--strict`` it would fail the file).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ckepe.audit.judge import CONTRADICTED, UNVERIFIABLE, ClassAuditor, Knowledge
from ckepe.audit.run import dataset_specs

CLAIM_COLUMNS = [
    "id",
    "dataset",
    "task",
    "label",
    "claim",
    "truth",
    "error_type",
    "source",
    "split",
]


@dataclass(frozen=True)
class Claim:
    """One labelled claim."""

    id: str
    dataset: str
    task: str
    label: str
    claim: str
    truth: bool
    error_type: str
    source: str
    split: str = "dev"
    category: str = "base"


def read_claims(path: Path) -> list[Claim]:
    """Read the claim table (ValueError naming the file on a bad row)."""
    out = []
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = set(CLAIM_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for i, r in enumerate(reader, start=2):
            if r["truth"] not in ("true", "false") or not r["source"]:
                raise ValueError(f"{path}:{i}: truth must be true/false and source set")
            out.append(
                Claim(
                    r["id"],
                    r["dataset"],
                    r["task"],
                    r["label"],
                    r["claim"],
                    r["truth"] == "true",
                    r["error_type"],
                    r["source"],
                    r["split"],
                    (r.get("category") or "base").strip(),
                )
            )
    return out


def score_claims(kb: Knowledge, claims: list[Claim]) -> dict[str, Any]:
    """Verdict per claim, recall on false claims, false-alarm rate on true ones, timing."""
    auditors: dict[tuple[str, str, str], ClassAuditor] = {}
    rows = []
    t0 = time.perf_counter()
    for c in claims:
        key = (c.dataset, c.task, c.label)
        if key not in auditors:
            task = None if c.task == "default" else c.task
            spec = next((s for s in dataset_specs(c.dataset, task) if s.label == c.label), None)
            if spec is None:
                raise ValueError(f"claim {c.id}: {c.label} is not a label of {c.dataset} {c.task}")
            auditors[key] = ClassAuditor(kb, spec)
        f = auditors[key].judge(c.claim, "any")
        rows.append(
            {
                "id": c.id,
                "split": c.split,
                "dataset": c.dataset,
                "label": c.label,
                "claim": c.claim,
                "truth": c.truth,
                "error_type": c.error_type,
                "category": c.category,
                "verdict": f.verdict,
                "code": f.code,
                "concept": f.concept,
                "reason": f.reason,
            }
        )
    seconds = time.perf_counter() - t0
    out = _metrics(rows)
    out["seconds_per_100"] = 100 * seconds / max(1, len(rows))
    out["splits"] = {
        sp: _metrics([r for r in rows if r["split"] == sp])
        for sp in sorted({str(r["split"]) for r in rows})
    }
    out["categories"] = {
        (sp, cat): _metrics([r for r in rows if r["split"] == sp and r["category"] == cat])
        for sp, cat in sorted({(str(r["split"]), str(r["category"])) for r in rows})
    }
    out["rows"] = rows
    return out


def _metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    false = [r for r in rows if not r["truth"]]
    true = [r for r in rows if r["truth"]]
    caught = sum(r["verdict"] == CONTRADICTED for r in false)
    alarms = sum(r["verdict"] == CONTRADICTED for r in true)
    by_type: dict[str, Counter[str]] = {}
    for r in false:
        by_type.setdefault(r["error_type"], Counter())[r["verdict"]] += 1
    return {
        "claims": len(rows),
        "true": len(true),
        "false": len(false),
        "recall_false": caught / max(1, len(false)),
        "false_alarm_rate": alarms / max(1, len(true)),
        "caught": caught,
        "false_alarms": alarms,
        "unverifiable_true": sum(r["verdict"] == UNVERIFIABLE for r in true),
        "unverifiable_false": sum(r["verdict"] == UNVERIFIABLE for r in false),
        "verified_false": sum(r["verdict"] == "verified" for r in false),
        "by_error_type": {k: dict(v) for k, v in by_type.items()},
    }
