"""Where ckepe's data lives: the terminology (``knowledge/``) and the committed prompt sets
(``prompts/``).

A wheel carries both inside the package (``ckepe/knowledge``, ``ckepe/prompts``; see
``setup.py``); a checkout keeps them at the repository root, where the knowledge build and
``ckepe build-prompts`` write them. ``CKEPE_KNOWLEDGE`` points the terminology elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

KNOWLEDGE_ENV = "CKEPE_KNOWLEDGE"
_PACKAGE = Path(__file__).resolve().parent


def _data_folder(name: str) -> Path:
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def knowledge_dir() -> Path:
    """The terminology: ``CKEPE_KNOWLEDGE``, else the installed or checkout ``knowledge/``."""
    env = os.environ.get(KNOWLEDGE_ENV)
    return Path(env) if env else _data_folder("knowledge")


def prompts_dir() -> Path:
    """The committed prompt sets (``<dataset>.json``), installed or in the checkout."""
    return _data_folder("prompts")
