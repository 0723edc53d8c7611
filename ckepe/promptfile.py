"""The prompt-file contract (DESIGN.md "Prompt file"): models, hashing, atomic I/O, flat format.

A prompt set is JSON validated by pydantic on read and on write. ``prompt_set_version`` is a
content hash of the dataset, tasks and class entries, so it does not change with
``created_at`` and two builds from the same inputs carry the same version.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ckepe.errors import CkepeError
from ckepe.fileio import atomic_write_text, canonical_sha256
from ckepe.registry import DATASETS
from ckepe.textsafety import bounded, disallowed_reason

SCHEMA_VERSION = "1.0"
PhraseKind = Literal["name", "synonym", "subtype", "feature"]


class PromptFileError(CkepeError, ValueError):
    """A prompt file cannot be read or written; the message names the file and the problem."""


class Phrase(BaseModel):
    """A verified phrase of a class description, with its provenance."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    kind: PhraseKind
    concept_id: str
    origin: Literal["terminology", "llm"]
    status: Literal["verified"] = "verified"


class RejectedClaim(BaseModel):
    """A proposed claim that failed verification, with a machine code and a human reason.

    ``text`` and ``reason`` are stored bounded and escaped (``ckepe.textsafety.bounded``: at
    most ``MAX_STORED_CHARS`` characters, every character outside the clinical-text allowlist
    as ``\\uXXXX``), so an LLM reply is kept as evidence without its payload.
    """

    model_config = ConfigDict(extra="forbid")
    text: str
    kind: str
    origin: Literal["terminology", "llm"] = "llm"
    code: str = ""
    reason: str

    @field_validator("text", "reason")
    @classmethod
    def _bounded(cls, value: str) -> str:
        return bounded(value)


class ClassEntry(BaseModel):
    """One dataset label: its concepts, the single MERL-style description and its phrases."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    tasks: list[str] = Field(default_factory=list)
    concept_ids: list[str] = Field(default_factory=list)
    name: str
    description: str
    phrases: list[Phrase] = Field(default_factory=list)
    rejected: list[RejectedClaim] = Field(default_factory=list)
    fallback: bool = False
    fallback_reason: str | None = None


class GeneratorInfo(BaseModel):
    """How the set was made: tool version, LLM backend, model, decoding parameters, seed."""

    model_config = ConfigDict(extra="allow")
    tool: str = "ckepe"
    tool_version: str = ""
    llm_backend: str = "none"
    model: str | None = None
    decoding: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None


class TerminologyInfo(BaseModel):
    """The terminology the phrases were verified against."""

    model_config = ConfigDict(extra="allow")
    source: str = ""
    version: str = ""
    content_hash: str = ""


class PromptSet(BaseModel):
    """A versioned prompt set for one dataset (the file ``prompts/<dataset>.json``)."""

    model_config = ConfigDict(extra="forbid")
    schema_version: str = SCHEMA_VERSION
    prompt_set_version: str = ""
    dataset: str
    tasks: list[str] = Field(default_factory=list)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    generator: GeneratorInfo = Field(default_factory=GeneratorInfo)
    terminology: TerminologyInfo = Field(default_factory=TerminologyInfo)
    classes: list[ClassEntry]

    def content_hash(self) -> str:
        """Hash of dataset, tasks and entries (not of created_at or generator timing)."""
        body = {
            "dataset": self.dataset,
            "tasks": self.tasks,
            "classes": [c.model_dump(mode="json") for c in self.classes],
        }
        return canonical_sha256(body)[:16]

    def with_version(self) -> PromptSet:
        """A copy whose ``prompt_set_version`` is the content hash."""
        return self.model_copy(update={"prompt_set_version": self.content_hash()})

    def by_label(self, task: str | None = None) -> dict[str, ClassEntry]:
        """{label: entry}, restricted to one task when given."""
        return {c.label: c for c in self.classes if task is None or task in c.tasks}


def _json_error(path: Path, exc: json.JSONDecodeError, text: str) -> PromptFileError:
    at_end = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated")
    hint = " (file truncated?)" if at_end else ""
    return PromptFileError(
        f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}"
    )


def is_flat(data: Any) -> bool:
    """True for the upstream flat format ``{label: text}`` (or ``{label: [texts]}``)."""
    return (
        isinstance(data, dict)
        and "classes" not in data
        and all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in data.values()
        )
    )


MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest prompt file read (the committed PTB-XL set is 0.14 MB; 4,000 flat keys ~0.5 MB)."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects read (a structured prompt file needs 5)."""
# a JSON string (escapes unrolled: linear, no backtracking) or a bracket
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The offset where ``text`` nests arrays/objects deeper than ``limit``, else None.

    A scan over brackets outside strings, before any parser recurses: ``json.loads`` on a
    deeply nested document ends in RecursionError, and pydantic or a walker would recurse too.
    """
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif tok in "]}":
            depth -= 1
    return None


def _read_bounded(path: Path, limit: int) -> str:
    try:
        with path.open("rb") as fh:
            blob = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise PromptFileError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise PromptFileError(f"{path}: is a folder, not a prompt file") from exc
    except OSError as exc:
        raise PromptFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(blob) > limit:
        raise PromptFileError(
            f"{path}: larger than the {limit // (1024 * 1024)} MiB limit for a prompt file"
        )
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PromptFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def load_json(path: Path, max_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Read JSON, raising PromptFileError (file + problem) on any failure, on a file over
    ``max_bytes`` and on nesting deeper than ``max_depth``."""
    path = Path(path)
    text = _read_bounded(path, max_bytes)
    if not text.strip():
        raise PromptFileError(f"{path}: empty file")
    deep = json_too_deep(text, max_depth)
    if deep is not None:
        line = text.count("\n", 0, deep) + 1
        raise PromptFileError(
            f"{path}: JSON nested deeper than {max_depth} levels (line {line}); not a prompt file"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc, text) from exc
    except RecursionError as exc:  # a backstop: the scan above should have refused it
        raise PromptFileError(f"{path}: JSON nested too deeply; not a prompt file") from exc


