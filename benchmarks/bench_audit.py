"""How far to trust `ckepe audit`: recall on false claims, false alarms on true ones, speed.

Scores the labelled claim set (benchmarks/data/audit_claims.tsv: clinical claims over
PTB-XL, CPSC2018 and CSN, true and false; `dev` claims were written while the grounding was
built and the structured reading tuned, `heldout` ones afterwards, `test` ones in eight
categories before the structured reading was tuned, and never tuned on) with and without the
sentence encoder, per split and per category (negation, leads, direction, competitor,
misspelling, placeholder, sentence, injection; `base` = the claims of the first version),
and times the audit of a flat file in the published MERL format for the six test
sets (benchmarks/data/merl_protocol_flat.json with the planted errors of
merl_protocol_planted.json). Targets: recall >= 0.9, false alarms <= 0.1, flat file < 10 s.

Usage: python benchmarks/bench_audit.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results  # noqa: E402

from ckepe.audit import Knowledge, audit_path  # noqa: E402
from ckepe.audit.claims import read_claims, score_claims  # noqa: E402
from ckepe.similarity import SimilarityRanker  # noqa: E402
from ckepe.terminology import RF2Terminology, knowledge_dir  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def planted_file(folder: Path) -> tuple[Path, set[tuple[str, str, str]]]:
    """Write the protocol flat file with its planted errors; return it and the expected set."""
    flat = json.loads((DATA / "merl_protocol_flat.json").read_text(encoding="utf-8"))
    planted = json.loads((DATA / "merl_protocol_planted.json").read_text(encoding="utf-8"))
    flat.update(planted["replace"])
    path = folder / "CKEPE_prompt.json"
    path.write_text(json.dumps(flat, indent=2), encoding="utf-8")
    return path, {tuple(x) for x in planted["expect"]}


def _row(
    grounding: str, split: str, category: str, m: dict, s_per_100: object = "", setup: object = ""
) -> dict:
    """One table row: recall on false claims and false alarms on true ones, kept apart from
    "cannot tell" (unverifiable) in both directions."""
    return {
        "grounding": grounding,
        "split": split,
        "category": category,
        "false": m["false"],
        "caught": m["caught"],
        "recall_false": m["recall_false"],
        "unverifiable_false": m["unverifiable_false"],
        "verified_false": m["verified_false"],
        "true": m["true"],
        "false_alarms": m["false_alarms"],
        "false_alarm_rate": m["false_alarm_rate"],
        "unverifiable_true": m["unverifiable_true"],
        "s_per_100": s_per_100,
        "setup_s": setup,
    }


def main() -> None:
    claims = read_claims(DATA / "audit_claims.tsv")
    rows = []
    detail = {}
    for similarity in (False, True):
        t0 = time.perf_counter()
        kb = Knowledge(RF2Terminology(knowledge_dir() / "terminology"))
        if similarity:
            kb.use_similarity(SimilarityRanker(kb.term))
        setup = time.perf_counter() - t0
        res = score_claims(kb, claims)
        name = "lexical + encoder" if similarity else "lexical only"
        detail[name] = res
        for split, m in [("all", res), *res["splits"].items()]:
            rows.append(
                _row(
                    name,
                    split,
                    "all",
                    m,
                    res["seconds_per_100"] if split == "all" else "",
                    setup if split == "all" else "",
                )
            )
        if similarity:
            for (split, cat), m in res["categories"].items():
                rows.append(_row(name, split, cat, m))
    with tempfile.TemporaryDirectory() as tmp:
        path, expected = planted_file(Path(tmp))
        t0, c0 = time.perf_counter(), time.process_time()
        kb = Knowledge(RF2Terminology(knowledge_dir() / "terminology"))
        kb.use_similarity(SimilarityRanker(kb.term))
        report = audit_path(kb, path)
        flat_s, flat_cpu = time.perf_counter() - t0, time.process_time() - c0
    got = {
        (f.dataset, f.label, f.code)
        for f in report.findings
        if f.verdict in ("contradicted", "structural")
    }
    best = detail["lexical + encoder"]
    alarm_codes = dict(
        Counter(r["code"] for r in best["rows"] if r["truth"] and r["verdict"] == "contradicted")
    )
    test = best["splits"].get("test", best)
    met = test["recall_false"] >= 0.9 and test["false_alarm_rate"] <= 0.1
    notes = (
        f"Claim set: {best['claims']} claims ({best['true']} true, {best['false']} false); the "
        "category rows are the encoder run. "
        "A false claim counts as caught only when `contradicted`; a true claim is a false "
        "alarm only when `contradicted`; `unverifiable` (cannot tell) is counted apart in both "
        "directions. Targets on the `test` split (written and committed before the structured "
        f"reading was tuned): recall >= 0.9 and false alarms <= 0.1: {'met' if met else 'NOT met'}"
        f" (recall {test['recall_false']:.3f}, false alarms {test['false_alarms']}/{test['true']})"
        ". The first scoring of the test split, before any change made after seeing it, gave "
        "recall 55/55 and 1/44 false alarms (lexical only): 'every P wave is followed by a QRS "
        "complex' was cut at 'followed by' after the copula; the clause splitter no longer cuts "
        "after 'is'/'are' (a dev claim of the same form was added with that change)"
        f". False alarms by code (encoder run, all splits): {alarm_codes}; `other_label` is the "
        "leakage rule (a phrase naming another label of the task is rejected even where it "
        "describes the class, e.g. 'right axis deviation' for RVH beside the CSN label ARS), "
        "kept because build and audit share it"
        f". Flat protocol file ({report.classes} keys, six test sets, planted errors): "
        f"{flat_s:.2f} s wall, {flat_cpu:.2f} s CPU, including the terminology and encoder load "
        f"(target < 10 s: {'met' if flat_s < 10 else 'NOT met'} in wall time); it reports "
        "exactly the planted findings: "
        f"{got == expected} (missing {sorted(expected - got)}, extra {sorted(got - expected)}). "
        "Held-out claims were written after the grounding was built; one general fix "
        "(a numeric range inside the class's range agrees) was made after scoring them first "
        "(false alarms then 1/16). The held-out true claim 'wide QRS complex of 120 ms or "
        "longer' for CSN LBBB was contradicted by the shared feature rule until the knowledge "
        "base defined the competing CSN label VEB (ventricular escape beat) by its late wide "
        "complex, as ventricular premature beats are by their premature one, instead of by QRS "
        "width alone (knowledge/REVIEW.md); that correction was made after seeing the false "
        "alarm. "
        f"Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(timings scale with it)."
    )
    write_results(
        "bench_audit",
        "ckepe audit: verdicts on a labelled claim set and a protocol flat file",
        rows,
        columns=[
            "grounding",
            "split",
            "category",
            "false",
            "caught",
            "recall_false",
            "unverifiable_false",
            "verified_false",
            "true",
            "false_alarms",
            "false_alarm_rate",
            "unverifiable_true",
            "s_per_100",
            "setup_s",
        ],
        notes=notes,
        extra={
            "flat_file_s": flat_s,
            "flat_file_cpu_s": flat_cpu,
            "flat_file_keys": report.classes,
            "flat_counts": report.counts(),
            "flat_exact": got == expected,
            "per_claim": best["rows"],
            "by_error_type": best["by_error_type"],
        },
    )


if __name__ == "__main__":
    main()
