"""Multi-process data-parallel training (``torchrun``), with expert-aware gradient averaging.

Each rank trains on its own batches; after the backward pass the gradients are
averaged over ranks.  An expert that won nowhere in the *global* batch keeps
``grad is None`` on every rank, so Adam skips it exactly as in one process
(plain DDP would hand it zeros and let Adam's momentum move it).  Rank 0 decides
when to stop and what the validation loss is, and alone logs and checkpoints.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as tdist


class Distributed:
    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world > 1 and not tdist.is_initialized():
            tdist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        self.device = device

    @property
    def main(self) -> bool:
        return self.rank == 0

    def average_gradients(self, params) -> None:
        if self.world == 1:
            return
        params = list(params)
        has = torch.tensor([p.grad is not None for p in params], dtype=torch.float32,
                           device=self.device)
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                          for p in params])
        tdist.all_reduce(has)
        tdist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for p, used in zip(params, has.tolist(), strict=True):
            n = p.numel()
            p.grad = flat[offset:offset + n].view_as(p).clone() if used else None
            offset += n

    def from_main(self, value: float) -> float:
        """Rank 0's value on every rank."""
        if self.world == 1:
            return value
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        tdist.broadcast(t, 0)
        return float(t.item())

    def any(self, flag: bool) -> bool:
        if self.world == 1:
            return flag
        t = torch.tensor([float(flag)], device=self.device)
        tdist.all_reduce(t, op=tdist.ReduceOp.MAX)
        return bool(t.item())

    def in_sync(self, params) -> bool:
        """Whether every rank holds the same parameters (checked by checksums)."""
        if self.world == 1:
            return True
        s = torch.stack([p.detach().double().sum() for p in params]).to(self.device)
        gathered = [torch.zeros_like(s) for _ in range(self.world)]
        tdist.all_gather(gathered, s)
        return all(torch.equal(gathered[0], g) for g in gathered[1:])

    def close(self) -> None:
        if self.world > 1 and tdist.is_initialized():
            tdist.barrier()  # no rank tears gloo down while another still talks to it
            tdist.destroy_process_group()