def read_prompt_set(path: Path, dataset: str | None = None) -> PromptSet:
    """Read and validate a prompt file; a flat ``{label: text}`` file is converted."""
    path = Path(path)
    data = load_json(path)
    if is_flat(data):
        if not data:
            raise PromptFileError(f"{path}: flat prompt file has no labels")
        return import_flat(data, dataset or guess_dataset(path) or "unknown")
    if not isinstance(data, dict):
        raise PromptFileError(f"{path}: not a prompt file (top level is {type(data).__name__})")
    check_flat_values(path, data)
    try:
        return PromptSet.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise PromptFileError(
            f"{path}: not a valid prompt file: {loc}: {err['msg']} ({exc.error_count()} error(s))"
        ) from exc


def check_flat_values(path: Path, data: dict[str, Any]) -> None:
    """A mapping without ``classes`` is meant as a flat file: name the entry that is no text."""
    if "classes" in data or "schema_version" in data:
        return
    for label, value in data.items():
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(x, str) for x in value)
        )
        if not ok:
            raise PromptFileError(
                f"{path}: flat prompt file: class {label!r} needs a text or a list of texts, "
                f"not {type(value).__name__}"
            )


def guess_dataset(path: Path) -> str | None:
    """The dataset a prompt file's name suggests (``ptbxl_prompts.json``: ptbxl), or None."""
    stem = path.stem.lower()
    for spec in DATASETS.values():
        if any(k in stem for k in spec.file_hints):
            return spec.name
    return None


