"""``compare-prompts``: do CKEPE prompts beat class names, and beat the controls?

Per task, on the same test records and the same ECG embeddings, zero-shot scores from:

- ``ckepe-description`` — the prompt set's description per class (MERL's mode);
- ``ckepe-phrases`` — the mean of its phrases' embeddings per class;
- ``class-names`` — the bare class names;
- ``random-words`` — per class, as many random words (drawn, seeded, from the text encoder's
  vocabulary) as its CKEPE description has: a control for text length and form;
- ``shuffled-ckepe`` — the CKEPE descriptions permuted between classes (no class keeps its
  own): a control for the clinical content being tied to the right class;
- any extra prompt files given (e.g. a published flat file), in description mode.

Each comparison is a paired-bootstrap CI of the macro-AUC difference
(:func:`merl_core.eval.paired.paired_auc_difference`), and each task gets one sentence.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.fileio import atomic_write_bytes, atomic_write_json
from ckepe.registry import protocol_tasks
from merl_core.eval.context import EvalConfig, EvalContext
from merl_core.eval.paired import PairedDifference, paired_auc_difference

logger = logging.getLogger(__name__)

MAIN = "ckepe-description"
BUILTIN_SETS = (MAIN, "ckepe-phrases", "class-names", "random-words", "shuffled-ckepe")
PAIRS = ((MAIN, "class-names"), (MAIN, "random-words"), (MAIN, "shuffled-ckepe"),
         (MAIN, "ckepe-phrases"), ("ckepe-phrases", "class-names"))  # fmt: skip


def word_vocabulary(tokenizer: Any) -> list[str]:
    """Whole alphabetic words (≥ 3 letters) of a tokenizer's vocabulary, sorted."""
    vocab = tokenizer.get_vocab() if hasattr(tokenizer, "get_vocab") else {}
    words = sorted(w for w in vocab if re.fullmatch(r"[a-z]{3,}", w))
    if not words:
        raise ValueError("the text encoder's tokenizer has no whole-word vocabulary")
    return words


def random_words_like(texts: list[str], vocab: list[str], seed: int) -> list[str]:
    """Per text, as many words drawn at random from ``vocab`` as the text has words."""
    rng = np.random.default_rng(seed)
    out = []
    for text in texts:
        n = max(1, len(text.split()))
        out.append(" ".join(vocab[i] for i in rng.integers(0, len(vocab), size=n)))
    return out


def shuffled_between_classes(texts: list[str], seed: int) -> list[str]:
    """``texts`` permuted so that no class keeps its own (a seeded derangement)."""
    n = len(texts)
    if n < 2:
        return list(texts)
    rng = np.random.default_rng(seed)
    while True:
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            return [texts[int(i)] for i in perm]


def prompt_sets(table: Any, labels: list[str], task: str, vocab: list[str], seed: int,
                extra: dict[str, Any] | None = None) -> dict[str, list[list[str]]]:  # fmt: skip
    """Texts per class for every compared set, in ``labels`` order."""
    desc = [t[0] for t in table.texts(labels, "description", task)]
    sets = {
        MAIN: [[d] for d in desc],
        "ckepe-phrases": table.texts(labels, "phrases", task),
        "class-names": table.texts(labels, "name", task),
        "random-words": [[t] for t in random_words_like(desc, vocab, seed)],
        "shuffled-ckepe": [[t] for t in shuffled_between_classes(desc, seed)],
    }
    for name, other in (extra or {}).items():
        sets[name] = other.texts(labels, "description", task)
    return sets


def task_sentence(task: str, n_records: int, aucs: dict[str, float | None],
                  main: PairedDifference | None) -> str:  # fmt: skip
    """One plain sentence: which set won, and whether CKEPE vs class names is resolved."""
    valid = {k: v for k, v in aucs.items() if v is not None and not np.isnan(v)}
    if not valid:
        return f"{task}: no class with positives and negatives among {n_records} test records."
    winner = max(valid, key=lambda k: valid[k])
    text = (f"{task} ({n_records} test records): {winner} scored the highest macro AUC "
            f"({valid[winner]:.3f}).")  # fmt: skip
    if main is not None and main.ci is not None:
        lo, hi = main.ci
        verdict = (
            "the CI excludes 0: CKEPE descriptions are "
            + ("better" if main.difference > 0 else "worse")
            if main.excludes_zero
            else "the CI includes 0: no difference is shown on these records"
        )
        text += (f" CKEPE descriptions − class names: {main.difference:+.3f} "
                 f"[95 % CI {lo:+.3f}, {hi:+.3f}]; {verdict}.")  # fmt: skip
    return text


