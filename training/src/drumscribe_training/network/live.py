"""The causal network run a few hops at a time, with its state as explicit tensors.

:class:`LiveStep` wraps a causal :class:`~drumscribe_training.network.crnn.DrumTranscriber`
(``model.kind: causal``) as the live ONNX graph: ``audio`` (1, hops * hop) and the state
tensors in, ``onsets`` (1, hops, 8) (+ ``velocities``) and the new state out. The state is

* ``state_audio`` (1, win_length - hop): the last samples the front-end's next window reads;
* ``state_conv<i>`` (1, channels, freq, CONV_KERNEL - 1): the past input frames of conv block ``i``;
* ``state_gru`` (layers, 1, hidden): the GRU's hidden state.

All start at zero, which is exactly the whole-signal model's zero padding, so calling the step
hop by hop from zero state on ``audio`` followed by ``lookahead_frames + 1`` hops of zeros
(after padding ``audio`` to whole hops) gives the whole-signal model's output, delayed by
``lookahead_frames`` frames: the step's ``k``-th output frame is the prediction for frame
``k - lookahead_frames`` (tests/training/test_live_network.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from drumscribe.contract import LIVE_STATE_OUTPUT_SUFFIX, PEAK_RULE_CONFIRM_FRAMES
from drumscribe.peaks import check_peak_rule
from drumscribe_training.network.crnn import DrumTranscriber

__all__ = ["LiveStep", "StateSpec", "live_latency", "state_specs"]


@dataclass(frozen=True)
class StateSpec:
    """One state tensor of the live graph: its input name, output name and shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def output(self) -> str:
        """The output that carries the state to the next call."""
        return self.name + LIVE_STATE_OUTPUT_SUFFIX


def state_specs(model: DrumTranscriber) -> list[StateSpec]:
    """The state tensors of ``model``'s live graph, in input order (batch 1)."""
    if not model.causal:
        raise ValueError("a live step needs a causal model (model.kind: causal)")
    specs = [StateSpec("state_audio", (1, model.frontend.history))]
    channels, freq = 1, int(model.frontend.mel.shape[0])
    blocks = model.body.conv_blocks
    for i, (block, out_channels) in enumerate(zip(blocks, model.body.conv_channels, strict=True)):
        specs.append(StateSpec(f"state_conv{i}", (1, channels, freq, block.history)))
        channels, freq = out_channels, freq // 2
    gru = model.body.gru
    specs.append(StateSpec("state_gru", (gru.num_layers, 1, gru.hidden_size)))
    return specs


def live_latency(model: DrumTranscriber, *, sample_rate: int, peak_rule: str) -> dict[str, float]:
    """The live model's declared latencies, seconds.

    ``latency_s`` is the longest time from a hit's frame time to the last sample needed to
    emit it: the frame's window reaches one hop past its time, the network reads
    ``lookahead_frames`` more, and the peak picker reads the frames its rule needs after the
    hit's (:data:`~drumscribe.contract.PEAK_RULE_CONFIRM_FRAMES`: one for ``peak``, none for
    ``rise``).
    """
    hop = model.frontend.hop
    look = model.lookahead_frames
    confirm = PEAK_RULE_CONFIRM_FRAMES[check_peak_rule(peak_rule)]
    return {
        "latency_s": (1 + look + confirm) * hop / sample_rate,
        "window_s": model.frontend.win_length / sample_rate,
        "lookahead_s": look * hop / sample_rate,
        "frame_reach_s": hop / sample_rate,
        "peak_confirm_s": confirm * hop / sample_rate,
    }


class LiveStep(nn.Module):
    """One call of the live graph: ``(audio, *states) -> (onsets, [velocities,] *new_states)``.

    Parameters
    ----------
    model : DrumTranscriber
        A causal model, in eval mode.
    """

    def __init__(self, model: DrumTranscriber) -> None:
        super().__init__()
        self.specs = state_specs(model)
        self.model = model

    def initial_state(self) -> list[torch.Tensor]:
        """Zero state tensors, one per :func:`state_specs` entry."""
        return [torch.zeros(spec.shape) for spec in self.specs]

    def forward(self, audio: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Run ``hops`` hops.

        Parameters
        ----------
        audio : torch.Tensor
            Shape (1, hops * hop), float32 at the model rate.
        *states : torch.Tensor
            The state tensors, shapes from :func:`state_specs`.

        Returns
        -------
        tuple of torch.Tensor
            ``onsets`` (1, hops, 8) probabilities, ``velocities`` (1, hops, 8) when the model
            has a velocity head, then the new states in input order.
        """
        frontend, body = self.model.frontend, self.model.body
        s_audio, *s_conv, s_gru = states
        x = torch.cat([s_audio, audio], dim=1)
        new_states = [x[:, -frontend.history :]]
        y = body.input_norm(frontend.logmel(x.unsqueeze(1)))  # (1, 1, mels, hops)
        for block, state in zip(body.conv_blocks, s_conv, strict=True):
            y = torch.cat([state, y], dim=3)
            new_states.append(y[..., -block.history :])
            y = block.net(y)
        seq, h = body.gru(body.to_sequence(y), s_gru)
        new_states.append(h)
        onset, velocity = body.head(seq)
        probs = [torch.sigmoid(onset)] + ([torch.sigmoid(velocity)] if velocity is not None else [])
        return (*probs, *new_states)
