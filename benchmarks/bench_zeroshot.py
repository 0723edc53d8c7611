"""Zero-shot inference throughput (ECGs/s) beside the published zero-shot code, one run.

Times this project's ``encode_ecg`` + cosine scoring against a fixed class matrix (the per-ECG
cost of zero-shot evaluation) under ``torch.inference_mode``, in fp32 and — where the CPU has
bf16 units — bf16 autocast; and beside it the published code's ``get_ecg_emd``
(``utils/zeroshot_val.py``, patched at load time, see ``_upstream.py``) on the same records
and the same class matrix. FLOPs counted by ``torch.utils.flop_counter`` on the timed batch;
peaks measured in the same run.

    python benchmarks/bench_zeroshot.py [--models resnet1d18 vit1d-tiny] [--batch 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import _common  # noqa: E402  (records the load average at start)

SKIP_BF16 = "skipped: no bf16 units"


def _real_batch(n: int) -> Any:
    """``n`` real 12-lead 10 s PTB-XL records at 500 Hz, min-max scaled per record."""
    import numpy as np
    import torch
    import wfdb

    from merl_core.paths import shared_data_root

    root = shared_data_root() / "ptbxl-sample"
    heads = sorted((root / "records500").rglob("*_hr.hea"))[:n]
    if len(heads) < n:
        raise SystemExit(f"bench_zeroshot: need {n} PTB-XL records under {root}, "
                         f"found {len(heads)}")  # fmt: skip
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
    raise SystemExit(f"bench_zeroshot: unknown model {name!r}; available: {', '.join(names)}")


def _measure(fns: dict[str, Callable[[], Any]], repeats: int,
             bf16: bool) -> dict[str, tuple[float, float]]:  # fmt: skip
    """Per code: (best seconds of ``repeats``, FLOPs of one call). The codes run in turn,
    alternating which goes first, after one warm-up each, so that both see the same load."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else nullcontext
    times: dict[str, list[float]] = {k: [] for k in fns}
    flops: dict[str, float] = {}
    with ctx():
        for fn in fns.values():
            fn()  # warm-up
        for r in range(repeats):
            for k in list(fns) if r % 2 == 0 else list(fns)[::-1]:
                t = time.perf_counter()
                fns[k]()
                times[k].append(time.perf_counter() - t)
        for k, fn in fns.items():
            with FlopCounterMode(display=False) as fc:
                fn()
            flops[k] = float(fc.get_total_flops())
    return {k: (min(times[k]), flops[k]) for k in fns}


def published_zero_shot(model_name: str, x: Any, clf: Any) -> Callable[[], Any] | str:
    """The published per-ECG zero-shot code on ``x``, or why it cannot run."""
    from benchmarks._upstream import UpstreamMissing, load_upstream, network_config

    try:
        up = load_upstream(zeroshot=True)
        model = up.ECGCLIP(network_config(model_name)).eval()
    except UpstreamMissing as exc:
        return str(exc)
    target = [0] * len(x)
    loader = [(x, target)]  # one batch, as its DataLoader would yield it
    embed = _Float32Embedding(model)

    def run() -> Any:
        import torch

        # Under bf16 autocast the published code would hand bf16 logits to NumPy (TypeError:
        # unsupported ScalarType BFloat16): the network runs under the caller's autocast,
        # the embedding comes out as float32, and the (tiny) logit product runs in fp32.
        embed.autocast = torch.is_autocast_enabled("cpu")
        with torch.autocast("cpu", enabled=False):
            return up.get_ecg_emd(embed, loader, clf, device="cpu")

    return run


class _Float32Embedding:
    """The published model as ``get_ecg_emd`` uses it, its embedding handed on as float32."""

    def __init__(self, model: Any) -> None:
        self.model, self.autocast = model, False

    def eval(self) -> _Float32Embedding:
        self.model.eval()
        return self

    def ext_ecg_emb(self, ecg: Any) -> Any:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast):
            return self.model.ext_ecg_emb(ecg).float()


def _frac(num: float, den: float | None) -> float | None:
    return num / den if den else None


def main() -> None:
    """Measure and write ``results/bench_zeroshot.{json,md}``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["resnet1d18", "vit1d-tiny"])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--classes", type=int, default=23, help="zero-shot classes (PTB-XL sub: 23)")
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F

    from merl_core.models import create_model

    torch.manual_seed(0)
    x = _real_batch(args.batch)
    bf16 = _common.has_bf16_units()
    peaks = _common.matmul_peaks(bf16)
    precisions = ["fp32", "bf16"]
    rows: list[dict[str, Any]] = []
    absent = ""
    for name in args.models:
        name = _resolve(name)
        clf = F.normalize(torch.randn(256, args.classes), dim=0)
        ours = create_model(name, text=False).eval()

        def project(m: Any = ours, c: Any = clf) -> Any:
            with torch.inference_mode():
                return m.encode_ecg(x, normalize=True) @ c

        published = published_zero_shot(name, x, clf)
        fns: dict[str, Callable[[], Any]] = {"project": project}
        if isinstance(published, str):
            absent = f"Published code not run: {published}; no ratio is given."
        else:
            fns = {"published": published, **fns}
        for prec in precisions:
            if prec == "bf16" and not bf16:
                rows += [{"model": name, "code": c, "precision": prec, "ECGs/s": SKIP_BF16}
                         for c in fns]  # fmt: skip
                continue
            measured = _measure(fns, args.repeats, prec == "bf16")
            base = args.batch / measured["published"][0] if "published" in measured else None
            for code, (sec, flops) in measured.items():
                rate, gflops = args.batch / sec, flops / sec / 1e9
                rows.append({"model": name, "code": code, "precision": prec, "ECGs/s": rate,
                             "x_published": _frac(rate, base), "ms/batch": sec * 1000,
                             "GFLOP/ECG": flops / args.batch / 1e9, "GFLOP/s": gflops,
                             "frac_peak": _frac(gflops, peaks[prec])})  # fmt: skip
    notes = [absent] if absent else []
    notes.append(
        f"Batch {args.batch} real PTB-XL records; scores against {args.classes} classes; best "
        f"of {args.repeats} timed batches after a warm-up, the two codes in turn (alternating "
        "which goes first) so that both see the same load. project: `encode_ecg` + cosine "
        "scores under `torch.inference_mode`; published: its `get_ecg_emd` (`ext_ecg_emb`, "
        "normalise, logits, to NumPy) on the same batch and class matrix. x_published: ECGs/s "
        "over the published fp32 rate of the same encoder in this run. GFLOP/ECG: forward "
        "FLOPs by `torch.utils.flop_counter` on the timed batch; frac_peak: GFLOP/s over this "
        f"run's matmul peak of the same precision (fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 "
        + (f"{peaks['bf16']:.0f})." if peaks["bf16"] else "not measured: no bf16 units).")
    )
    cols = ["model", "code", "precision", "ECGs/s", "x_published", "ms/batch", "GFLOP/ECG",
            "GFLOP/s", "frac_peak"]  # fmt: skip
    _common.write_results("bench_zeroshot",
                          f"Zero-shot inference throughput (batch {args.batch}, real PTB-XL), "
                          "published code side by side", rows, columns=cols,
                          notes="\n\n".join(notes), extra={"peaks": peaks})  # fmt: skip


if __name__ == "__main__":
    main()
