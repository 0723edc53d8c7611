"""On-disk LLM response cache: one JSON file per request, written atomically.

The key is the sha256 of the backend, the model identity, the endpoint (base URL, redacted;
OpenAI-compatible backends), the messages and the decoding parameters. Secrets (API keys)
are never part of the key nor of the file: a rerun with the same inputs gives the same reply
at no cost, and an interrupted build resumes.

The cache is private (folders 0700, files 0600: the prompts and replies are the user's) and
bounded (``$CKEPE_CACHE_MAX_MB``, default 200 MB): past the bound, the entries used least
recently are removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_json, canonical_sha256

logger = logging.getLogger(__name__)

CACHE_ENV = "CKEPE_CACHE_DIR"
CACHE_MAX_ENV = "CKEPE_CACHE_MAX_MB"
CACHE_FORMAT = 1
DEFAULT_MAX_BYTES = 200 << 20
DIR_MODE, FILE_MODE = 0o700, 0o600


def default_max_bytes() -> int:
    """``$CKEPE_CACHE_MAX_MB`` in bytes, else 200 MB."""
    env = os.environ.get(CACHE_MAX_ENV, "")
    try:
        return max(1, int(float(env) * (1 << 20))) if env else DEFAULT_MAX_BYTES
    except ValueError:
        logger.warning("%s=%r is not a number; using %d MB", CACHE_MAX_ENV, env,
                       DEFAULT_MAX_BYTES >> 20)  # fmt: skip
        return DEFAULT_MAX_BYTES


def default_cache_dir() -> Path:
    """``$CKEPE_CACHE_DIR`` or ``~/.cache/ckepe/llm``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ckepe" / "llm"


def cache_key(request: dict[str, Any]) -> str:
    """sha256 over a canonical JSON rendering of the request identity."""
    return canonical_sha256(request)


class ResponseCache:
    """A folder of ``<key[:2]>/<key>.json`` files holding the request and its reply."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, max_bytes: int | None = None
    ) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.max_bytes = max_bytes or default_max_bytes()
        self.hits = 0
        self.misses = 0
        self.evicted = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, request: dict[str, Any]) -> str | None:
        """The cached reply text for ``request``, or None (unreadable entries count as misses)."""
        path = self._path(cache_key(request))
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            text = entry["response"]
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable cache entry %s: %s", path, exc)
            self.misses += 1
            return None
        if not isinstance(text, str):
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return text

    def _private_dir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for d in (self.directory, path):
            if d.stat().st_mode & 0o077:
                os.chmod(d, DIR_MODE)

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every entry."""
        out = []
        for sub in self.directory.glob("??"):
            for f in sub.glob("*.json"):
                with contextlib.suppress(OSError):
                    st = f.stat()
                    out.append((st.st_mtime, st.st_size, f))
        return out

    def evict(self) -> int:
        """Remove the least recently used entries until the cache is within its bound."""
        entries = sorted(self.entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, f in entries:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                f.unlink()
                total -= size
                removed += 1
        self.evicted += removed
        if removed:
            logger.info("LLM cache %s: %d old entries removed (bound %d MB)", self.directory,
                        removed, self.max_bytes >> 20)  # fmt: skip
        return removed

    def put(self, request: dict[str, Any], response: str) -> Path:
        """Store ``response`` for ``request`` (atomic, durable); returns the path."""
        key = cache_key(request)
        path = self._path(key)
        self._private_dir(path.parent)
        entry = {
            "format": CACHE_FORMAT,
            "key": key,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request": request,
            "response": response,
        }
        atomic_write_json(path, entry, indent=1, mode=FILE_MODE)
        self.evict()
        return path
