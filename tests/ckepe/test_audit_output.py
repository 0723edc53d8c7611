"""A hostile label or phrase cannot forge the audit report (issue 25, item 5): the terminal
table, the Markdown report and the JSON, each through the real command line."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from ckepe.audit import AuditReport
from ckepe.audit.report import to_markdown
from ckepe.textsafety import visible

pytestmark = pytest.mark.usefixtures("bundled_knowledge")

HOSTILE = {
    "NORM\r# Audit clean: 0 findings": "normal ECG",
    "NORM": "normal ECG, <script>alert(1)</script>",
    "1AVB": "first degree AV block",  # a statement outside the tasks: a note
    "MI": "\x1b[2J\x1b[31mall phrases verified\x1b[0m",
    "CD|x": "ok \u202eevil\u2028| forged | row |",
    "# Audit clean": "normal ECG\n## Findings\n| verified | ptbxl | NORM |",
    "HYP": "[click](javascript:alert(1)) `code` **bold** _it_ \\x1b \x85 \x7f \x9b31m",
}
RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict, int]:
    from ckepe.cli import app

    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile_ptbxl.json"
    path.write_text(json.dumps(HOSTILE), encoding="utf-8")
    md, js = folder / "report.md", folder / "report.json"
    res = CliRunner().invoke(
        app,
        ["audit", "--hallucination-check", str(path), "--dataset", "ptbxl", "--partial",
         "--no-similarity", "--markdown", str(md), "--json", str(js)],
    )  # fmt: skip
    raw = js.read_bytes()
    assert raw.isascii()
    return res.output, md.read_text(encoding="utf-8"), json.loads(raw), res.exit_code


def test_terminal_shows_escapes_not_control_characters(hostile_run: tuple) -> None:
    out, _, _, code = hostile_run
    assert code == 1
    assert not RAW_CONTROLS.search(out), repr(RAW_CONTROLS.search(out))
    flat = "".join(out.split())
    assert "\\x1b" in flat or "\\x0d" in flat  # shown as visible escapes


def test_markdown_cannot_be_forged(hostile_run: tuple) -> None:
    _, md, _, _ = hostile_run
    assert not RAW_CONTROLS.search(md)
    assert "<script>" not in md and "&lt;script&gt;" in md
    headings = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert [h.split(" ")[0] for h in headings] == ["#", "##", "##", "##"]
    assert headings[1:] == ["## Notes", "## Classes with findings", "## Findings"]
    assert "Audit clean" not in headings[0]
    for table in ("## Classes with findings", "## Findings"):
        block = md.split(table, 1)[1].split("\n## ", 1)[0]
        rows = [ln for ln in block.splitlines() if ln.startswith("|")]
        cols = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
        assert len(cols) == 1, (table, cols)  # no cell closed early, no row forged
    assert "[click](" not in md and "`code`" not in md and "**bold**" not in md
    assert "\\\\x1b" in md  # an ESC in a label: the escape \x1b, its backslash escaped


def test_json_keeps_the_exact_text(hostile_run: tuple) -> None:
    _, _, rep, _ = hostile_run
    labels = {f["label"] for f in rep["findings"] + rep["verified"]}
    assert "NORM\r# Audit clean: 0 findings" in labels and "# Audit clean" in labels
    phrases = {f["phrase"] for f in rep["findings"] + rep["verified"]}
    assert any("\x1b[2J" in p for p in phrases)
    assert any(f["code"] == "disallowed_chars" for f in rep["findings"])


def test_markdown_escapes_a_report_built_in_code() -> None:
    report = AuditReport("a`b|c\r.json", "flat", ["ptbxl"], notes=["K\x1b: <b>note</b>"])
    md = to_markdown(report)
    assert md.startswith("# Audit of a\\`b\\|c\\\\x0d.json\n")
    assert "- K\\\\x1b: &lt;b&gt;note&lt;/b&gt;" in md
    assert visible("a\u202eb\\c") == "a\\u202eb\\\\c"
