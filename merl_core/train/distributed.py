"""Process-group set-up and gathers: one process, torchrun or srun; gloo on CPU, NCCL on GPU.

Launchers are read from the environment (:func:`resolve_launch`): torchrun's ``RANK`` /
``WORLD_SIZE`` / ``LOCAL_RANK``, or SLURM's ``SLURM_PROCID`` / ``SLURM_NTASKS`` /
``SLURM_LOCALID`` inside an ``srun`` step; when both describe the processes and disagree the
run stops with one message. On CUDA the group is ``cpu:gloo,cuda:nccl`` so a collective on a
CPU tensor (RNG states, stop flags) has a backend; :func:`collective_device` says where a
collective's tensors must live for any backend, so the code is right under plain ``nccl`` too.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from merl_core.errors import MerlCoreError

log = logging.getLogger(__name__)

BACKEND_ENV = "MERL_DIST_BACKEND"  # override the backend rule (tests, unusual clusters)
_BATCH_STEP_IDS = {"4294967294", "batch", "extern", "4294967295"}


class LaunchError(MerlCoreError, RuntimeError):
    """Launcher variables that are missing, malformed or contradict each other."""


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: rank, world size, local rank, device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"
    backend: str | None = None
    launcher: str = "single"

    @property
    def is_main(self) -> bool:
        """True on rank 0."""
        return self.rank == 0


@dataclass(frozen=True)
class Launch:
    """What the launcher's environment says about this process (no device yet)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int | None = 0
    launcher: str = "single"  # single | torchrun | slurm | env


def _int(env: Mapping[str, str], key: str) -> int | None:
    raw = env.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise LaunchError(f"{key}={raw!r} is not an integer") from None


def _in_srun_step(env: Mapping[str, str]) -> bool:
    step = env.get("SLURM_STEP_ID", env.get("SLURM_STEPID"))
    return "SLURM_PROCID" in env and step is not None and step not in _BATCH_STEP_IDS


def _slurm_ntasks(env: Mapping[str, str]) -> int | None:
    return _int(env, "SLURM_STEP_NUM_TASKS") or _int(env, "SLURM_NTASKS") or _int(
        env, "SLURM_NPROCS")  # fmt: skip


def resolve_launch(env: Mapping[str, str] | None = None) -> Launch:
    """Rank, world size and local rank from torchrun or SLURM variables (or a lone process).

    Raises:
        LaunchError: a variable is malformed, missing, or torchrun-style and SLURM variables
            describe different processes.
    """
    env = os.environ if env is None else env
    if "TORCHELASTIC_RUN_ID" in env:  # torchrun: SLURM variables describe its launcher task
        rank, world, local = _int(env, "RANK"), _int(env, "WORLD_SIZE"), _int(env, "LOCAL_RANK")
        if rank is None or world is None or local is None:
            raise LaunchError("torchrun did not set RANK, WORLD_SIZE and LOCAL_RANK")
        return _checked(Launch(rank, world, local, "torchrun"))
    srun = _in_srun_step(env) and (_slurm_ntasks(env) or 1) > 1
    slurm = (Launch(_int(env, "SLURM_PROCID") or 0, _slurm_ntasks(env) or 1,
                    _int(env, "SLURM_LOCALID"), "slurm") if srun else None)  # fmt: skip
    world = _int(env, "WORLD_SIZE")
    if world is not None and world > 1:
        rank = _int(env, "RANK")
        if rank is None:
            raise LaunchError(f"WORLD_SIZE={world} but RANK is not set")
        local = _int(env, "LOCAL_RANK")
        if slurm is not None:
            if (rank, world) != (slurm.rank, slurm.world_size) or (
                    local is not None and local != slurm.local_rank):  # fmt: skip
                raise LaunchError(
                    f"RANK={rank} WORLD_SIZE={world} LOCAL_RANK={local} disagree with srun's "
                    f"SLURM_PROCID={slurm.rank} SLURM_NTASKS={slurm.world_size} "
                    f"SLURM_LOCALID={slurm.local_rank}: launch with srun alone (unset "
                    "RANK/WORLD_SIZE/LOCAL_RANK) or with torchrun"
                )
            local = slurm.local_rank
        return _checked(Launch(rank, world, local, "env"))
    if slurm is not None:
        lr = _int(env, "LOCAL_RANK")
        if lr is not None and lr != slurm.local_rank:
            raise LaunchError(f"LOCAL_RANK={lr} disagrees with SLURM_LOCALID={slurm.local_rank}")
        return _checked(slurm)
    ntasks = _slurm_ntasks(env) or 1
    if ntasks > 1:
        log.warning("SLURM_NTASKS=%d but this process was not started by srun (nor torchrun): "
                    "running as one process", ntasks)  # fmt: skip
    return Launch()


