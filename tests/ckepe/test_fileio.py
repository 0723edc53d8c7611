"""One atomic writer for every output (issue 27): a unique temporary name in the target's
folder, fsynced, renamed into place; a symbolic link planted at a temporary name is never
followed (the CLI's --json/--markdown/export-flat writer used a fixed one and followed it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app
from ckepe.fileio import atomic_write_text

PROMPTS = Path(__file__).resolve().parents[2] / "prompts" / "cpsc2018.json"


def test_atomic_write_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out.json"
    (tmp_path / ".out.json.tmp").symlink_to(victim)  # the old fixed temporary name
    atomic_write_text(out, "new")
    assert out.read_text() == "new" and not out.is_symlink()
    assert victim.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [".out.json.tmp"]


def test_cli_outputs_go_through_the_atomic_writer(tmp_path: Path) -> None:
    if not PROMPTS.is_file():
        pytest.skip("no committed prompt file")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "flat.json"
    (tmp_path / ".flat.json.tmp").symlink_to(victim)
    res = CliRunner().invoke(app, ["export-flat", str(PROMPTS), str(out)])
    assert res.exit_code == 0, res.output
    assert victim.read_text() == "keep me"
    assert json.loads(out.read_text()) and oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_canonical_sha256_is_sorted_compact_utf8_json() -> None:
    from ckepe.fileio import canonical_sha256

    # sha256 of the bytes '{"a":"é","b":[1,2]}' (UTF-8), computed once outside the code
    want = "9cfb1f938a87f2b8f3b8cc429c7a09116d54f048322742d4c23d4767b85f85da"
    assert canonical_sha256({"b": [1, 2], "a": "é"}) == want
    assert canonical_sha256({"a": "é", "b": [1, 2]}) == want
