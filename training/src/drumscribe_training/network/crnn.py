"""The seed CRNN: log-mel -> 3 conv blocks -> BiGRU -> dense -> 8 onset (+ 8 velocity) outputs.

Plain ``nn.Module``\\ s, handed to the LightningModule (training) and to the exporter.

``model.kind: causal`` builds the live variant from the same pieces: a causal front-end
(:class:`~drumscribe_training.network.frontend.LogMelFrontend` with ``causal=True``), conv
blocks padded on the left in time only, a unidirectional GRU, and the output delayed by
``model.lookahead_frames``: the prediction for frame ``t`` is the network's output after
frame ``t + lookahead_frames``, so it reads no audio later than
``(t + 1 + lookahead_frames) * hop``. ``network/live.py`` runs it one hop at a time.
"""

from __future__ import annotations

import torch
from torch import nn

from drumscribe_training.config import Config, ModelConfig
from drumscribe_training.network.frontend import LogMelFrontend

__all__ = ["CAUSAL_KINDS", "CONV_KERNEL", "CRNN", "DrumTranscriber", "ExportWrapper", "build_model"]

#: Conv kernel size over (frequency, time); a causal block keeps ``CONV_KERNEL - 1`` past frames.
CONV_KERNEL = 3
#: ``model.kind`` values whose network is causal (the live model).
CAUSAL_KINDS = frozenset({"causal"})


class ConvBlock(nn.Module):
    """Conv2d 3x3 -> BatchNorm -> ReLU -> MaxPool over frequency only -> Dropout.

    Parameters
    ----------
    causal : bool
        Pad time on the left only (``CONV_KERNEL - 1`` frames), so output frame ``t``
        reads input frames ``t - 2 .. t``; otherwise one frame each side.
    """

    def __init__(self, c_in: int, c_out: int, dropout: float, *, causal: bool = False) -> None:
        super().__init__()
        self.causal = causal
        half = CONV_KERNEL // 2
        self.net = nn.Sequential(
            nn.Conv2d(
                c_in, c_out, kernel_size=CONV_KERNEL, padding=(half, 0) if causal else half, bias=False
            ),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=(2, 1)),
            nn.Dropout(dropout),
        )

    @property
    def history(self) -> int:
        """Past input frames a causal block reads beside the current one."""
        return CONV_KERNEL - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.causal:
            x = nn.functional.pad(x, (self.history, 0))
        out: torch.Tensor = self.net(x)
        return out


class CRNN(nn.Module):
    """CRNN body on log-mel.

    Input (batch, 1, n_mels, frames) -> logits (batch, frames, n_classes) for onsets and,
    with ``velocity_head``, for velocities. With ``causal`` the conv blocks pad time on the
    left only and the GRU runs forward only: output frame ``t`` reads input frames ``<= t``.
    """

    def __init__(self, cfg: ModelConfig, *, n_mels: int, causal: bool = False) -> None:
        super().__init__()
        self.causal = causal
        self.input_norm = nn.BatchNorm2d(1)
        blocks = []
        c_in = 1
        freq = n_mels
        for c_out in cfg.conv_filters:
            blocks.append(ConvBlock(c_in, c_out, cfg.conv_dropout, causal=causal))
            c_in = c_out
            freq //= 2
        self.conv = nn.Sequential(*blocks)
        directions = 1 if causal else 2
        self.gru = nn.GRU(
            input_size=c_in * freq,
            hidden_size=cfg.hidden_size,
            num_layers=cfg.num_gru_layers,
            batch_first=True,
            bidirectional=not causal,
            dropout=cfg.gru_dropout if cfg.num_gru_layers > 1 else 0.0,
        )
        self.dense = nn.Sequential(
            nn.Linear(directions * cfg.hidden_size, cfg.dense_size),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dense_dropout),
        )
        self.onset_out = nn.Linear(cfg.dense_size, cfg.n_classes)
        self.velocity_out = nn.Linear(cfg.dense_size, cfg.n_classes) if cfg.velocity_head else None

    def forward(self, logmel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.conv(self.input_norm(logmel))  # (B, C, F', T)
        return self.head(self.gru(self.to_sequence(x))[0])

    @property
    def conv_blocks(self) -> list[ConvBlock]:
        """The conv blocks, typed, in order."""
        return [b for b in self.conv if isinstance(b, ConvBlock)]

    @property
    def conv_channels(self) -> list[int]:
        """Output channels of each conv block."""
        return [int(b.net[0].out_channels) for b in self.conv_blocks if isinstance(b.net[0], nn.Conv2d)]

    @staticmethod
    def to_sequence(x: torch.Tensor) -> torch.Tensor:
        """Conv output (batch, channels, freq, frames) -> GRU input (batch, frames, channels * freq)."""
        b, c, f, t = x.shape
        return x.permute(0, 3, 1, 2).reshape(b, t, c * f)

    def head(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """GRU output (batch, frames, directions * hidden) -> onset and velocity logits."""
        x = self.dense(x)
        onset = self.onset_out(x)
        velocity = self.velocity_out(x) if self.velocity_out is not None else None
        return onset, velocity


class DrumTranscriber(nn.Module):
    """Front-end + CRNN: raw audio (batch, samples) -> logits (batch, frames, 8).

    Frames are ``samples // hop + 1`` for both kinds; frame ``t`` is at ``t * hop`` samples.

    Attributes
    ----------
    causal : bool
        ``model.kind`` is causal (the live model).
    lookahead_frames : int
        Frames the causal model reads past the frame it predicts (0 offline).
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.causal = cfg.model.kind in CAUSAL_KINDS
        self.lookahead_frames = cfg.model.lookahead_frames if self.causal else 0
        self.frontend = LogMelFrontend(cfg.audio, cfg.frontend, causal=self.causal)
        self.body = CRNN(cfg.model, n_mels=cfg.frontend.n_mels, causal=self.causal)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self.causal:
            out: tuple[torch.Tensor, torch.Tensor | None] = self.body(self.frontend(audio))
            return out
        look = self.lookahead_frames
        onset, velocity = self.body(self.frontend(audio, extra_frames=look))
        # the output after frame t + look is the prediction for frame t
        return onset[:, look:], (velocity[:, look:] if velocity is not None else None)


class ExportWrapper(nn.Module):
    """The ONNX contract: ``audio`` -> ``onsets`` (+ ``velocities``) as probabilities."""

    def __init__(self, model: DrumTranscriber) -> None:
        super().__init__()
        self.model = model

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, ...]:
        onset, velocity = self.model(audio)
        if velocity is None:
            return (torch.sigmoid(onset),)
        return torch.sigmoid(onset), torch.sigmoid(velocity)


def build_model(cfg: Config) -> DrumTranscriber:
    """The network a config describes."""
    return DrumTranscriber(cfg)
