"""The study's model through the commands users run: ``merl-core compare-prompts`` (CKEPE vs
class names and the two controls, paired bootstrap CIs) and ``merl-core zeroshot --lead-sweep``
(macro AUC per lead subset, absent leads zeroed), on the German-report checkpoint of the first
seed and the study's fold 9–10 cache with the published split files.

Each command runs as a subprocess exactly as a user types it (the command line is recorded);
their JSON becomes two sections of BENCHMARKS.md: ``study_ptbxl_sample_compare`` and
``study_ptbxl_sample_leads``. A user with the published MERL weights gets the same tables by
giving ``--checkpoint`` a checkpoint imported with ``merl-core import-upstream``.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from benchmarks._common import markdown_table, write_results
from merl_core.eval.compare import format_ci
from studies.ptbxl_sample.prepare import TASKS, StudyConfig, console_script

log = logging.getLogger("study")
_MERL_CORE = console_script("merl-core", ["-m", "merl_core.cli"])
PUBLISHED = (
    "A user with the published MERL weights gets the same tables for that model by importing "
    "them (`merl-core import-upstream PTH --out DIR`) and passing `--checkpoint DIR` to the same "
    "command."
)


def _run_all(jobs: list[tuple[list[str], Path]], parallel: int = 2) -> None:
    """Run the commands, ``parallel`` at a time (each with its share of the cores: they are
    independent, and most of a command's time is its start-up on one core); raise on the
    first failure with its log's last lines."""
    import os

    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // parallel))}
    pending, running = list(jobs), []
    while pending or running:
        while pending and len(running) < parallel:
            cmd, log_path = pending.pop(0)
            log.info("running: %s", shlex.join(cmd))
            fh = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
            running.append((subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env),
                            fh, cmd, log_path))  # fmt: skip
        proc, fh, cmd, log_path = running.pop(0)
        code = proc.wait()
        fh.close()
        if code != 0:
            for other in running:
                other[0].kill()
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{shlex.join(cmd[:2])} failed (exit {code}): " + " | ".join(tail))


def _user_line(cmd: list[str], ck: str, cache: Path, out: Path, splits: Path) -> str:
    """The command as a reader would type it (paths replaced by placeholders, the prompt file
    relative to the repository)."""
    words = ["merl-core", *cmd[len(_MERL_CORE):]]  # fmt: skip
    swap = {ck: "$CK", str(cache): "$CACHE", str(out): "OUT",
            str(splits): "$MERL_DATA_ROOT/merl-splits"}  # fmt: skip
    repo = Path(__file__).resolve().parents[2]
    for w in words:
        p = Path(w)
        if p.is_absolute() and p.is_relative_to(repo):
            swap.setdefault(w, str(p.relative_to(repo)))
    return " ".join(swap.get(w, w) for w in words)


