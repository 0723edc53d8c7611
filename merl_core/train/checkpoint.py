"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

A checkpoint is a folder::

    config.json          model architecture (ModelConfig) + metadata (lead order, fs,
                         normalisation, label set, data cache, ...) + which parts it holds
    model.safetensors    weights
    state.safetensors    optimiser moments + RNG states            (training checkpoints)
    trainer_state.json   step, epoch, optimiser hyper-parameters, scaler, RNG rest

Folders are written under a temporary name, every file fsynced, and renamed into place, so
a crash never leaves a half-written checkpoint; ``trainer_state.json`` (written last) holds
the SHA-256 of the other files. A run folder holds ``step_XXXXXXX/`` folders and a ``latest``
file naming the newest; :func:`find_resume_point` falls back to the previous good one when
the newest is damaged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ckepe.fileio import atomic_write_json, atomic_write_text, file_mode, fsync_dir, sha256_file
from merl_core.errors import MerlCoreError
from merl_core.models.merl import MERLModel
from merl_core.models.registry import ModelConfig

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
LATEST = "latest"
STEP_RE = re.compile(r"step_\d{7,}")
_MARGIN = 64 << 20  # free space kept beyond a checkpoint's size
_HASHED = ("config.json", "model.safetensors", "state.safetensors")


class CheckpointError(MerlCoreError, ValueError):
    """A checkpoint folder is missing, incomplete or inconsistent."""


def _atomic_dir(final: Path, fill: Any) -> Path:
    """Create ``final`` by filling a temporary sibling folder and renaming it into place."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fill(tmp)
        fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    fsync_dir(final.parent)
    return final


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """safetensors file, fsynced (``save_file`` alone leaves it in the page cache) and with
    the user's umask (``save_file`` creates 0600, unreadable to colleagues on a shared server)."""
    save_file(tensors, str(path))
    os.chmod(path, file_mode())
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_tensors(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path), device=device)
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path}: missing") from exc
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: truncated or damaged safetensors file ({exc})") from exc