def compare_task(
    name: str, y: np.ndarray, scores: dict[str, np.ndarray], *, n_bootstrap: int, seed: int
) -> dict[str, Any]:
    """Per-set macro AUC (with CI) and the paired differences of one task."""
    from merl_core.eval.metrics import evaluate

    labels = [str(j) for j in range(y.shape[1])]
    results = {k: evaluate(y, s, labels, n_bootstrap=n_bootstrap, seed=seed)
               for k, s in scores.items()}  # fmt: skip
    sets = {k: {"macro_auc": r.macro_auc, "macro_auc_ci": r.macro_auc_ci}
            for k, r in results.items()}  # fmt: skip
    pairs = [(a, b) for a, b in PAIRS if a in scores and b in scores]
    pairs += [(MAIN, k) for k in scores if k not in BUILTIN_SETS]
    diffs = [
        paired_auc_difference(y, scores[a], scores[b], names=(a, b), n_bootstrap=n_bootstrap,
                              seed=seed)
        for a, b in pairs
    ]  # fmt: skip
    main = next((d for d in diffs if (d.a, d.b) == (MAIN, "class-names")), None)
    aucs = {k: r.macro_auc for k, r in results.items()}
    sentence = task_sentence(name, len(y), aucs, main)
    return {"n_records": int(len(y)), "sets": sets,
            "differences": [d.to_dict() for d in diffs], "sentence": sentence}  # fmt: skip


def write_compare(out: Path, doc: dict[str, Any]) -> Path:
    """``compare.json``, ``compare.md`` and ``compare.png`` in ``out``; the JSON path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.json"
    atomic_write_json(path, doc)
    md = ["# Prompt comparison", "",
          f"Checkpoint `{doc['run']['checkpoint']}`; prompts `{doc['run']['prompt_file']}` "
          f"(version `{doc['run']['prompt_set_version']}`); paired bootstrap "
          f"({doc['run']['n_bootstrap']} resamples, seed {doc['run']['seed']}) on the same test "
          "records for every set.", ""]  # fmt: skip
    for line in doc["run"].get("notes") or []:
        md += [f"> **{line}**", ""]
    for task, t in doc["tasks"].items():
        md += [f"## {task}", "", t["sentence"], "", "| prompt set | macro AUC [95 % CI] |",
               "|---|---|"]  # fmt: skip
        for k, v in t["sets"].items():
            md.append(f"| {k} | {format_ci(v['macro_auc'], v['macro_auc_ci'])} |")
        md += ["", "| comparison | difference [95 % CI] | CI excludes 0 |", "|---|---|---|"]
        for d in t["differences"]:
            diff = format_ci(d["difference"], d["ci"], signed=True)
            md.append(f"| {d['a']} − {d['b']} | {diff} | "
                      f"{'yes' if d['excludes_zero'] else 'no'} |")  # fmt: skip
        md.append("")
    atomic_write_bytes(out / "compare.md", "\n".join(md).encode())
    _plot(out / "compare.png", doc)
    return path


def format_ci(v: float | None, ci: Any, signed: bool = False) -> str:
    """``0.697 [0.636, 0.742]`` (``signed``: ``+0.006 [-0.029, +0.047]``); ``–`` for None or NaN."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    f = "{:+.3f}" if signed else "{:.3f}"
    return f.format(v) + (f" [{f.format(ci[0])}, {f.format(ci[1])}]" if ci else "")


def _plot(path: Path, doc: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(doc["tasks"])
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(4.2 * max(1, len(tasks)), 4),
                             squeeze=False)  # fmt: skip
    for ax, task in zip(axes[0], tasks, strict=False):
        diffs = doc["tasks"][task]["differences"]
        for i, d in enumerate(diffs):
            lo, hi = d["ci"] if d["ci"] else (d["difference"], d["difference"])
            color = "tab:green" if d["excludes_zero"] and d["difference"] > 0 else (
                "tab:red" if d["excludes_zero"] else "tab:gray")  # fmt: skip
            err = [[d["difference"] - lo], [hi - d["difference"]]]
            ax.errorbar([d["difference"]], [i], xerr=err,
                        fmt="o", color=color, capsize=3)  # fmt: skip
        ax.axvline(0, color="k", lw=0.8, ls="--")
        ax.set_yticks(range(len(diffs)), [f"{d['a']} − {d['b']}" for d in diffs], fontsize=7)
        ax.set(title=task, xlabel="macro AUC difference (paired 95 % CI)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """A compressed ``.npz`` in memory (written atomically by the caller)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]  # numpy stub: **kwds
    return buf.getvalue()


