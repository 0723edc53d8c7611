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
import tempfile
import time
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_text

RESULTS_DIR = Path(__file__).resolve().parent / "results"


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
    """Achieved GFLOP/s of an n × n matmul in ``dtype`` (mean of ``repeats`` after a warm-up)."""
    import torch

    a = torch.randn(n, n).to(getattr(torch, dtype))
    b = torch.randn(n, n).to(getattr(torch, dtype))
    a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t) / 1e9


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def command_line() -> str:
    """The command that ran this benchmark, as a user would type it."""
    return "python " + " ".join(shlex.quote(a) for a in sys.argv)


def markdown_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Render rows as a GitHub Markdown table (floats to 3 significant digits)."""
    if not rows:
        return "_(no rows)_\n"
    columns = columns or list(rows[0])

    def fmt(v: Any) -> str:
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
) -> Path:
    """Print the table and write ``<name>.json`` and ``<name>.md`` into the results folder."""
    results_dir = results_dir or RESULTS_DIR
    machine = machine_info()
    cmd = command_line()
    table = markdown_table(rows, columns)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    md = (
        f"## {title}\n\n{table}\n"
        + (f"{notes.strip()}\n\n" if notes.strip() else "")
        + f"Command: `{cmd}`  \nMachine: {machine['cores']} cores, {machine['cpu']}, "
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
        "measured_at": stamp,
        **(extra or {}),
    }
    atomic_write_text(results_dir / f"{name}.json", json.dumps(payload, indent=2, default=str) + "\n")
    atomic_write_text(results_dir / f"{name}.md", md)
    print(md)
    return results_dir / f"{name}.md"
