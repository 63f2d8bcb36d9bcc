"""Parity between torch eager and onnxruntime for an exported model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import drumscribe
from drumscribe.peaks import pick_peaks
from drumscribe_training.network.crnn import DrumTranscriber, ExportWrapper

__all__ = ["ParityCase", "ParityReport", "check_parity", "parity_signals"]

#: Default tolerance between torch and onnxruntime outputs.
ATOL = 1e-4


@dataclass(frozen=True)
class ParityCase:
    name: str
    max_abs_diff: float
    hits_equal: bool
    frames: int


@dataclass(frozen=True)
class ParityReport:
    cases: tuple[ParityCase, ...]
    atol: float

    @property
    def ok(self) -> bool:
        return all(c.max_abs_diff <= self.atol and c.hits_equal for c in self.cases)

    def table(self) -> str:
        rows = ["| signal | frames | max abs diff | hits equal |", "|---|---|---|---|"]
        rows += [f"| {c.name} | {c.frames} | {c.max_abs_diff:.2e} | {c.hits_equal} |" for c in self.cases]
        return "\n".join(rows)


def parity_signals(sample_rate: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Test signals (batch, samples) float32: drums, silence, noise, clipping, short, odd lengths, batch 3."""
    rng = np.random.default_rng(seed)
    n = 3 * sample_rate + 37  # not a multiple of any hop
    t = np.arange(n) / sample_rate
    drums = np.zeros(n, dtype=np.float32)
    decay_len = int(0.2 * sample_rate)
    env = np.exp(-np.arange(decay_len) / (0.04 * sample_rate))
    for onset in np.arange(0.1, 2.9, 0.25):
        i = int(onset * sample_rate)
        seg = env[: n - i] * (
            np.sin(2 * np.pi * 60 * t[: len(env[: n - i])]) + 0.5 * rng.standard_normal(len(env[: n - i]))
        )
        drums[i : i + len(seg)] += seg.astype(np.float32)
    drums /= np.abs(drums).max()
    return {
        "drums": drums[None],
        "silence": np.zeros((1, sample_rate), dtype=np.float32),
        "white noise": (0.3 * rng.standard_normal((1, sample_rate + 11))).astype(np.float32),
        "clipped": np.clip(4.0 * drums, -1, 1)[None].astype(np.float32),
        "one sample": np.array([[0.5]], dtype=np.float32),
        "short 0.05 s": drums[None, : int(0.05 * sample_rate)],
        "odd length": drums[None, : sample_rate + 123],
        "batch of 3": np.stack([drums, 0.5 * drums, np.roll(drums, 999)]).astype(np.float32),
    }


def check_parity(
    model: DrumTranscriber,
    onnx_path: str | Path,
    *,
    atol: float = ATOL,
    threshold: float = 0.5,
    min_interval_s: float = 0.03,
) -> ParityReport:
    """Compare torch eager and onnxruntime outputs (and the hits picked from them)."""
    wrapper = ExportWrapper(model.eval()).eval()
    onnx_model = drumscribe.load_model(onnx_path, cache=False)
    sr = onnx_model.spec.sample_rate
    fps = onnx_model.spec.frame_rate
    cases = []
    for name, x in parity_signals(sr).items():
        with torch.no_grad():
            ref = [o.numpy() for o in wrapper(torch.from_numpy(x))]
        onsets, vels = onnx_model.run(x)
        diff = float(np.abs(onsets - ref[0]).max())
        if vels is not None and len(ref) > 1:
            diff = max(diff, float(np.abs(vels - ref[1]).max()))
        equal = True
        # Peaks are compared on activations rounded to the tolerance: on a flat signal
        # (silence through random weights) float noise of 1e-7 would otherwise decide
        # which frame of a plateau is a "peak".
        decimals = max(0, round(-np.log10(atol)))
        for b in range(x.shape[0]):
            a_ref = np.round(ref[0][b], decimals)
            a_onnx = np.round(onsets[b], decimals)
            h_ref = pick_peaks(a_ref, frame_rate=fps, threshold=threshold, min_interval_s=min_interval_s)
            h_onnx = pick_peaks(a_onnx, frame_rate=fps, threshold=threshold, min_interval_s=min_interval_s)
            same = len(h_ref) == len(h_onnx) and all(
                a.drum == c.drum and abs(a.time_s - c.time_s) < 1e-3 and abs(a.velocity - c.velocity) <= 1
                for a, c in zip(h_ref, h_onnx, strict=True)
            )
            equal = equal and same
        cases.append(ParityCase(name=name, max_abs_diff=diff, hits_equal=equal, frames=int(onsets.shape[1])))
    return ParityReport(cases=tuple(cases), atol=atol)
