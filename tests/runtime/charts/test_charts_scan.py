"""Song folders checked by scan-chart, the scanner the Clone Hero community's chart sites run
on every upload (npm ``scan-chart``, pinned in ``tests/charts_scan``).

Setup: ``bash bindings/install_toolchains.sh`` (CI does) runs ``npm ci`` in
``tests/charts_scan``. scan-chart depends on ``stream-audio-fingerprint`` from a git host
that is not reachable here; ``tests/charts_scan/package.json`` points it (npm
``overrides``) at an empty local stand-in, ``stream-audio-fingerprint-stub``: scan-chart
7.0.1's built code (``dist/index.js``) never loads it, its audio check only looks at file
names. Without node or the installed package these tests skip, saying so.

A folder passes when scan-chart reports no chart, folder or metadata issue except what a
transcription cannot supply: album art (``noAlbumArt``), album and year, and the artist
when none was given (``missingValue``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

import drumscribe
from drumscribe.charts import SONG_FORMATS, read_song_ini, write_song_folder
from drumscribe.charts.song_folder import SongFolderWarning
from support.drum_audio import drum_groove_audio
from support.tiny_model import build_tiny_model, drum_like_audio

REPO_ROOT = Path(__file__).resolve().parents[3]
SCAN_DIR = REPO_ROOT / "tests" / "charts_scan"
SCAN_SCRIPT = SCAN_DIR / "scan.cjs"
EXAMPLE = REPO_ROOT / "examples" / "example_drums.flac"
#: (kind, type, what the description names): issues a transcription cannot fix
ALLOWED = {
    ("folder", "noAlbumArt", None),
    ("metadata", "missingValue", '"album"'),
    ("metadata", "missingValue", '"year"'),
}
NO_ARTIST = ("metadata", "missingValue", '"artist"')


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (bash bindings/install_toolchains.sh)")
    if not (SCAN_DIR / "node_modules" / "scan-chart" / "package.json").is_file():
        pytest.skip(
            "scan-chart is not installed: bash bindings/install_toolchains.sh (npm ci in tests/charts_scan)"
        )
    return node


def scan(*folders: Path) -> dict[str, Any]:
    """scan-chart's report of each folder: ``{folder: {"issues": [...], "summary": {...}}}``."""
    proc = subprocess.run(
        [_node(), str(SCAN_SCRIPT), *map(str, folders)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def unexpected(report: dict[str, Any], *, artist_given: bool) -> list[dict[str, Any]]:
    """The issues not in :data:`ALLOWED` (nor the missing artist when none was given)."""
    allowed = set(ALLOWED) | (set() if artist_given else {NO_ARTIST})
    bad = []
    for issue in report["issues"]:
        names = {(issue["kind"], issue["type"], None)} | {
            (k, t, w)
            for k, t, w in allowed
            if k == issue["kind"] and t == issue["type"] and w and w in issue["description"]
        }
        if not names & allowed:
            bad.append(issue)
    return bad


@pytest.fixture(scope="module")
def default_model() -> drumscribe.Model:
    return drumscribe.load_model()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated drum audio: a 100 bpm groove starting at 0 s, a 140 bpm groove with a band
    part, and a 75 s groove at 123 bpm (long enough for scan-chart's star power checks)."""
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for name, kw in {
        "groove100": {"bpm": 100.0, "bars": 12},
        "mix140": {"bpm": 140.0, "bars": 20, "band": True, "start_s": 0.4},
        "long123": {"bpm": 123.0, "bars": 38, "start_s": 1.1},
    }.items():
        audio, _ = drum_groove_audio(**kw)  # type: ignore[arg-type]
        path = folder / f"{name}.wav"
        sf.write(path, audio, 44100)
        out[name] = path
    return out


def _transcribe(path: Path, model: drumscribe.Model) -> drumscribe.Transcription:
    return drumscribe.transcribe(path, model=model, keep_activations=True)


@pytest.fixture(scope="module")
def written(
    clips: dict[str, Path], default_model: drumscribe.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Path]]:
    """Song folders of every clip and the bundled example in every format."""
    root = tmp_path_factory.mktemp("songs")
    sources = {**clips, "example": EXAMPLE}
    out = {}
    for name, path in sources.items():
        tr = _transcribe(path, default_model)
        assert tr.hits, f"{path}: the default model found no hits"
        for fmt in SONG_FORMATS:
            folder = root / fmt / name
            write_song_folder(tr, folder, format=fmt)
            out[(fmt, name)] = folder
    yield out


@pytest.mark.parametrize("fmt", SONG_FORMATS)
@pytest.mark.parametrize("name", ["groove100", "mix140", "long123", "example"])
def test_scan_chart_finds_no_issues(written: dict[tuple[str, str], Path], fmt: str, name: str) -> None:
    folder = written[(fmt, name)]
    report = scan(folder)[str(folder)]
    assert unexpected(report, artist_given=False) == [], json.dumps(report, indent=1)[:4000]
    summary = report["summary"]
    assert summary["playable"] and summary["drumType"] == 1  # four-lane pro drums
    assert summary["sections"], "no practice sections"
    # no made-up artist (scan-chart shows its own placeholder for the missing one)
    assert summary["genre"] == "Unknown" and "artist" not in read_song_ini(folder / "song.ini")
    tracks = {t["difficulty"]: t for t in summary["tracks"] if t["instrument"] == "drums"}
    assert set(tracks) == {"expert", "hard", "medium", "easy"}
    assert min(t["firstNoteMs"] for t in tracks.values()) >= 2000.0  # the lead-in
    counts = {c["difficulty"]: c["count"] for c in summary["noteCounts"]}
    assert counts["expert"] > counts["hard"] > counts["medium"] > counts["easy"] > 0
    tempos = [t["bpm"] for t in summary["tempos"]]
    assert max(tempos) <= 1.01 * max(tempos[1:] or tempos)  # no fast lead-in tempo
    assert min(tempos) >= 0.99 * min(tempos[1:] or tempos)


def test_long_song_has_star_power_and_fills(written: dict[tuple[str, str], Path]) -> None:
    for fmt in SONG_FORMATS:
        folder = written[(fmt, "long123")]
        summary = scan(folder)[str(folder)]["summary"]
        expert = next(t for t in summary["tracks"] if t["difficulty"] == "expert")
        # about one phrase every 8 bars of 38, and a fill before each later phrase
        assert 3 <= expert["starPower"] <= 6 and expert["activationLanes"] >= 2, summary
        assert len(summary["sections"]) >= 2
        assert summary["preview_start_time"] >= 2000


def test_artist_given_is_required_clean(
    clips: dict[str, Path], default_model: drumscribe.Model, tmp_path: Path
) -> None:
    tr = _transcribe(clips["groove100"], default_model)
    folder = tmp_path / "song"
    write_song_folder(tr, folder, format="clonehero", artist="The Band", genre="Rock")
    report = scan(folder)[str(folder)]
    assert unexpected(report, artist_given=True) == []
    assert report["summary"]["artist"] == "The Band" and report["summary"]["genre"] == "Rock"


def test_tiny_model_on_random_bursts(tmp_path: Path) -> None:
    """Random-time noise bursts (no tempo at all) through the tiny test model: hits a few ms
    apart and crowded chords must still give clean charts."""
    model = drumscribe.load_model(build_tiny_model(tmp_path / "tiny" / "model.onnx"))
    for seed in (1, 2):
        audio, _ = drum_like_audio(seconds=20.0, seed=seed, hits_per_s=6.0)
        src = tmp_path / f"bursts{seed}.wav"
        sf.write(src, audio, 16000)
        tr = drumscribe.transcribe(src, model=model, keep_activations=True)
        folders = []
        for fmt in SONG_FORMATS:
            folder = tmp_path / f"{fmt}{seed}"
            write_song_folder(tr, folder, format=fmt)
            folders.append(folder)
        for folder, report in scan(*folders).items():
            assert unexpected(report, artist_given=False) == [], (folder, report["issues"])


def test_close_hits_become_a_playable_chord(tmp_path: Path) -> None:
    """Three toms within 1 ms and a snare 5 ms later are one chord of at most two pads."""
    hits = [drumscribe.DrumHit(t, "hihat", 80) for t in np.arange(0.5, 10.0, 0.25)]
    hits += [
        drumscribe.DrumHit(6.5141, "hi_tom", 100),
        drumscribe.DrumHit(6.5148, "mid_tom", 100),
        drumscribe.DrumHit(6.5152, "low_tom", 100),
        drumscribe.DrumHit(6.5201, "snare", 110),
    ]
    hits.sort(key=lambda h: h.time_s)
    audio = tmp_path / "take.wav"
    sf.write(audio, np.zeros(11 * 8000, dtype=np.float32), 8000)
    tr = drumscribe.Transcription(hits=hits, duration_s=11.0, source=str(audio))
    folders = []
    for fmt in SONG_FORMATS:
        folder = tmp_path / fmt
        write_song_folder(tr, folder, format=fmt, bpm=118.0, grid=None)
        folders.append(folder)
    for folder, report in scan(*folders).items():
        assert unexpected(report, artist_given=False) == [], (folder, report["issues"])


def test_second_format_leaves_no_stale_files(
    clips: dict[str, Path], default_model: drumscribe.Model, tmp_path: Path
) -> None:
    tr = _transcribe(clips["groove100"], default_model)
    folder = tmp_path / "song"
    write_song_folder(tr, folder, format="clonehero")
    (folder / "song.wav").write_bytes(b"")  # as if an earlier write had copied a WAV
    write_song_folder(tr, folder, format="rockband")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.mid", "song.ini", "song.ogg"]
    assert unexpected(scan(folder)[str(folder)], artist_given=False) == []
    # someone else's folder: their files stay, with a warning
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.chart").write_text("[Song]\n{\n}\n")
    (theirs / "album.png").write_bytes(b"png")
    with pytest.warns(SongFolderWarning, match="notes.chart"):
        write_song_folder(tr, theirs, format="yarg")
    assert sorted(p.name for p in theirs.iterdir()) == [
        "album.png",
        "notes.chart",
        "notes.mid",
        "song.ini",
        "song.ogg",
    ]
