"""Prompt-set build time per dataset and LLM backend, and the LLM's hallucination rate.

Backends: ``none`` (terminology only), ``local`` (packaged SmolLM2 GGUF in-process) and
``openai`` (the same GGUF behind llama.cpp's OpenAI-compatible server on 127.0.0.1, i.e. the
HTTP path of the openai SDK). Each LLM build runs on a fresh, empty response cache (cold),
then once more from that cache (the cost of a rerun; ``--cache-dir`` reuses a cache).
The hallucination rate is rejected / proposed LLM claims, from the ``rejected`` records
of the built prompt file.

    python benchmarks/bench_llm_build.py [--datasets ptbxl cpsc2018 csn]
        [--backends none local openai] [--pairs BACKEND:DATASET ...]
        [--out-dir DIR] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results  # noqa: E402

from ckepe.build import BuildResult, build_prompt_set  # noqa: E402
from ckepe.llm import create_proposer  # noqa: E402
from ckepe.llm.server import local_openai_server  # noqa: E402
from ckepe.promptfile import write_prompt_set  # noqa: E402
from ckepe.registry import EVAL_DATASETS  # noqa: E402
from ckepe.terminology import load_terminology  # noqa: E402

DATASETS = EVAL_DATASETS
BACKENDS = ("none", "local", "openai")


@contextlib.contextmanager
def backend_url(backend: str) -> Iterator[str | None]:
    """The base URL for ``openai`` (a local llama.cpp server), None otherwise."""
    if backend != "openai":
        yield None
        return
    with local_openai_server() as url:
        yield url


def summarise(result: BuildResult) -> dict[str, Any]:
    """Claim counts of a build: proposed, verified and rejected LLM claims, fallbacks."""
    classes = result.prompt_set.classes
    proposed = sum(s.proposed for s in result.stats)
    llm_rejected = [r for c in classes for r in c.rejected if r.origin == "llm"]
    verified = sum(p.origin == "llm" for c in classes for p in c.phrases)
    return {
        "classes": len(classes),
        "proposed": proposed,
        "llm_phrases_kept": verified,
        "rejected": len(llm_rejected),
        "hallucination_rate": round(len(llm_rejected) / proposed, 3) if proposed else None,
        "fallback": sum(c.fallback for c in classes),
        "reject_codes": dict(Counter(r.code for r in llm_rejected).most_common()),
    }


def run_one(
    term: Any,
    dataset: str,
    backend: str,
    url: str | None,
    out_dir: Path | None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """First build (cold on a fresh cache) and the rerun from cache, one dataset/backend."""
    with contextlib.ExitStack() as stack:
        cache = (
            str(cache_dir)
            if cache_dir
            else stack.enter_context(tempfile.TemporaryDirectory(prefix="ckepe-bench-cache-"))
        )
        key = getattr(url, "api_key", None)  # the local server's random key
        proposer, gen = create_proposer(backend, base_url=url, cache_dir=cache, api_key=key)
        t0 = time.perf_counter()
        result = build_prompt_set(term, dataset, None, proposer, gen)
        cold = time.perf_counter() - t0
        calls = proposer.engine_calls if proposer else 0
        warm = None
        if proposer is not None:
            again, _ = create_proposer(backend, base_url=url, cache_dir=cache, api_key=key)
            t0 = time.perf_counter()
            rerun = build_prompt_set(term, dataset, None, again, gen)
            warm = time.perf_counter() - t0
            assert again is not None and again.engine_calls == 0, "warm rerun called the LLM"
            assert rerun.prompt_set.prompt_set_version == result.prompt_set.prompt_set_version
    if out_dir is not None:
        write_prompt_set(result.prompt_set, out_dir / f"{dataset}.{backend}.json")
    row = {
        "dataset": dataset,
        "backend": backend,
        "build_s": round(cold, 2),
        "s_per_class": round(cold / max(1, len(result.stats)), 3),
        "rerun_s": round(warm, 2) if warm is not None else None,
        "llm_calls": calls,
    }
    row.update(summarise(result))
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the grid, print the table, write benchmarks/results/bench_llm_build.*."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    ap.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    ap.add_argument(
        "--out-dir", type=Path, default=None, help="also write each built prompt file here"
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="use this response cache instead of a fresh one (then build_s is "
        "not a cold time: see llm_calls)",
    )
    ap.add_argument(
        "--pairs",
        nargs="+",
        default=None,
        metavar="BACKEND:DATASET",
        help="run only these pairs (instead of backends x datasets)",
    )
    ap.add_argument("--note", default="", help="a sentence appended to the notes")
    args = ap.parse_args(argv)
    grid = [(b, d) for b in args.backends for d in args.datasets]
    if args.pairs:
        grid = [tuple(p.split(":", 1)) for p in args.pairs]  # type: ignore[misc]
    term = load_terminology()
    rows = []
    for backend in dict.fromkeys(b for b, _ in grid):
        with backend_url(backend) as url:
            for dataset in [d for b, d in grid if b == backend]:
                row = run_one(term, dataset, backend, url, args.out_dir, args.cache_dir)
                print(f"{dataset:9s} {backend:7s} {row['build_s']:8.1f} s", file=sys.stderr)
                rows.append(row)
    columns = [
        "dataset",
        "backend",
        "classes",
        "build_s",
        "s_per_class",
        "rerun_s",
        "llm_calls",
        "proposed",
        "llm_phrases_kept",
        "rejected",
        "hallucination_rate",
        "fallback",
    ]
    notes = (
        "build_s: first build (on an empty response cache unless --cache-dir: llm_calls "
        "says how many LLM calls it made); rerun_s: the rerun served from the cache "
        "(no LLM call). hallucination_rate = rejected / proposed LLM claims (SmolLM2-135M, "
        "temperature 0, seed 0); every rejected claim is kept in the file with its reason. "
        "openai = the openai SDK against llama.cpp's OpenAI-compatible server on 127.0.0.1 "
        "serving the same GGUF (JSON mode without the schema grammar). Rejection codes: "
        + "; ".join(
            f"{r['dataset']}/{r['backend']}: {r['reject_codes']}" for r in rows if r["reject_codes"]
        )
        + (f". {args.note}" if args.note else "")
    )
    write_results(
        "bench_llm_build",
        "Prompt-set build time and LLM hallucination rate",
        rows,
        columns=columns,
        notes=notes,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
