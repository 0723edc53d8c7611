"""On-disk LLM response cache: one JSON file per request, written atomically.

The key is the sha256 of the backend, the model identity, the endpoint (base URL, redacted;
OpenAI-compatible backends), the messages and the decoding parameters. Secrets (API keys)
are never part of the key nor of the file: a rerun with the same inputs gives the same reply
at no cost, and an interrupted build resumes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_json

logger = logging.getLogger(__name__)

CACHE_ENV = "CKEPE_CACHE_DIR"
CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$CKEPE_CACHE_DIR`` or ``~/.cache/ckepe/llm``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ckepe" / "llm"


def cache_key(request: dict[str, Any]) -> str:
    """sha256 over a canonical JSON rendering of the request identity."""
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A folder of ``<key[:2]>/<key>.json`` files holding the request and its reply."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.hits = 0
        self.misses = 0

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
        return text

    def put(self, request: dict[str, Any], response: str) -> Path:
        """Store ``response`` for ``request`` (atomic, durable); returns the path."""
        key = cache_key(request)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "format": CACHE_FORMAT,
            "key": key,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request": request,
            "response": response,
        }
        return atomic_write_json(path, entry, indent=1)
