"""Benchmarks measure their own baselines: no constants from elsewhere, conditions stated,
the published code loads patched and runs beside ours."""

from __future__ import annotations

import io
import sys
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(REPO))

# Measured once on another CPU (published 4.3 / 5.4 pairs/s, 144 / 366 GFLOP/s peaks) or taken
# from DESIGN.md (16.8 / 11.1 / 9.6 / 3.8 GFLOP per pair): none may be a number in a script.
OLD_CONSTANTS = {4.3, 5.4, 144.0, 366.0, 16.8, 11.1, 9.6, 3.8}
OLD_PHRASES = ("144 GFLOP", "366 GFLOP", "4.3 / 5.4", "GFLOP_PER_PAIR", "PEAK_GFLOPS",
               "QUIET_PEAK", "of 144", "16.8 GFLOP", "11.1 GFLOP")  # fmt: skip


def _numbers(path: Path) -> list[tuple[int, float]]:
    toks = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    out = []
    for t in toks:
        if t.type == tokenize.NUMBER:
            try:
                out.append((t.start[0], float(t.string.replace("_", ""))))
            except ValueError:  # complex / hex literals
                continue
    return out


def test_scripts_hold_no_constant_measured_elsewhere() -> None:
    scripts = sorted([*BENCH.glob("*.py"), *(REPO / "studies").rglob("*.py")])
    assert len(scripts) >= 5 and any(p.parent.name == "ptbxl_sample" for p in scripts)
    found = [f"{p.name}:{line} {v}" for p in scripts for line, v in _numbers(p)
             if v in OLD_CONSTANTS]  # fmt: skip
    assert not found, f"constants measured elsewhere: {found}"
    texts = {p.name: p.read_text() for p in [*scripts, BENCH / "run_all.sh"]}
    hits = [f"{n}: {ph}" for n, t in texts.items() for ph in OLD_PHRASES if ph in t]
    assert not hits, hits


def test_constant_check_would_catch_an_old_constant(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("PEAK = {'fp32': 144.0}\nx = 4.3 * 2\n")
    assert [v for _, v in _numbers(bad) if v in OLD_CONSTANTS] == [144.0, 4.3]


def test_report_has_no_ratio_against_old_constants() -> None:
    md = (REPO / "BENCHMARKS.md").read_text()
    for phrase in ("of 144 GFLOP/s", "x_upstream", "4.3 / 5.4", "144 (fp32) / 366 (bf16)"):
        assert phrase not in md, phrase


def test_conditions_line_states_flags_threads_and_load() -> None:
    from benchmarks import _common

    flags = _common.cpu_flags()
    line = _common.conditions_line((9.5, 0.0, 0.0), threads=3)
    for flag in ("avx512_bf16", "amx_bf16"):
        assert f"{flag} {'yes' if flags[flag] else 'no'}" in line
    assert "3 threads" in line and "9.50 before" in line
    assert "after" in line.split("before,")[1]
    # the flags come from the CPU, not a default: this machine's cpuinfo decides
    words = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    assert flags["avx2"] == ("avx2" in words)
    assert _common.has_bf16_units() == ("avx512_bf16" in words or "amx_bf16" in words)


def test_every_result_section_states_its_conditions(tmp_path: Path) -> None:
    from benchmarks import _common

    md = _common.write_results("t", "T", [{"a": 1.5}], results_dir=tmp_path, threads=2)
    text = md.read_text()
    assert "Conditions: CPU flags" in text and "amx_bf16" in text and "2 threads" in text
    import json

    data = json.loads((tmp_path / "t.json").read_text())
    assert set(data["cpu_flags"]) >= {"avx512_bf16", "amx_bf16"}
    assert len(data["load_average_before"]) == 3 and data["threads"] == 2


def test_summary_without_published_step_prints_no_ratio() -> None:
    from benchmarks.bench_pretrain import SKIP_BF16, add_ratios, summary_table

    rows = [{"encoder": "resnet1d18", "code": "project", "processes": 1, "precision": "fp32",
             "pairs_per_s": 8.0},
            {"encoder": "resnet1d18", "code": "project", "processes": 1, "precision": "bf16",
             "pairs_per_s": SKIP_BF16}]  # fmt: skip
    add_ratios(rows)
    assert all(r["x_published"] is None for r in rows)
    table = summary_table(rows)
    assert "×)" not in table and SKIP_BF16 in table and "| 8 |" in table
    rows.insert(0, {"encoder": "resnet1d18", "code": "published", "processes": 1,
                    "precision": "fp32", "pairs_per_s": 4.0})  # fmt: skip
    add_ratios(rows)
    assert rows[1]["x_published"] == 2.0 and "8 (2.00×)" in summary_table(rows)


@pytest.mark.data
def test_published_code_loads_patched_and_runs(minilm_path: str) -> None:
    torch = pytest.importorskip("torch")
    from benchmarks._upstream import UpstreamMissing, load_upstream, network_config, upstream_dir

    if upstream_dir() is None:
        pytest.skip("the published MERL code is not on this machine")
    try:
        up = load_upstream()
    except UpstreamMissing as exc:
        if "package" in str(exc):
            pytest.skip(str(exc))
        raise
    assert up.text_hidden == 384
    torch.manual_seed(0)
    model = up.ECGCLIP(network_config("resnet1d18")).train()
    assert model.proj_t[0].in_features == 384
    reports = ["sinus rhythm. normal ecg.", "atrial fibrillation.", "sinus bradycardia.",
               "left bundle branch block.", "inferior myocardial infarction."]  # fmt: skip
    tok = model._tokenize(reports)
    assert tok.input_ids.shape == (5, 256)  # padded to 256 as published
    out = model(torch.rand(5, 12, 5000), tok.input_ids, tok.attention_mask)  # top-5 needs 5
    loss, _, _ = up.clip_loss(out["proj_ecg_emb"][0], out["proj_text_emb"][0], device="cpu")
    loss.backward()
    assert torch.isfinite(loss) and model.downconv.weight.grad is not None


def test_a_patch_that_no_longer_applies_fails_loudly() -> None:
    from benchmarks._upstream import UpstreamMissing, replace_once

    assert replace_once("a b", "a", "c", "x") == "c b"
    with pytest.raises(UpstreamMissing, match="found 0 places"):
        replace_once("a b", "z", "c", "x")


@pytest.mark.data
def test_published_zero_shot_runs_under_bf16_autocast() -> None:
    """Issue 27: the published ``get_ecg_emd`` under bf16 autocast handed bf16 to NumPy."""
    torch = pytest.importorskip("torch")
    from benchmarks._upstream import upstream_dir
    from benchmarks.bench_zeroshot import published_zero_shot

    if upstream_dir() is None:
        pytest.skip("the published MERL code is not on this machine")
    torch.manual_seed(0)
    x = torch.rand(2, 12, 5000)
    clf = torch.nn.functional.normalize(torch.randn(256, 3), dim=0)
    run = published_zero_shot("resnet1d18", x, clf)
    if isinstance(run, str):
        pytest.skip(run)
    fp32 = run()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        bf16 = run()
    assert bf16.dtype == fp32.dtype == "float32" and bf16.shape == fp32.shape == (2, 3)
    # bf16 keeps 8 bits of mantissa: cosines agree to a few bf16 roundings (2**-8 each)
    assert abs(bf16 - fp32).max() < 16 * 2.0**-8
