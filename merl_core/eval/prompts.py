"""Read prompt sets for zero-shot evaluation, through the prompt-file schema only.

Two formats are accepted (DESIGN.md, "Prompt file"): the structured prompt file that
``ckepe build-prompts`` writes (``classes`` list with ``label``, ``name``, ``description``,
``phrases``) and the flat ``{label: text}`` file that upstream MERL consumes (a list of texts
per label is accepted too). merl_core never imports ckepe: this module reads the JSON itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROMPT_MODES = ("description", "phrases", "name")


class PromptFileError(ValueError):
    """A prompt file that cannot be read, or that lacks a class an evaluation needs."""


@dataclass(frozen=True)
class PromptEntry:
    """The texts of one class."""

    label: str
    name: str
    description: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class PromptTable:
    """A prompt set reduced to what zero-shot needs, with its identity."""

    path: str
    version: str
    dataset: str | None
    flat: bool
    entries: dict[str, PromptEntry]
    # (task, label) -> entry: PTB-XL's super and sub tasks both have a label "STTC" with
    # different concepts, so a label alone is ambiguous in a multi-task prompt set.
    by_task: dict[tuple[str, str], PromptEntry] = field(default_factory=dict)

    def texts(
        self, labels: list[str], mode: str = "description", task: str | None = None
    ) -> list[list[str]]:
        """Texts per class, in ``labels`` order, for a prompt mode (and task, if given).

        Raises:
            PromptFileError: a label has no entry (the message names every missing one).
        """
        if mode not in PROMPT_MODES:
            raise PromptFileError(f"unknown prompt mode {mode!r}; choose from {PROMPT_MODES}")
        missing = [lab for lab in labels if self.find(lab, task) is None]
        if missing:
            raise PromptFileError(
                f"{self.path}: prompt set has no class {', '.join(repr(m) for m in missing)} "
                f"(it has {len(self.entries)} classes: {', '.join(sorted(self.entries)[:12])}"
                f"{', …' if len(self.entries) > 12 else ''})"
            )
        out = []
        for lab in labels:
            e = self.find(lab, task)
            assert e is not None
            if mode == "description":
                out.append([e.description])
            elif mode == "name":
                out.append([e.name])
            else:
                out.append(list(e.phrases) or [e.description])
        return out

    def find(self, label: str, task: str | None = None) -> PromptEntry | None:
        """The entry of a label: the task's own entry first, then exact, then case-insensitive."""
        if task is not None:
            if (task, label) in self.by_task:
                return self.by_task[(task, label)]
            if f"{task}:{label}" in self.entries:  # flat export of a task-specific duplicate
                return self.entries[f"{task}:{label}"]
        if label in self.entries:
            return self.entries[label]
        low = {k.lower(): v for k, v in self.entries.items()}
        return low.get(label.lower())


def _content_hash(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


def _structured(path: Path, raw: dict[str, Any]) -> PromptTable:
    entries: dict[str, PromptEntry] = {}
    by_task: dict[tuple[str, str], PromptEntry] = {}
    for i, c in enumerate(raw["classes"]):
        if not isinstance(c, dict) or not c.get("label") or not c.get("description"):
            raise PromptFileError(f"{path}: class #{i} lacks a label or a description")
        phrases = tuple(
            p["text"] if isinstance(p, dict) else str(p)
            for p in c.get("phrases", [])
            if (p.get("text") if isinstance(p, dict) else p)
        )
        label = str(c["label"])
        entry = PromptEntry(label, str(c.get("name") or label), c["description"], phrases)
        entries.setdefault(label, entry)
        for task in c.get("tasks") or []:
            by_task[(str(task), label)] = entry
    version = raw.get("prompt_set_version") or _content_hash(raw["classes"])
    return PromptTable(str(path), str(version), raw.get("dataset"), False, entries, by_task)


def _flat(path: Path, raw: dict[str, Any]) -> PromptTable:
    entries: dict[str, PromptEntry] = {}
    for label, value in raw.items():
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise PromptFileError(f"{path}: class {label!r} needs a text or a list of texts")
        entries[label] = PromptEntry(label, label, texts[0], tuple(texts))
    return PromptTable(str(path), _content_hash(raw), None, True, entries)


def read_prompts(path: str | Path) -> PromptTable:
    """Read a structured or flat prompt file.

    Raises:
        PromptFileError: unreadable file, or neither format.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PromptFileError(f"{path}: prompt file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PromptFileError(f"{path}: not a readable JSON prompt file ({exc})") from exc
    if not isinstance(raw, dict) or not raw:
        raise PromptFileError(f"{path}: expected a JSON object of classes")
    if isinstance(raw.get("classes"), list):
        return _structured(path, raw)
    return _flat(path, raw)
