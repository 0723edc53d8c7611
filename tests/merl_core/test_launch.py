"""Launchers: torchrun, srun and plain python give the right ranks; contradictions stop with
one message; the backend rule keeps CPU tensors out of NCCL-only collectives."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from safetensors.torch import load_file

from merl_core.train.distributed import (
    Launch,
    LaunchError,
    backend_devices,
    backend_for,
    collective_device,
    first_slurm_host,
    init_distributed,
    resolve_launch,
)
from tests.merl_core import _pretrain_procs as procs


def _srun(rank: int, ntasks: int, local: int, **extra: str) -> dict[str, str]:
    return {"SLURM_PROCID": str(rank), "SLURM_NTASKS": str(ntasks), "SLURM_LOCALID": str(local),
            "SLURM_STEP_ID": "0", "SLURM_JOB_ID": "4242", "SLURM_JOB_NODELIST": "gpu[07-08]",
            **extra}  # fmt: skip


def test_plain_python_is_one_process() -> None:
    assert resolve_launch({}) == Launch()
    assert resolve_launch({"WORLD_SIZE": "1"}) == Launch()


def test_torchrun_variables() -> None:
    env = {"TORCHELASTIC_RUN_ID": "x", "RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1"}
    assert resolve_launch(env) == Launch(5, 8, 1, "torchrun")
    # torchrun inside an srun step (one task per node): SLURM describes torchrun, not us.
    assert resolve_launch({**env, **_srun(1, 2, 0)}) == Launch(5, 8, 1, "torchrun")
    with pytest.raises(LaunchError, match="LOCAL_RANK"):
        resolve_launch({k: v for k, v in env.items() if k != "LOCAL_RANK"})


def test_srun_variables_give_the_ranks() -> None:
    assert resolve_launch(_srun(3, 4, 1)) == Launch(3, 4, 1, "slurm")
    # WORLD_SIZE/RANK exported by hand without LOCAL_RANK: SLURM_LOCALID supplies it.
    assert resolve_launch({**_srun(3, 4, 1), "RANK": "3", "WORLD_SIZE": "4"}).local_rank == 1


def test_disagreeing_launchers_stop_with_one_message() -> None:
    with pytest.raises(LaunchError, match="disagree with srun's SLURM_PROCID=3"):
        resolve_launch({**_srun(3, 4, 1), "RANK": "0", "WORLD_SIZE": "4"})
    with pytest.raises(LaunchError, match="LOCAL_RANK=0 disagrees with SLURM_LOCALID=1"):
        resolve_launch({**_srun(3, 4, 1), "LOCAL_RANK": "0"})
    with pytest.raises(LaunchError, match="RANK is not set"):
        resolve_launch({"WORLD_SIZE": "2"})
    with pytest.raises(LaunchError, match="outside world size"):
        resolve_launch(_srun(4, 4, 0))
    with pytest.raises(LaunchError, match="not an integer"):
        resolve_launch({**_srun(0, 2, 0), "SLURM_PROCID": "zero"})


def test_batch_script_without_srun_runs_alone(caplog: pytest.LogCaptureFixture) -> None:
    env = {k: v for k, v in _srun(0, 8, 0).items() if k != "SLURM_STEP_ID"}
    assert resolve_launch(env) == Launch()
    assert "not started by srun" in caplog.text
    assert resolve_launch({**env, "SLURM_STEP_ID": "4294967294"}) == Launch()  # the batch step


def test_cuda_without_local_rank_is_refused() -> None:
    with pytest.raises(LaunchError, match="every process would take GPU 0"):
        init_distributed("cuda", env={"WORLD_SIZE": "2", "RANK": "1"})
    with pytest.raises(LaunchError, match="expected auto, cpu or cuda"):
        init_distributed("cuda:7", env={})


def test_slurm_node_list() -> None:
    assert first_slurm_host("gpu[07-08,11],cpu1") == "gpu07"
    assert first_slurm_host("node5,node6") == "node5"
    assert first_slurm_host("a-b[3]") == "a-b3"


def test_backend_rule_keeps_cpu_tensors_out_of_nccl() -> None:
    assert backend_for("cuda:3") == "cpu:gloo,cuda:nccl"
    assert backend_for("cpu") == "gloo"
    assert backend_devices("nccl") == {"cuda"}
    assert backend_devices("cpu:gloo,cuda:nccl") == {"cpu", "cuda"}
    # Where a collective's tensors go: never the CPU under an NCCL-only group.
    assert collective_device("nccl", "cuda:3") == "cuda:3"
    assert collective_device("cpu:gloo,cuda:nccl", "cuda:3") == "cpu"
    assert collective_device("gloo", "cpu") == "cpu"


@pytest.mark.data
@pytest.mark.slow
def test_srun_style_launch_trains_two_ranks(ptbxl_cache: Path, tmp_path: Path) -> None:
    """Two plain python processes with srun's variables only form one 2-rank run."""
    out = tmp_path / "srun"
    job = str(random.randrange(1, 10**6))
    cmd = procs.one(procs.pretrain_args(ptbxl_cache, out, 2, "--device", "cpu"))
    ps = [procs.start(cmd, **_srun(r, 2, r, SLURM_JOB_ID=job, SLURM_JOB_NODELIST="localhost"))
          for r in (0, 1)]  # fmt: skip
    results = [p.communicate(timeout=240) for p in ps]
    for p, (_, err) in zip(ps, results, strict=True):
        assert p.returncode == 0, err[-3000:]
    assert '{"steps"' in results[0][0] and '{"steps"' not in results[1][0]  # rank 0 reports
    assert "INFO" in results[0][1] and "INFO" not in results[1][1]  # and logs progress
    ckpt = procs.latest(out)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    assert state["step"] == 2 and state["world_size"] == 2
    assert state["settings"]["world_size"] == 2
    assert {"rng/cpu/0", "rng/cpu/1"} <= load_file(str(ckpt / "state.safetensors")).keys()
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2


def test_srun_rendezvous_port_is_not_derived_from_the_job_id(tmp_path: Path) -> None:
    """Issue 27: ``20000 + JOB_ID % 20000`` gave jobs 7 and 20007 one port on one node."""
    from merl_core.train.distributed import rendezvous_from_slurm

    ports = []
    for job in ("7", "20007"):
        rank0 = {"SLURM_JOB_ID": job, "SLURM_STEP_ID": "0", "SLURM_JOB_NODELIST": "n1"}
        rendezvous_from_slurm(rank0, 0, tmp_path)
        rank1 = {k: v for k, v in rank0.items() if not k.startswith("MASTER_")}
        rendezvous_from_slurm(rank1, 1, tmp_path)  # reads what rank 0 published
        assert rank1["MASTER_PORT"] == rank0["MASTER_PORT"] and rank1["MASTER_ADDR"] == "n1"
        ports.append(rank0["MASTER_PORT"])
    assert ports[0] != ports[1]
    reserved = {"SLURM_JOB_ID": "7", "SLURM_STEP_RESV_PORTS": "12001-12003",
                "SLURM_JOB_NODELIST": "n1"}  # fmt: skip
    rendezvous_from_slurm(reserved, 1, None)  # srun --resv-ports: the launcher's port
    assert reserved["MASTER_PORT"] == "12001"
    with pytest.raises(LaunchError, match="MASTER_PORT"):
        rendezvous_from_slurm({"SLURM_JOB_ID": "7", "SLURM_JOB_NODELIST": "n1"}, 0, None)
