"""Hostile inputs of issue 24 that are not one CLI run or one array: the streaming API, the
API's own options, signals, stale temp files, chart files that never end, and the inputs whose
failure was memory (each run in a subprocess under an address-space cap).

Each test is a row of the "other" table in docs/RELIABILITY.md (reliability_cases.STATIC_ROWS).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import reliability_cases as rc
import soxr

import drumscribe
from drumscribe._io import STALE_TEMP_AGE_S
from drumscribe.charts import read_chart_json
from drumscribe.charts.json_chart import MAX_CHART_BYTES
from drumscribe.errors import AudioError, ChartError, DrumscribeError, ModelError

#: Address-space cap of the memory-capped subprocesses: what the runtime needs (onnxruntime
#: reserves a lot of virtual memory) with room, far below what the old failures took (16-24 GB).
MEMORY_CAP_BYTES = 4 << 30


@pytest.fixture(scope="module")
def ctx(tiny_model_path: Path) -> rc.Context:
    return rc.Context(tiny_model_path)


def _capped(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run python ``code`` in a subprocess whose address space is capped at MEMORY_CAP_BYTES."""
    prologue = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP_BYTES}, {MEMORY_CAP_BYTES}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


# ------------------------------------------------------------------------- streaming


def test_streaming_integer_blocks_scale_as_offline(ctx: rc.Context) -> None:
    """int16 blocks pushed into a StreamingTranscriber give the hits transcribe() gives on the
    same int16 array (they were scaled differently: 75 hits against 18), at 16 and 44.1 kHz."""
    for rate in (16000, 44100):
        signal_at_rate = ctx.audio if rate == rc.SR else soxr.resample(ctx.audio, rc.SR, rate)
        x = (np.clip(signal_at_rate, -1, 1) * 32767).astype(np.int16)
        offline = drumscribe.transcribe(x, sample_rate=rate, model=ctx.model).hits
        stream = drumscribe.StreamingTranscriber(ctx.model, sample_rate=rate)
        hits = []
        for start in range(0, x.size, 1234):
            hits += stream.push(x[start : start + 1234])
        hits += stream.finish()
        assert len(offline) > 0
        rc.same_hits(sorted(hits), list(offline), tol_s=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.bool_])
def test_streaming_refuses_what_offline_refuses(ctx: rc.Context, dtype: type) -> None:
    block = np.zeros(1000, dtype=dtype)
    stream = drumscribe.StreamingTranscriber(ctx.model, sample_rate=rc.SR)
    with pytest.raises(AudioError) as streamed:
        stream.push(block)
    with pytest.raises(AudioError) as offline:
        drumscribe.transcribe(block, sample_rate=rc.SR, model=ctx.model)
    assert str(streamed.value).split(": ", 1)[1] == str(offline.value).split(": ", 1)[1]


@pytest.mark.parametrize("rate", [16000, 44100])
def test_streaming_after_finish_is_refused_until_reset(ctx: rc.Context, rate: int) -> None:
    """push() or finish() after finish() raise a clear DrumscribeError (soxr raised
    'Input after last input' at 44.1 kHz; at 16 kHz duration_s kept adding up);
    reset() starts a new signal."""
    block = np.zeros(rate // 2, dtype=np.float32)
    stream = drumscribe.StreamingTranscriber(ctx.model, sample_rate=rate)
    stream.push(block)
    stream.finish()
    for call in (lambda: stream.push(block), stream.finish):
        with pytest.raises(DrumscribeError, match=r"after finish\(\): the signal has ended; call reset\(\)"):
            call()
    assert stream.duration_s == pytest.approx(0.5)
    stream.reset()
    stream.push(block)
    stream.finish()
    assert stream.duration_s == pytest.approx(0.5)


def test_streaming_refuses_a_bool_rate(ctx: rc.Context) -> None:
    with pytest.raises(AudioError, match="sample_rate must be a positive integer, got True"):
        drumscribe.StreamingTranscriber(ctx.model, sample_rate=True)


# ------------------------------------------------------------------------- API options


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"chunk_s": float("inf")}, r"chunk_s must be > 0 and <= 600 seconds, got inf"),
        ({"chunk_s": float("nan")}, r"chunk_s must be > 0"),
        ({"context_s": float("nan")}, r"context_s must be >= 0"),
        ({"min_interval_s": float("nan")}, r"min_interval_s must be a finite number >= 0"),
    ],
)
def test_api_options_are_checked_before_decoding(
    ctx: rc.Context, tmp_path: Path, kw: dict[str, float], message: str
) -> None:
    """chunk_s=inf gave an OverflowError; the options are checked before the file is opened
    (the path here does not exist, and the option is what is reported)."""
    with pytest.raises((DrumscribeError, ValueError), match=message):
        drumscribe.transcribe(tmp_path / "no-such-file.wav", model=ctx.model, **kw)


