"""Zero-shot inference throughput (ECGs/s) of the ECG encoders at batch 64 on real PTB-XL.

Times ``encode_ecg`` + cosine scoring against a fixed class matrix (the per-ECG cost of
zero-shot evaluation; the class matrix is built once per task and timed separately), under
``torch.inference_mode`` in fp32, and reports achieved GFLOP/s (forward FLOPs counted by
``torch.utils.flop_counter``) and the fraction of this machine's measured fp32 matmul peak.

    python benchmarks/bench_zeroshot.py [--models resnet1d18 vit1d_tiny] [--batch 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import matmul_gflops, write_results  # noqa: E402

from merl_core.paths import shared_data_root  # noqa: E402

# DESIGN.md: this machine's 2-thread fp32 matmul peak measured when it was quiet
QUIET_PEAK_GFLOPS = 144.0


def _real_batch(n: int) -> torch.Tensor:
    """``n`` real 12-lead 10 s PTB-XL records at 500 Hz, min-max scaled per record."""
    import wfdb

    root = shared_data_root() / "ptbxl-sample"
    heads = sorted((root / "records500").rglob("*_hr.hea"))[:n]
    if len(heads) < n:
        raise SystemExit(f"need {n} PTB-XL records under {root}, found {len(heads)}")
    sig = np.stack([wfdb.rdsamp(str(h.with_suffix("")))[0].T for h in heads]).astype(np.float32)
    lo = sig.min(axis=(1, 2), keepdims=True)
    hi = sig.max(axis=(1, 2), keepdims=True)
    return torch.from_numpy((sig - lo) / np.maximum(hi - lo, 1e-6))


def _resolve(name: str) -> str:
    from merl_core.models import list_models

    names = list(list_models())
    key = name.replace("-", "").replace("_", "").lower()
    for n in names:
        if n.replace("-", "").replace("_", "").lower() == key:
            return n
    raise SystemExit(f"unknown model {name!r}; available: {', '.join(names)}")


def _flops(model: torch.nn.Module, x: torch.Tensor) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.inference_mode(), FlopCounterMode(display=False) as fc:
        model.encode_ecg(x, normalize=True)
    return float(fc.get_total_flops())


def main() -> None:
    """Measure and write ``results/bench_zeroshot.{json,md}``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["resnet1d18", "vit1d-tiny"])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--classes", type=int, default=23, help="zero-shot classes (PTB-XL sub: 23)")
    args = ap.parse_args()
    from merl_core.models import create_model

    torch.manual_seed(0)
    x = _real_batch(args.batch)
    peak = matmul_gflops()
    rows = []
    for name in args.models:
        name = _resolve(name)
        model = create_model(name, text=False).eval()
        clf = F.normalize(torch.randn(256, args.classes), dim=0)
        flops = _flops(model, x)
        with torch.inference_mode():
            model.encode_ecg(x[:8], normalize=True)  # warm-up
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                scores = model.encode_ecg(x, normalize=True) @ clf
                times.append(time.perf_counter() - t)
        assert scores.shape == (args.batch, args.classes)
        best = min(times)
        gflops = flops / best / 1e9
        rows.append({
            "model": name,
            "batch": args.batch,
            "ECGs/s": args.batch / best,
            "ms/batch": best * 1000,
            "GFLOP/ECG": flops / args.batch / 1e9,
            "GFLOP/s": gflops,
            "of peak now": gflops / peak,
            "of 144 GFLOP/s": gflops / QUIET_PEAK_GFLOPS,
        })  # fmt: skip
    write_results(
        "bench_zeroshot",
        f"Zero-shot inference throughput (batch {args.batch}, fp32, real PTB-XL)",
        rows,
        notes=(
            f"encode_ecg + cosine scores against {args.classes} classes, torch.inference_mode, "
            f"best of {args.repeats} timed batches after a warm-up; forward FLOPs by "
            f"torch.utils.flop_counter; fp32 matmul peak measured now: {peak:.0f} GFLOP/s "
            f"({torch.get_num_threads()} threads; {QUIET_PEAK_GFLOPS:.0f} on a quiet machine). "
            f"Load average when measured: {os.getloadavg()[0]:.1f} — a low 'peak now' means "
            "the CPU was shared with other work."
        ),
        extra={"fp32_peak_gflops": peak},
    )


if __name__ == "__main__":
    main()
