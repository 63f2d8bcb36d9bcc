"""The seed CRNN: log-mel -> 3 conv blocks -> BiGRU -> dense -> 8 onset (+ 8 velocity) outputs.

Plain ``nn.Module``\\ s, handed to the LightningModule (training) and to the exporter.
"""

from __future__ import annotations

import torch
from torch import nn

from drumscribe_training.config import Config, ModelConfig
from drumscribe_training.network.frontend import LogMelFrontend

__all__ = ["CRNN", "DrumTranscriber", "ExportWrapper", "build_model"]


class ConvBlock(nn.Module):
    """Conv2d 3x3 -> BatchNorm -> ReLU -> MaxPool over frequency only -> Dropout."""

    def __init__(self, c_in: int, c_out: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=(2, 1)),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out


class CRNN(nn.Module):
    """CRNN body on log-mel.

    Input (batch, 1, n_mels, frames) -> logits (batch, frames, n_classes) for onsets and,
    with ``velocity_head``, for velocities.
    """

    def __init__(self, cfg: ModelConfig, *, n_mels: int) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm2d(1)
        blocks = []
        c_in = 1
        freq = n_mels
        for c_out in cfg.conv_filters:
            blocks.append(ConvBlock(c_in, c_out, cfg.conv_dropout))
            c_in = c_out
            freq //= 2
        self.conv = nn.Sequential(*blocks)
        self.gru = nn.GRU(
            input_size=c_in * freq,
            hidden_size=cfg.hidden_size,
            num_layers=cfg.num_gru_layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.gru_dropout if cfg.num_gru_layers > 1 else 0.0,
        )
        self.dense = nn.Sequential(
            nn.Linear(2 * cfg.hidden_size, cfg.dense_size),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dense_dropout),
        )
        self.onset_out = nn.Linear(cfg.dense_size, cfg.n_classes)
        self.velocity_out = nn.Linear(cfg.dense_size, cfg.n_classes) if cfg.velocity_head else None

    def forward(self, logmel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.conv(self.input_norm(logmel))  # (B, C, F', T)
        b, c, f, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(b, t, c * f)
        x, _ = self.gru(x)
        x = self.dense(x)
        onset = self.onset_out(x)
        velocity = self.velocity_out(x) if self.velocity_out is not None else None
        return onset, velocity


class DrumTranscriber(nn.Module):
    """Front-end + CRNN: raw audio (batch, samples) -> logits (batch, frames, 8)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.frontend = LogMelFrontend(cfg.audio, cfg.frontend)
        self.body = CRNN(cfg.model, n_mels=cfg.frontend.n_mels)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out: tuple[torch.Tensor, torch.Tensor | None] = self.body(self.frontend(audio))
        return out


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