def load_weights(path: str | Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """The ``model.safetensors`` tensors of a checkpoint (one-line error when damaged)."""
    return _load_tensors(resolve_checkpoint(path) / "model.safetensors", device)


def ensure_free_space(folder: str | Path, need: int) -> None:
    """Raise when ``folder``'s disk has less than ``need`` bytes (plus a margin) free."""
    folder = Path(folder)
    probe = folder if folder.exists() else folder.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < need + _MARGIN:
        raise CheckpointError(
            f"{folder}: not enough free space for a checkpoint (needs {(need + _MARGIN) >> 20} "
            f"MiB, {free >> 20} MiB free); the previous checkpoint is kept"
        )


def _state_tensors(model: torch.nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    return {k: v.detach().cpu().contiguous() for k, v in sd.items() if k.startswith(prefix)}


def _optimizer_split(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    rest: dict[str, Any] = {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        rest["state"][str(pid)] = {}
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim/{pid}/{k}"] = v.detach().cpu().contiguous()
            else:
                rest["state"][str(pid)][k] = v
    return tensors, rest


def _optimizer_join(tensors: dict[str, torch.Tensor], rest: dict) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(p): dict(v) for p, v in rest["state"].items()}
    for key, t in tensors.items():
        if key.startswith("optim/"):
            _, pid, name = key.split("/", 2)
            state.setdefault(int(pid), {})[name] = t
    return {"state": state, "param_groups": rest["param_groups"]}


def save_checkpoint(
    path: str | Path,
    model: MERLModel,
    config: ModelConfig | dict[str, Any] | None = None,
    *,
    meta: dict[str, Any] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    trainer_state: dict[str, Any] | None = None,
    rng_tensors: dict[str, torch.Tensor] | None = None,
    ecg_only: bool = False,
) -> Path:
    """Write a checkpoint folder atomically and return its path."""
    cfg = config if config is not None else model.config
    cfg_dict = cfg.to_dict() if isinstance(cfg, ModelConfig) else dict(cfg)
    weights = _state_tensors(model, "ecg." if ecg_only else "")
    doc = {
        "format_version": FORMAT_VERSION,
        "model": cfg_dict,
        "components": ["ecg"] if ecg_only or model.text is None else ["ecg", "text"],
        "meta": {**getattr(model, "meta", {}), **(meta or {})},
    }

    training = optimizer is not None or trainer_state is not None
    tensors, rest = _optimizer_split(optimizer) if optimizer else ({}, None)
    tensors.update(rng_tensors or {})
    need = sum(t.numel() * t.element_size() for t in (*weights.values(), *tensors.values()))
    ensure_free_space(Path(path).parent, need)

    def fill(tmp: Path) -> None:
        _save_tensors(weights, tmp / "model.safetensors")
        atomic_write_json(tmp / "config.json", doc, sort_keys=True)
        if training:
            _save_tensors(tensors, tmp / "state.safetensors")
            sums = {f: sha256_file(tmp / f) for f in _HASHED}
            atomic_write_json(tmp / "trainer_state.json",
                              {**(trainer_state or {}), "optimizer": rest, "sha256": sums},
                              sort_keys=True)  # fmt: skip

    return _atomic_dir(Path(path), fill)


def read_latest(run_dir: str | Path) -> Path:
    """The folder ``run_dir/latest`` names, which must be a ``step_*`` folder inside it."""
    run_dir = Path(run_dir)
    pointer = run_dir / LATEST
    if pointer.is_symlink():
        raise CheckpointError(f"{pointer}: a symbolic link; the latest pointer must be a file "
                              "inside the run folder")  # fmt: skip
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{pointer}: unreadable ({exc})") from exc
    if not name or name != Path(name).name or name in (".", ".."):
        raise CheckpointError(f"{pointer}: names {name!r}, not a checkpoint inside the run folder")
    target = run_dir / name
    if target.is_symlink():
        raise CheckpointError(f"{target}: a symbolic link; a run's checkpoints must be inside "
                              "its folder")  # fmt: skip
    if not target.is_dir():
        raise CheckpointError(f"{pointer}: names {name!r}, which does not exist")
    return target


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder from itself or from a run folder (its ``latest``)."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    if (path / LATEST).is_file():
        return read_latest(path)
    raise CheckpointError(f"{path}: not a checkpoint folder (no config.json) nor a run folder")


def _safetensors_complete(path: Path) -> None:
    """Raise unless ``path``'s header parses and its data reaches the file's end exactly."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > size - 8:
                raise ValueError("header longer than the file")
            header = json.loads(fh.read(n))
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path}: missing") from exc
    except (OSError, ValueError, struct.error) as exc:
        raise CheckpointError(f"{path}: truncated or damaged safetensors file ({exc})") from exc
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + n + end != size:
        raise CheckpointError(f"{path}: truncated or damaged safetensors file ({size} bytes, "
                              f"its header describes {8 + n + end})")  # fmt: skip


def verify_checkpoint(path: str | Path, *, training: bool = True) -> dict[str, Any]:
    """Check a checkpoint folder is whole (files complete, hashes match); returns its
    trainer state (``{}`` when ``training`` is False)."""
    ckpt = Path(path)
    read_config(ckpt)
    _safetensors_complete(ckpt / "model.safetensors")
    if not training:
        return {}
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckpointError(f"{ckpt}: not a training checkpoint (no trainer_state.json; an "
                              "exported encoder?)") from exc  # fmt: skip
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{ckpt / 'trainer_state.json'}: unreadable ({exc})") from exc
    if not isinstance(state, dict) or not isinstance(state.get("step"), int):
        raise CheckpointError(f"{ckpt / 'trainer_state.json'}: no step (not a training state)")
    _safetensors_complete(ckpt / "state.safetensors")
    for name, digest in (state.get("sha256") or {}).items():
        if sha256_file(ckpt / name) != digest:
            raise CheckpointError(f"{ckpt / name}: damaged (SHA-256 differs from the one saved)")
    return state


def step_folders(run_dir: str | Path) -> list[Path]:
    """The ``step_*`` checkpoint folders of a run, oldest first.

    Raises:
        CheckpointError: one is a symbolic link (a resume would read, pruning delete,
            outside the run folder).
    """
    found = [p for p in Path(run_dir).glob("step_*") if STEP_RE.fullmatch(p.name)]
    for p in found:
        if p.is_symlink():
            raise CheckpointError(f"{p}: a symbolic link; a run's checkpoints must be inside "
                                  "its folder")  # fmt: skip
    return sorted(p for p in found if p.is_dir())


def find_resume_point(run_dir: str | Path) -> Path | None:
    """The newest whole checkpoint of a run folder: ``latest``, else the previous good ones.

    Returns None for a run without checkpoints. Raises :class:`CheckpointError` when
    ``latest`` is unsafe (names something outside the folder) or no checkpoint is whole.
    """
    run_dir = Path(run_dir)
    candidates = list(reversed(step_folders(run_dir)))
    if (run_dir / LATEST).exists():
        name = (run_dir / LATEST).read_text(encoding="utf-8", errors="replace").strip()
        if name and name == Path(name).name and not (run_dir / name).exists():
            log.warning("%s: names %r, which does not exist; trying the previous checkpoint",
                        run_dir / LATEST, name)  # fmt: skip
            candidates = [c for c in candidates if c.name < name]
        else:
            newest = read_latest(run_dir)  # raises when it points outside the run folder
            candidates = [newest] + [c for c in candidates if c.name < newest.name]
    if not candidates:
        return None
    errors = []
    for ckpt in candidates:
        try:
            verify_checkpoint(ckpt)
        except CheckpointError as exc:
            log.warning("%s; trying the previous checkpoint", exc)
            errors.append(str(exc))
            continue
        if errors:
            log.warning("resuming from %s: the newer checkpoint is damaged", ckpt.name)
        return ckpt
    raise CheckpointError(f"{run_dir}: no whole checkpoint to resume from ({errors[0]})")


def clean_stale(run_dir: str | Path) -> list[Path]:
    """Remove temporary checkpoint folders and files a killed run left behind."""
    removed = []
    for p in Path(run_dir).glob(".*"):
        if re.search(r"\.(tmp|old)-\d+$", p.name) or (p.is_file() and p.name.endswith(".tmp")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        log.info("removed %d stale temporary item(s) from %s", len(removed), run_dir)
    return removed


def read_config(path: str | Path) -> dict[str, Any]:
    """The ``config.json`` document of a checkpoint."""
    ckpt = resolve_checkpoint(path)
    try:
        doc = json.loads((ckpt / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{ckpt / 'config.json'}: unreadable ({exc})") from exc
    if doc.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{ckpt}: unsupported format_version {doc.get('format_version')}")
    return doc


def load_model(path: str | Path, *, map_location: str = "cpu") -> MERLModel:
    """Rebuild a :class:`MERLModel` from a checkpoint (or run) folder; never unpickles."""
    ckpt = resolve_checkpoint(path)
    doc = read_config(ckpt)
    cfg = ModelConfig.from_dict(doc["model"])
    has_text = "text" in doc.get("components", [])
    model = MERLModel(cfg, text=has_text, load_text_weights=False)
    weights = _load_tensors(ckpt / "model.safetensors", map_location)
    try:
        missing, unexpected = model.load_state_dict(weights, strict=False)
    except RuntimeError as exc:  # shape mismatch: config and weights disagree
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "mismatch" in ln), lines[0] if lines else "")
        raise CheckpointError(f"{ckpt}: weights do not fit {cfg.name}: {detail}") from exc
    missing = [k for k in missing if has_text or k.startswith("ecg.")]
    if missing or unexpected:
        raise CheckpointError(
            f"{ckpt}: weights do not match {cfg.name} (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    model.meta = doc.get("meta", {})
    return model.to(map_location)


def load_training_state(
    path: str | Path, optimizer: torch.optim.Optimizer | None = None
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore ``optimizer`` in place; return the trainer state and the RNG tensors."""
    ckpt = resolve_checkpoint(path)
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{ckpt}: no training state to resume from ({exc})") from exc
    tensors = _load_tensors(ckpt / "state.safetensors")
    if optimizer is not None and state.get("optimizer") is not None:
        try:
            optimizer.load_state_dict(_optimizer_join(tensors, state["optimizer"]))
        except (ValueError, KeyError, RuntimeError) as exc:
            msg = f"{ckpt}: optimiser state does not fit this model ({exc})"
            raise CheckpointError(msg) from exc
    rng = {k: v for k, v in tensors.items() if k.startswith("rng/")}
    return state, rng


def write_latest(run_dir: str | Path, ckpt: Path, keep_last: int = 2) -> None:
    """Point ``run_dir/latest`` at ``ckpt`` atomically and prune older step folders."""
    run_dir = Path(run_dir)
    steps = step_folders(run_dir)  # raises on a link out of the run folder, before writing
    if (run_dir / LATEST).is_symlink():
        raise CheckpointError(f"{run_dir / LATEST}: a symbolic link; not replaced")
    atomic_write_text(run_dir / LATEST, ckpt.name + "\n")
    for old in steps[:-keep_last] if keep_last > 0 else []:
        if old.name != ckpt.name:
            shutil.rmtree(old, ignore_errors=True)


def export_ecg_encoder(src: str | Path, out: str | Path) -> Path:
    """Write the ECG encoder of a checkpoint alone (weights + config) to ``out``."""
    model = load_model(src)
    return save_checkpoint(out, model, ecg_only=True, meta={"exported_from": str(src)})
