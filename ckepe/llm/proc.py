"""Child processes of the LLM backends (the llama.cpp worker, the local server): killed with
their parent, started with an environment that carries no credentials.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# Environment variables a child must not inherit: API keys, tokens, passwords of any service
# (the parent's OPENAI_API_KEY is for the parent's endpoint, not for a local engine).
_SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)", re.IGNORECASE
)
_SECRET_PREFIXES = ("OPENAI_", "ANTHROPIC_", "AWS_", "AZURE_", "GOOGLE_", "HF_TOKEN", "GH_")


def is_secret_name(name: str) -> bool:
    """True for environment variable names that may hold a credential."""
    upper = name.upper()
    return bool(_SECRET_NAME.search(upper)) or upper.startswith(_SECRET_PREFIXES)


def scrubbed_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A copy of the environment (``base``, default ``os.environ``) without credentials, then
    ``extra`` on top (the only way a secret the child needs gets there)."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not is_secret_name(k)}
    env.update(extra or {})
    return env


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent dies (Linux
    ``PR_SET_PDEATHSIG``); None elsewhere (the caller still stops the child on exit).

    The signal fires when the *thread* that started the child ends, so start children from
    the thread that lives as long as they should (here: the main thread).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:  # loaded here, in the parent: the child (between fork and exec) only calls it
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        logger.warning("no prctl: child processes may outlive this one if it is killed")
        return None
    parent = os.getpid()

    def _preexec() -> None:  # runs in the child between fork and exec: no logging here
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return _preexec


def describe_exit(returncode: int | None) -> str:
    """``killed by SIGSEGV`` / ``exit status 3`` / ``still running``."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"
