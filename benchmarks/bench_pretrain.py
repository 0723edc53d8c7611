"""Pretraining throughput (ECG–report pairs/s) beside the published training step, one run.

Every ratio is measured in the same run: the published step (``../shared/reference/
merl-upstream``, patched at load time, see ``_upstream.py``) on the same batches — the same
records and reports, the packaged all-MiniLM-L6-v2 as text encoder for both — in fp32 as
published and with bf16 autocast where the CPU has bf16 units; this project's step (forward,
CMA+UMA loss, backward, clipping, fused AdamW) in 1 process and 2-process DDP (gloo); the
fp32 and bf16 matmul peaks; and the FLOPs per pair, counted with
``torch.utils.flop_counter.FlopCounterMode`` on the batches that were timed.

    python benchmarks/bench_pretrain.py                        # both encoders, PTB-XL sample
    python benchmarks/bench_pretrain.py --cache DIR --profile  # own cache + profiler tables

Without ``--cache`` the PTB-XL sample under the data root (``MERL_DATA_ROOT``) is prepared
once, with its German reports, into ``runs/bench_pretrain/ptbxl-cache``. bf16 rows run only
where the CPU multiplies bf16 in hardware (avx512_bf16 / amx_bf16); elsewhere they say
"skipped: no bf16 units". Where the published code is absent the table says so and gives no
ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import _common  # noqa: E402  (records the load average at start)
from benchmarks._pretrain_worker import add_worker_args, worker  # noqa: E402

SKIP_BF16 = "skipped: no bf16 units"


def default_cache() -> Path:
    """Prepare (once) the PTB-XL sample with its reports; reused by later runs."""
    from merl_core.data.datasets import prepare
    from merl_core.paths import shared_data_root

    root = shared_data_root() / "ptbxl-sample"
    if not root.exists():
        sys.exit(f"bench_pretrain: {root} not found; pass --cache DIR or set MERL_DATA_ROOT")
    return prepare("ptbxl", root, ROOT / "runs" / "bench_pretrain" / "ptbxl-cache",
                   progress=False)  # fmt: skip


def _launch(args: argparse.Namespace, codes: tuple[str, ...], model: str, nproc: int,
            precision: str, count_flops: bool, result: Path) -> dict[str, Any]:  # fmt: skip
    """One configuration in a fresh process (two under torchrun for DDP); the codes named
    are timed in that process step by step in turn."""
    impl = ",".join(codes)
    threads = max(1, args.threads // nproc)
    wargs = ["--worker", impl, "--cache", str(args.cache), "--model", model,
             "--precision", precision, "--padding", args.padding, "--batch", str(args.batch),
             "--steps", str(args.steps), "--warmup", str(args.warmup),
             "--threads", str(threads), "--result", str(result)]  # fmt: skip
    switches = {"--profile": args.profile, "--count-flops": count_flops, "--pin": args.pin,
                "--grad-as-bucket-view": args.grad_as_bucket_view}  # fmt: skip
    for flag, on in switches.items():
        if on:
            wargs.append(flag)
    if args.bucket_mb:
        wargs += ["--bucket-mb", str(args.bucket_mb)]
    head = (
        [sys.executable]
        if nproc == 1
        else [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
        ]
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    proc = subprocess.run([*head, __file__, *wargs], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{impl}/{model}/{nproc}p/{precision} failed:\n{proc.stderr[-3000:]}")
    return json.loads(result.read_text())


def _plan(args: argparse.Namespace, bf16: bool,
          published: bool) -> list[tuple[tuple[str, ...], str, int, str]]:  # fmt: skip
    """(codes, encoder, processes, precision) in run order, bf16 only where it can run. In one
    process the published step and ours run in the same process, interleaved."""
    precisions = [p for p in args.precisions.split(",") if p == "fp32" or bf16]
    plan: list[tuple[tuple[str, ...], str, int, str]] = []
    for model in args.models.split(","):
        for mode in args.modes.split(","):
            nproc = 2 if mode == "ddp2" else 1
            codes = ("published", "project") if published and nproc == 1 else ("project",)
            plan += [(codes, model, nproc, p) for p in precisions]
        if published and "single" not in args.modes.split(","):
            plan += [(("published",), model, 1, p) for p in precisions]
    return plan


def _row(impl: str, model: str, nproc: int, prec: str, res: dict[str, Any] | None,
         batch: int, gflop_pair: float | None, peak: float | None) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {"encoder": model, "code": impl, "processes": nproc, "precision": prec}
    if res is None:
        return {**row, "pairs_per_s": SKIP_BF16}
    pps = batch / res["step_s"]
    gflops = pps * gflop_pair if gflop_pair else None
    return {**row, "pairs_per_s": pps, "step_s": res["step_s"], "gflop_per_pair": gflop_pair,
            "gflops": gflops, "frac_peak": gflops / peak if gflops and peak else None,
            "peak_rss_mib": res["rss_mib"]}  # fmt: skip


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """x_published: pairs/s over the published fp32 step of the same encoder, this run."""
    base = {r["encoder"]: r["pairs_per_s"] for r in rows
            if r["code"] == "published" and r["precision"] == "fp32"
            and isinstance(r["pairs_per_s"], float)}  # fmt: skip
    for r in rows:
        ok = isinstance(r["pairs_per_s"], float) and r["encoder"] in base
        r["x_published"] = r["pairs_per_s"] / base[r["encoder"]] if ok else None


def summary_table(rows: list[dict[str, Any]]) -> str:
    """The issue's layout: one line per encoder, pairs/s (× the published fp32 step)."""
    cols = [("published", 1, "fp32"), ("published", 1, "bf16"), ("project", 1, "fp32"),
            ("project", 2, "fp32"), ("project", 1, "bf16"), ("project", 2, "bf16")]  # fmt: skip
    names = ["published step, fp32", "published step, bf16 autocast", "project fp32, 1 process",
             "project fp32, DDP 2", "project bf16, 1 process", "project bf16, DDP 2"]  # fmt: skip
    out = ["| pairs/s (× published fp32) | " + " | ".join(names) + " |",
           "|---|" + "---|" * len(names)]  # fmt: skip
    for model in dict.fromkeys(r["encoder"] for r in rows):
        cells = []
        for code, nproc, prec in cols:
            hit = [r for r in rows if (r["encoder"], r["code"], r["processes"], r["precision"])
                   == (model, code, nproc, prec)]  # fmt: skip
            if not hit:
                cells.append("not run")
            elif not isinstance(hit[0]["pairs_per_s"], float):
                cells.append(str(hit[0]["pairs_per_s"]))
            else:
                x = hit[0].get("x_published")
                cells.append(f"{hit[0]['pairs_per_s']:.3g}" + (f" ({x:.2f}×)" if x else ""))
        out.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    """Measure the grid, write ``results/bench_pretrain.{json,md}``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, help="prepared cache with reports (merl-core prepare)")
    ap.add_argument("--models", default="resnet1d18,vit1d-tiny")
    ap.add_argument("--modes", default="single,ddp2")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument(
        "--padding",
        default="dynamic",
        choices=["dynamic", "static256"],
        help="this project's report padding (the published step always pads to 256)",
    )
    ap.add_argument("--batch", type=int, default=32, help="global batch")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="in total")
    ap.add_argument("--no-published", action="store_true", help="skip the published step")
    ap.add_argument("--name", default="bench_pretrain")
    add_worker_args(ap)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if args.cache is None:
        args.cache = default_cache()
    import torch

    from benchmarks._upstream import UpstreamMissing, load_upstream

    torch.set_num_threads(args.threads)
    bf16 = _common.has_bf16_units()
    published, absent = not args.no_published, ""
    if published:
        try:
            load_upstream()
        except UpstreamMissing as exc:
            published, absent = False, f"Published step not run: {exc}; no ratio is given."
    peaks_start = _common.matmul_peaks(bf16)
    results: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    gflop: dict[tuple[str, str], float] = {}
    profiles: dict[str, str] = {}
    plan = _plan(args, bf16, published)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (codes, model, nproc, prec) in enumerate(plan):
            count = any((c, model) not in gflop for c in codes)
            res = _launch(args, codes, model, nproc, prec, count, Path(tmp) / f"{i}.json")
            for code, r in res.items():
                results[(code, model, nproc, prec)] = r
                if count and r.get("flops") and (code, model) not in gflop:
                    gflop[(code, model)] = r["flops"] / r["flop_pairs"] / 1e9
                if r.get("profile"):
                    profiles[f"{code}/{model}/{nproc}p/{prec}"] = r["profile"]
                run = [code, model, nproc, prec]
                print(json.dumps({"run": run, "times": r["times"]}), flush=True)  # noqa: T201
            if i + 1 < len(plan):  # a partial table survives an interrupted run
                rows = _rows(args, results, gflop, peaks_start, published)
                partial = f"**Partial: {i + 1} of {len(plan)} configurations done.**"
                write_report(args, rows, peaks_start, peaks_start, bf16,
                             "\n\n".join(filter(None, [partial, absent])), profiles)  # fmt: skip
    peaks_end = _common.matmul_peaks(bf16)
    peaks = {k: max(v for v in (peaks_start[k], peaks_end[k]) if v) if peaks_start[k] else None
             for k in peaks_start}  # fmt: skip
    rows = _rows(args, results, gflop, peaks, published)
    write_report(args, rows, peaks_start, peaks_end, bf16, absent, profiles)


def _rows(args: argparse.Namespace, results: dict[tuple[str, str, int, str], dict[str, Any]],
          gflop: dict[tuple[str, str], float], peaks: dict[str, float | None],
          published: bool) -> list[dict[str, Any]]:  # fmt: skip
    """The table rows, in the summary's order, with ratios to the published fp32 step."""
    rows: list[dict[str, Any]] = []
    bf16 = peaks.get("bf16") is not None
    for model in args.models.split(","):
        for impl, nproc, prec in [("published", 1, "fp32"), ("published", 1, "bf16"),
                                  ("project", 1, "fp32"), ("project", 2, "fp32"),
                                  ("project", 1, "bf16"), ("project", 2, "bf16")]:  # fmt: skip
            mode = "single" if nproc == 1 else "ddp2"
            if prec not in args.precisions or (impl == "published" and not published) or (
                    impl == "project" and mode not in args.modes):  # fmt: skip
                continue
            got = results.get((impl, model, nproc, prec))
            if got is None and (bf16 or prec == "fp32"):
                continue  # not run yet (partial table)
            rows.append(_row(impl, model, nproc, prec, got, args.batch,
                             gflop.get((impl, model)), peaks[prec]))  # fmt: skip
    add_ratios(rows)
    return rows


