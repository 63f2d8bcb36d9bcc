"""A small offline CRNN for export tests: the default network's shape at a few percent of its size."""

from __future__ import annotations

import torch

from drumscribe_training.config import Config, load_config
from drumscribe_training.network.crnn import build_model

#: Config overrides that shrink the default network (convs, GRU, dense, mel bands).
SMALL = {
    "model": {"conv_filters": [8, 16, 16], "hidden_size": 24, "num_gru_layers": 2, "dense_size": 32},
    "frontend": {"n_mels": 64},
}


def small_config(**model: object) -> Config:
    """The default config with :data:`SMALL` applied (``model`` keys override it further)."""
    return load_config(overrides={**SMALL, "model": {**SMALL["model"], **model}})


def small_network(cfg: Config, seed: int) -> torch.nn.Module:
    """A randomly initialised network of ``cfg`` in eval mode, its input centred so that random
    weights give peaky activations, some above 0.5."""
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    with torch.no_grad():
        model.body.input_norm.running_mean.fill_(-6.0)
        model.body.input_norm.running_var.fill_(9.0)
    return model
