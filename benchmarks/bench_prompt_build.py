"""Time building and auditing the three prompt sets without an LLM (target: < 5 s in total).

Usage: python benchmarks/bench_prompt_build.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results  # noqa: E402

from ckepe.audit import Knowledge, audit_prompt_set  # noqa: E402
from ckepe.build import build_prompt_set  # noqa: E402
from ckepe.normalize import normalize_term  # noqa: E402
from ckepe.promptfile import read_prompt_set, write_prompt_set  # noqa: E402
from ckepe.registry import EVAL_DATASETS  # noqa: E402
from ckepe.terminology import RF2Terminology, knowledge_dir  # noqa: E402

DATASETS = EVAL_DATASETS


def run_once(tmp: Path) -> list[dict]:
    """Load the terminology once, then build, write, re-read and audit each prompt set."""
    normalize_term.cache_clear()  # every run starts cold
    t0 = time.perf_counter()
    term = RF2Terminology(knowledge_dir() / "terminology")  # uncached: a cold load
    load_s = time.perf_counter() - t0
    rows = [
        {
            "step": "load terminology",
            "dataset": "-",
            "classes": len(term),
            "seconds": load_s,
            "findings": "",
        }
    ]
    for ds in DATASETS:
        t1 = time.perf_counter()
        ps = build_prompt_set(term, ds).prompt_set
        write_prompt_set(ps, tmp / f"{ds}.json")
        t2 = time.perf_counter()
        back = read_prompt_set(tmp / f"{ds}.json")
        findings = audit_prompt_set(Knowledge(term), back).problems
        t3 = time.perf_counter()
        rows.append(
            {
                "step": "build+write",
                "dataset": ds,
                "classes": len(ps.classes),
                "seconds": t2 - t1,
                "findings": "",
            }
        )
        rows.append(
            {
                "step": "read+audit",
                "dataset": ds,
                "classes": len(back.classes),
                "seconds": t3 - t2,
                "findings": len(findings),
            }
        )
    rows.append(
        {
            "step": "total",
            "dataset": "all",
            "classes": sum(r["classes"] for r in rows if r["step"] == "build+write"),
            "seconds": sum(r["seconds"] for r in rows),
            "findings": "",
        }
    )
    return rows


def write_synthetic_release(folder: Path, n: int) -> None:
    """An RF2 snapshot of ``n`` concepts (2 descriptions each, one is-a) to time the loader."""
    import random

    rng = random.Random(0)
    term = folder / "Snapshot" / "Terminology"
    term.mkdir(parents=True)
    mod = "900000000000207008"
    with (
        (term / "sct2_Concept_Snapshot_INT_20250101.txt").open("w") as c,
        (term / "sct2_Description_Snapshot-en_INT_20250101.txt").open("w") as d,
        (term / "sct2_Relationship_Snapshot_INT_20250101.txt").open("w") as r,
    ):
        c.write("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n")
        d.write(
            "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\t"
            "term\tcaseSignificanceId\n"
        )
        r.write(
            "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\t"
            "relationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\n"
        )
        for i in range(1, n + 1):
            cid = str(100000 + i)
            c.write(f"{cid}\t20250101\t1\t{mod}\t900000000000074008\n")
            d.write(
                f"{2 * i}\t20250101\t1\t{mod}\t{cid}\ten\t900000000000003001\t"
                f"Synthetic finding number {i} (finding)\t900000000000448009\n"
            )
            d.write(
                f"{2 * i + 1}\t20250101\t1\t{mod}\t{cid}\ten\t900000000000013009\t"
                f"synthetic term {i}\t900000000000448009\n"
            )
            if i > 1:
                parent = 100000 + rng.randint(1, i - 1)
                r.write(
                    f"{i}\t20250101\t1\t{mod}\t{cid}\t{parent}\t0\t116680003\t"
                    "900000000000011006\t900000000000451002\n"
                )


def time_large_release(n: int) -> list[dict]:
    """Load time of a synthetic RF2 release of n concepts (cold load, then first find())."""
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_release(Path(tmp), n)
        t0 = time.perf_counter()
        term = RF2Terminology(Path(tmp))
        t1 = time.perf_counter()
        assert term.find(f"synthetic term {n}") == [str(100000 + n)]
        t2 = time.perf_counter()
    return [
        {
            "step": "load synthetic RF2",
            "dataset": f"{n} concepts",
            "classes": len(term),
            "seconds": t1 - t0,
            "findings": "",
        },
        {
            "step": "first find (builds index)",
            "dataset": f"{n} concepts",
            "classes": len(term),
            "seconds": t2 - t1,
            "findings": "",
        },
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3, help="runs; the fastest is reported")
    ap.add_argument(
        "--synthetic-release",
        type=int,
        default=0,
        metavar="N",
        help="also time loading a synthetic RF2 release of N concepts "
        "(a full SNOMED CT release has ~370,000)",
    )
    args = ap.parse_args()
    best: list[dict] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, args.repeats)):
            rows = run_once(Path(tmp))
            if best is None or rows[-1]["seconds"] < best[-1]["seconds"]:
                best = rows
    assert best is not None
    total = best[-1]["seconds"]
    if args.synthetic_release:
        best = best + time_large_release(args.synthetic_release)
    write_results(
        "bench_prompt_build",
        "Prompt-set build and audit without an LLM (bundled extract)",
        best,
        columns=["step", "dataset", "classes", "seconds", "findings"],
        notes=f"Fastest of {args.repeats} runs; the terminology and the term-normalisation "
        "cache start cold in each run. "
        f"Target < 5 s in total: {'met' if total < 5 else 'NOT met'} ({total:.2f} s).",
        extra={"target_s": 5.0, "total_s": total},
    )


if __name__ == "__main__":
    main()