def write_report(args: argparse.Namespace, rows: list[dict[str, Any]], peaks_start: dict,
                 peaks_end: dict, bf16: bool, absent: str,
                 profiles: dict[str, str]) -> None:  # fmt: skip
    """Table, summary, and how each number was measured."""

    def fmt(p: dict) -> str:
        bf = f"{p['bf16']:.0f}" if p["bf16"] else "not measured"
        return f"fp32 {p['fp32']:.0f}, bf16 {bf}"

    notes = [absent] if absent else []
    notes.append(summary_table(rows))
    notes.append(
        f"Global batch {args.batch} (per rank {args.batch // 2} under DDP 2, gloo), "
        f"{args.threads} threads in total ({max(1, args.threads // 2)} per rank under DDP), "
        f"median of {args.steps} steps after {args.warmup} warm-up. In one process the "
        "published step and ours run in the same fresh process, interleaved step by step "
        "(alternating which goes first), so both see the same load — their peak_rss_mib is "
        "of that process, both models together; DDP 2 runs in two fresh processes. Data read "
        "from the cache and reports tokenised inside the timed step, for both codes. "
        "Published step: its `ECGCLIP.forward`, `clip_loss` for CMA and UMA, "
        "AdamW (lr 1e-3, weight decay 1e-8, the default for-loop kernel) and its cosine "
        "warm-restart scheduler; reports padded to 256 tokens as published; the all-gathers of "
        "a world of one are left out. This project: reports padded "
        f"{'to 256' if args.padding == 'static256' else 'to the longest in the batch'}. "
        "x_published: pairs/s over the published fp32 step of the same encoder in this run. "
        "gflop_per_pair: forward + backward FLOPs counted by `torch.utils.flop_counter` on the "
        "timed batches of each code (bf16 rows: the same count). frac_peak: GFLOP/s over the "
        "matmul peak of the same precision measured in this run (the better of before and "
        f"after; GFLOP/s before: {fmt(peaks_start)}; after: {fmt(peaks_end)})."
    )
    load = max(_common.LOAD_AT_START[0], os.getloadavg()[0])
    if load > (os.cpu_count() or 1):
        notes.append(
            f"Shared machine: the load average reached {load:.1f} on {os.cpu_count()} cores, so "
            "absolute rates and the peaks are far below this CPU's (a frac_peak above 1 means the "
            "peak was taken in a busier moment than the step), and rates measured in different "
            "processes (1 process vs DDP 2) are not comparable. Ratios of the published step to "
            "ours in one process, interleaved, are what this run can tell.")  # fmt: skip
    if not bf16:
        notes.append(
            "bf16 rows: skipped, this CPU has no bf16 units (no avx512_bf16 or "
            "amx_bf16 flag), where bf16 matmuls are emulated far slower than fp32."
        )
    if profiles:
        notes += [f"Profile {k} (top ops by self CPU time):\n\n```\n{v}```"
                  for k, v in profiles.items()]  # fmt: skip
    cols = ["encoder", "code", "processes", "precision", "pairs_per_s", "x_published", "step_s",
            "gflop_per_pair", "gflops", "frac_peak", "peak_rss_mib"]  # fmt: skip
    _common.write_results(args.name, "Pretraining throughput (CPU), published step side by side",
                          rows, columns=cols, notes="\n\n".join(notes), threads=args.threads,
                          extra={"peaks_start": peaks_start, "peaks_end": peaks_end})  # fmt: skip


if __name__ == "__main__":
    main()
