"""What the example says about its training, for the chapters that speak of it (0 and 14)."""
from __future__ import annotations


def trained(example) -> bool:
    """Whether the example's weights were trained: it has a training run and the record of its first step
    (an example made with --untrained has neither, and its weights are the random initial ones)."""
    return example.training is not None and example.has("train.0.loss")
