"""The project installs as a package: the wheel carries ``knowledge/`` and ``prompts/``, and a
clean virtual environment outside the checkout, holding the wheel and its core dependencies
only (no torch), runs ``ckepe lookup`` and ``ckepe audit`` on a packaged prompt set.

The clean environment installs the core dependencies from the package index (pip's cache
makes a second run ~20 s); ``merl-core --help`` runs the wheel's ``merl_core`` with this
environment's torch, also from outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# data folders of the checkout -> their place in the wheel (setup.py)
SHIPPED = {"knowledge": "ckepe/knowledge", "prompts": "ckepe/prompts"}
NOT_SHIPPED = {"kbbuild", "__pycache__"}  # the knowledge build is a development tool


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{out}"
    return out


def _clean_env() -> dict[str, str]:
    """The environment without anything that points back into the checkout."""
    drop = {"PYTHONPATH", "CKEPE_KNOWLEDGE", "VIRTUAL_ENV", "PYTHONHOME"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


# what the build reads (copied: an in-tree build would write build/ into the checkout and could
# ship a module deleted since the last build); studies/ too, to show that it is left out
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "ckepe", "merl_core", "studies",
                *SHIPPED)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of this checkout (no isolation: offline, ~2 s)."""
    src, dist = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        else:
            shutil.copy2(REPO / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          str(src), "-w", str(dist)], cwd=dist, env=_clean_env())  # fmt: skip
    (path,) = dist.glob("merl_ckepe-*.whl")
    return path


def test_the_wheel_carries_the_knowledge_and_the_prompt_sets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"{SHIPPED[top]}/{p.relative_to(REPO / top).as_posix()}"
        for top in SHIPPED
        for p in (REPO / top).rglob("*")
        if p.is_file() and not NOT_SHIPPED & set(p.relative_to(REPO).parts) and p.suffix != ".pyc"
    }
    assert {"ckepe/knowledge/features.tsv", "ckepe/prompts/cpsc2018.json"} <= expected
    assert expected - names == set()
    assert not [n for n in names if n.startswith("ckepe/knowledge/kbbuild/")]
    # only the two packages (and the wheel's metadata) at the top: no studies/, no knowledge/
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"ckepe", "merl_core"}
    assert "merl_core/configs/resnet1d18.json" in names


@pytest.mark.slow
def test_a_clean_venv_outside_the_checkout_runs_lookup_and_audit(
    wheel: Path, tmp_path: Path
) -> None:
    venv, cwd = tmp_path / "venv", tmp_path / "elsewhere"
    cwd.mkdir()
    env = _clean_env()
    t0 = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=cwd, env=env)
    py, bin_dir = venv / "bin" / "python", venv / "bin"
    _run([str(py), "-m", "pip", "install", "-q", str(wheel)], cwd=cwd, env=env)
    print(f"clean venv with the wheel and its core dependencies: {time.perf_counter() - t0:.1f} s")

    probe = (
        "import importlib.util as u, ckepe; from ckepe.resources import prompts_dir; "
        "print(ckepe.__file__); print(prompts_dir()); print(u.find_spec('torch') is None)"
    )
    where, prompts, no_torch = _run([str(py), "-c", probe], cwd=cwd, env=env).split()
    assert Path(where).is_relative_to(venv) and Path(prompts).is_relative_to(venv)
    assert no_torch == "True", "the core install pulled torch"

    out = _run([str(bin_dir / "ckepe"), "lookup", "left bundle branch block"], cwd=cwd, env=env)
    assert "164909002" in out  # SNOMED CT: left bundle branch block

    target = Path(prompts) / "cpsc2018.json"
    out = _run([str(bin_dir / "ckepe"), "audit", "--hallucination-check", str(target)],
               cwd=cwd, env=env)  # fmt: skip
    assert "0 contradicted" in " ".join(out.split()), out


@pytest.mark.slow
def test_merl_core_help_from_the_wheel_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """The wheel's merl_core (unpacked, first on the path) with this environment's torch."""
    pytest.importorskip("torch")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**_clean_env(), "PYTHONPATH": str(site)}
    code = ("import sys, merl_core; from merl_core.cli import app; "
            "assert merl_core.__file__.startswith(sys.argv[1]), merl_core.__file__; "
            "sys.argv = ['merl-core', '--help']; app()")  # fmt: skip
    out = _run([sys.executable, "-c", code, str(site)], cwd=tmp_path, env=env)
    assert "zeroshot" in out and "pretrain" in out
