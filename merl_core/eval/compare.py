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
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.fileio import atomic_write_bytes, atomic_write_json
from ckepe.registry import protocol_tasks
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


def run_compare(
    *,
    prompts: Path,
    checkpoint: Path,
    data: Path,
    tasks: list[str] | None,
    dataset: str | None,
    splits_root: Path | None,
    extra_prompts: list[Path],
    out: Path,
    n_bootstrap: int,
    seed: int,
    batch_size: int,
    device: str,
    leads: tuple[str, ...] | None = None,
    no_split: bool = False,
) -> Path:
    """``merl-core compare-prompts``: every task's comparison in one folder; the JSON path."""
    from merl_core.eval import runner as R
    from merl_core.eval.checks import NOT_A_BENCHMARK, check_preprocessing, check_prompt_dataset
    from merl_core.eval.leads import with_leads
    from merl_core.eval.prompts import read_prompts
    from merl_core.eval.zeroshot import (
        FeatureBank,
        build_classifier,
        text_encoder_of,
        zeroshot_scores,
    )

    table = read_prompts(prompts)
    check_prompt_dataset(Path(prompts), table.dataset, dataset)
    extra = {Path(p).stem: read_prompts(p) for p in extra_prompts}
    dataset = dataset or table.dataset
    cache, manifest_hash = R.open_eval_cache(
        data, dataset, R.cache_root(out), R.checkpoint_preprocessing(checkpoint)
    )
    check_prompt_dataset(Path(prompts), table.dataset, cache.meta.get("dataset"))
    dataset = dataset or cache.meta.get("dataset")
    tasks = tasks or list(protocol_tasks(dataset))
    plan = []
    for task in tasks:
        files = R.resolve_split_files(dataset, task, None, None, splits_root)
        if "test" not in files and not no_split:
            raise R.EvalDataError(
                f"no test split file for {dataset} {task} (looked in "
                f"{R.default_splits_root(splits_root)}): give --splits-root, or --no-split"
            )
        test = R.cache_split(cache, None if no_split else files["test"], "split", task)
        table.texts(test.label_names, "description", task)  # a missing class fails early
        plan.append((task, test))
    model = R.load_eval_model(checkpoint, device, need_text=True)
    check_preprocessing(model, cache, checkpoint)
    vocab = word_vocabulary(model.text.tokenizer)
    emodel = with_leads(model, leads)
    bank = FeatureBank(emodel, cache.signals, batch_size=batch_size, device=device)
    encode = text_encoder_of(model, device)
    results: dict[str, Any] = {}
    for task, test in plan:
        name = f"{dataset}-{task}"
        sets = prompt_sets(table, test.label_names, task, vocab, seed, extra)
        feats = bank.get(list(test.indices))
        scores = {k: zeroshot_scores(feats, build_classifier(encode, v, batch_size=batch_size))
                  .numpy() for k, v in sets.items()}  # fmt: skip
        results[name] = compare_task(name, test.labels, scores, n_bootstrap=n_bootstrap,
                                     seed=seed)  # fmt: skip
        results[name]["texts"] = {k: dict(zip(test.label_names, v, strict=True))
                                  for k, v in sets.items()}  # fmt: skip
        ids = np.asarray([str(i) for i in np.asarray(cache.ids)[test.indices]])
        arrays = {f"scores__{k}": v for k, v in scores.items()}
        atomic_write_bytes(Path(out) / f"scores_{name}.npz", npz_bytes(
            ids=ids, y=test.labels, labels=np.asarray(test.label_names), **arrays))  # fmt: skip
        logger.info(results[name]["sentence"])
    run = R.run_info("compare-prompts", checkpoint, seed, prompt_file=str(prompts),
                      prompt_set_version=table.version, data=str(data),
                      data_manifest_sha256=manifest_hash, n_bootstrap=n_bootstrap,
                      extra_prompts=[str(p) for p in extra_prompts], benchmark=not no_split,
                      notes=[NOT_A_BENCHMARK] if no_split else [],
                      **R.lead_info(leads))  # fmt: skip
    return write_compare(Path(out), {"run": run, "tasks": results})
