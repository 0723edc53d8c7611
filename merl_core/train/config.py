"""Pretraining configuration: one pydantic model, read from YAML, overridable with key=value."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from merl_core.errors import MerlCoreError


class ConfigError(MerlCoreError, ValueError):
    """A configuration file or override that cannot be used."""


class PretrainConfig(BaseModel):
    """Everything a ``merl-core pretrain`` run needs (defaults follow the published MERL)."""

    model_config = ConfigDict(extra="forbid")

    model: str = "resnet1d18"
    model_overrides: dict[str, Any] = Field(default_factory=dict)
    cache: Path | None = None
    limit: int | None = Field(None, ge=1, description="use only the first N records")
    out: Path = Path("runs/pretrain")
    epochs: int = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps")
    batch_size: int = Field(32, ge=1, description="pairs per process per step")
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-8, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    scheduler: Literal["cosine", "cosine_restarts", "constant"] = "cosine"
    warmup_steps: int = Field(0, ge=0)
    restart_steps: int = Field(1000, ge=1, description="cycle length for cosine_restarts")
    min_lr: float = Field(0.0, ge=0)
    grad_clip: float | None = Field(1.0, description="max grad norm; null/0 = off")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    compile: bool = False
    seed: int = 42
    num_workers: int | None = Field(
        None, ge=0, description="DataLoader worker processes per rank, where the reports are "
        "tokenised; null = auto: 0 on CPU (the step needs the cores), on CUDA min(4, cores per "
        "rank - 1)",
    )  # fmt: skip
    prefetch_factor: int = Field(4, ge=1, description="batches each worker keeps ready")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1, description="torch CPU threads per process")
    gather: Literal["grad", "nograd"] = "grad"
    ckpt_every: int = Field(0, ge=0, description="checkpoint every N steps (0 = end only)")
    ckpt_every_minutes: float = Field(
        0.0, ge=0, description="also checkpoint every N minutes of wall-clock time (0 = off)"
    )
    skip_nonfinite: int = Field(
        0, ge=0, description="steps with a NaN/inf loss skipped before the run stops"
    )
    sync_bn: bool = Field(False, description="SyncBatchNorm across GPUs (CUDA, >1 process)")
    tf32: bool = Field(True, description="TF32 matmuls and convolutions on Ampere+ GPUs")
    cudnn_benchmark: bool = Field(True, description="cuDNN autotuning (fixed input shapes)")
    keep_last: int = Field(2, ge=1)
    log_every: int = Field(1, ge=1)
    tensorboard: bool = True
    progress: bool = True
    resume: str | None = Field(
        None, description="checkpoint/run folder, 'auto', or 'force' (auto, other settings allowed)"
    )
    overwrite: bool = Field(
        False, description="replace the run already in the output folder (else refused)"
    )
    stop_after: int | None = Field(
        None, ge=1, description="fault injection: stop after this step without a final save"
    )


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: {part} is not a mapping")
    node[parts[-1]] = value


def load_config(
    path: str | Path | None = None, overrides: list[str] | None = None, **options: Any
) -> PretrainConfig:
    """Read a YAML config (optional), apply ``key=value`` overrides, then explicit options.

    Raises:
        ConfigError: unreadable YAML, a malformed override or an invalid value.
    """
    import difflib

    data: dict[str, Any] = {}
    fields = set(PretrainConfig.model_fields)
    for item in overrides or []:
        key = item.split("=", 1)[0].strip().split(".")[0]
        if "=" in item and key not in fields:
            near = difflib.get_close_matches(key, sorted(fields), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ConfigError(f"--set {item}: unknown setting {key!r}{hint}")
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: config must be a mapping, not {type(loaded).__name__}")
        data = loaded or {}
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), yaml.safe_load(raw) if raw else None)
    flags = {k: v for k, v in options.items() if v is not None}
    data.update(flags)
    set_keys = {i.split("=", 1)[0].strip().split(".")[0] for i in overrides or [] if "=" in i}
    try:
        return PretrainConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        top = str(first["loc"][0]) if first["loc"] else ""
        if top in flags:
            where = f"--{top.replace('_', '-')}: "
        elif top in set_keys:
            where = f"--set {top}: "
        else:
            where = f"{path}: " if path else ""
        raise ConfigError(f"{where}invalid config: {loc}: {first['msg']}") from exc


def dump_config(cfg: PretrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML (for the run folder)."""
    from ckepe.fileio import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