def test_threads_over_the_cap_are_a_model_error(ctx: rc.Context) -> None:
    from drumscribe.model import MAX_THREADS

    for threads in (0, MAX_THREADS + 1, 100_000, True):
        with pytest.raises(ModelError, match=rf"threads must be an integer 1\.\.{MAX_THREADS}"):
            drumscribe.load_model(ctx.model_path, threads=threads, cache=False)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- signals, temp files

_SIGTERM_DURING_WRITE = """
import os, signal, sys
import mido
from drumscribe.cli import main

real = mido.MidiFile.save

def save(self, filename=None, file=None):
    with open(filename, "wb") as fh:
        fh.write(b"MThd half a file")
        fh.flush()
        os.kill(os.getpid(), signal.SIGTERM)  # a real SIGTERM, in the middle of the write
        fh.write(b"never written")

mido.MidiFile.save = save
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.timeout(120)
def test_sigterm_during_the_write_removes_the_temp_file(ctx: rc.Context, tmp_path: Path) -> None:
    """SIGTERM while the output is written: exit 143, one line, and neither the output nor the
    hidden temp file is left (it was left, with no message)."""
    rc._write(tmp_path / "in.wav", ctx.audio)
    (tmp_path / "out").mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _SIGTERM_DURING_WRITE,
            "transcribe",
            "in.wav",
            "-o",
            "out/in.mid",
            "--model",
            str(ctx.model_path),
            "-q",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert proc.stderr.strip() == "drumscribe: terminated"
    assert list((tmp_path / "out").iterdir()) == []


def test_stale_temp_files_are_swept(ctx: rc.Context, tmp_path: Path) -> None:
    """Temp files of an output left by a killed run (SIGKILL) are removed when that output is
    written again, once they are older than STALE_TEMP_AGE_S; a fresh one (a run going on
    now) and other hidden files are left alone."""
    from drumscribe.cli import main

    rc._write(tmp_path / "in.wav", ctx.audio)
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".in.mid.k2j4_x9q.tmp"
    fresh = out / ".in.mid.a1b2c3d4.tmp"
    other = out / ".in.mid.notes"
    for p in (stale, fresh, other):
        p.write_bytes(b"partial")
    old = time.time() - STALE_TEMP_AGE_S - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert (
        main(
            [
                "transcribe",
                str(tmp_path / "in.wav"),
                "-o",
                str(out / "in.mid"),
                "-q",
                "--model",
                str(ctx.model_path),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == sorted([fresh.name, other.name, "in.mid"])


# ------------------------------------------------------------------------- memory-capped


@pytest.mark.timeout(180)
def test_memory_hungry_inputs_fail_fast_under_a_cap(ctx: rc.Context, tmp_path: Path) -> None:
    """The inputs that took 16-24 GB (threads 100000, a sidecar's sample_rate 1e9, /dev/zero
    as a chart) are refused at once in a process capped at 4 GB, with one line each."""
    rc._write(tmp_path / "in.wav", ctx.audio)
    rc._tiny(tmp_path / "bad")
    rc._edit_sidecar(rc._set("sample_rate", 1_000_000_000))(tmp_path / "bad2", ctx)
    code = """
    import sys
    from drumscribe.cli import main
    sys.exit(main(sys.argv[1:]))
    """
    threads = _capped(code, "transcribe", "in.wav", "-o", "x.mid", "--threads", "100000", cwd=tmp_path)
    assert threads.returncode == 2, threads.stderr
    assert threads.stderr.startswith("drumscribe: error: argument --threads: must be an integer 1..64")
    rate = _capped(code, "transcribe", "in.wav", "-o", "x.mid", "--model", "bad2/model.onnx", cwd=tmp_path)
    assert rate.returncode == 2, rate.stderr
    assert rate.stderr.strip().endswith("sample_rate 1000000000 is outside 4000..192000 Hz")
    info = _capped(code, "info", "bad2/model.onnx", cwd=tmp_path)
    assert info.returncode == 2 and "sample_rate 1000000000 is outside" in info.stderr, info.stderr
    chart = _capped(
        """
        from drumscribe.charts import read_chart_json
        from drumscribe.errors import ChartError
        try:
            read_chart_json("/dev/zero")
        except ChartError as exc:
            print(exc)
        """
    )
    assert chart.returncode == 0, chart.stderr
    assert (
        chart.stdout.strip()
        == "/dev/zero: cannot read the chart (the chart is not a regular file (a pipe or a device))"
    )
    assert not (tmp_path / "x.mid").exists()


def test_chart_reader_reads_only_regular_files_of_bounded_size(tmp_path: Path) -> None:
    """A FIFO (would block), a folder, a symlink loop and a sparse file over MAX_CHART_BYTES are
    refused without being read."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(MAX_CHART_BYTES + 1)
    loop = tmp_path / "loop.json"
    os.symlink("loop.json", loop)
    for path, why in (
        (fifo, "not a regular file"),
        (tmp_path, "is a folder"),
        (big, f"more than the {MAX_CHART_BYTES} allowed"),
        (loop, "Too many levels of symbolic links"),
    ):
        with pytest.raises(ChartError, match=why):
            read_chart_json(path)
