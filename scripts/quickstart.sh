#!/usr/bin/env bash
# The README's two quick-start commands:
#   bash scripts/quickstart.sh demo   # install, then run the whole pipeline offline (merl-core demo)
#   bash scripts/quickstart.sh test   # install, then run the test suite
# Needs only Python >= 3.11 (and a C/C++ compiler: llama-cpp-python builds from source, ~7 min
# once; pip caches the wheel). Set VENV to choose the virtualenv folder (default .venv).
# On CPython 3.11 / x86_64 Linux it installs from the hashed lock in requirements/
# (scripts/lock_deps.py regenerates it); CKEPE_UNLOCKED=1 installs from pyproject's ranges.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-}"
case "$what" in demo|test|install) ;; *) echo "usage: bash scripts/quickstart.sh demo|test" >&2; exit 2;; esac
shift || true

pick_python() {
    for cand in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$cand" ] || continue
        if command -v "$cand" >/dev/null 2>&1 &&
           "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$cand"; return 0
        fi
    done
    echo "quickstart: no Python >= 3.11 found (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    "$(pick_python)" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
# The hashed lock (scripts/lock_deps.py) is made for CPython 3.11 on x86_64 Linux, glibc >= 2.28.
lock_fits() {
    python - <<'PY'
import os, platform, sys
glibc = (os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None) or ""
ok = (sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
      and sys.platform == "linux" and platform.machine() == "x86_64"
      and glibc.startswith("glibc ")
      and tuple(map(int, glibc.split()[1].split(".")[:2])) >= (2, 28))
sys.exit(0 if ok else 1)
PY
}
echo "quickstart: installing the project (first time: llama-cpp-python compiles, ~7 min)" >&2
if [ "${CKEPE_UNLOCKED:-0}" != 1 ] && lock_fits; then
    # Every distribution pinned and hashed; the source builds (llama-cpp-python, pymedtermino,
    # this project) use the hashed build tools installed first, not an unchecked isolated env.
    python -m pip install -q --require-hashes -r requirements/build-py311.txt
    python -m pip install -q --require-hashes --no-deps --no-build-isolation \
        -r requirements/lock-py311.txt
    python -m pip install -q --no-deps --no-build-isolation -e .
    # --no-deps trusts the lock to be complete: pip check says if a dependency is missing.
    if ! out="$(python -m pip check 2>&1)"; then
        echo "$out" >&2; echo "quickstart: the lock is incomplete: python scripts/lock_deps.py" >&2; exit 1
    fi
else
    if [ "${CKEPE_UNLOCKED:-0}" = 1 ]; then why="CKEPE_UNLOCKED=1"; else why="not CPython 3.11 on x86_64 Linux (glibc >= 2.28)"; fi
    echo "quickstart: $why: installing unlocked (versions from pyproject.toml's ranges, no hashes)" >&2
    python -m pip install -q --upgrade pip wheel "setuptools<82"  # neurokit2 0.3 pins setuptools<82
    # torch first, pinned: a bare "torch" requirement would pull a multi-GB CUDA build.
    python -c 'import torch' 2>/dev/null || python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
    python -m pip install -q -e ".[all,dev]"
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
case "$what" in
    demo) exec merl-core demo "$@" ;;
    test)
        set +e
        python -m pytest -q -p no:cacheprovider --durations=15 "$@"
        rc=$?
        set -e
        # pytest exits 5 when it collected no test: that is a failure for us too.
        exit "$rc"
        ;;
    install) echo "installed into $VENV" ;;
esac