def run_user_commands(cfg: StudyConfig, caches: dict[str, Path], prompts: dict[str, Any]) -> None:
    """Run both commands on the first seed's German-report model; write the two sections."""
    seed = cfg.seeds[0]
    summary = cfg.out / "pretrain" / f"de-seed{seed}" / "study_summary.json"
    ck = json.loads(summary.read_text(encoding="utf-8"))["checkpoint"]
    # the local-LLM set where it covers every task (--quick builds it for one), else the
    # terminology-only set
    full = prompts.get("llm") and set(prompts.get("llm_tasks") or []) >= set(TASKS)
    prompt_file = str(prompts["llm"] if full else prompts["term"])
    cache, splits = caches["eval"], cfg.data_root / "merl-splits"
    n_boot = str(cfg.n_bootstrap)
    work = cfg.out / "user-commands"
    work.mkdir(parents=True, exist_ok=True)
    model = (f"{cfg.model} pretrained by this study (German reports, seed {seed}, "
             f"`{Path(ck).relative_to(cfg.out) if Path(ck).is_relative_to(cfg.out) else ck}` "
             "in the study's work folder)")  # fmt: skip

    out = work / "compare_prompts"
    cmd = [*_MERL_CORE, "compare-prompts", "--prompts", prompt_file, "--checkpoint", ck,
           "--data", str(cache), "--splits-root", str(splits), "--bootstrap", n_boot,
           "--out", str(out)]  # fmt: skip
    if prompts.get("report"):  # the report-style set as one more arm (any prompt file works)
        cmd += ["--extra", str(prompts["report"])]
    # --quick: the super task only, and three lead subsets (a pipeline check of both commands)
    subsets, sweep_tasks = ("all12;limb6;I", TASKS[:1]) if cfg.quick else ("default", TASKS)
    if cfg.quick:
        cmd += ["--task", "super"]

    def sweep_cmd(task: str) -> list[str]:
        return [*_MERL_CORE, "zeroshot", "--prompts", prompt_file, "--checkpoint", ck,
                "--data", str(cache), "--splits-root", str(splits), "--task", task,
                "--lead-sweep", subsets, "--bootstrap", n_boot,
                "--out", str(work / f"lead_sweep_{task}")]  # fmt: skip

    cmds = [sweep_cmd(task) for task in sweep_tasks]
    _run_all([(cmd, work / "compare_prompts.log")]
             + [(c, work / f"lead_sweep_{task}.log")
                for c, task in zip(cmds, sweep_tasks, strict=True)])  # fmt: skip
    doc = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    aucs, rows, sentences = [], [], []
    for task, t in doc["tasks"].items():
        aucs.append({"task": task, **{k: format_ci(v["macro_auc"], v["macro_auc_ci"])
                                      for k, v in t["sets"].items()}})  # fmt: skip
        for d in t["differences"]:
            rows.append({"task": task, "comparison": f"{d['a']} − {d['b']}",
                         "difference [95 % CI]": format_ci(d["difference"], d["ci"], signed=True),
                         "CI excludes 0": "yes" if d["excludes_zero"] else "no"})  # fmt: skip
        sentences.append(f"- {t['sentence']}")
    if (out / "compare.png").exists():
        shutil.copyfile(out / "compare.png", cfg.results_dir / "study_ptbxl_sample_compare.png")
    notes = (f"Model: {model}. Data: the study's fold 9–10 cache, test rows of the published "
             f"split files (fold 10); prompts `{Path(prompt_file).name}` (version "
             f"`{doc['run'].get('prompt_set_version')}`). Controls: random-words (as many random "
             "words as each CKEPE text) and shuffled-ckepe (the CKEPE texts given to the wrong "
             "classes). Differences are paired (the same bootstrap resamples of the same test "
             f"records for both sets, {n_boot} resamples).\n\nMacro AUC [95 % CI] per prompt "
             "set:\n\n" + markdown_table(aucs) + "\n" + "\n".join(sentences)
             + f"\n\n{PUBLISHED} Command as run: `{_user_line(cmd, ck, cache, out, splits)}`; "
             "figure `study_ptbxl_sample_compare.png`.")  # fmt: skip
    if cfg.quick:
        notes = "--quick: a pipeline check, not a measurement. " + notes
    write_results("study_ptbxl_sample_compare",
                  "Study model: CKEPE vs class names and controls (merl-core compare-prompts)",
                  rows, notes=notes, extra={"compare": doc, "user_command": cmd},
                  results_dir=cfg.results_dir)  # fmt: skip

    table: dict[str, dict[str, Any]] = {}
    sweeps = {}
    for task in sweep_tasks:
        sweeps[task] = json.loads(
            (work / f"lead_sweep_{task}" / "lead_sweep.json").read_text(encoding="utf-8")
        )
        for r in sweeps[task]["rows"]:
            row = table.setdefault(r["subset"], {"leads": r["subset"], "n": r["n_leads"]})
            row[task] = format_ci(r["macro_auc"], r["macro_auc_ci"])
    _sweep_plot(sweeps, cfg.results_dir / "study_ptbxl_sample_leads.png")
    notes = (f"Model: {model}; CKEPE description prompts `{Path(prompt_file).name}`. Macro AUC "
             f"[bootstrap 95 % CI, {n_boot} resamples] on fold 10 per lead subset; absent leads "
             "are zeroed in the model's input (the missing-lead baseline), the model is not "
             f"retrained. {PUBLISHED} Command as run, once per task: "
             f"`{_user_line(sweep_cmd('TASK'), ck, cache, work / 'lead_sweep_TASK', splits)}`; "
             "figure `study_ptbxl_sample_leads.png`.")  # fmt: skip
    if cfg.quick:
        notes = "--quick: a pipeline check, not a measurement. " + notes
    write_results("study_ptbxl_sample_leads",
                  "Study model: zero-shot macro AUC by lead subset (merl-core zeroshot "
                  "--lead-sweep)", [{"leads": k, **{c: v.get(c, "–") for c in ("n", *TASKS)}}
                                    for k, v in table.items()],
                  notes=notes, extra={"lead_sweep": sweeps, "user_commands": cmds},
                  results_dir=cfg.results_dir)  # fmt: skip


def _sweep_plot(sweeps: dict[str, Any], path: Path) -> None:
    """Macro AUC (with CI bars) against lead subset, one line per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for k, (task, sweep) in enumerate(sweeps.items()):
        rows = [r for r in sweep["rows"] if r["macro_auc"] is not None]
        x = [i + (k - 1.5) * 0.08 for i in range(len(rows))]
        y = [r["macro_auc"] for r in rows]
        err = [
            [r["macro_auc"] - (r["macro_auc_ci"] or [r["macro_auc"]] * 2)[0] for r in rows],
            [(r["macro_auc_ci"] or [r["macro_auc"]] * 2)[1] - r["macro_auc"] for r in rows],
        ]
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=task)  # fmt: skip
        ax.set_xticks(range(len(rows)), [r["subset"] for r in rows], rotation=20)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("zero-shot macro AUC (fold 10)")
    ax.set_xlabel("leads kept (others zeroed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
