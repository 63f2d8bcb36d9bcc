"""The on-disk writer: E-GMD's layout, determinism, resume, atomic files, the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import mido
import pytest
import soundfile as sf
from synth_helpers import require_gmd

from drumscribe_training.cli import main as train_main
from drumscribe_training.synth.events import note_map
from drumscribe_training.synth.writer import CSV_HEADER, CSV_NAME, SynthSettings, write_dataset

NAME_RE = re.compile(r"^(\d+)_([^/_]+)_(\d+)_(beat|fill)_(\d-\d)_(\d+)\.(wav|midi)$")


def _tiny_settings(**kw) -> SynthSettings:  # type: ignore[no-untyped-def]
    base = dict(hours=40 / 3600, seed=3, kits=("tiny",), split_kits=True, procedural_fraction=1.0,
                realism=1.0, clip_seconds=(2.0, 3.0))  # fmt: skip
    base.update(kw)
    return SynthSettings(**base)  # type: ignore[arg-type]


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".wav", ".midi", ".csv")
    }


def test_tiny_egmd_has_egmd_layout(tiny_egmd: Path) -> None:
    lines = (tiny_egmd / CSV_NAME).read_text().splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert 8 <= len(rows) <= 20
    assert {r["split"] for r in rows} == {"train", "validation", "test"}
    assert len({r["audio_filename"] for r in rows}) == len(rows)
    notes = set(note_map())
    for r in rows:
        wav, mid = tiny_egmd / r["audio_filename"], tiny_egmd / r["midi_filename"]
        assert r["audio_filename"].startswith(r["session"] + "/")
        assert r["session"].startswith(r["drummer"] + "/") and r["id"].startswith(r["session"] + "/")
        m = NAME_RE.match(Path(r["audio_filename"]).name)
        assert m, r["audio_filename"]
        assert m.group(1) == r["id"].rsplit("/", 1)[1]
        assert m.group(2) == r["style"].replace("/", "-") and m.group(3) == r["bpm"]
        assert m.group(4) == r["beat_type"] and m.group(5) == r["time_signature"]
        assert r["midi_filename"] == r["audio_filename"][:-4] + ".midi"
        info = sf.info(str(wav))
        assert info.samplerate == 44100 and info.subtype == "PCM_16" and info.channels == 1
        assert float(r["duration"]) == pytest.approx(info.frames / 44100, abs=1e-6)
        assert 2.5 <= float(r["duration"]) <= 6.0
        assert r["kit_name"] == "tiny"
        midi = mido.MidiFile(mid)
        ons = [msg for msg in midi if msg.type == "note_on" and msg.velocity > 0]
        assert ons and all(msg.channel == 9 and msg.note in notes for msg in ons)
    assert (rows[0]["split"], rows[-1]["split"]) == ("train", "test")
    test_rows = [r for r in rows if r["split"] == "test"]
    assert all(r["session"].endswith("eval_session") for r in test_rows)
    # the same groove through several kits / mixes: same id, different k
    ids = [r["id"] for r in rows if r["split"] != "train"]
    assert len(ids) > len(set(ids))
    assert not list(tiny_egmd.rglob("*.tmp"))


def test_same_seed_same_bytes_any_worker_count(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", _tiny_settings(), num_workers=1, progress=False)
    write_dataset(tmp_path / "b", _tiny_settings(), num_workers=2, progress=False)
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b and len(a) > 10
    write_dataset(tmp_path / "c", _tiny_settings(seed=4), num_workers=1, progress=False)
    assert _digest(tmp_path / "c") != a


def test_resume_restores_missing_files_and_refuses_other_settings(tmp_path: Path) -> None:
    root = tmp_path / "set"
    write_dataset(root, _tiny_settings(), progress=False)
    before = _digest(root)
    victim = sorted(root.rglob("*.wav"))[3]
    victim.unlink()
    (root / CSV_NAME).unlink()
    summary = write_dataset(root, _tiny_settings(), progress=False)
    assert summary["timing"]["clips_skipped"] == len(before) // 2 - 1  # type: ignore[index]
    assert _digest(root) == before
    again = write_dataset(root, _tiny_settings(), progress=False)  # nothing left to do
    assert again["resumed_run"]["clips_skipped"] == len(before) // 2  # type: ignore[index]
    assert again["timing"]["rendered_audio_s"] > 0  # type: ignore[index]
    with pytest.raises(FileExistsError, match="other settings"):
        write_dataset(root, _tiny_settings(seed=9), progress=False)


def test_gmd_grooves_keep_their_split_ticks_and_names(tmp_path: Path) -> None:
    require_gmd()
    from drumscribe_training.synth.gmd import load_gmd_index

    root = tmp_path / "gmd"
    write_dataset(root, _tiny_settings(hours=0.05, procedural_fraction=0.0), progress=False)
    rows = list(csv.DictReader(open(root / CSV_NAME, newline="")))
    index = {p.id: p for p in load_gmd_index()}
    assert rows
    for r in rows:
        p = index[r["id"]]
        assert (r["split"], r["style"], r["session"], r["drummer"]) == (
            p.split,
            p.style,
            p.session,
            p.drummer,
        )
        assert r["audio_filename"].startswith(p.midi_path.name[:-4].split("_")[0] + "_", len(p.session) + 1)
        ours, theirs = mido.MidiFile(root / r["midi_filename"]), mido.MidiFile(p.midi_path)
        assert ours.ticks_per_beat == theirs.ticks_per_beat
        on = lambda m: [(x.note, x.velocity) for x in m if x.type == "note_on" and x.velocity > 0]  # noqa: E731
        assert on(ours) == [n for n in on(theirs) if n[0] in note_map()]
        assert abs(ours.length - theirs.length) < 1e-6


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    rc = train_main(["synth", "--out", str(out), "--hours", "0.005", "--seed", "1", "--kits", "tiny",
                     "--procedural-fraction", "1", "--clip-seconds", "2", "3", "--no-progress"])  # fmt: skip
    assert rc == 0 and (out / CSV_NAME).is_file()
    assert '"hits_per_lane"' in capsys.readouterr().out
    rc = train_main(["synth", "--out", str(tmp_path / "x"), "--hours", "0.01", "--kits", "NoSuchKit"])
    assert rc == 2
    assert "unknown kit 'NoSuchKit'" in capsys.readouterr().err
    assert train_main(["synth", "--out", str(out), "--hours", "1", "--list-kits"]) == 0
    assert "ForzeeStereo" in capsys.readouterr().out


def test_realism_reaches_the_rendered_audio(tmp_path: Path) -> None:
    dry = write_dataset(tmp_path / "dry", _tiny_settings(realism=0.0), progress=False)
    write_dataset(tmp_path / "wet", _tiny_settings(realism=1.0), progress=False)
    a, b = _digest(tmp_path / "dry"), _digest(tmp_path / "wet")
    wavs = [k for k in a if k.endswith(".wav")]
    assert wavs and a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a if k.endswith(".midi"))  # same grooves and labels
    assert sum(a[k] != b[k] for k in wavs) == len(wavs)  # every mix differs: the setting is used
    assert dry["settings"]["realism"] == 0.0  # type: ignore[index]
