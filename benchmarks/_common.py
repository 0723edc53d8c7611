"""Shared helpers for benchmark scripts: machine description and result files.

Every benchmark prints its table and writes ``benchmarks/results/<name>.json`` and
``benchmarks/results/<name>.md``; ``make_report.py`` assembles BENCHMARKS.md from them.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_text

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The CPU flags that decide how fast bf16 (and wide fp32) matmuls can be.
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
# Load average when the benchmark started (this module is imported first by every script).
LOAD_AT_START = os.getloadavg()


def cpu_flags() -> dict[str, bool]:
    """Which of :data:`CPU_FLAGS` this CPU reports in /proc/cpuinfo (all False elsewhere)."""
    try:
        words = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        words = set()
    return {f: f in words for f in CPU_FLAGS}


def has_bf16_units(flags: dict[str, bool] | None = None) -> bool:
    """True where the CPU multiplies bf16 in hardware (avx512_bf16 or amx_bf16)."""
    flags = flags or cpu_flags()
    return flags["avx512_bf16"] or flags["amx_bf16"]


def threads_in_use() -> int:
    """torch's intra-op threads if torch is loaded, else OMP_NUM_THREADS or the core count."""
    if "torch" in sys.modules:
        return int(sys.modules["torch"].get_num_threads())
    return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


def conditions_line(load_before: tuple[float, float, float] | None = None,
                    threads: int | None = None) -> str:  # fmt: skip
    """One Markdown line: the CPU flags that matter, threads, and the 1-min load average
    before and after (a load above the core count means the run shared the CPU)."""
    flags = cpu_flags()
    before = load_before or LOAD_AT_START
    after = os.getloadavg()
    shown = ", ".join(f"{f} {'yes' if v else 'no'}" for f, v in flags.items())
    return (f"Conditions: CPU flags {shown}; {threads or threads_in_use()} threads; "
            f"load average (1 min) {before[0]:.2f} before, {after[0]:.2f} after, "
            f"on {os.cpu_count()} cores")  # fmt: skip


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python and (if importable) torch versions."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if "torch" in sys.modules or _importable("torch"):
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def matmul_gflops(n: int = 2048, repeats: int = 5, dtype: str = "float32") -> float:
    """Best achieved GFLOP/s of an n × n matmul in ``dtype`` over ``repeats`` after a warm-up
    (the best, because a peak is what the CPU can do when nothing else holds it)."""
    import torch

    a = torch.randn(n, n).to(getattr(torch, dtype))
    b = torch.randn(n, n).to(getattr(torch, dtype))
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def matmul_peaks(bf16: bool | None = None) -> dict[str, float | None]:
    """This run's fp32 and bf16 matmul peaks (GFLOP/s, current torch threads); bf16 is None
    on a CPU without bf16 units, where it is emulated and no peak of interest."""
    bf16 = has_bf16_units() if bf16 is None else bf16
    return {"fp32": matmul_gflops(), "bf16": matmul_gflops(dtype="bfloat16") if bf16 else None}


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def command_line() -> str:
    """The command that ran this benchmark, as a user would type it (``python -m pkg …`` for a
    package run as a module, where ``sys.argv[0]`` is the path of its ``__main__.py``)."""
    return "python " + " ".join(shlex.quote(a) for a in sys.orig_argv[1:])


def markdown_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Render rows as a GitHub Markdown table (floats to 3 significant digits)."""
    if not rows:
        return "_(no rows)_\n"
    columns = columns or list(rows[0])

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
        return str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(out) + "\n"


def write_results(
    name: str,
    title: str,
    rows: list[dict[str, Any]],
    *,
    columns: list[str] | None = None,
    notes: str = "",
    extra: dict[str, Any] | None = None,
    results_dir: Path | None = None,
    load_before: tuple[float, float, float] | None = None,
    threads: int | None = None,
) -> Path:
    """Print the table and write ``<name>.json`` and ``<name>.md`` into the results folder.

    Every section states the CPU flags, threads and load average (:func:`conditions_line`);
    ``load_before`` defaults to the load when this module was imported."""
    results_dir = results_dir or RESULTS_DIR
    machine = machine_info()
    cmd = command_line()
    table = markdown_table(rows, columns)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    conditions = conditions_line(load_before, threads)
    md = (
        f"## {title}\n\n{table}\n"
        + (f"{notes.strip()}\n\n" if notes.strip() else "")
        + f"{conditions}  \nCommand: `{cmd}`  \n"
        + f"Machine: {machine['cores']} cores, {machine['cpu']}, "
        f"{machine.get('memory_gib')} GiB, Python {machine['python']}"
        + (f", torch {machine['torch']}" if "torch" in machine else "")
        + f"  \nMeasured: {stamp}\n"
    )
    payload = {
        "name": name,
        "title": title,
        "rows": rows,
        "notes": notes,
        "command": cmd,
        "machine": machine,
        "cpu_flags": cpu_flags(),
        "threads": threads or threads_in_use(),
        "load_average_before": list(load_before or LOAD_AT_START),
        "load_average_after": list(os.getloadavg()),
        "conditions": conditions,
        "measured_at": stamp,
        **(extra or {}),
    }
    text = json.dumps(payload, indent=2, default=str) + "\n"
    atomic_write_text(results_dir / f"{name}.json", text)
    atomic_write_text(results_dir / f"{name}.md", md)
    print(md)
    return results_dir / f"{name}.md"
