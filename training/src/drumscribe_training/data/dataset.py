"""Torch datasets over preprocessed HDF5 shards: random training crops, fixed eval crops.

Each dataset indexes its split in the main process (offsets and the times of rare-lane
hits only) and opens the shard files lazily, once per process: the first item a
DataLoader worker loads opens the files it needs and keeps them open; a process that
inherited open handles through ``fork`` reopens its own.

Items are dicts of tensors (see :class:`~drumscribe_training.data.datamodule.EGMDDataModule`
for the batch format): ``audio`` float32 ``(N,)``, ``onsets`` and ``velocities`` float32
``(F, 8)`` with ``N = round(crop_s * sample_rate)`` and ``F = N // hop_length + 1``.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from drumscribe.contract import LANE_NAMES
from drumscribe.errors import DrumscribeError
from drumscribe_training.data.band_mix import BandMixer, MixParams, mix_at_level
from drumscribe_training.data.preprocess import READABLE_FORMATS, shard_paths
from drumscribe_training.data.targets import frame_count, make_targets
from drumscribe_training.synth.dsp import fit_length
from drumscribe_training.synth.variation import PieceVariation

__all__ = [
    "RARE_LANES",
    "CropDataset",
    "DataError",
    "FixedCropDataset",
    "ShardIndex",
    "TargetSpec",
]

#: Lanes that rare-lane oversampling favours.
RARE_LANES: tuple[str, ...] = ("hi_tom", "mid_tom", "low_tom", "crash", "ride")
#: int16 -> float scale.
INT16_SCALE = 32768.0
#: HDF5 chunk cache per open shard (bytes); small, since reads are random crops.
CHUNK_CACHE_BYTES = 1 << 18
#: Split of the crops rendered on the fly: its kits, grooves and band sources, never a
#: held-out split's.
RENDER_SPLIT = "train"

#: A crop's labels: onset times (s), lanes, velocities.
_Labels = tuple[np.ndarray, np.ndarray, np.ndarray]
#: What a training crop holds after band mixing: its drums alone, drums and band, or the band alone.
_Heard = Literal["drums", "mix", "band"]


class DataError(DrumscribeError):
    """Missing or unusable preprocessed data; the message names the path."""


@dataclass(frozen=True)
class TargetSpec:
    """How audio crops and frame targets are shaped."""

    sample_rate: int
    hop_length: int
    widening: int = 0
    widening_value: float = 0.5

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length


class ShardIndex:
    """Where every example of one split lives in its shards.

    Attributes
    ----------
    paths : tuple of Path
        Shard files of the split.
    shard, audio_start, audio_length, event_start, event_count : (n,) int64 arrays
        Per example: its shard and its offsets in that shard's ``/audio`` and ``/events``.
    band_start, band_length : (n,) int64 arrays
        Offsets of its band part in ``/band`` (length 0: none, as in shards of format 1).
    rare_times : list of (k,) float64 arrays
        Per example, times (s) of its hits on :data:`RARE_LANES`.
    lane_hits : (n, 8) int64
        Hits per lane per example.
    audio_filename : tuple of str
        Source file of each example (relative to the E-GMD root).
    sample_rate : int
    """

    def __init__(self, paths: Sequence[Path], *, sample_rate: int) -> None:
        import h5py

        self.paths = tuple(Path(p) for p in paths)
        self.sample_rate = sample_rate
        rare_ids = np.array([LANE_NAMES.index(n) for n in RARE_LANES], dtype=np.int8)
        cols: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "shard",
                "audio_start",
                "audio_length",
                "event_start",
                "event_count",
                "band_start",
                "band_length",
            )
        }
        hits: list[np.ndarray] = []
        names: list[str] = []
        self.rare_times: list[np.ndarray] = []
        for k, path in enumerate(self.paths):
            try:
                with h5py.File(path, "r", locking=False) as f:
                    _check_shard(f, path, sample_rate)
                    ex = f["examples"]
                    n = int(f.attrs["num_examples"])
                    starts = ex["event_start"][:].astype(np.int64)
                    counts = ex["event_count"][:].astype(np.int64)
                    cols["shard"].append(np.full(n, k, dtype=np.int64))
                    cols["audio_start"].append(ex["audio_start"][:].astype(np.int64))
                    cols["audio_length"].append(ex["audio_length"][:].astype(np.int64))
                    cols["event_start"].append(starts)
                    cols["event_count"].append(counts)
                    for key in ("band_start", "band_length"):
                        has = key in ex
                        cols[key].append(ex[key][:].astype(np.int64) if has else np.zeros(n, dtype=np.int64))
                    hits.append(ex["lane_hits"][:].astype(np.int64).reshape(n, len(LANE_NAMES)))
                    names.extend(s.decode("utf-8") for s in ex["audio_filename"][:])
                    events = f["events"][:]
            except OSError as exc:
                raise DataError(f"{path}: cannot read shard ({exc})") from None
            rare = np.isin(events["lane"], rare_ids)
            for s, c in zip(starts, counts, strict=True):
                sel = rare[s : s + c]
                self.rare_times.append(events["time_s"][s : s + c][sel].astype(np.float64))

        def cat(key: str) -> np.ndarray:
            return np.concatenate(cols[key]) if cols[key] else np.zeros(0, dtype=np.int64)

        self.shard = cat("shard")
        self.audio_start = cat("audio_start")
        self.audio_length = cat("audio_length")
        self.event_start = cat("event_start")
        self.event_count = cat("event_count")
        self.band_start = cat("band_start")
        self.band_length = cat("band_length")
        self.audio_filename: tuple[str, ...] = tuple(names)
        self.lane_hits = np.concatenate(hits) if hits else np.zeros((0, len(LANE_NAMES)), dtype=np.int64)

    @classmethod
    def for_split(cls, processed_dir: str | Path, split: str, *, sample_rate: int) -> ShardIndex:
        """Index the ``{split}_*.h5`` shards of ``processed_dir``.

        Raises
        ------
        DataError
            If there is no shard for the split.
        """
        folder = Path(processed_dir)
        paths = shard_paths(folder, split)
        if not paths:
            raise DataError(
                f"{folder}: no {split}_*.h5 shards; run `drumscribe-train preprocess --out {folder}` first"
            )
        return cls(paths, sample_rate=sample_rate)

    def __len__(self) -> int:
        return int(self.shard.shape[0])

    @property
    def band_share(self) -> float:
        """Share of the examples that have a band part."""
        return float(np.mean(self.band_length > 0)) if len(self) else 0.0

    @property
    def hours(self) -> float:
        return float(self.audio_length.sum()) / self.sample_rate / 3600.0


def _check_shard(f: Any, path: Path, sample_rate: int) -> None:
    if not f.attrs.get("complete", False):
        raise DataError(f"{path}: shard is incomplete")
    version = int(f.attrs.get("format_version", -1))
    if version not in READABLE_FORMATS:
        raise DataError(
            f"{path}: shard format {version}, expected one of {list(READABLE_FORMATS)}; rerun preprocess"
        )
    sr = int(f.attrs["sample_rate"])
    if sr != sample_rate:
        raise DataError(
            f"{path}: shard audio is at {sr} Hz but the config's audio.sample_rate is "
            f"{sample_rate}; rerun preprocess with this config"
        )
    names = tuple(json.loads(f.attrs["lane_names"]))
    if names != LANE_NAMES:
        raise DataError(f"{path}: shard lanes {names} differ from {LANE_NAMES}")


class _ShardReader:
    """Per-process handles on the shards of one index (opened lazily, reopened after fork)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = tuple(paths)
        self._files: dict[int, Any] = {}
        self._pid = -1

    def __getstate__(self) -> dict[str, Any]:
        return {"paths": self.paths, "_files": {}, "_pid": -1}

    def file(self, k: int) -> Any:
        import h5py

        if self._pid != os.getpid():
            self._files = {}  # handles inherited through fork are not ours to use
            self._pid = os.getpid()
        f = self._files.get(k)
        if f is None:
            f = h5py.File(self.paths[k], "r", locking=False, rdcc_nbytes=CHUNK_CACHE_BYTES)
            self._files[k] = f
        return f

    @property
    def open_count(self) -> int:
        return len(self._files) if self._pid == os.getpid() else 0

    def read(self, index: ShardIndex, i: int, start: int, length: int) -> tuple[np.ndarray, np.ndarray]:
        """``length`` samples of example ``i`` from ``start`` (zero-padded past its end) as
        float32, and the example's events with times relative to ``start``."""
        f = self.file(int(index.shard[i]))
        a0 = int(index.audio_start[i])
        n = int(index.audio_length[i])
        lo = min(max(start, 0), n)
        hi = min(max(start + length, 0), n)
        out = np.zeros(length, dtype=np.float32)
        if hi > lo:
            chunk = f["audio"][a0 + lo : a0 + hi]
            out[lo - start : hi - start] = chunk.astype(np.float32) / INT16_SCALE
        e0, ec = int(index.event_start[i]), int(index.event_count[i])
        events = f["events"][e0 : e0 + ec] if ec else np.zeros(0, dtype=f["events"].dtype)
        return out, events

    def read_band(self, index: ShardIndex, i: int, start: int, length: int) -> np.ndarray | None:
        """The same span of example ``i``'s band part as float32, or None when it has none."""
        n = int(index.band_length[i])
        if n == 0:
            return None
        f = self.file(int(index.shard[i]))
        b0 = int(index.band_start[i])
        lo = min(max(start, 0), n)
        hi = min(max(start + length, 0), n)
        out = np.zeros(length, dtype=np.float32)
        if hi > lo:
            out[lo - start : hi - start] = f["band"][b0 + lo : b0 + hi].astype(np.float32) / INT16_SCALE
        return out


