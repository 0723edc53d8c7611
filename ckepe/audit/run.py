"""Audit a whole prompt file: scope, trust boundary, coverage, and the report.

The audited file is evidence, never authority: class concepts and names come from
``knowledge/labelsets/``; a structured file's own ``concept_ids``/``name`` are compared with
them (``concept_mismatch``), its phrases' ids and kinds re-derived (``phrase_mismatch``) and
its ``prompt_set_version`` recomputed (``stale_version``). A flat ``{label: text}`` file is
audited per dataset, or with ``protocol`` per test set of the published MERL protocol
(PTB-XL super/sub/form/rhythm, CPSC2018, CSN), each key resolved in each label set that has
it (CSN ``AF`` is atrial flutter, CPSC ``AFIB`` atrial fibrillation).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ckepe.audit.judge import ClassAuditor, ClassSpec, Knowledge, class_specs
from ckepe.audit.structure import SEVERITY, STRUCTURAL, UNVERIFIABLE, VERIFIED, Finding
from ckepe.errors import CkepeError
from ckepe.labelsets import LabelEntry, LabelSetError, load_labelset
from ckepe.normalize import normalize_term
from ckepe.promptfile import (
    PromptFileError,
    PromptSet,
    check_flat_values,
    guess_dataset,
    is_flat,
    load_json,
    prompt_file_version,
)
from ckepe.registry import (
    EVAL_DATASETS,
    LABELSET_DATASETS,
    PROTOCOL,
    PROTOCOL_SETS,
    PROTOCOL_TASKS,
)
from ckepe.registry import (
    dataset as dataset_spec,
)
from ckepe.textsafety import disallowed_reason

logger = logging.getLogger(__name__)


class AuditInputError(CkepeError, ValueError):
    """The file cannot be audited (unreadable, not a prompt file, dataset unknown)."""


@dataclass
class AuditReport:
    """Every verdict and finding of one audited file."""

    file: str
    mode: str
    datasets: list[str]
    findings: list[Finding] = field(default_factory=list)
    classes: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """Everything except verified phrases, most severe first."""
        return sorted(
            (f for f in self.findings if f.verdict != VERIFIED),
            key=lambda f: (SEVERITY[f.verdict], f.dataset, f.label),
        )

    def counts(self) -> dict[str, int]:
        """Number of findings per verdict."""
        c = Counter(f.verdict for f in self.findings)
        return {v: c.get(v, 0) for v in SEVERITY}

    def exit_code(self, strict: bool = False) -> int:
        """1 when anything is contradicted or structural (or unverifiable under strict)."""
        bad = {STRUCTURAL, "contradicted"} | ({UNVERIFIABLE} if strict else set())
        return 1 if any(f.verdict in bad for f in self.findings) else 0

    def per_class(self) -> list[dict[str, Any]]:
        """One row per (dataset, label) with its verdict counts, most severe first."""
        rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for f in self.findings:
            rows[(f.dataset, f.label)][f.verdict] += 1
        out = [
            {"dataset": d, "label": lab, **{v: c.get(v, 0) for v in SEVERITY}}
            for (d, lab), c in rows.items()
        ]
        return sorted(
            out,
            key=lambda r: (
                -r[STRUCTURAL],
                -r["contradicted"],
                -r[UNVERIFIABLE],
                r["dataset"],
                r["label"],
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "mode": self.mode,
            "datasets": self.datasets,
            "classes": self.classes,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
            "counts": self.counts(),
            "codes": dict(Counter(f.code for f in self.problems)),
            "findings": [f.as_dict() for f in self.problems],
            "verified": [f.as_dict() for f in self.findings if f.verdict == VERIFIED],
        }


# -- scope ----------------------------------------------------------------------------------
def _rows(dataset: str, task: str | None = None) -> list[LabelEntry]:
    try:
        return load_labelset(dataset, task)
    except LabelSetError:
        return []


def _labels_of(dataset: str) -> set[str]:
    tasks = (None, *dataset_spec(dataset).extra_tasks)
    return {r.label for t in tasks for r in _rows(dataset, t)}


def choose_dataset(path: Path, keys: Sequence[str]) -> str:
    """Which label set a flat file's keys belong to; ``protocol`` when they span several."""
    labels = [k.rpartition(":")[2] for k in keys]
    sets = {d: _labels_of(d) for d in LABELSET_DATASETS}
    known = {k for k in labels if any(k in s for s in sets.values())}
    fits = [d for d, s in sets.items() if s and known <= s]
    guess = guess_dataset(path)
    if not known:
        fits = []
    if guess and guess in fits:
        return guess
    if len(fits) == 1:
        return fits[0]
    if not fits and {d for d in EVAL_DATASETS if known & sets[d]}:
        return PROTOCOL
    raise AuditInputError(
        f"{path}: cannot tell which dataset this prompt file is for; pass "
        f"--dataset ({', '.join(LABELSET_DATASETS)} or {PROTOCOL})"
    )


