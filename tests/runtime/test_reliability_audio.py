"""Bad audio, odd audio and bad output locations through ``drumscribe transcribe`` (issue 11).

The cases live in reliability_cases.py (shared with docs/RELIABILITY.md); each test runs
one, holds it to the common rules (one error line, the exit code, the batch's good files
written and nothing else left) and checks that its row in the document says what the run
printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import reliability_cases as rc
import soundfile as sf

import drumscribe

CLI = [c for c in rc.CLI_CASES if c.area in ("audio", "output", "options")]


@pytest.fixture(scope="module")
def ctx(tiny_model_path: Path) -> rc.Context:
    return rc.Context(tiny_model_path)


def _doc_agrees(row: str, case_id: str, section: str) -> None:
    assert rc.doc_row(case_id, section) == row, (
        f"docs/RELIABILITY.md row of {case_id} is stale; run scripts/write_reliability_table.py\n  now: {row}"
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CLI, ids=lambda c: c.id)
def test_cli_case(case: rc.CliCase, ctx: rc.Context, tmp_path: Path) -> None:
    outcome = rc.run_cli_case(case, ctx, tmp_path)
    rc.check_cli_case(case, outcome)
    _doc_agrees(rc.cli_row(case, outcome), case.id, case.area)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", rc.ARRAY_CASES, ids=lambda c: c.id)
def test_array_case(case: rc.ArrayCase, ctx: rc.Context) -> None:
    error, hits = rc.run_array_case(case, ctx)
    rc.check_array_case(case, error, hits, ctx)
    _doc_agrees(rc.array_row(case, error), case.id, "array")


def test_truncation_checks_pass_every_whole_file(tmp_path: Path) -> None:
    """The container checks never reject a complete file (no false 'truncated')."""
    from drumscribe.audio import iter_file_blocks

    rng = np.random.default_rng(0)
    kinds = [
        ("WAV", "PCM_16", "wav", 2),
        ("WAV", "FLOAT", "wav", 1),
        ("WAVEX", "PCM_24", "wav", 3),
        ("RF64", "PCM_16", "wav", 1),
        ("AIFF", "PCM_16", "aiff", 2),
        ("FLAC", "PCM_16", "flac", 2),
        ("OGG", "VORBIS", "ogg", 2),
        ("OGG", "OPUS", "opus", 1),
        ("MP3", "MPEG_LAYER_III", "mp3", 2),
    ]
    for fmt, subtype, ext, channels in kinds:
        for seconds in (0.01, 1.3):
            x = (0.1 * rng.standard_normal((round(48000 * seconds), channels))).astype(np.float32)
            path = tmp_path / f"{fmt}-{subtype}-{seconds}.{ext}"
            sf.write(path, x, 48000, format=fmt, subtype=subtype)
            decoded = sum(b.size for b in iter_file_blocks(path, sample_rate=16000))
            assert decoded > 0, path.name


def test_streaming_wav_with_placeholder_size_is_read(tmp_path: Path) -> None:
    """A WAV whose writer could not seek back (data size 0xFFFFFFFF) is not 'truncated'."""
    from drumscribe.audio import iter_file_blocks

    path = tmp_path / "streamed.wav"
    sf.write(path, np.zeros(16000, dtype=np.int16), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    data[at : at + 4] = b"\xff\xff\xff\xff"
    data[4:8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert sum(b.size for b in iter_file_blocks(path, sample_rate=16000)) == 16000


@pytest.mark.timeout(120)
def test_two_hours_of_silence_stream_flat(ctx: rc.Context, tmp_path: Path) -> None:
    rate = 8000
    path = tmp_path / "two hours of silence.flac"
    minute = np.zeros(rate * 60, dtype=np.int16)
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16") as fh:
        for _ in range(120):
            fh.write(minute)
    tracemalloc.start()
    try:
        result = drumscribe.transcribe(path, model=ctx.model)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.duration_s == pytest.approx(7200.0)
    # silence gives what the model gives for silence, however long (the tiny model's edge at t=0)
    assert result.hits == tuple(ctx.hits(np.zeros(rate, dtype=np.float32), rate))
    # a whole-file decode at the model rate would hold 7200 s x 16 kHz x 4 B = 460 MB
    assert peak < 64e6, f"peak numpy memory {peak / 1e6:.0f} MB"


def test_many_channels_decode_in_bounded_blocks(tmp_path: Path) -> None:
    """64 channels at 192 kHz: blocks are capped by samples, not seconds."""
    from drumscribe.audio import MAX_BLOCK_SAMPLES, iter_file_blocks

    path = tmp_path / "wide.wav"
    frames = 192000
    sf.write(path, np.zeros((frames, 64), dtype=np.int16), 192000, subtype="PCM_16")
    reads: list[int] = []
    real = sf.SoundFile.read

    def spy(self: sf.SoundFile, frames: int = -1, *args: object, **kw: object) -> np.ndarray:
        reads.append(frames)
        return real(self, frames, *args, **kw)  # type: ignore[arg-type]

    sf.SoundFile.read = spy  # type: ignore[method-assign]
    try:
        total = sum(b.size for b in iter_file_blocks(path, sample_rate=16000))
    finally:
        sf.SoundFile.read = real  # type: ignore[method-assign]
    assert total == 16000
    assert max(reads) * 64 <= MAX_BLOCK_SAMPLES


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drumscribe.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.mark.timeout(240)
def test_subprocess_exit_codes_and_no_traceback(ctx: rc.Context, tmp_path: Path) -> None:
    rc._write(tmp_path / "in" / "good-a.wav", ctx.audio)
    rc._write(tmp_path / "in" / "good-b.wav", ctx.audio)
    (tmp_path / "in" / "notes.wav").write_text("not audio\n")
    model = str(ctx.model_path)

    batch = _run(
        [
            "transcribe",
            "in/good-a.wav",
            "in/notes.wav",
            "in/good-b.wav",
            "--out-dir",
            "out",
            "--model",
            model,
        ],
        tmp_path,
    )
    assert batch.returncode == 1
    assert "Traceback" not in batch.stderr
    assert [line for line in batch.stderr.splitlines() if line.strip()] == [
        "drumscribe: error: in/notes.wav: not a readable audio file"
        " (Error opening 'in/notes.wav': Format not recognised.)"
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good-a.mid", "good-b.mid"]
    assert len(batch.stdout.splitlines()) == 2  # a summary line per written file

    (tmp_path / "bad").mkdir()
    bad_model = _run(["transcribe", "in/good-a.wav", "-o", "x.mid", "--model", "bad/model.onnx"], tmp_path)
    assert bad_model.returncode == 2
    assert (
        bad_model.stderr.strip()
        == f"drumscribe: error: {tmp_path.resolve() / 'bad' / 'model.onnx'}: model file not found"
    )

    usage = _run(["transcribe", "in/good-a.wav", "in/good-b.wav", "-o", "x.mid", "--model", model], tmp_path)
    assert usage.returncode == 2
    assert usage.stderr.strip() == "drumscribe: error: -o names one output; use --out-dir DIR for many inputs"

    argparse_error = _run(["transcribe", "in/good-a.wav", "--threshold", "1.5"], tmp_path)
    assert argparse_error.returncode == 2
    assert (
        "Traceback" not in argparse_error.stderr and "thresholds must lie in (0, 1]" in argparse_error.stderr
    )
    assert not (tmp_path / "x.mid").exists()


@pytest.mark.timeout(120)
def test_sigint_during_a_batch_exits_130_without_partial_output(ctx: rc.Context, tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT) to the CLI process in the middle of a batch: exit 130, the
    finished output kept, nothing of the interrupted one."""
    rc._write(tmp_path / "short.wav", ctx.audio)
    rate = 8000
    with sf.SoundFile(tmp_path / "long.flac", "w", samplerate=rate, channels=1, format="FLAC") as fh:
        for _ in range(120):  # two hours: still running when the signal comes
            fh.write(np.zeros(rate * 60, dtype=np.int16))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drumscribe.cli",
            "transcribe",
            "short.wav",
            "long.flac",
            "--out-dir",
            "out",
            "--model",
            str(ctx.model_path),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # as from a terminal: a test run started in the background (`cmd &` in a script) has
        # SIGINT ignored, and a child inherits that, so Python would never see the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "short.wav -> out/short.mid: ...": the long one has begun
        assert first.startswith("short.wav -> out/short.mid"), first
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "drumscribe: interrupted"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["short.mid"]


