"""The hashed dependency lock (requirements/, scripts/lock_deps.py) and the quick start's use
of it (issue 27, supply chain)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "lock_deps.py"


def _lock_deps():
    spec = importlib.util.spec_from_file_location("lock_deps", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_requirement_is_pinned_with_a_hash() -> None:
    ld = _lock_deps()
    pins = ld.read_lock(ld.LOCK)
    for req in ld.project_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} missing from {ld.LOCK.name}"
        version, hashes = pins[name]
        assert req.specifier.contains(Version(version), prereleases=True), (req, version)
        assert hashes, f"{name} has no hash"
    assert all(hashes for _, hashes in ld.read_lock(ld.BUILD_LOCK).values())


def test_lock_deps_verify_passes() -> None:
    res = subprocess.run([sys.executable, str(SCRIPT), "--verify"], capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    assert res.returncode == 0, res.stderr


def test_verify_finds_a_missing_pin_a_missing_hash_and_a_changed_pyproject(
    tmp_path: Path,
) -> None:
    ld = _lock_deps()
    text = ld.LOCK.read_text()
    lock, build = tmp_path / "lock.txt", tmp_path / "build.txt"
    build.write_text(ld.BUILD_LOCK.read_text())
    lock.write_text(text.replace("\nrapidfuzz==", "\nrapidfuzz-gone=="))
    assert any(p.startswith("rapidfuzz") for p in ld.verify(lock, build))
    unhashed = [ln for ln in text.splitlines() if not ln.startswith("    --hash=sha256:")]
    lock.write_text("\n".join(ln.removesuffix(" \\") for ln in unhashed) + "\n")
    assert any("typer" in p and "no --hash" in p for p in ld.verify(lock, build))
    lock.write_text(text)
    assert ld.verify(lock, build) == []
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        (ROOT / "pyproject.toml").read_text().replace('"rich>=13"', '"rich>=13.1"')
    )
    assert any("changed since the lock" in p for p in ld.verify(lock, build, pyproject))
    pyproject.write_text((ROOT / "pyproject.toml").read_text().replace('"torch>=2.6', '"torch>=99'))
    assert any("torch" in p and "does not admit" in p for p in ld.verify(lock, build, pyproject))


def test_torch_floor_is_past_cve_2025_32434() -> None:
    """torch.load(weights_only=True) could be bypassed before 2.6; import-upstream relies on it."""
    ld = _lock_deps()
    torch = next(r for r in ld.project_requirements() if canonicalize_name(r.name) == "torch")
    assert not SpecifierSet(str(torch.specifier)).contains("2.5.1")
    assert all(Version(s.version) >= Version("2.6") for s in torch.specifier if ">" in s.operator)
    version, hashes = ld.read_lock(ld.LOCK)["torch"]
    assert Version(version) >= Version("2.6") and version.endswith("+cpu") and len(hashes) == 1


def test_setuptools_stays_below_82_for_neurokit2() -> None:
    ld = _lock_deps()
    for path in (ld.LOCK, ld.BUILD_LOCK):
        assert Version(ld.read_lock(path)["setuptools"][0]) < Version("82")


def test_quickstart_installs_from_the_lock_with_hashes() -> None:
    text = (ROOT / "scripts" / "quickstart.sh").read_text()
    assert "--require-hashes --no-deps --no-build-isolation" in text
    assert "-r requirements/lock-py311.txt" in text and "-r requirements/build-py311.txt" in text
    assert "CKEPE_UNLOCKED" in text
    assert "scripts/quickstart.sh install" in (ROOT / ".ci" / "run").read_text()


def test_quickstart_takes_the_lock_only_where_it_was_made_for(tmp_path: Path) -> None:
    """The quick start's gate (lock_fits) on this interpreter: locked exactly on CPython 3.11
    on x86_64 Linux."""
    import platform

    text = (ROOT / "scripts" / "quickstart.sh").read_text()
    gate = text[text.index("lock_fits() {") : text.index("\n}\n", text.index("lock_fits() {")) + 3]
    (tmp_path / "python").symlink_to(sys.executable)
    script = f'PATH="{tmp_path}:$PATH"\n{gate}lock_fits'
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    fits = (sys.implementation.name, sys.version_info[:2], sys.platform, platform.machine()) == (
        "cpython", (3, 11), "linux", "x86_64")  # fmt: skip
    assert (res.returncode == 0) == fits, res.stderr