def write_prompt_set(ps: PromptSet, path: Path) -> Path:
    """Validate and write atomically (temp file + os.replace); a failure keeps the old file."""
    path = Path(path)
    ps = ps.with_version()
    if ps.generator.tool != "flat-import":  # a built set: the last guard before the file
        _refuse_disallowed(ps, path)
    try:
        text = (
            json.dumps(
                PromptSet.model_validate(ps.model_dump()).model_dump(mode="json"),
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    except ValidationError as exc:
        raise PromptFileError(f"{path}: refusing to write an invalid prompt set: {exc}") from exc
    return atomic_write_text(path, text)  # the one writer of both packages (ckepe.fileio)


def _refuse_disallowed(ps: PromptSet, path: Path) -> None:
    """PromptFileError when a description or phrase holds a character outside the
    clinical-text allowlist (build rejects such claims; this keeps a bug from writing one)."""
    for c in ps.classes:
        for where, text in (
            ("description", c.description),
            *(("phrase", p.text) for p in c.phrases),
        ):
            why = disallowed_reason(text)
            if why:
                raise PromptFileError(
                    f"{path}: refusing to write {bounded(c.label, 40)} {where} "
                    f"{bounded(text, 60)!r}: {why}"
                )


def flat_key(entry: ClassEntry, taken: set[str]) -> str:
    """The flat-format key of an entry: its label, or ``task:label`` if that is taken."""
    return entry.label if entry.label not in taken else f"{'+'.join(entry.tasks)}:{entry.label}"


def export_flat(ps: PromptSet) -> dict[str, str]:
    """The upstream MERL format ``{label: description}``."""
    out: dict[str, str] = {}
    for c in ps.classes:
        out[flat_key(c, set(out))] = c.description
    return out


def import_flat(flat: dict[str, Any], dataset: str, labels: list[Any] | None = None) -> PromptSet:
    """Build a PromptSet from ``{label: text}``; ``labels`` (LabelEntry list) adds ids/names."""
    meta: dict[str, list[Any]] = {}
    for le in labels or []:
        meta.setdefault(le.label, []).append(le)
    classes = []
    for key, text in flat.items():
        desc = ", ".join(text) if isinstance(text, list) else str(text)
        scope, _, label = key.rpartition(":")
        rows = [r for r in meta.get(label, []) if not scope or r.task in scope.split("+")]
        ids = list(dict.fromkeys(i for r in rows for i in r.concept_ids))
        classes.append(
            ClassEntry(
                label=label,
                tasks=sorted({r.task for r in rows}),
                concept_ids=ids,
                name=rows[0].name if rows else label,
                description=desc,
            )
        )
    tasks = sorted({t for c in classes for t in c.tasks})
    return PromptSet(
        dataset=dataset,
        tasks=tasks,
        classes=classes,
        generator=GeneratorInfo(tool="flat-import", llm_backend="unknown"),
    ).with_version()


# -- version recomputation (the trust boundary; torch-free, for ckepe audit and merl_core) --
def flat_version(flat: dict[str, Any]) -> str:
    """Content hash of a flat ``{label: text}`` file (key order kept: it is the class order)."""
    blob = json.dumps({"flat": flat}, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def prompt_file_version(source: PromptSet | dict[str, Any]) -> str:
    """The version any prompt file should carry, recomputed from its content.

    Structured: the content hash of dataset, tasks and classes (``PromptSet.content_hash``;
    ``created_at``, ``generator`` and the recorded version itself do not count). Flat: the
    hash of the ``{label: text}`` mapping (``flat_version``).
    """
    if isinstance(source, PromptSet):
        return source.content_hash()
    if is_flat(source):
        return flat_version(source)
    return PromptSet.model_validate(source).content_hash()


class PromptVersion(BaseModel):
    """A prompt file's recorded and recomputed versions."""

    model_config = ConfigDict(frozen=True)
    path: str
    format: Literal["structured", "flat"]
    recorded: str | None
    recomputed: str

    @property
    def mismatch(self) -> bool:
        """True when the file records a version that is not its content hash."""
        return self.recorded is not None and self.recorded != self.recomputed


def read_prompt_version(path: Path) -> tuple[PromptSet | dict[str, Any], PromptVersion]:
    """Read any prompt file and recompute its version (PromptFileError when unreadable).

    Returns the validated PromptSet (structured) or the mapping (flat) and a PromptVersion;
    a reader should warn when ``mismatch`` and record ``recomputed``, never ``recorded``.
    """
    path = Path(path)
    data = load_json(path)
    if is_flat(data):
        if not data:
            raise PromptFileError(f"{path}: flat prompt file has no labels")
        return data, PromptVersion(
            path=str(path), format="flat", recorded=None, recomputed=flat_version(data)
        )
    ps = read_prompt_set(path)
    return ps, PromptVersion(
        path=str(path),
        format="structured",
        recorded=ps.prompt_set_version or None,
        recomputed=ps.content_hash(),
    )