def dataset_specs(dataset: str, task: str | None) -> list[ClassSpec]:
    if dataset == PROTOCOL:
        return [s for d, t, _stem in PROTOCOL_SETS for s in class_specs(d, _rows(d, t))]
    tasks = PROTOCOL_TASKS[dataset] if task in (None, PROTOCOL) else (task,)
    rows = [r for t in tasks for r in _rows(dataset, t)]
    return class_specs(dataset, rows)


# -- audit ----------------------------------------------------------------------------------
def audit_flat(
    kb: Knowledge,
    data: dict[str, Any],
    dataset: str,
    task: str | None = None,
    partial: bool = False,
    path: str = "",
) -> AuditReport:
    """Audit a flat ``{label: text}`` mapping; every key resolved in every scoped label set.

    A PTB-XL key outside the scoped tasks (one of the 71 SCP statements, or a superclass or
    subclass key under ``--task form``) is audited against its own concept with a note, not
    reported unknown. Linear in the number of keys: the scoped keys' claims are indexed once.
    """
    specs = dataset_specs(dataset, task)
    report = AuditReport(
        path,
        "flat" if dataset != PROTOCOL else PROTOCOL,
        sorted({s.dataset for s in specs}) or [dataset],
        classes=len(data),
    )
    extra = _outside_specs(dataset, specs)
    where_extra = "the six test sets" if dataset == PROTOCOL else "the audited PTB-XL task(s)"
    by_label, extra_by_label = _index(specs), _index(extra)
    claimed = _claimed(data, specs, by_label)
    auditors: dict[tuple[bool, int], ClassAuditor] = {}

    def auditor(outside: bool, i: int) -> ClassAuditor:
        if (outside, i) not in auditors:
            auditors[(outside, i)] = ClassAuditor(kb, (extra if outside else specs)[i])
        return auditors[(outside, i)]

    used: set[int] = set()
    for key, value in data.items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        mine = _resolve(key, specs, by_label, claimed)
        outside = [] if mine else _resolve(key, extra, extra_by_label, {})
        if outside:  # a PTB-XL statement outside the scoped tasks: audited, not a finding
            report.notes.append(
                f"{key}: not a label of {where_extra}; audited as PTB-XL "
                f"{'+'.join(extra[outside[0]].tasks)} {extra[outside[0]].label} "
                f"({extra[outside[0]].name})"
            )
            report.findings += auditor(True, outside[0]).audit_entry(text)
            continue
        if not mine:
            code = "unknown_key" if dataset == PROTOCOL else "unknown_label"
            where = "any label set" if dataset == PROTOCOL else f"the {dataset} label set"
            report.findings.append(
                Finding(
                    dataset,
                    key,
                    key,
                    STRUCTURAL,
                    code,
                    reason=f"{key!r} is not a label of {where}",
                    where="label",
                )
            )
            continue
        for i in mine:
            used.add(i)
            report.findings += auditor(False, i).audit_entry(text)
    _coverage(report, specs, used, partial, data)
    return report


def _outside_specs(dataset: str, specs: Sequence[ClassSpec]) -> list[ClassSpec]:
    """PTB-XL classes a flat file may name beyond the scoped ones: every task's labels
    (super, sub, form, rhythm) and the 71 statements (``all``), each label once."""
    if dataset not in (PROTOCOL, "ptbxl"):
        return []
    inside = {s.label for s in specs if s.dataset == "ptbxl"}
    out: dict[str, ClassSpec] = {}
    for t in (*PROTOCOL_TASKS["ptbxl"], *dataset_spec("ptbxl").extra_tasks):
        for s in dataset_specs("ptbxl", t):
            if s.label not in inside:
                out.setdefault(s.label, s)
    return list(out.values())


