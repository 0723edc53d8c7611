"""Regenerate, or verify, the hashed dependency locks the quick start and CI install from.

    python scripts/lock_deps.py            # rewrite requirements/lock-py311.txt and build-py311.txt
    python scripts/lock_deps.py --verify   # exit 1 when pyproject.toml and the locks disagree

The lock pins every distribution of ``.[all,dev]`` for CPython 3.11 on x86_64 Linux
(manylinux_2_28), each with its sha256 hashes; the build lock pins what the source
distributions need to build without isolation (llama-cpp-python: scikit-build-core, cmake,
ninja; pymedtermino and this project: setuptools, wheel) and pip itself. torch is the CPU
wheel (``torch==2.13.0+cpu``), hashed from the file pip installs: found in pip's find-links
(``pip config list``, ``PIP_FIND_LINKS``), else downloaded from the PyTorch CPU index, or
named with ``--torch-wheel``. Resolution runs ``uv pip compile --generate-hashes`` against
PyPI; uv comes from PATH or is installed from PyPI into a throwaway virtualenv.

``--verify`` needs no network: every requirement of pyproject (core, the extras ``all``
expands to, ``dev``) must be pinned in the lock at a version it admits, every pin must carry a
hash, the two locks must agree on the distributions they share, and the digest of
pyproject's requirements recorded in the lock's header must match (any edit of a requirement
asks for a new lock, even one the old pins still satisfy).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock-py311.txt"
BUILD_LOCK = ROOT / "requirements" / "build-py311.txt"
PROJECT = "merl-ckepe"
EXTRAS = ("all", "dev")
TORCH_CPU = "2.13.0+cpu"
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
# The markers the lock is made for (PEP 508 environment of CPython 3.11 on x86_64 Linux).
MARKER_ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
}
# Constraints beyond pyproject's: neurokit2 0.3 imports pkg_resources, gone in setuptools 82.
EXTRA_CONSTRAINTS = ("setuptools<82",)
# What the source distributions of the lock need to build with --no-build-isolation:
# llama-cpp-python (scikit-build-core, which runs cmake and ninja), pymedtermino and this
# project (setuptools, wheel); pip itself, so the installer is pinned too.
BUILD_REQUIREMENTS = (
    "pip",
    "setuptools>=68,<82",
    "wheel",
    "scikit-build-core>=0.9.2",
    "cmake>=3.21",
    "ninja",
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
DIGEST_LINE = "# pyproject-requirements-sha256: "


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """The requirements of the core, the extras ``all`` and ``dev`` (self-references expanded)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    found: list[Requirement] = [Requirement(r) for r in project.get("dependencies", [])]
    pending, seen = list(EXTRAS), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in optional[extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == PROJECT:
                pending += sorted(req.extras)
            else:
                found.append(req)
    return [r for r in found if r.marker is None or r.marker.evaluate(MARKER_ENV)]


def requirements_digest(reqs: list[Requirement]) -> str:
    """A digest of the requirements (order and duplicates ignored), recorded in the lock."""
    lines = sorted({str(r) for r in reqs} | set(EXTRA_CONSTRAINTS))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def read_lock(path: Path) -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, [sha256, ...])}`` of a hashed requirements file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), [])
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            if current is not None:
                pins[current][1].append(digest)
        if not line.startswith((" ", "\t")) and not match:
            current = None
    return pins


def recorded_digest(path: Path) -> str | None:
    for line in path.read_text().splitlines():
        if line.startswith(DIGEST_LINE):
            return line[len(DIGEST_LINE) :].strip()
    return None


def verify(
    lock: Path = LOCK, build_lock: Path = BUILD_LOCK, pyproject: Path = ROOT / "pyproject.toml"
) -> list[str]:
    """Every disagreement between pyproject.toml and the locks, as one line each."""
    problems: list[str] = []
    if not lock.is_file() or not build_lock.is_file():
        return [f"missing {lock} or {build_lock}: run python scripts/lock_deps.py"]
    pins, build_pins = read_lock(lock), read_lock(build_lock)
    reqs = project_requirements(pyproject)
    for req in reqs + [Requirement(c) for c in EXTRA_CONSTRAINTS]:
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req} is not pinned in {lock.name}")
        elif not req.specifier.contains(Version(pins[name][0]), prereleases=True):
            problems.append(f"{req} does not admit the locked {name}=={pins[name][0]}")
    for path, table in ((lock, pins), (build_lock, build_pins)):
        for name, (version, hashes) in table.items():
            if not hashes:
                problems.append(f"{path.name}: {name}=={version} has no --hash")
    for req in (Requirement(r) for r in BUILD_REQUIREMENTS):
        name = canonicalize_name(req.name)
        if name not in build_pins:
            problems.append(f"{req} is not pinned in {build_lock.name}")
    for name in sorted(pins.keys() & build_pins.keys()):
        if pins[name] != build_pins[name]:
            problems.append(f"{name}: {lock.name} and {build_lock.name} pin it differently")
    if recorded_digest(lock) != requirements_digest(reqs):
        problems.append(
            "pyproject.toml's requirements changed since the lock was made: "
            "run python scripts/lock_deps.py"
        )
    return problems


