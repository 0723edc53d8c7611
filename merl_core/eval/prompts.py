"""Prompt sets for zero-shot evaluation, read through ckepe's prompt-file contract.

The file format, its reader and its version hash live in one place, :mod:`ckepe.promptfile`
(torch-free). This module only reduces a :class:`ckepe.promptfile.PromptSet` to the texts
zero-shot needs, per class and per task. Both formats are read there: the structured file
``ckepe build-prompts`` writes and the flat ``{label: text}`` file upstream MERL consumes
(a list of texts per label is one description, the texts joined, as ckepe audits it).

``version`` is always ckepe's recomputed version (``read_prompt_version``: the content hash
of a structured file, the hash of the mapping of a flat one); a stored
``prompt_set_version`` that differs is logged and kept as ``stored_version``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ckepe.promptfile import (
    PromptFileError,
    PromptSet,
    PromptVersion,
    import_flat,
    read_prompt_version,
)

__all__ = ["PROMPT_MODES", "PromptEntry", "PromptFileError", "PromptTable", "read_prompts"]

log = logging.getLogger(__name__)

PROMPT_MODES = ("description", "phrases", "name")


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
    stored_version: str | None = None

    def texts(
        self, labels: list[str], mode: str = "description", task: str | None = None
    ) -> list[list[str]]:
        """Texts per class, in ``labels`` order, for a prompt mode (and task, if given).

        Raises:
            PromptFileError: a label has no entry (the message names every missing one).
        """
        if mode not in PROMPT_MODES:
            raise PromptFileError(f"unknown prompt mode {mode!r}; choose from {PROMPT_MODES}")
        found = [self.find(lab, task) for lab in labels]
        missing = [lab for lab, e in zip(labels, found, strict=True) if e is None]
        if missing:
            raise PromptFileError(
                f"{self.path}: prompt set has no class {', '.join(repr(m) for m in missing)} "
                f"(it has {len(self.entries)} classes: {', '.join(sorted(self.entries)[:12])}"
                f"{', …' if len(self.entries) > 12 else ''})"
            )
        out = []
        for e in found:
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
        if task is not None and (task, label) in self.by_task:
            return self.by_task[(task, label)]
        if label in self.entries:
            return self.entries[label]
        low = {k.lower(): v for k, v in self.entries.items()}
        return low.get(label.lower())


def _table(
    path: Path, ps: PromptSet, version: PromptVersion, scopes: list[list[str]]
) -> PromptTable:
    """``scopes``: for a flat file, the tasks each key's ``task1+task2:`` prefix names."""
    entries: dict[str, PromptEntry] = {}
    by_task: dict[tuple[str, str], PromptEntry] = {}
    for i, c in enumerate(ps.classes):
        phrases = tuple(p.text for p in c.phrases)
        entry = PromptEntry(c.label, c.name or c.label, c.description, phrases)
        entries.setdefault(c.label, entry)  # the first entry of a label answers task-less
        for task in c.tasks or (scopes[i] if scopes else []):
            by_task[(task, c.label)] = entry
    if version.mismatch:
        log.warning(
            "%s: stored prompt_set_version %s does not match its content (%s); "
            "using the recomputed one",
            path,
            version.recorded,
            version.recomputed,
        )
    flat = version.format == "flat"
    return PromptTable(str(path), version.recomputed, None if flat else ps.dataset, flat,
                       entries, by_task, version.recorded)  # fmt: skip


def read_prompts(path: str | Path, dataset: str | None = None) -> PromptTable:
    """Read a structured or flat prompt file through :mod:`ckepe.promptfile`.

    ``version`` is ckepe's recomputed version of the file (``read_prompt_version``).

    Raises:
        PromptFileError: unreadable file, or not a valid prompt file of either format.
    """
    path = Path(path)
    content, version = read_prompt_version(path)
    if isinstance(content, PromptSet):
        return _table(path, content, version, [])
    ps = import_flat(content, dataset or "unknown")
    # ckepe keeps a flat key's label; its task prefix (the scope export_flat writes when two
    # tasks share a label) is read back from the key.
    scopes = [[t for t in key.rpartition(":")[0].split("+") if t] for key in content]
    return _table(path, ps, version, scopes)
