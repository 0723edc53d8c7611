"""Terminal and Markdown views of an AuditReport (the JSON is ``AuditReport.as_dict``).

Everything shown comes from the audited file, so it is escaped before it is shown: control,
format and separator characters as visible escapes (``\\x0d``, ``\\x1b``, ``\\u202e``,
ckepe.textsafety.visible) in both views; rich markup in the terminal; HTML (``& < >``) and
the Markdown syntax that can close a table cell, start a heading, a link, code or emphasis
(``\\ ` * _ [ ] # | ~ !``) in Markdown. A label cannot end a table row, print a forged
"Audit clean" heading, run a script in a rendered report or move the terminal's cursor.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ckepe.audit.run import AuditReport
from ckepe.textsafety import visible

MAX_ROWS = 60
MAX_NOTES = 10
_MD_SPECIAL = frozenset("\\`*_[]#|~!")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
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
        f"audit of {_tx(report.file)} ({_tx(report.mode)}: {_tx(', '.join(report.datasets))},"
        f" {report.classes} entries): {c['structural']} structural, "
        f"{c['contradicted']} contradicted, {c['unverifiable']} unverifiable, "
        f"{c['verified']} verified in {report.seconds:.1f} s"
    )
    for note in report.notes[:MAX_NOTES]:
        console.print(f"note: {_tx(note)}")
    if len(report.notes) > MAX_NOTES:
        console.print(f"... {len(report.notes) - MAX_NOTES} more notes (see --json / --markdown)")
    rows = [
        r for r in report.per_class() if r["structural"] or r["contradicted"] or r["unverifiable"]
    ]
    if rows:
        table = Table(title="classes with findings (most severe first)")
        for col in ("dataset", "label", "structural", "contradicted", "unverifiable", "verified"):
            table.add_column(col, justify="left" if col in ("dataset", "label") else "right")
        for r in rows[:MAX_ROWS]:
            table.add_row(
                _tx(r["dataset"]),
                _tx(r["label"]),
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
                f"[{_STYLE.get(f.verdict, 'red')}]{_tx(f.verdict)}[/]",
                _tx(f.dataset),
                _tx(f.label),
                _tx(f.code),
                _tx(f.phrase[:60]),
                _tx(f.reason),
            )
        console.print(table)
        if len(problems) > MAX_ROWS:
            console.print(f"... {len(problems) - MAX_ROWS} more (see --json / --markdown)")


def _tx(text: str) -> str:
    """Terminal-safe: visible escapes, then rich markup escaped."""
    return escape(visible(str(text)))


def _cell(text: str) -> str:
    """Markdown-safe inline text: visible escapes, HTML entities, Markdown syntax escaped."""
    out = []
    for ch in visible(str(text)):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def to_markdown(report: AuditReport) -> str:
    """A shareable report: counts, per-class summary, every finding."""
    c = report.counts()
    lines = [
        f"# Audit of {_cell(report.file)}",
        "",
        f"{_cell(report.mode)} file, label sets: {_cell(', '.join(report.datasets))}; "
        f"{report.classes} entries; {report.seconds:.1f} s.",
        "",
        "| verdict | count |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in c.items()),
        "",
        *(["## Notes", "", *(f"- {_cell(n)}" for n in report.notes), ""] if report.notes else []),
        "## Classes with findings",
        "",
        "| dataset | label | structural | contradicted | unverifiable | verified |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report.per_class():
        if r["structural"] or r["contradicted"] or r["unverifiable"]:
            lines.append(
                f"| {_cell(r['dataset'])} | {_cell(r['label'])} | {r['structural']} | "
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
            f"| {_cell(f.verdict)} | {_cell(f.dataset)} | {_cell(f.label)} | {_cell(f.code)} | "
            f"{_cell(f.phrase)} | {_cell(concept)} | {_cell(f.reason)} |"
        )
    return "\n".join(lines) + "\n"