def _targets(
    times_s: np.ndarray, lanes: np.ndarray, velocities: np.ndarray, n_samples: int, spec: TargetSpec
) -> tuple[np.ndarray, np.ndarray]:
    return make_targets(
        times_s,
        lanes,
        velocities,
        n_frames=frame_count(n_samples, spec.hop_length),
        frame_rate=spec.frame_rate,
        widening=spec.widening,
        widening_value=spec.widening_value,
    )


def _item(audio: np.ndarray, onsets: np.ndarray, velocities: np.ndarray) -> dict[str, torch.Tensor]:
    return {
        "audio": torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)),
        "onsets": torch.from_numpy(onsets),
        "velocities": torch.from_numpy(velocities),
    }


class CropDataset(Dataset[dict[str, torch.Tensor]]):
    """Random training crops.

    The split is cut into candidate windows every ``crop_s / 2`` seconds; item ``i`` is a
    crop of ``crop_s`` starting at a random point of window ``i`` (uniform within the stride),
    so each epoch sees different cuts. :attr:`weights` gives windows whose guaranteed span
    (the part every crop from the window covers) holds a rare-lane hit the weight
    ``rare_lane_oversampling`` and the others 1, for a weighted sampler.

    Parameters
    ----------
    index : ShardIndex
    crop_s : float
        Crop length in seconds.
    spec : TargetSpec
    rare_lane_oversampling : float
        Weight of windows holding a tom/crash/ride hit (1 = off).
    augmenter : object, optional
        Has ``sample(rng) -> params`` (params with ``stretch_rate``) and
        ``apply(audio, params) -> audio``; run in the loader workers. None = no augmentation.
    synth_fraction : float
        Probability that an item is rendered on the fly (``drumscribe_training.synth``).
    note_map : dict, optional
        Roland note -> lane name, for rendered clips (needed when ``synth_fraction > 0``).
    synth_kits : int
        Kits synthesised in code (``synthkit-000`` ..) added to the renderer's training
        kits (``data.synth_kits``).
    extra_kits : bool
        Also render through the train split's extra kits (``data.extra_kits``).
    piece_variation : PieceVariation, optional
        Re-voicing of lane groups in rendered clips (``data.piece_*``).
    band_mixer : BandMixer, optional
        Mixes a crop with its band part (``band_mix.*``), before augmentation; crops of
        examples without a band part stay drums alone. Rendered crops get a band part
        rendered with them when ``band_mix.on_the_fly`` (:meth:`ClipRenderer.render_band
        <drumscribe_training.synth.render.ClipRenderer.render_band>`: the clip's tempo,
        meter, style and length, the train split's band sources), mixed by the same draw;
        else they stay drums alone. A band part costs about 0.09 s of CPU per 4 s crop
        (mean, warm caches; 0.06 s for the tiny kit's drums) and about 1.5 GB per loader
        worker for the train SoundFonts (docs/DATA.md "Band parts").
        With ``band_mix.bank`` the crops the draw puts under a band are rendered from a
        band bank's grooves and take its band parts (decoded once, memory-mapped, shared by
        the workers; no SoundFont loaded).
    teacher_drums : bool
        Items also hold ``teacher_audio`` (crop_n,): the crop's drums alone, augmented as
        ``audio`` is (same draw), silence for a band-only crop; what a distillation teacher
        hears with ``distill.teacher_hears: drums``.
    seed : int
        Mixed with the worker's torch seed to seed each worker's numpy RNG.
    """

    def __init__(
        self,
        index: ShardIndex,
        *,
        crop_s: float,
        spec: TargetSpec,
        rare_lane_oversampling: float = 1.0,
        augmenter: Any = None,
        synth_fraction: float = 0.0,
        note_map: dict[int, str] | None = None,
        synth_kits: int = 0,
        extra_kits: bool = False,
        piece_variation: PieceVariation | None = None,
        band_mixer: BandMixer | None = None,
        teacher_drums: bool = False,
        seed: int = 0,
    ) -> None:
        if crop_s <= 0:
            raise ValueError(f"crop_s must be > 0, got {crop_s}")
        if not 0.0 <= synth_fraction <= 1.0:
            raise ValueError(f"on_the_fly_synth must be within [0, 1], got {synth_fraction}")
        if synth_kits < 0:
            raise ValueError(f"synth_kits must be >= 0, got {synth_kits}")
        self.index = index
        self.spec = spec
        self.crop_s = crop_s
        self.crop_n = round(crop_s * spec.sample_rate)
        self.stride_n = max(self.crop_n // 2, 1)
        self.augmenter = augmenter
        self.synth_fraction = synth_fraction
        self.note_map = dict(note_map or {})
        self.synth_kits = int(synth_kits)
        self.extra_kits = bool(extra_kits)
        self.piece_variation = piece_variation
        self.band_mixer = band_mixer
        self.teacher_drums = bool(teacher_drums)
        self.seed = seed
        if self.band_bank is not None and synth_fraction > 0:
            from drumscribe_training.synth.band.bank import BandBank

            BandBank.open(self.band_bank)  # unreadable: fail now, not in a worker; decodes it once
        elif self.band_on_the_fly and synth_fraction > 0:
            from drumscribe_training.synth.band import soundfonts_for_split

            soundfonts_for_split(RENDER_SPLIT)  # no train SoundFont installed: fail now, not in a worker
        self.reader = _ShardReader(index.paths)
        self.window_example, self.window_start, self.window_rare = _crop_windows(
            index, self.crop_n, self.stride_n, spec.sample_rate
        )
        self.weights = np.where(self.window_rare, float(rare_lane_oversampling), 1.0)
        self._rng: np.random.Generator | None = None
        self._rng_pid = -1
        self._renderer: Any = None

    def __len__(self) -> int:
        return int(self.window_example.shape[0])

    @property
    def band_on_the_fly(self) -> bool:
        """Whether rendered crops get a band part (``band_mix.on_the_fly``)."""
        return self.band_mixer is not None and bool(self.band_mixer.settings.on_the_fly)

    @property
    def band_bank(self) -> str | None:
        """The band bank rendered crops under a band are drawn from (``band_mix.bank``), if any."""
        return self.band_mixer.settings.bank if self.band_on_the_fly and self.band_mixer else None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_rng"] = None
        state["_rng_pid"] = -1
        state["_renderer"] = None
        return state

    def rng(self) -> np.random.Generator:
        """This process's generator, seeded from ``seed`` and torch's (per-worker) seed."""
        if self._rng is None or self._rng_pid != os.getpid():
            self._rng = np.random.default_rng([self.seed, torch.initial_seed() % (1 << 63)])
            self._rng_pid = os.getpid()
        return self._rng

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rng = self.rng()
        rendered = self.synth_fraction > 0 and rng.random() < self.synth_fraction
        params = self.augmenter.sample(rng) if self.augmenter is not None else None
        rate = float(params.stretch_rate) if params is not None else 1.0
        need = math.ceil(self.crop_n * rate)  # source samples that stretch to crop_n
        mix = None
        if rendered:
            if self.band_bank is not None:  # the draw decides whether the groove comes from the bank
                assert self.band_mixer is not None
                mix = self.band_mixer.sample(rng)
            audio, labels, band_of = self._rendered(rng, need, from_bank=mix is not None and mix.with_band)
        else:
            audio, labels, band_of = self._stored(rng, i, need)
        drums = audio
        heard: _Heard = "drums"  # what the crop holds (the teacher's input depends on it)
        if band_of is not None:
            audio, labels, heard = self._mix_band(rng, audio, labels, band_of, mix)
        times, lanes, velocities = labels
        if params is not None:
            audio = self.augmenter.apply(audio, params)
            times = times / rate
        audio = fit_length(audio, self.crop_n)
        onsets, vel = _targets(times, lanes, velocities, self.crop_n, self.spec)
        item = _item(audio, onsets, vel)
        if self.teacher_drums:
            item["teacher_audio"] = self._teacher_audio(item["audio"], drums, heard, params)
        return item

    def _teacher_audio(
        self, audio: torch.Tensor, drums: np.ndarray, heard: _Heard, params: Any
    ) -> torch.Tensor:
        """The crop's drums alone as the student's crop was made: its own audio when no band
        was mixed in, silence for the band alone, else the drums augmented by the same draw."""
        if heard == "drums":
            return audio
        if heard == "band":
            return torch.zeros(self.crop_n)
        if params is not None:
            drums = self.augmenter.apply(drums, params)
        return torch.from_numpy(fit_length(drums, self.crop_n).astype(np.float32))

    def _stored(
        self, rng: np.random.Generator, i: int, n_samples: int
    ) -> tuple[np.ndarray, _Labels, Callable[[], np.ndarray | None] | None]:
        """A crop of window ``i`` read from the shards: audio, labels, and what reads its band."""
        ex = int(self.window_example[i])
        n = int(self.index.audio_length[ex])
        start = int(self.window_start[i]) + int(rng.integers(0, self.stride_n))
        start = min(start, max(n - n_samples, 0))
        audio, events = self.reader.read(self.index, ex, start, n_samples)
        times = events["time_s"].astype(np.float64) - start / self.spec.sample_rate
        band_of = None
        if self.band_mixer is not None:
            band_of = functools.partial(self.reader.read_band, self.index, ex, start, n_samples)
        return audio, (times, events["lane"], events["velocity"]), band_of

    def _mix_band(
        self,
        rng: np.random.Generator,
        audio: np.ndarray,
        labels: _Labels,
        band_of: Callable[[], np.ndarray | None],
        mix: MixParams | None = None,
    ) -> tuple[np.ndarray, _Labels, _Heard]:
        """Mix a crop with its band part as the band mixer draws (read or rendered only
        when the draw wants a band; ``mix``: drawn already): the audio, its labels (none for a
        band-only crop) and what it holds: ``drums`` (no band mixed in), ``mix`` or ``band``
        (the band alone)."""
        assert self.band_mixer is not None
        if mix is None:
            mix = self.band_mixer.sample(rng)
        if not mix.with_band:
            return audio, labels, "drums"
        band = band_of()
        if band is None:
            return audio, labels, "drums"
        audio = self.band_mixer.apply(audio, band, mix)
        if mix.band_only:
            return audio, (labels[0][:0], labels[1][:0], labels[2][:0]), "band"
        return audio, labels, "mix"

    def _rendered(
        self, rng: np.random.Generator, n_samples: int, *, from_bank: bool = False
    ) -> tuple[np.ndarray, _Labels, Callable[[], np.ndarray | None] | None]:
        """A clip of ``n_samples`` rendered on the fly: audio, labels, and what renders its
        band part (None unless ``band_mix.on_the_fly``); ``from_bank``: a groove of the band
        bank, whose band part comes with it."""
        from drumscribe.contract import lane_index

        if self._renderer is None:
            from drumscribe_training.synth import ClipRenderer

            self._renderer = ClipRenderer(
                split=RENDER_SPLIT,
                sample_rate=self.spec.sample_rate,
                seed=int(rng.integers(1 << 31)),
                synth_kits=self.synth_kits,
                extra_kits=self.extra_kits,
                piece_variation=self.piece_variation,
                band_bank=self.band_bank,
            )
        clip = self._renderer.render(
            duration_s=n_samples / self.spec.sample_rate, rng=rng, from_bank=from_bank
        )
        if int(clip.sample_rate) != self.spec.sample_rate:
            raise DataError(f"rendered clip at {clip.sample_rate} Hz, expected {self.spec.sample_rate}")
        audio = fit_length(np.asarray(clip.audio, dtype=np.float32).reshape(-1), n_samples)
        kept = [e for e in clip.events if e.note in self.note_map]
        times = np.array([e.time_s for e in kept], dtype=np.float64)
        lanes = np.array([lane_index(self.note_map[e.note]) for e in kept], dtype=np.int64)
        velocities = np.array([e.velocity for e in kept], dtype=np.float32)
        band_of = None
        if self.band_on_the_fly:
            band_of = functools.partial(self._renderer.render_band, clip, rng)
        return audio, (times, lanes, velocities), band_of


def _crop_windows(
    index: ShardIndex, crop_n: int, stride_n: int, sample_rate: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate crop windows every ``stride_n`` samples of each example (at ``sample_rate``).

    Returns
    -------
    example, start : (w,) int64 arrays
        Each window's example and first sample.
    rare : (w,) bool array
        Whether the window's guaranteed span (what every crop from it covers) holds a
        rare-lane hit.
    """
    ex_ids: list[np.ndarray] = []
    win_starts: list[np.ndarray] = []
    rare: list[np.ndarray] = []
    for i in range(len(index)):
        n = int(index.audio_length[i])
        starts = np.arange(0, max(n - crop_n, 0) + 1, stride_n, dtype=np.int64)
        ex_ids.append(np.full(starts.shape, i, dtype=np.int64))
        win_starts.append(starts)
        times = index.rare_times[i] * sample_rate
        lo = np.minimum(starts + stride_n, max(n - crop_n, 0))
        hi = starts + crop_n
        if times.size:
            left = np.searchsorted(times, lo, side="left")
            right = np.searchsorted(times, hi, side="left")
            rare.append(right > left)
        else:
            rare.append(np.zeros(starts.shape, dtype=bool))
    return (
        np.concatenate(ex_ids) if ex_ids else np.zeros(0, dtype=np.int64),
        np.concatenate(win_starts) if win_starts else np.zeros(0, dtype=np.int64),
        np.concatenate(rare) if rare else np.zeros(0, dtype=bool),
    )


class FixedCropDataset(Dataset[dict[str, torch.Tensor]]):
    """Deterministic crops for validation and test: each example cut into consecutive
    ``crop_s`` windows from its start (the last one zero-padded). No augmentation.

    With ``band_level_db``, each crop of an example that has a band part is mixed with it
    at that drums-to-band level (no mastering: the same mix every epoch).
    """

    def __init__(
        self, index: ShardIndex, *, crop_s: float, spec: TargetSpec, band_level_db: float | None = None
    ) -> None:
        if crop_s <= 0:
            raise ValueError(f"crop_s must be > 0, got {crop_s}")
        self.index = index
        self.spec = spec
        self.crop_n = round(crop_s * spec.sample_rate)
        self.band_level_db = band_level_db
        self.reader = _ShardReader(index.paths)
        ex_ids, starts = [], []
        for i in range(len(index)):
            n = int(index.audio_length[i])
            s = np.arange(0, max(n, 1), self.crop_n, dtype=np.int64)
            ex_ids.append(np.full(s.shape, i, dtype=np.int64))
            starts.append(s)
        self.window_example = np.concatenate(ex_ids) if ex_ids else np.zeros(0, dtype=np.int64)
        self.window_start = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.window_example.shape[0])

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ex, start = int(self.window_example[i]), int(self.window_start[i])
        audio, events = self.reader.read(self.index, ex, start, self.crop_n)
        if self.band_level_db is not None:
            band = self.reader.read_band(self.index, ex, start, self.crop_n)
            if band is not None:
                audio = mix_at_level(
                    audio, band, level_db=self.band_level_db, sample_rate=self.spec.sample_rate
                )
        times = events["time_s"].astype(np.float64) - start / self.spec.sample_rate
        onsets, vel = _targets(times, events["lane"], events["velocity"], self.crop_n, self.spec)
        return _item(audio, onsets, vel)