@dataclass(frozen=True)
class CompareInput:
    """What ``compare-prompts`` compares: a structured prompt set (and extra prompt files) on
    the tasks of one dataset."""

    prompts: Path
    data: Path
    tasks: list[str] | None = None  # default: the dataset's protocol tasks
    dataset: str | None = None
    extra_prompts: list[Path] = field(default_factory=list)
    no_split: bool = False  # every cached record with the cache's labels (not a benchmark)


def open_compare(cfg: EvalConfig, inp: CompareInput) -> EvalContext:
    """The context of a prompt comparison: prompt sets, data, the tasks' test splits, model."""
    from merl_core.eval.checks import check_preprocessing, check_prompt_dataset
    from merl_core.eval.context import (
        MissingInputError,
        TaskSplits,
        cache_split,
        default_splits_root,
        load_eval_model,
        open_data,
        resolve_split_files,
    )
    from merl_core.eval.prompts import read_prompts

    if cfg.checkpoint is None:
        raise MissingInputError("checkpoint", "the prompt comparison needs a checkpoint")
    table = read_prompts(inp.prompts)
    check_prompt_dataset(Path(inp.prompts), table.dataset, inp.dataset)
    extra = {Path(p).stem: read_prompts(p) for p in inp.extra_prompts}
    dataset = inp.dataset or table.dataset
    data = open_data(inp.data, dataset, cfg)
    check_prompt_dataset(Path(inp.prompts), table.dataset, data.cache.meta.get("dataset"))
    dataset = dataset or data.cache.meta.get("dataset")
    splits = []
    for task in inp.tasks or list(protocol_tasks(dataset)):
        files = resolve_split_files(dataset, task, None, None, cfg.splits_root)
        if "test" not in files and not inp.no_split:
            raise MissingInputError(
                "test_split",
                f"no test split file for {dataset} {task} (looked in "
                f"{default_splits_root(cfg.splits_root)})",
            )
        test = cache_split(data.cache, None if inp.no_split else files["test"], "split", task)
        table.texts(test.label_names, "description", task)  # a missing class fails early
        splits.append(TaskSplits(dataset, task, f"{dataset}-{task}", data, test, prompts=table))
    model = load_eval_model(cfg.checkpoint, cfg.device, need_text=True)
    check_preprocessing(model, data.cache, cfg.checkpoint)
    return EvalContext(cfg, model, splits, prompts={MAIN: table, **extra})


def score_compare(ctx: EvalContext, inp: CompareInput) -> Path:
    """Every task's comparison of ``ctx`` in one folder; the JSON path."""
    from merl_core.eval.checks import NOT_A_BENCHMARK
    from merl_core.eval.zeroshot import zeroshot_scores

    cfg, out = ctx.config, Path(ctx.config.out)
    table = ctx.prompts[MAIN]
    extra = {k: v for k, v in ctx.prompts.items() if k != MAIN}
    vocab = word_vocabulary(ctx.model.text.tokenizer)
    results: dict[str, Any] = {}
    for split in ctx.tasks:
        name, test = split.name, split.test
        sets = prompt_sets(table, test.label_names, split.task, vocab, cfg.seed, extra)
        feats = ctx.bank(split.data).get(list(test.indices))
        scores = {k: zeroshot_scores(feats, ctx.class_matrix(v)).numpy()
                  for k, v in sets.items()}  # fmt: skip
        results[name] = compare_task(name, test.labels, scores, n_bootstrap=cfg.n_bootstrap,
                                     seed=cfg.seed)  # fmt: skip
        results[name]["texts"] = {k: dict(zip(test.label_names, v, strict=True))
                                  for k, v in sets.items()}  # fmt: skip
        ids = np.asarray([str(i) for i in np.asarray(split.data.cache.ids)[test.indices]])
        arrays = {f"scores__{k}": v for k, v in scores.items()}
        atomic_write_bytes(out / f"scores_{name}.npz", npz_bytes(
            ids=ids, y=test.labels, labels=np.asarray(test.label_names), **arrays))  # fmt: skip
        logger.info(results[name]["sentence"])
    data = ctx.tasks[0].data
    run = ctx.run_info("compare-prompts", prompt_file=str(inp.prompts),
                       prompt_set_version=table.version, data=str(inp.data),
                       data_manifest_sha256=data.manifest_sha256, n_bootstrap=cfg.n_bootstrap,
                       extra_prompts=[str(p) for p in inp.extra_prompts],
                       benchmark=not inp.no_split, notes=[NOT_A_BENCHMARK] if inp.no_split else [],
                       **ctx.lead_info())  # fmt: skip
    return write_compare(out, {"run": run, "tasks": results})


def run_compare(cfg: EvalConfig, inp: CompareInput) -> Path:
    """``compare-prompts``: open the comparison and score it; the JSON path."""
    return score_compare(open_compare(cfg, inp), inp)
