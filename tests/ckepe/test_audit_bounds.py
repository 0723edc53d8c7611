"""Every PTB-XL key is audited against its concept; reads are bounded; the flat audit is linear
(issue 25, items 4 and 6)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.audit import Knowledge, audit_flat
from ckepe.cli import app
from ckepe.labelsets import read_labelset_table
from ckepe.promptfile import MAX_FILE_BYTES, MAX_JSON_DEPTH, PromptFileError, load_json
from ckepe.terminology import load_terminology

pytestmark = pytest.mark.usefixtures("bundled_knowledge")
runner = CliRunner()


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge(load_terminology())


def _audit(path: Path, *args: str) -> tuple[int, dict]:
    out = path.with_suffix(".report.json")
    res = runner.invoke(
        app,
        ["audit", "--hallucination-check", str(path), "--no-similarity", "--json", str(out),
         *args],
    )  # fmt: skip
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(out.read_text(encoding="ascii"))


def test_ptbxl_statements_outside_the_protocol_tasks_are_audited(tmp_path: Path) -> None:
    flat = {
        "1AVB": "first degree AV block, PR interval > 200 ms, PR interval < 120 ms",
        "LAFB": "left anterior fascicular block, right bundle branch block",
        "ASMI": "anteroseptal myocardial infarction, atrial fibrillation",
        "3AVB": "third degree AV block, atrioventricular dissociation, PR interval 120 to 200 ms",
    }
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(flat))
    code, rep = _audit(path, "--dataset", "ptbxl", "--partial")
    assert code == 1
    assert not [f for f in rep["findings"] if f["verdict"] == "structural"]
    assert len(rep["notes"]) == 4 and all("audited as PTB-XL all" in n for n in rep["notes"])
    verdict = {(f["label"], f["phrase"]): f["verdict"] for f in rep["findings"] + rep["verified"]}
    for label, text in flat.items():  # the name of each statement is verified, not unknown
        assert verdict[(label, text.split(", ")[0])] == "verified", label
    assert verdict[("1AVB", "PR interval > 200 ms")] == "verified"
    assert verdict[("3AVB", "atrioventricular dissociation")] == "verified"
    for false in [
        ("1AVB", "PR interval < 120 ms"),
        ("LAFB", "right bundle branch block"),
        ("ASMI", "atrial fibrillation"),
        ("3AVB", "PR interval 120 to 200 ms"),
    ]:
        assert verdict[false] == "contradicted", false


@pytest.mark.parametrize("task", [None, "form"])
def test_every_ptbxl_key_is_known(tmp_path: Path, task: str | None) -> None:
    rows = read_labelset_table("ptbxl")
    flat = {r.label: r.name for r in rows}
    assert len({r.label for r in rows if r.task == "all"}) == 71
    path = tmp_path / "every_key.json"
    path.write_text(json.dumps(flat))
    _, rep = _audit(path, "--dataset", "ptbxl", *(["--task", task] if task else []))
    codes = {f["code"] for f in rep["findings"] if f["verdict"] == "structural"}
    assert not codes & {"unknown_label", "missing_class"}, codes
    judged = {f["label"] for f in rep["findings"] + rep["verified"]}
    assert judged == set(flat)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, f"nested deeper than {MAX_JSON_DEPTH} levels"),
        ('{"NORM": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", "nested deeper than"),
        ('{"NORM": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ in a string"}', None),
    ],
)
def test_deep_nesting_is_one_line_exit_2(tmp_path: Path, content: str, problem: str | None) -> None:
    path = tmp_path / "deep_ptbxl.json"
    path.write_text(content)
    res = runner.invoke(app, ["audit", "--hallucination-check", str(path), "--no-similarity"])
    if problem is None:  # brackets inside a string are no nesting
        assert res.exit_code in (0, 1) and "nested" not in res.output
        return
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "RecursionError" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0]


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge_ptbxl.json"
    with path.open("wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(PromptFileError, match="larger than the 16 MiB limit"):
        load_json(path)
    res = runner.invoke(app, ["audit", "--hallucination-check", str(path), "--no-similarity"])
    assert res.exit_code == 2 and "larger than" in res.output
    out = str(tmp_path / "o.json")
    cmds = [["export-flat", str(path), out], ["import-flat", str(path), out, "--dataset", "ptbxl"]]
    for cmd in cmds:
        res = runner.invoke(app, cmd)
        assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, cmd


def _keys(n: int) -> dict[str, str]:
    """Unknown bare keys, unknown scoped keys and every tenth key a scoped NORM (audited)."""
    out = {}
    for i in range(n):
        key = f"super+T{i}:NORM" if i % 10 == 0 else (f"super:K{i}" if i % 2 else f"K{i}")
        out[key] = "normal ECG, sinus rhythm"
    return out


def _cpu_per_key(kb: Knowledge, n: int) -> float:
    data = _keys(n)
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        audit_flat(kb, data, "ptbxl", None, partial=True)
        best = min(best, time.process_time() - t0)
    return best / n


def test_flat_audit_is_linear_in_the_number_of_keys(kb: Knowledge) -> None:
    audit_flat(kb, _keys(50), "ptbxl", None, partial=True)  # warm the caches
    small, large = _cpu_per_key(kb, 1000), _cpu_per_key(kb, 4000)
    # quadratic work (each bare key scanning every scoped key) makes this ratio ~4
    assert large / small < 2.0, (small, large)


def test_unwritable_report_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "ok_ptbxl.json"
    path.write_text(json.dumps({"NORM": "normal ECG"}))
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for opt in ("--json", "--markdown"):
        res = runner.invoke(
            app,
            ["audit", "--hallucination-check", str(path), "--partial", "--no-similarity",
             opt, str(blocker / "report.out")],
        )  # fmt: skip
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert "cannot write" in res.output.strip().splitlines()[-1]


def test_structured_ptbxl_class_of_another_task_is_audited(tmp_path: Path) -> None:
    from ckepe.promptfile import PromptSet

    ps = PromptSet.model_validate(
        {
            "dataset": "ptbxl",
            "tasks": ["super"],
            "classes": [
                {"label": "1AVB", "tasks": ["all"], "concept_ids": ["270492004"],
                 "name": "first degree AV block",
                 "description": "first degree AV block, PR interval < 120 ms"},
            ],
        }
    ).with_version()  # fmt: skip
    path = tmp_path / "one_ptbxl.json"
    path.write_text(ps.model_dump_json())
    code, rep = _audit(path, "--partial")
    assert code == 1 and len(rep["notes"]) == 1
    assert [f["code"] for f in rep["findings"]] == ["numeric_mismatch"]
