"""Terminal and Markdown views of an AuditReport (the JSON is ``AuditReport.as_dict``)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ckepe.audit_run import AuditReport

MAX_ROWS = 60
_STYLE = {
    "structural": "bold red",
    "contradicted": "red",
    "unverifiable": "yellow",
    "verified": "green",
}


def print_report(report: AuditReport, console: Console) -> None:
    """Per-class summary sorted by severity, then the findings themselves."""
    c = report.counts()
    console.print(
        f"audit of {escape(report.file)} ({report.mode}: {', '.join(report.datasets)},"
        f" {report.classes} entries): {c['structural']} structural, "
        f"{c['contradicted']} contradicted, {c['unverifiable']} unverifiable, "
        f"{c['verified']} verified in {report.seconds:.1f} s"
    )
    rows = [
        r for r in report.per_class() if r["structural"] or r["contradicted"] or r["unverifiable"]
    ]
    if rows:
        table = Table(title="classes with findings (most severe first)")
        for col in ("dataset", "label", "structural", "contradicted", "unverifiable", "verified"):
            table.add_column(col, justify="left" if col in ("dataset", "label") else "right")
        for r in rows[:MAX_ROWS]:
            table.add_row(
                r["dataset"],
                escape(r["label"]),
                *(str(r[k]) for k in ("structural", "contradicted", "unverifiable", "verified")),
            )
        console.print(table)
    problems = report.problems
    if problems:
        table = Table(title="findings")
        for col in ("verdict", "dataset", "label", "code", "phrase", "reason"):
            table.add_column(col)
        for f in problems[:MAX_ROWS]:
            table.add_row(
                f"[{_STYLE[f.verdict]}]{f.verdict}[/]",
                f.dataset,
                escape(f.label),
                f.code,
                escape(f.phrase[:60]),
                escape(f.reason),
            )
        console.print(table)
        if len(problems) > MAX_ROWS:
            console.print(f"... {len(problems) - MAX_ROWS} more (see --json / --markdown)")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: AuditReport) -> str:
    """A shareable report: counts, per-class summary, every finding."""
    c = report.counts()
    lines = [
        f"# Audit of `{report.file}`",
        "",
        f"{report.mode} file, label sets: {', '.join(report.datasets)}; "
        f"{report.classes} entries; {report.seconds:.1f} s.",
        "",
        "| verdict | count |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in c.items()),
        "",
        "## Classes with findings",
        "",
        "| dataset | label | structural | contradicted | unverifiable | verified |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report.per_class():
        if r["structural"] or r["contradicted"] or r["unverifiable"]:
            lines.append(
                f"| {r['dataset']} | {_cell(r['label'])} | {r['structural']} | "
                f"{r['contradicted']} | {r['unverifiable']} | {r['verified']} |"
            )
    lines += [
        "",
        "## Findings",
        "",
        "| verdict | dataset | label | code | phrase | concept | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in report.problems:
        concept = f"{f.concept_id} {f.concept}" if f.concept_id else ""
        lines.append(
            f"| {f.verdict} | {f.dataset} | {_cell(f.label)} | {f.code} | "
            f"{_cell(f.phrase)} | {_cell(concept)} | {_cell(f.reason)} |"
        )
    return "\n".join(lines) + "\n"
