"""Small helpers shared by several test files."""

import torch


def random_linear_grads(outputs, inputs, seed=0):
    """Gradients of a random linear function of ``outputs`` with respect to ``inputs``."""
    g = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=g, dtype=o.dtype)).sum() for o in outputs)
    return torch.autograd.grad(loss, inputs)
