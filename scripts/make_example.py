"""Make the bundled example recording: examples/example_drums.flac + its true MIDI.

A 16-second procedural rock/funk groove with toms, crash and ride, rendered through a
held-out test kit (never heard in training) with the synthetic mix chain, at 44.1 kHz.
Deterministic for a given seed. Needs the sampled kits (``bash scripts/setup_kits.sh``).

    uv run python scripts/make_example.py [--seed 7] [--kit ForzeeStereo] [--out examples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

from drumscribe_training.synth import ClipRenderer

DURATION_S = 16.0
SAMPLE_RATE = 44100
TICKS_PER_BEAT = 480
TEMPO_BPM = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kit", default="ForzeeStereo", help="a test-split kit")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "examples"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    renderer = ClipRenderer(
        split="test", sample_rate=SAMPLE_RATE, seed=args.seed, kits=[args.kit], procedural_fraction=1.0
    )
    clip = renderer.render(duration_s=DURATION_S, rng=np.random.default_rng(args.seed))
    sf.write(out / "example_drums.flac", clip.audio, SAMPLE_RATE, subtype="PCM_16")
    tempo = mido.bpm2tempo(TEMPO_BPM)
    ticks_per_s = TICKS_PER_BEAT * 1e6 / tempo
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo, time=0)])
    messages = []
    for ev in clip.events:
        tick = round(ev.time_s * ticks_per_s)
        messages.append((tick, 1, mido.Message("note_on", channel=9, note=ev.note, velocity=ev.velocity)))
        messages.append((tick + 24, 0, mido.Message("note_off", channel=9, note=ev.note, velocity=0)))
    now = 0
    for tick, _, msg in sorted(messages, key=lambda m: (m[0], m[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(track)
    mid.save(out / "example_drums.truth.midi")
    print(
        f"wrote {out / 'example_drums.flac'} ({DURATION_S:g} s, kit {clip.kit_name}, {len(clip.events)} hits)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
