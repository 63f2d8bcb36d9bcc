"""Write a synthetic data set in E-GMD's exact on-disk layout.

``DIR/e-gmd-v1.0.0.csv`` (E-GMD's header) and ``DIR/drummerN/<session>/<n>_<style>_<bpm>_
<beat_type>_<ts>_<k>.wav`` + ``.midi``: 44.1 kHz 16-bit mono WAV, MIDI with Roland notes
on channel 10. Groove MIDI performances keep their drummer, session, id, style, bpm and
split (and their MIDI ticks/tempo); procedural grooves live under ``drummer11``. The same
groove appears through several kits with different ``k``.

Every file is written to a temporary name and renamed, the CSV last, so an interrupted
run leaves no half files; re-running with the same arguments skips finished clips.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from drumscribe._io import atomic_write
from drumscribe_training.synth.events import SAMPLE_RATE, NoteEvent, lane_of_note
from drumscribe_training.synth.variation import PieceVariation

if TYPE_CHECKING:
    from drumscribe_training.synth.band import BandManifestRow, BandSettings

__all__ = [
    "CSV_HEADER",
    "CSV_NAME",
    "WRITER_VERSION",
    "Job",
    "SynthSettings",
    "plan_jobs",
    "write_dataset",
]

CSV_NAME = "e-gmd-v1.0.0.csv"
CSV_HEADER = (
    "drummer", "session", "id", "style", "bpm", "beat_type", "time_signature", "duration",
    "split", "midi_filename", "audio_filename", "kit_name",
)  # fmt: skip
META_NAME = "synth_settings.json"
BAND_META_NAME = "band_settings.json"  # band parts' settings, apart: --band can join a set later
SUMMARY_NAME = "synth_summary.json"
#: Bump when the same settings would render different audio.
WRITER_VERSION = 3
SPLIT_SHARE = {"train": 0.8, "validation": 0.1, "test": 0.1}
PROC_DRUMMER = "drummer11"
MAX_GMD_S = 300.0  # longer GMD performances are left out (one would fill a held-out split)
TAIL_S = 1.5


@dataclass(frozen=True)
class SynthSettings:
    """Everything that decides the rendered bytes (stored in ``synth_settings.json``).

    ``synth_kits`` adds that many synthesised kits (``synthkit-000`` ..) to the train
    split only; 0 (the default) is left out of ``synth_settings.json``, so folders
    written before the option existed resume as before. ``piece_variation`` re-voices
    lane groups per clip in every split (for robustness checks: a held-out split rendered
    with it is a set of virtual kits); None (the default) is left out likewise, as is
    ``extra_kits`` (every split's extra kits join its kits) when False.
    """

    hours: float
    seed: int
    kits: tuple[str, ...] | None
    split_kits: bool
    procedural_fraction: float
    realism: float
    clip_seconds: tuple[float, float] = (15.0, 60.0)  # procedural clip lengths
    synth_kits: int = 0
    piece_variation: PieceVariation | None = None
    extra_kits: bool = False
    version: int = WRITER_VERSION

    def uses_synth_kits(self) -> bool:
        """Whether any synthesised kit is rendered (by count or by name)."""
        from drumscribe_training.synth.synthkits import synth_kit_index

        return self.synth_kits > 0 or any(synth_kit_index(k) is not None for k in self.kits or ())

    def as_json(self) -> dict[str, object]:
        """The settings as stored in ``synth_settings.json`` (and compared on resume).

        With synthesised kits, their version is recorded too: another version renders
        other audio.
        """
        d = asdict(self)
        d["kits"] = list(self.kits) if self.kits is not None else None
        d["clip_seconds"] = list(self.clip_seconds)
        if not self.synth_kits:
            del d["synth_kits"]
        if not self.extra_kits:
            del d["extra_kits"]
        if self.piece_variation is None:
            del d["piece_variation"]
        else:
            d["piece_variation"] = {
                k: list(v) if isinstance(v, tuple) else v for k, v in d["piece_variation"].items()
            }
            if not self.piece_variation.shelves():  # folders written before the shelf resume
                for k in ("shelf_db", "shelf_hz"):
                    del d["piece_variation"][k]
            groups = self.piece_variation.group_semitones
            if groups:
                d["piece_variation"]["group_semitones"] = {g: list(r) for g, r in groups.items()}
            else:  # folders written before per-group ranges resume
                del d["piece_variation"]["group_semitones"]
        if self.uses_synth_kits():
            from drumscribe_training.synth.synthkits import SYNTH_KIT_VERSION

            d["synth_kit_version"] = SYNTH_KIT_VERSION
        return d


@dataclass(frozen=True)
class Job:
    """One clip to render."""

    index: int
    split: str
    source: str  # "gmd" | "procedural"
    gmd_midi: str  # GMD .mid path (source gmd)
    groove_seed: int  # procedural
    groove_duration: float
    fill_clip: bool
    kit: str
    split_kits: tuple[str, ...]
    render_seed: int
    drummer: str
    session: str
    id: str
    style: str
    bpm: int
    beat_type: str
    time_signature: str
    stem: str  # relative path without extension
    length_s: float


def _procedural(job: Job):  # type: ignore[no-untyped-def]
    from drumscribe_training.synth.procedural import generate_groove

    return generate_groove(
        np.random.default_rng(job.groove_seed), job.groove_duration, fill_clip=job.fill_clip
    )


def plan_jobs(settings: SynthSettings) -> list[Job]:
    """The clips of a data set, deterministic for the settings (no audio rendered)."""
    from drumscribe_training.synth.gmd import load_gmd_index
    from drumscribe_training.synth.procedural import generate_groove
    from drumscribe_training.synth.registry import resolve_kits
    from drumscribe_training.synth.render import choose_kit

    root = np.random.SeedSequence([settings.seed, 0x5EED])
    rng = np.random.default_rng(root)
    gmd = load_gmd_index() if settings.procedural_fraction < 1.0 else ()
    jobs: list[Job] = []
    proc_counter: Counter[str] = Counter()

    def seed() -> int:
        return int(rng.integers(0, 2**63 - 1))

    for split in ("train", "validation", "test"):
        kits = resolve_kits(
            split,
            settings.kits,
            split_kits=settings.split_kits,
            synth_kits=settings.synth_kits if split == "train" else 0,
            extra_kits=settings.extra_kits,
        )
        budget = settings.hours * 3600.0 * SPLIT_SHARE[split]
        gmd_budget = budget * (1.0 - settings.procedural_fraction)
        used = 0.0
        perfs = [p for p in gmd if p.split == split and p.duration <= MAX_GMD_S]
        passes = 0
        kit_done: dict[str, set[str]] = {}
        renders: Counter[str] = Counter()
        while perfs and used < gmd_budget and passes < 20:
            order = rng.permutation(len(perfs))
            for i in order:
                if used >= gmd_budget:
                    break
                p = perfs[int(i)]
                n_kits = 2 if split != "train" else (2 if rng.random() < 0.3 else 1)
                done = kit_done.setdefault(p.id, set())
                for _ in range(n_kits):
                    if used >= gmd_budget:
                        break
                    fresh = [k for k in kits if k not in done] or list(kits)
                    kit = choose_kit(fresh, rng)
                    done.add(kit)
                    renders[p.id] += 1
                    k = renders[p.id]
                    style = p.style.replace("/", "-")
                    stem = f"{p.session}/{p.number}_{style}_{p.bpm}_{p.beat_type}_{p.time_signature}_{k}"
                    length = p.duration + TAIL_S
                    jobs.append(
                        Job(len(jobs), split, "gmd", str(p.midi_path), 0, 0.0, False, kit,
                            kits, seed(), p.drummer, p.session, p.id, p.style, p.bpm,
                            p.beat_type, p.time_signature, stem, length)
                    )  # fmt: skip
                    used += length
            passes += 1
        # procedural grooves fill the rest of the split's budget
        session_idx = 0
        while used < budget:
            fill = bool(rng.random() < 0.12)
            lo, hi = settings.clip_seconds
            dur = float(rng.uniform(lo, min(hi, max(lo, 12.0))) if fill else rng.uniform(lo, hi))
            gseed = seed()
            g = generate_groove(np.random.default_rng(gseed), dur, fill_clip=fill)
            if split == "test":
                session = f"{PROC_DRUMMER}/eval_session"
            else:
                session = f"{PROC_DRUMMER}/session{session_idx // 100 + 1}"
                session_idx += 1
            proc_counter[session] += 1
            number = proc_counter[session]
            style = f"{g.style}/synth{number}"
            gid = f"{session}/{number}"
            n_kits = 2 if split != "train" else (2 if rng.random() < 0.2 else 1)
            chosen: list[str] = []
            for k in range(1, n_kits + 1):
                fresh = [x for x in kits if x not in chosen] or list(kits)
                kit = choose_kit(fresh, rng)
                chosen.append(kit)
                stem = (
                    f"{session}/{number}_{style.replace('/', '-')}_{g.bpm}_{g.beat_type}_"
                    f"{g.time_signature}_{k}"
                )
                length = g.duration_s + TAIL_S
                jobs.append(
                    Job(len(jobs), split, "procedural", "", gseed, dur, fill, kit, kits, seed(),
                        PROC_DRUMMER, session, gid, style, g.bpm, g.beat_type, g.time_signature,
                        stem, length)
                )  # fmt: skip
                used += length
    return jobs


def _number(value: object) -> float:
    """A count or a duration of a clip's result record, as float."""
    assert isinstance(value, int | float)
    return float(value)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def _filter_midi(midi: bytes, keep: set[int]) -> bytes:
    """Drop note events whose note is not in ``keep`` (timing of the rest unchanged)."""
    import mido

    from drumscribe_training.synth.gmd import keep_notes

    return keep_notes(mido.MidiFile(file=io.BytesIO(midi)), keep)


def _midi_counts(midi: bytes) -> Counter[str]:
    import mido

    mid = mido.MidiFile(file=io.BytesIO(midi))
    c: Counter[str] = Counter()
    for msg in mid:
        if msg.type == "note_on" and msg.velocity > 0:
            c[lane_of_note(msg.note) or "other"] += 1
    return c


def render_job(
    job: Job, out_dir: str, *, realism: float = 1.0, variation: PieceVariation | None = None,
    band: BandSettings | None = None, band_old: BandManifestRow | None = None,
) -> dict[str, object]:  # fmt: skip
    """Render one clip (skipped when both files exist); returns its CSV row and counts.

    With ``band``, the clip's band part is written beside it too (``<clip>.band.wav``,
    kept when it exists and ``band_old`` is its manifest row); its row is under ``"band"``.
    """
    import soundfile as sf

    from drumscribe_training.synth.render import DEFAULT_BLEND, render_events

    root = Path(out_dir)
    wav, mid = root / f"{job.stem}.wav", root / f"{job.stem}.midi"
    if wav.is_file() and mid.is_file():
        frames = sf.info(str(wav)).frames
        counts = _midi_counts(mid.read_bytes())
        skipped = True
    else:
        events: Sequence[NoteEvent]
        if job.source == "gmd":
            from drumscribe_training.synth.gmd import read_performance

            events, midi_bytes, _ = read_performance(Path(job.gmd_midi))
        else:
            from drumscribe_training.synth.procedural import groove_midi

            g = _procedural(job)
            events, midi_bytes = g.events, groove_midi(g)
        last = max((e.time_s for e in events), default=0.0)
        frames = round(max(job.length_s, last + TAIL_S) * SAMPLE_RATE)
        rng = np.random.default_rng(job.render_seed)
        audio, played = render_events(
            events, job.kit, job.split_kits, rng, n_samples=frames,
            blend_probability=DEFAULT_BLEND[job.split], realism=realism, variation=variation,
        )  # fmt: skip
        if len(played) != len(events):
            midi_bytes = _filter_midi(midi_bytes, {e.note for e in played})
        pcm = io.BytesIO()
        sf.write(pcm, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        _atomic_write(mid, midi_bytes)
        _atomic_write(wav, pcm.getvalue())  # the wav last: its presence marks the clip done
        counts = Counter(lane_of_note(e.note) or "other" for e in played)
        skipped = False
    row = {
        "drummer": job.drummer,
        "session": job.session,
        "id": job.id,
        "style": job.style,
        "bpm": str(job.bpm),
        "beat_type": job.beat_type,
        "time_signature": job.time_signature,
        "duration": f"{frames / SAMPLE_RATE:.6f}",
        "split": job.split,
        "midi_filename": f"{job.stem}.midi",
        "audio_filename": f"{job.stem}.wav",
        "kit_name": job.kit,
    }
    result: dict[str, object] = {"row": row, "counts": dict(counts), "seconds": frames / SAMPLE_RATE,
                                 "skipped": skipped, "source": job.source}  # fmt: skip
    if band is not None:
        from drumscribe_training.synth.band.clip import write_band_file

        result["band"] = write_band_file(
            root, audio_filename=row["audio_filename"], midi_filename=row["midi_filename"],
            style=job.style, time_signature=job.time_signature, split=job.split,
            seed=job.render_seed, settings=band, old=band_old,
        )  # fmt: skip
    return result


_Work = tuple[Job, str, float, "PieceVariation | None", "BandSettings | None", "BandManifestRow | None"]


def _render_star(args: _Work) -> dict[str, object]:
    job, out_dir, realism, variation, band, band_old = args
    return render_job(job, out_dir, realism=realism, variation=variation, band=band, band_old=band_old)


def _check_band_settings(out: Path, band: BandSettings) -> None:
    from drumscribe_training.synth.band import BAND_VERSION

    meta = out / BAND_META_NAME
    want = {"version": BAND_VERSION, "settings": band.as_json()}
    if meta.is_file():
        if json.loads(meta.read_text()) != want:
            raise FileExistsError(
                f"{out} holds band parts rendered with other band settings or another version "
                f"of the band renderer ({BAND_META_NAME}); use another --out"
            )
    else:
        _atomic_write(meta, (json.dumps(want, indent=1, sort_keys=True) + "\n").encode())


def _check_settings(out: Path, settings: SynthSettings) -> None:
    meta = out / META_NAME
    want = settings.as_json()
    if meta.is_file():
        have = json.loads(meta.read_text())
        if have != want:
            diff = sorted(k for k in want.keys() | have.keys() if have.get(k) != want.get(k))
            if diff == ["version"]:
                raise FileExistsError(
                    f"{out} was rendered by another version of the writer (version "
                    f"{have.get('version')}, this is {WRITER_VERSION}); use another --out"
                )
            raise FileExistsError(
                f"{out} holds a data set rendered with other settings ({', '.join(diff)} "
                "differ); use another --out or delete it"
            )
    else:
        if out.exists() and any(p.name.startswith("drummer") for p in out.iterdir()):
            raise FileExistsError(
                f"{out} already holds drummer folders not written by drumscribe-train synth; "
                "use another --out"
            )
        _atomic_write(meta, (json.dumps(want, indent=1, sort_keys=True) + "\n").encode())


def write_dataset(
    out: str | Path,
    settings: SynthSettings,
    *,
    num_workers: int = 1,
    progress: bool = True,
    band: BandSettings | None = None,
    band_splits: Sequence[str] | None = None,
) -> dict[str, object]:
    """Render (or finish) a data set; returns the summary also written to synth_summary.json.

    With ``band``, every clip also gets a band part (``<clip>.band.wav``) listed in
    ``band-manifest.csv``; a set rendered without it gains them on a re-run with it, the
    drum files and the E-GMD CSV unchanged. ``band_splits`` limits the band parts to the
    clips of those splits (e.g. ``("validation", "test")``: mixes to evaluate on).

    Raises
    ------
    FileExistsError
        If ``out`` holds a data set made with other settings.
    KitError, GmdError
        If a kit or the Groove MIDI folder is missing (the message says what to install).
    """
    from drumscribe_training.synth.registry import load_kit

    out = Path(out)
    t0 = time.perf_counter()
    jobs = plan_jobs(settings)
    out.mkdir(parents=True, exist_ok=True)
    _check_settings(out, settings)
    band_old: dict[str, BandManifestRow] = {}
    if band is not None:
        from drumscribe_training.synth.band import read_band_manifest, soundfonts_for_split

        _check_band_settings(out, band)
        for split in sorted({j.split for j in jobs if band_splits is None or j.split in band_splits}):
            soundfonts_for_split(split)  # fails early, naming the package to install
        band_old = read_band_manifest(out)
    # build kit banks once, here, before workers start
    for name in sorted({k for j in jobs for k in j.split_kits}):
        load_kit(name)
    t_plan = time.perf_counter() - t0
    results: list[dict[str, object]] = []

    def band_of(job: Job) -> BandSettings | None:
        return band if band_splits is None or job.split in band_splits else None

    work: list[_Work] = [
        (j, str(out), settings.realism, settings.piece_variation, band_of(j), band_old.get(f"{j.stem}.wav"))
        for j in jobs
    ]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="clip", desc="synth", file=sys.stderr)
    t1 = time.perf_counter()
    if num_workers <= 1:
        for w in work:
            results.append(_render_star(w))
            if bar:
                bar.update(1)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        with ctx.Pool(num_workers) as pool:
            for r in pool.imap(_render_star, work, chunksize=1):
                results.append(r)
                if bar:
                    bar.update(1)
    if bar:
        bar.close()
    t_render = time.perf_counter() - t1
    rows = [r["row"] for r in results]
    buf = io.StringIO()
    table = csv.DictWriter(buf, fieldnames=list(CSV_HEADER), lineterminator="\n")
    table.writeheader()
    table.writerows(rows)  # type: ignore[arg-type]
    _atomic_write(out / CSV_NAME, buf.getvalue().encode())
    if band is not None:
        from drumscribe_training.synth.band.manifest import MANIFEST_NAME, manifest_text

        band_rows = [r["band"] for r in results if "band" in r]
        _atomic_write(out / MANIFEST_NAME, manifest_text(band_rows).encode())  # type: ignore[arg-type]
    summary = _summarise(results, settings)
    rendered_s = sum(_number(r["seconds"]) for r in results if not r["skipped"])
    summary["timing"] = {
        "num_workers": num_workers,
        "plan_and_kits_s": round(t_plan, 2),
        "render_s": round(t_render, 2),
        "rendered_audio_s": round(rendered_s, 1),
        "audio_s_per_wall_s": round(rendered_s / t_render, 1) if t_render > 0 and rendered_s else None,
        "clips_skipped": sum(1 for r in results if r["skipped"]),
    }
    previous = out / SUMMARY_NAME
    if not rendered_s and previous.is_file():
        # a resume that rendered nothing keeps the timing of the run that rendered the set
        try:
            old = json.loads(previous.read_text()).get("timing")
        except ValueError:
            old = None
        if isinstance(old, dict) and old.get("rendered_audio_s"):
            summary["resumed_run"] = summary["timing"]
            summary["timing"] = old
    _atomic_write(out / SUMMARY_NAME, (json.dumps(summary, indent=1) + "\n").encode())
    return summary


def _summarise(results: list[dict[str, object]], settings: SynthSettings) -> dict[str, object]:
    from drumscribe.contract import LANE_NAMES

    per_split: dict[str, dict[str, object]] = {}
    total_hits: Counter[str] = Counter()
    lane_hours: dict[str, float] = {}
    for r in results:
        split = r["row"]["split"]  # type: ignore[index]
        s = per_split.setdefault(split, {"clips": 0, "hours": 0.0, "gmd_hours": 0.0, "kits": Counter()})
        s["clips"] += 1  # type: ignore[operator]
        hours = float(r["seconds"]) / 3600.0  # type: ignore[arg-type]
        s["hours"] += hours  # type: ignore[operator]
        if r["source"] == "gmd":
            s["gmd_hours"] += hours  # type: ignore[operator]
        s["kits"][r["row"]["kit_name"]] += 1  # type: ignore[index]
        counts = r["counts"]
        assert isinstance(counts, dict)
        for lane, n in counts.items():
            total_hits[lane] += n
            if n:
                lane_hours[lane] = lane_hours.get(lane, 0.0) + hours
    for s in per_split.values():
        s["hours"] = round(_number(s["hours"]), 3)
        s["gmd_hours"] = round(_number(s["gmd_hours"]), 3)
        kits = s["kits"]
        assert isinstance(kits, dict)
        s["kits"] = dict(sorted(kits.items()))
    return {
        "settings": settings.as_json(),
        "splits": per_split,
        "hours": round(sum(_number(s["hours"]) for s in per_split.values()), 3),
        "hits_per_lane": {lane: total_hits.get(lane, 0) for lane in LANE_NAMES},
        "hours_with_lane": {lane: round(lane_hours.get(lane, 0.0), 3) for lane in LANE_NAMES},
    }