_WRITERS = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    import numpy as np, soundfile as sf
    from drumscribe._io import atomic_write
    from drumscribe.charts import (chart_from_transcription, write_chart_json, write_notes_chart,
                                   write_notes_mid, write_song_folder, write_song_ini)
    from drumscribe.charts.song_ini import song_ini_fields
    from drumscribe import DrumHit, Transcription
    from drumscribe.charts.general_midi import write_midi
    from drumscribe.model import write_sidecar

    root = Path(sys.argv[1])
    hits = tuple(DrumHit(0.05 * i, ("kick", "snare", "hihat")[i % 3], 90) for i in range(400))
    tr = Transcription(hits=hits, duration_s=21.0)
    chart = chart_from_transcription(tr)
    audio = root / "audio.flac"
    sf.write(audio, np.zeros(48000, np.float32), 48000)
    (root / "sidecar").mkdir()
    (root / "sidecar" / "model.onnx").write_bytes(b"x" * 10)

    def text(p):
        with atomic_write(p) as fh:
            fh.write("x" * 5000)

    writers = {
        "midi": lambda p: write_midi(hits, p),
        "json": lambda p: write_chart_json(tr, p),
        "notes_chart": lambda p: write_notes_chart(chart, p),
        "notes_mid": lambda p: write_notes_mid(chart, p),
        "song_ini": lambda p: write_song_ini(p, song_ini_fields(chart, title="t" * 3000)),
        "text": text,
        "sidecar": lambda p: write_sidecar(p.with_name("model.onnx"), sample_rate=16000, hop_length=160,
                                           extra={"pad": "x" * 3000}),
        "song_folder": lambda p: write_song_folder(tr, p, format="clonehero", audio_path=audio),
    }
    targets = {"sidecar": "model.onnx.json", "song_folder": "song"}
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))
    report = {}
    for name, write in writers.items():
        folder = root / name
        folder.mkdir(exist_ok=True)
        target = folder / targets.get(name, "out")
        if name in ("midi", "json", "notes_chart", "notes_mid", "song_ini", "text", "sidecar"):
            target.write_text("OLD")  # an older output that must survive the failed write
        try:
            write(target)
            report[name] = "no error"
        except BaseException as exc:
            report[name] = type(exc).__name__ + ": " + str(exc)
    print(json.dumps(report))
    """
)


@pytest.mark.timeout(120)
def test_failing_writers_leave_nothing(tmp_path: Path) -> None:
    """Every writer, failing half-way for real (a 1000-byte file-size limit: EFBIG), leaves
    no partial file and no temp file, and an older output stays as it was."""
    import json

    proc = subprocess.run(
        [sys.executable, "-c", _WRITERS, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) == {
        "midi",
        "json",
        "notes_chart",
        "notes_mid",
        "song_ini",
        "text",
        "sidecar",
        "song_folder",
    }
    for name, what in report.items():
        assert what != "no error", f"{name}: the file-size limit should have stopped it"
    for name in ("midi", "json", "notes_chart", "notes_mid", "song_ini", "text"):
        assert "File too large" in report[name], (name, report[name])
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["out"], name
        assert (tmp_path / name / "out").read_text() == "OLD", name
    assert sorted(p.name for p in (tmp_path / "sidecar").iterdir()) == ["model.onnx", "model.onnx.json"]
    assert (tmp_path / "sidecar" / "model.onnx.json").read_text() == "OLD"
    # the song folder's audio (converted to Ogg) fails first; libsndfile does not report the
    # failed write, so the converter reads the result back: the folder holds nothing
    assert report["song_folder"].endswith(
        "song/song.ogg: the converted audio is incomplete (is the disk full?)"
    )
    assert list((tmp_path / "song_folder" / "song").iterdir()) == []
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
