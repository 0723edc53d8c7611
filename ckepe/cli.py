"""The ``ckepe`` command line: build and audit clinical-knowledge prompt sets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ckepe import __version__
from ckepe.build import DEFAULT_STYLE, build_prompt_set
from ckepe.cli_app import create_app, error_handler, fail
from ckepe.errors import CkepeError
from ckepe.labelsets import DATASETS, LabelEntry, LabelSetError, load_labelset
from ckepe.promptfile import (
    PromptFileError,
    PromptSet,
    export_flat,
    import_flat,
    is_flat,
    load_json,
    read_prompt_set,
    write_prompt_set,
)
from ckepe.registry import AuditDataset, LabelsetDataset, LabelsetTask
from ckepe.terminology import GraphTerminology, TerminologyError, load_terminology
from ckepe.textsafety import visible

app = create_app(
    "ckepe",
    "Clinical Knowledge Enhanced Prompt Engineering for zero-shot ECG classification.",
    __version__,
)


# -- shared helpers ---------------------------------------------------------------------------
class LLMChoice(StrEnum):
    auto = "auto"
    local = "local"
    openai = "openai"
    none = "none"


TerminologyOpt = Annotated[
    str | None,
    typer.Option(
        "--terminology",
        help="RF2 snapshot folder (e.g. a licensed SNOMED CT "
        "release) or 'pymedtermino:[DIR]'; default: the bundled ECG extract.",
    ),
]
err_console = Console(stderr=True)


# The one error policy of every command (ckepe.cli_app): a CkepeError (bad input: a file, a
# setting, an LLM reply) is one line on stderr and its exit_code (2 unless it says
# otherwise); any other exception is a bug and keeps its traceback.
user_errors = error_handler(CkepeError)


def _terminology(path: str | None) -> GraphTerminology:
    try:
        return load_terminology(path)
    except (TerminologyError, OSError) as exc:
        fail(str(exc))


def _labels(dataset: str, task: str | None = None) -> list[LabelEntry]:
    try:
        return load_labelset(dataset, task)
    except LabelSetError as exc:
        fail(str(exc))


def _read(path: Path, dataset: str | None) -> PromptSet:
    try:
        ps = read_prompt_set(path, dataset)
    except PromptFileError as exc:
        fail(str(exc))
    if ps.dataset not in DATASETS:
        fail(f"{path}: cannot tell which dataset this prompt file is for; pass --dataset")
    return ps


class PromptStyle(StrEnum):
    """Composition styles of ``build-prompts`` (ckepe.build.STYLES)."""

    report = "report"
    criteria = "criteria"


_DEFAULT_STYLE = PromptStyle(DEFAULT_STYLE)


# -- build-prompts ----------------------------------------------------------------------------
@app.command("build-prompts")
@user_errors
def build_prompts(
    dataset: Annotated[LabelsetDataset, typer.Option(help="Dataset whose label set to build.")],
    task: Annotated[
        LabelsetTask | None,
        typer.Option(help="PTB-XL task; default: the protocol's four tasks (59 labels)."),
    ] = None,
    llm: Annotated[
        LLMChoice,
        typer.Option(
            help="Claim proposer: 'auto' = openai when "
            "OPENAI_BASE_URL/OPENAI_API_KEY is set, else the "
            "packaged local model; 'none' = terminology only."
        ),
    ] = LLMChoice.auto,
    model: Annotated[str | None, typer.Option(help="LLM model id or GGUF path.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible endpoint (key from OPENAI_API_KEY).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Decoding seed.")] = 0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore cached LLM answers.")
    ] = False,
    llm_fallback: Annotated[
        bool,
        typer.Option(
            "--llm-fallback",
            help="If the LLM engine crashes or the endpoint goes down, build the remaining "
            "classes terminology-only instead of stopping.",
        ),
    ] = False,
    terminology: TerminologyOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output file; default prompts/<dataset>.json (never overwritten without --force)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing default output file.")
    ] = False,
    style: Annotated[
        PromptStyle,
        typer.Option(
            help="Composition: 'report' = name, report words, main members, 1-2 defining "
            "findings; 'criteria' = name, defining criteria, features, subtypes."
        ),
    ] = _DEFAULT_STYLE,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="Re-propose the LLM claims recorded in this prompt file (no model runs; "
            "the claims are verified and rendered again, the file's generator block is kept)."
        ),
    ] = None,
) -> None:
    """Build a verified prompt set (retrieve → propose → ground → compose) for a dataset."""
    target = out or Path("prompts") / f"{dataset.value}.json"
    if out is None and target.exists() and not force:
        fail(
            f"{target}: exists (a committed or earlier prompt set); name the output with "
            "--out, or pass --force to overwrite it"
        )
    term = _terminology(terminology)
    proposer, gen = None, {"llm_backend": "none", "seed": seed}
    if replay is not None:
        from ckepe.proposal import replay_proposer

        try:
            recorded = read_prompt_set(replay, dataset.value)
        except (PromptFileError, OSError) as exc:
            fail(f"{replay}: {exc}")
        proposer = replay_proposer(recorded)
        gen = {
            **recorded.generator.model_dump(
                exclude={"tool", "tool_version", "style", "member_counts"}
            ),
            "replayed_from": recorded.prompt_set_version,
        }
    elif llm != LLMChoice.none:
        try:
            from ckepe.llm import create_proposer
        except ImportError as exc:
            fail(f"LLM backends are unavailable ({exc}); use --llm none")
        try:
            proposer, gen = create_proposer(
                llm.value,
                model=model,
                base_url=base_url,
                seed=seed,
                use_cache=not no_cache,
                fallback=llm_fallback,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            fail(f"cannot start the {llm.value} LLM backend: {exc}")
    task_value = task.value if task else None
    _announce(dataset.value, task_value, gen, target)
    try:
        result = build_prompt_set(
            term,
            dataset.value,
            task_value,
            proposer,
            gen,
            progress=_class_progress() if proposer is not None else None,
            style=style.value,
        )
    except LabelSetError as exc:
        fail(str(exc))
    except RuntimeError as exc:  # ckepe.llm.LLMEndpointError: endpoint down after retries
        if not getattr(exc, "abort_build", False):
            raise
        fail(str(exc), 1)
    try:
        write_prompt_set(result.prompt_set, target)
    except (PromptFileError, OSError) as exc:
        fail(f"{target}: cannot write: {exc}")
    table = Table(title=f"{dataset.value}: {len(result.stats)} classes → {target}")
    for col in ("label", "proposed", "verified", "rejected", "fallback", "words"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for s in result.stats:
        table.add_row(
            s.label,
            str(s.proposed),
            str(s.verified),
            str(s.rejected),
            "yes" if s.fallback else "",
            str(s.words),
        )
    Console().print(table)
    typer.echo(f"prompt_set_version {result.prompt_set.prompt_set_version}")


# Seconds per class measured for the packaged SmolLM2-135M on 2 CPU cores (BENCHMARKS.md,
# bench_llm_build): an order of magnitude for the up-front estimate, not a promise.
LOCAL_SECONDS_PER_CLASS = 14.0


def _class_progress() -> Callable[[int, int, str], None]:
    """Build progress on stderr: one line per class with the time so far and a rough time
    left (a log file or a pipe sees it as it happens, not only when the build ends)."""
    err = Console(stderr=True, highlight=False)
    start = time.monotonic()

    def show(i: int, n: int, label: str) -> None:
        spent = time.monotonic() - start
        left = f", ~{spent / i * (n - i):.0f} s left" if i else ""
        err.print(f"build-prompts: class {i + 1}/{n} {escape(label)} ({spent:.0f} s{left})")

    return show


def _announce(dataset: str, task: str | None, gen: dict[str, object], target: Path) -> None:
    """Say before any long work which LLM runs, roughly how long it takes and where it writes."""
    from ckepe.build import merge_entries

    n = len(merge_entries(_labels(dataset, task)))
    backend = str(gen.get("llm_backend") or "none")
    model = gen.get("model") or "-"
    if backend == "none":
        eta = "about a second (terminology only)"
    elif backend == "local":
        minutes = n * LOCAL_SECONDS_PER_CLASS / 60
        eta = (
            f"up to ~{minutes:.0f} min on 2 CPU cores (~{LOCAL_SECONDS_PER_CLASS:.0f} s per "
            "class; cached replies are free)"
        )
    else:
        eta = "depends on the endpoint (cached replies are free)"
    err_console.print(
        f"build-prompts: {n} classes of {dataset}, LLM {backend} ({model}), "
        f"{eta}; writing {target}",
        highlight=False,
        soft_wrap=True,
    )


# -- audit ------------------------------------------------------------------------------------
@app.command()
@user_errors
def audit(
    hallucination_check: Annotated[
        Path,
        typer.Option(
            "--hallucination-check", help="Prompt file (structured or flat {label: text})."
        ),
    ],
    dataset: Annotated[
        AuditDataset | None,
        typer.Option(
            help="Label set to audit against; 'protocol' = one flat file for the six test sets "
            "of the published protocol (chosen automatically when the keys span several)."
        ),
    ] = None,
    task: Annotated[
        LabelsetTask | None,
        typer.Option(
            help="PTB-XL task whose labels must all have a prompt; default: the protocol's."
        ),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option("--partial", help="Audit a subset: labels without a prompt are not findings."),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Unverifiable phrases fail the audit too (exit 1).")
    ] = False,
    similarity: Annotated[
        bool,
        typer.Option(
            "--similarity/--no-similarity",
            help="Rank candidates for ungrounded phrases with the "
            "packaged sentence encoder (never accepted on similarity alone).",
        ),
    ] = True,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every verdict and finding as JSON here.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown report here.")
    ] = None,
    terminology: TerminologyOpt = None,
) -> None:
    """Give every phrase a verdict: verified, unverifiable or contradicted.

    Exit 0: nothing contradicted and no structural finding (unverifiable phrases are counted
    but pass unless --strict); 1: findings; 2: unreadable input.
    """
    from ckepe.audit import AuditInputError, Knowledge, audit_path
    from ckepe.audit.report import print_report, to_markdown

    term = _terminology(terminology)
    kb = Knowledge(term)
    if similarity:
        _attach_similarity(kb)
    try:
        report = audit_path(
            kb,
            hallucination_check,
            dataset.value if dataset else None,
            task.value if task else None,
            partial,
        )
    except AuditInputError as exc:
        fail(str(exc))
    print_report(report, Console())
    if json_out:
        # ASCII JSON: every character of the audited file survives, none reaches a terminal raw
        _atomic_text(json_out, json.dumps(report.as_dict(), indent=2, ensure_ascii=True) + "\n")
    if markdown:
        _atomic_text(markdown, to_markdown(report))
    raise typer.Exit(report.exit_code(strict))


def _attach_similarity(kb: object) -> None:
    from ckepe.similarity import EncoderUnavailable, SimilarityRanker

    try:
        kb.use_similarity(SimilarityRanker(kb.term))  # type: ignore[attr-defined]
    except (EncoderUnavailable, OSError) as exc:
        err_console.print(
            f"warning: no similarity ranking ({exc}); wording variants that "
            "normalisation misses stay unverifiable"
        )


def _atomic_text(path: Path, text: str) -> None:
    from ckepe.fileio import atomic_write_text  # unique temp name, fsync, no link followed

    try:
        atomic_write_text(path, text)
    except OSError as exc:  # an output the user named cannot be written: their error
        fail(f"{path}: cannot write: {exc.strerror or exc}")


# -- flat format ------------------------------------------------------------------------------
@app.command("export-flat")
@user_errors
def export_flat_cmd(
    file: Annotated[Path, typer.Argument(help="Structured prompt file.")],
    out: Annotated[Path, typer.Argument(help="Flat {label: text} JSON to write.")],
) -> None:
    """Write the upstream MERL flat format {label: description}."""
    ps = _read_any(file)
    _atomic_text(out, json.dumps(export_flat(ps), indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {len(ps.classes)} labels to {out}")


def _read_any(path: Path) -> PromptSet:
    try:
        return read_prompt_set(path)
    except PromptFileError as exc:
        fail(str(exc))


@app.command("import-flat")
@user_errors
def import_flat_cmd(
    file: Annotated[Path, typer.Argument(help="Flat {label: text} JSON.")],
    out: Annotated[Path, typer.Argument(help="Structured prompt file to write.")],
    dataset: Annotated[LabelsetDataset, typer.Option(help="Dataset the labels belong to.")],
) -> None:
    """Convert a flat {label: text} file into the structured prompt-file format."""
    try:
        data = load_json(file)
    except PromptFileError as exc:
        fail(str(exc))
    if not is_flat(data) or not data:
        fail(f"{file}: not a flat {{label: text}} prompt file")
    rows = _labels(dataset.value, "all" if dataset == LabelsetDataset.ptbxl else None)
    if dataset == LabelsetDataset.ptbxl:
        rows += _labels("ptbxl", "protocol")
    ps = import_flat(data, dataset.value, rows)
    unknown = [c.label for c in ps.classes if not c.concept_ids]
    if unknown:
        err_console.print(
            f"warning: labels not in the {dataset.value} label set: {', '.join(unknown)}"
        )
    try:
        write_prompt_set(ps, out)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    typer.echo(f"wrote {len(ps.classes)} classes to {out} (version {ps.prompt_set_version})")


# -- lookup -----------------------------------------------------------------------------------
def _shown(text: str) -> str:
    """Terminology text for the terminal (a user's RF2 release is input too)."""
    return escape(visible(text))


@app.command()
@user_errors
def lookup(
    term_text: Annotated[
        str, typer.Argument(metavar="TERM", help="Term, synonym, abbreviation or concept id.")
    ],
    terminology: TerminologyOpt = None,
) -> None:
    """Print a concept with its ancestors, subtypes and ECG features."""
    term = _terminology(terminology)
    ids = [term_text] if term_text in term else term.find(term_text)
    if not ids:
        fail(f"{term_text!r}: no concept with this term in {term.version}", 1)
    for cid in ids:
        table = Table(title=_shown(f"{cid} | {term.fsn(cid)}"), show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        table.add_row("synonyms", _shown(", ".join(term.synonyms(cid)) or "-"))
        parents = "\n".join(_shown(f"{p} {term.name(p)}") for p in term.parents(cid))
        table.add_row("parents", parents)
        anc = sorted(term.ancestors(cid), key=term.name)
        table.add_row("ancestors", _shown(", ".join(term.name(a) for a in anc) or "-"))
        kids = [_shown(f"{c} {term.name(c)}") for c in term.children(cid)]
        table.add_row("subtypes", "\n".join(kids) or "-")
        features = [
            _shown(f"{f.concept_id} {f.term} [{f.kind}] {f.criterion} ({f.source})")
            for f in term.features(cid)
        ]
        table.add_row("features", "\n".join(features) or "-")
        Console().print(table)