def _checked(launch: Launch) -> Launch:
    if launch.world_size < 1 or not 0 <= launch.rank < launch.world_size:
        raise LaunchError(f"rank {launch.rank} is outside world size {launch.world_size} "
                          f"({launch.launcher})")  # fmt: skip
    if launch.local_rank is not None and launch.local_rank < 0:
        raise LaunchError(f"local rank {launch.local_rank} < 0 ({launch.launcher})")
    return launch


def first_slurm_host(nodelist: str) -> str:
    """The first host of a SLURM node list (``gpu[03-05,9],cpu1`` → ``gpu03``)."""
    m = re.match(r"([^,\[]+)(?:\[([^\]]+)\])?", nodelist.strip())
    if not m:
        raise LaunchError(f"cannot read SLURM node list {nodelist!r}")
    prefix, ranges = m.group(1), m.group(2)
    return prefix + (ranges.split(",")[0].split("-")[0] if ranges else "")


RENDEZVOUS_ENV = "MERL_RENDEZVOUS_DIR"  # where rank 0 publishes its port (shared by ranks)
RENDEZVOUS_TIMEOUT_S = 600.0
_PUBLISHED: list[Path] = []  # rendezvous files this process wrote (removed at clean-up)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def rendezvous_file(folder: Path, env: Mapping[str, str]) -> Path:
    """The file through which rank 0 of this srun step tells the others its port."""
    job, step = env.get("SLURM_JOB_ID", "0"), env.get("SLURM_STEP_ID", "0")
    restart = env.get("SLURM_RESTART_COUNT", "0")  # a requeued job reuses its id
    return folder / f".rendezvous-{job}.{step}.{restart}"


def _rendezvous_port(env: Mapping[str, str], rank: int, folder: Path | None) -> str:
    """A rendezvous port no other job on the node derives too: SLURM's reserved port
    (``srun --resv-ports``), else a free port rank 0 picks at random and publishes in
    ``folder`` (``$MERL_RENDEZVOUS_DIR``, default the run folder) for the other ranks."""
    reserved = env.get("SLURM_STEP_RESV_PORTS", "")
    if re.match(r"^\d+", reserved):
        return re.match(r"^\d+", reserved).group(0)  # type: ignore[union-attr]
    folder = Path(env[RENDEZVOUS_ENV]) if env.get(RENDEZVOUS_ENV) else folder
    if folder is None:
        raise LaunchError("srun launch: set MASTER_PORT, srun --resv-ports, or "
                          f"{RENDEZVOUS_ENV} (a folder every rank sees)")  # fmt: skip
    path = rendezvous_file(folder, env)
    if rank == 0:
        from ckepe.fileio import atomic_write_text

        port = str(_free_port())
        atomic_write_text(path, port + "\n")
        _PUBLISHED.append(path)
        return port
    deadline = time.monotonic() + RENDEZVOUS_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text.isdigit():
            return text
        time.sleep(0.2)
    raise LaunchError(
        f"{path}: rank 0 did not publish its rendezvous port within "
        f"{RENDEZVOUS_TIMEOUT_S:.0f} s (is {folder} shared by every node?)"
    )


def rendezvous_from_slurm(
    env: dict[str, str] | os._Environ[str], rank: int = 0, folder: Path | None = None
) -> None:
    """Default MASTER_ADDR / MASTER_PORT for a plain srun launch (task 0's node; a port from
    :func:`_rendezvous_port`, never one derived from the job id, which two jobs share)."""
    if "MASTER_ADDR" not in env:
        nodes = env.get("SLURM_STEP_NODELIST") or env.get("SLURM_JOB_NODELIST")
        if not nodes:
            raise LaunchError("srun launch: set MASTER_ADDR (no SLURM_JOB_NODELIST to derive it)")
        env["MASTER_ADDR"] = first_slurm_host(nodes)
    if "MASTER_PORT" not in env:
        env["MASTER_PORT"] = _rendezvous_port(env, rank, folder)


def backend_for(device: str) -> str:
    """The process-group backend for ``device``: gloo on CPU; NCCL for CUDA tensors with gloo
    beside it for CPU tensors (NCCL has no CPU backend)."""
    override = os.environ.get(BACKEND_ENV)
    if override:
        return override
    return "cpu:gloo,cuda:nccl" if device.startswith("cuda") else "gloo"


def backend_devices(backend: str) -> set[str]:
    """Device types a backend string can run collectives on (``nccl`` → {cuda})."""
    caps = {"gloo": {"cpu", "cuda"}, "nccl": {"cuda"}, "mpi": {"cpu", "cuda"},
            "ucc": {"cpu", "cuda"}}  # fmt: skip
    out: set[str] = set()
    for part in backend.lower().split(","):
        if ":" in part:
            dev, _ = part.split(":", 1)
            out.add(dev.strip())
        else:
            out |= caps.get(part.strip(), set())
    return out