def _index(specs: Sequence[ClassSpec]) -> dict[str, list[int]]:
    """{label: indexes of its specs}."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(specs):
        out[s.label].append(i)
    return out


def _scoped(key: str, specs: Sequence[ClassSpec], by_label: dict[str, list[int]]) -> list[int]:
    scope, _, label = key.rpartition(":")
    idx = by_label.get(label, [])
    if not scope:
        return list(idx)
    return [i for i in idx if set(scope.split("+")) & set(specs[i].tasks)]


def _claimed(
    keys: Iterable[str], specs: Sequence[ClassSpec], by_label: dict[str, list[int]]
) -> dict[str, set[int]]:
    """{label: spec indexes a scoped ``task:label`` key of the file already names}."""
    out: dict[str, set[int]] = defaultdict(set)
    for k in keys:
        if ":" in k:
            out[k.rpartition(":")[2]].update(_scoped(k, specs, by_label))
    return out


def _resolve(
    key: str,
    specs: Sequence[ClassSpec],
    by_label: dict[str, list[int]],
    claimed: dict[str, set[int]],
) -> list[int]:
    """Indexes of the specs a flat key stands for: ``task:label`` names its task(s); a bare
    label takes every task that no scoped key of the same label claims."""
    if ":" in key:
        return _scoped(key, specs, by_label)
    taken = claimed.get(key, set())
    return [i for i in by_label.get(key, []) if i not in taken]


def audit_prompt_set(
    kb: Knowledge,
    ps: PromptSet,
    task: str | None = None,
    partial: bool = False,
    path: str = "",
    rows: Sequence[LabelEntry] | None = None,
) -> AuditReport:
    """Audit a structured prompt set against the label set (the trust boundary); ``rows``
    replaces the bundled label set (a subset built from its own table)."""
    if ps.dataset not in LABELSET_DATASETS and rows is None:
        raise AuditInputError(
            f"{path}: dataset {ps.dataset!r} is not one of the label sets; pass --dataset"
        )
    tasks = tuple(ps.tasks) or None
    specs = (
        class_specs(ps.dataset, rows)
        if rows is not None
        else dataset_specs(ps.dataset, task)
        if task or not tasks
        else [
            s
            for s in dataset_specs(ps.dataset, None) + dataset_specs(ps.dataset, "all")
            if set(s.tasks) & set(tasks)
        ]
    )
    specs = list({(s.label, s.concept_ids, s.tasks): s for s in specs}.values())
    report = AuditReport(path, "structured", [ps.dataset], classes=len(ps.classes))
    recomputed = prompt_file_version(ps)
    if ps.prompt_set_version != recomputed:
        report.findings.append(
            Finding(
                ps.dataset,
                "",
                "",
                STRUCTURAL,
                "stale_version",
                reason=f"prompt_set_version {ps.prompt_set_version!r} "
                f"is not the content hash {recomputed!r}",
                where="prompt_set_version",
            )
        )
    extra = _outside_specs(ps.dataset, specs) if rows is None else []
    used: set[int] = set()
    for c in ps.classes:
        mine = [
            i
            for i, s in enumerate(specs)
            if s.label == c.label and (not c.tasks or set(c.tasks) & set(s.tasks))
        ]
        outside = [
            s
            for s in ([] if mine else extra)
            if s.label == c.label and (not c.tasks or set(c.tasks) & set(s.tasks))
        ]
        if outside:  # a PTB-XL label of another task: audited against its concept, a note
            report.notes.append(
                f"{c.label}: not a label of the file's task(s); audited as PTB-XL "
                f"{'+'.join(outside[0].tasks)} {outside[0].label} ({outside[0].name})"
            )
            report.findings += _boundary(kb, outside[0], c.concept_ids, c.name)
            phrases = [(p.text, p.kind, p.concept_id) for p in c.phrases]
            report.findings += ClassAuditor(kb, outside[0]).audit_entry(c.description, phrases)
            continue
        if not mine:
            report.findings.append(
                Finding(
                    ps.dataset,
                    c.label,
                    c.label,
                    STRUCTURAL,
                    "unknown_label",
                    reason=f"{c.label!r} is not a "
                    f"label of {ps.dataset} {'/'.join(c.tasks)}".rstrip(),
                    where="label",
                )
            )
            continue
        spec = specs[mine[0]]
        used.update(mine)
        report.findings += _boundary(kb, spec, c.concept_ids, c.name)
        phrases = [(p.text, p.kind, p.concept_id) for p in c.phrases]
        report.findings += ClassAuditor(kb, spec).audit_entry(c.description, phrases)
    _coverage(report, specs, used, partial, ps.classes)
    return report


def _boundary(kb: Knowledge, spec: ClassSpec, ids: Sequence[str], name: str) -> list[Finding]:
    """concept_mismatch when the file's concept ids or name are not the label set's."""
    out = []
    if ids and set(ids) != set(spec.concept_ids):
        names = ", ".join(f"{i} ({kb.term.name(i) or 'unknown'})" for i in ids)
        out.append(
            Finding(
                spec.dataset,
                spec.label,
                ", ".join(ids),
                STRUCTURAL,
                "concept_mismatch",
                ids[0],
                kb.term.name(ids[0]),
                f"the file says {names}; the label set says {', '.join(spec.concept_ids)}",
                where="concept_ids",
                task="+".join(spec.tasks),
            )
        )
    own = {normalize_term(spec.name), normalize_term(spec.label)}
    for c in spec.concept_ids:
        own |= {normalize_term(t) for t in (kb.term.fsn(c), *kb.term.synonyms(c)) if t}
    if name and (normalize_term(name) not in own or disallowed_reason(name)):
        out.append(
            Finding(
                spec.dataset,
                spec.label,
                name,
                STRUCTURAL,
                "concept_mismatch",
                reason=f"the file names the class {name!r}; the label set's name is {spec.name!r}",
                where="name",
                task="+".join(spec.tasks),
            )
        )
    return out


def _coverage(
    report: AuditReport,
    specs: Sequence[ClassSpec],
    used: set[int],
    partial: bool,
    entries: Sequence[Any] | dict[str, Any],
) -> None:
    if not entries:
        report.findings.append(
            Finding(
                report.datasets[0] if report.datasets else "",
                "",
                "",
                STRUCTURAL,
                "empty_file",
                reason="the file has no classes",
                where="file",
            )
        )
        return
    if partial:
        return
    for i, s in enumerate(specs):
        if i not in used:
            report.findings.append(
                Finding(
                    s.dataset,
                    s.label,
                    "",
                    STRUCTURAL,
                    "missing_class",
                    reason=f"no prompt for {s.label} ({s.name}) of {s.dataset} {'+'.join(s.tasks)}",
                    where="file",
                    task="+".join(s.tasks),
                )
            )


def read_for_audit(path: Path) -> tuple[str, Any]:
    """("flat", dict) or ("structured", PromptSet); AuditInputError when unreadable."""
    try:
        data = load_json(path)
    except PromptFileError as exc:
        raise AuditInputError(str(exc)) from exc
    if isinstance(data, dict) and (not data or is_flat(data)):
        return "flat", data
    if not isinstance(data, dict):
        raise AuditInputError(f"{path}: not a prompt file (top level is {type(data).__name__})")
    try:
        check_flat_values(path, data)
    except PromptFileError as exc:
        raise AuditInputError(str(exc)) from exc
    try:
        return "structured", PromptSet.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise AuditInputError(f"{path}: not a valid prompt file: {loc}: {err['msg']}") from exc


def audit_path(
    kb: Knowledge,
    path: Path,
    dataset: str | None = None,
    task: str | None = None,
    partial: bool = False,
) -> AuditReport:
    """Read and audit one file (flat or structured)."""
    import time

    t0 = time.perf_counter()
    kind, data = read_for_audit(path)
    if kind == "flat":
        ds = dataset or (
            choose_dataset(path, list(data)) if data else guess_dataset(path) or PROTOCOL
        )
        report = audit_flat(kb, data, ds, task, partial, str(path))
    else:
        if dataset and dataset not in (PROTOCOL, data.dataset):
            raise AuditInputError(f"{path}: the file is a {data.dataset} prompt set, not {dataset}")
        report = audit_prompt_set(kb, data, task, partial, str(path))
    report.seconds = time.perf_counter() - t0
    return report
