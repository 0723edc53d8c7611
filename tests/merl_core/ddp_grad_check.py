"""Run one MERL loss + backward on fixed real pairs, alone or under torchrun (gloo).

Writes the (DDP-averaged) gradients and the global loss of each gather mode to a
safetensors file from rank 0. Used by test_ddp.py: 2 processes × B pairs must give the same
loss and gradients as 1 process × 2B pairs.
"""

from __future__ import annotations

import argparse

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from merl_core.data.cache import ECGCache
from merl_core.models import create_model
from merl_core.train.distributed import cleanup_distributed, init_distributed
from merl_core.train.loss import MERLLoss

TINY = {"width": 64, "depth": 1, "heads": 1, "mlp_dim": 128}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--global-batch", type=int, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    info = init_distributed("cpu")
    torch.manual_seed(0)
    model = create_model("vit1d-tiny", **TINY).eval()  # eval: no dropout, BN running stats
    ddp = model
    if info.world_size > 1:
        ddp = torch.nn.parallel.DistributedDataParallel(model)
    cache = ECGCache(args.cache)
    b = args.global_batch // info.world_size
    rows = list(range(info.rank * b, (info.rank + 1) * b))
    ecg = torch.from_numpy(cache.batch(rows))
    tokens = model.tokenize([cache.reports[i] for i in rows])
    result: dict[str, torch.Tensor] = {}
    for mode in ("grad", "nograd"):
        model.zero_grad(set_to_none=True)
        loss = MERLLoss(mode)(ddp(ecg, tokens))["loss"]
        loss.backward()
        total = loss.detach().clone()
        if info.world_size > 1:
            dist.all_reduce(total)
            total /= info.world_size
        result[f"{mode}/loss"] = total.reshape(1)
        for name, p in model.named_parameters():
            if p.grad is not None:
                result[f"{mode}/{name}"] = p.grad.detach().clone().contiguous()
    if info.rank == 0:
        save_file(result, args.out)
    cleanup_distributed()


if __name__ == "__main__":
    main()