def collective_device(backend: str | None, device: str) -> str:
    """Where a collective's tensors must live: the CPU when the backend has a CPU part, else
    this rank's device (CPU tensors under plain NCCL have no backend and crash)."""
    if backend is None or "cpu" in backend_devices(backend):
        return "cpu"
    return device


def _cuda_device(local: int) -> str:
    count = torch.cuda.device_count()
    if count == 0:
        raise LaunchError("--device cuda but torch sees no GPU (CUDA_VISIBLE_DEVICES, driver?)")
    if local < count:
        return f"cuda:{local}"
    if count == 1:  # srun --gpus-per-task / a per-task CUDA_VISIBLE_DEVICES: one GPU each
        return "cuda:0"
    raise LaunchError(f"local rank {local} but only {count} GPUs are visible on this node")


def init_distributed(
    device: str = "auto", env: dict[str, str] | None = None, rendezvous_dir: Path | None = None
) -> DistInfo:
    """Join the process group when launched by torchrun or srun (``env://``), else run alone.

    ``device``: ``auto`` (CUDA when available), ``cpu`` or ``cuda``; ``rendezvous_dir``: where
    rank 0 of a plain srun launch without ``MASTER_PORT`` publishes its port (the run folder).

    Raises:
        LaunchError: contradictory launcher variables, or no GPU for this local rank.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise LaunchError(f"--device {device!r}: expected auto, cpu or cuda")
    launch = resolve_launch(env)
    if launch.world_size <= 1:
        return DistInfo(device=_cuda_device(0) if device == "cuda" else device)
    if launch.local_rank is None and device == "cuda":
        raise LaunchError(
            f"WORLD_SIZE={launch.world_size} without LOCAL_RANK: every process would take GPU 0;"
            " launch with torchrun or srun, or set LOCAL_RANK"
        )
    local = launch.local_rank or 0
    if device == "cuda":
        device = _cuda_device(local)
        torch.cuda.set_device(device)
    environ = os.environ if env is None else env
    if launch.launcher == "slurm":
        rendezvous_from_slurm(environ, launch.rank, rendezvous_dir)
        environ.setdefault("RANK", str(launch.rank))
        environ.setdefault("WORLD_SIZE", str(launch.world_size))
        environ.setdefault("LOCAL_RANK", str(local))
    backend = backend_for(device)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, init_method="env://", rank=launch.rank,
                                world_size=launch.world_size)  # fmt: skip
    log.info("rank %d/%d on %s (%s, %s)", launch.rank, launch.world_size, device, backend,
             launch.launcher)  # fmt: skip
    return DistInfo(rank=launch.rank, world_size=launch.world_size, local_rank=local,
                    device=device, backend=backend, launcher=launch.launcher)  # fmt: skip


def cleanup_distributed() -> None:
    """Leave the process group if one was joined (and remove a published rendezvous file)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    while _PUBLISHED:
        _PUBLISHED.pop().unlink(missing_ok=True)


def all_gather_tensor(x: torch.Tensor, info: DistInfo) -> list[torch.Tensor]:
    """Every rank's ``x`` (same shape), on ``x``'s device, moved through the collective device."""
    if info.world_size == 1:
        return [x]
    where = collective_device(info.backend or dist.get_backend(), info.device)
    t = x.to(where)
    parts = [torch.empty_like(t) for _ in range(info.world_size)]
    dist.all_gather(parts, t)
    return [p.to(x.device) for p in parts]


def any_rank(flags: list[bool], info: DistInfo) -> list[bool]:
    """Element-wise OR of ``flags`` over all ranks (every rank gets the same answer)."""
    if info.world_size == 1:
        return list(flags)
    where = collective_device(info.backend or dist.get_backend(), info.device)
    t = torch.tensor([int(f) for f in flags], dtype=torch.int32, device=where)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


class _GatherWithGrad(torch.autograd.Function):
    """All-gather whose backward sums every rank's gradient for the local slice.

    Written with ``all_reduce`` rather than ``reduce_scatter`` so that it runs on gloo.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        world = dist.get_world_size()
        ctx.rank, ctx.batch = dist.get_rank(), x.shape[0]
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.rank * ctx.batch : (ctx.rank + 1) * ctx.batch]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks in rank order, differentiable; identity when alone."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    return _GatherWithGrad.apply(x)


def gather_no_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks without gradients (the published trainer's way)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.detach().contiguous())
    parts[dist.get_rank()] = x
    return torch.cat(parts, dim=0)