def _uv(workdir: Path) -> list[str]:
    """The uv command: from PATH, else installed from PyPI into a throwaway virtualenv."""
    found = shutil.which("uv")
    if found:
        return [found]
    venv = workdir / "uv-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], check=True)
    return [str(venv / "bin" / "uv")]


def _find_links() -> list[Path]:
    """pip's find-links folders (environment, then configuration)."""
    text = os.environ.get("PIP_FIND_LINKS", "")
    config = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    for line in config.splitlines():
        if "find-links" in line.split("=", 1)[0]:
            text += " " + line.split("=", 1)[1].strip("'\"")
    return [Path(p.removeprefix("file://")) for p in text.split() if p]


def torch_wheel(workdir: Path, given: Path | None) -> Path:
    """The CPU torch wheel for CPython 3.11 x86_64: given, in pip's find-links, or downloaded."""
    if given is not None:
        return given
    pattern = f"torch-{TORCH_CPU}-cp311-cp311-manylinux*_x86_64.whl"
    for folder in _find_links():
        hits = sorted(folder.glob(pattern)) if folder.is_dir() else []
        if hits:
            return hits[-1]
    dest = workdir / "torch"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"torch=={TORCH_CPU}", "--no-deps",
         "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
         "--platform", "manylinux_2_28_x86_64", "--index-url",
         "https://download.pytorch.org/whl/cpu", "-d", str(dest)],
        check=True,
    )  # fmt: skip
    return next(dest.glob(pattern))


def _compile(uv: list[str], args: list[str], out: Path, header: str, workdir: Path) -> None:
    cmd = [*uv, "pip", "compile", "-q", *args, "--generate-hashes", "--no-header", "--no-config",
           "--python-version", PYTHON_VERSION, "--python-platform", PLATFORM,
           "--index-url", "https://pypi.org/simple", "-o", str(workdir / out.name)]  # fmt: skip
    subprocess.run(cmd, check=True, cwd=ROOT)
    body = (workdir / out.name).read_text().replace(str(workdir) + "/", "")
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + body)


def generate(torch_path: Path | None) -> None:
    """Resolve pyproject's requirements against PyPI and write both hashed locks."""
    with tempfile.TemporaryDirectory(prefix="lock-deps-") as tmp:
        workdir = Path(tmp)
        uv = _uv(workdir)
        wheel = torch_wheel(workdir, torch_path)
        (workdir / "torch-override.txt").write_text(f"torch=={TORCH_CPU}\n")
        (workdir / "constraints.txt").write_text("\n".join(EXTRA_CONSTRAINTS) + "\n")
        (workdir / "build-requirements.in").write_text("\n".join(BUILD_REQUIREMENTS) + "\n")
        digest = requirements_digest(project_requirements())
        header = (
            "# Generated by scripts/lock_deps.py (do not edit): every distribution of\n"
            f"# .[{','.join(EXTRAS)}] for CPython {PYTHON_VERSION} on {PLATFORM}, hashed.\n"
            f"# torch is the CPU wheel {wheel.name}.\n"
            f"{DIGEST_LINE}{digest}\n"
        )
        extras = [a for e in EXTRAS for a in ("--extra", e)]
        _compile(
            uv,
            ["pyproject.toml", *extras, "--find-links", str(wheel.parent),
             "--override", str(workdir / "torch-override.txt"),
             "--constraint", str(workdir / "constraints.txt")],
            LOCK, header, workdir,
        )  # fmt: skip
        build_header = (
            "# Generated by scripts/lock_deps.py (do not edit): what the source distributions\n"
            "# of lock-py311.txt need to build with --no-build-isolation, and pip; hashed.\n"
        )
        _compile(
            uv,
            [str(workdir / "build-requirements.in"), "--constraint", str(LOCK)],
            BUILD_LOCK, build_header, workdir,
        )  # fmt: skip
    torch_hash = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if read_lock(LOCK)["torch"][1] != [torch_hash]:
        raise SystemExit(f"lock_deps: torch's hash in {LOCK} is not {wheel}'s ({torch_hash})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", action="store_true", help="check, do not resolve")
    parser.add_argument("--torch-wheel", type=Path, help=f"the torch {TORCH_CPU} wheel to hash")
    args = parser.parse_args(argv)
    if not args.verify:
        generate(args.torch_wheel)
    problems = verify()
    for line in problems:
        print(f"lock_deps: {line}", file=sys.stderr)
    if not problems:
        print(f"lock_deps: {LOCK.relative_to(ROOT)} and {BUILD_LOCK.relative_to(ROOT)} agree "
              "with pyproject.toml")  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
