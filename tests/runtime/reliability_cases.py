"""Every bad input the reliability tests try, and what drumscribe must do with it.

One list feeds both the tests (tests/runtime/test_reliability_*.py) and the table in
docs/RELIABILITY.md (scripts/write_reliability_table.py): the tests run each case, check
its own expectations, and check that the document's row says what the run printed, so the
table cannot drift from the code.

Command-line cases run ``drumscribe transcribe`` in-process, inside a scratch folder
``work/`` (relative paths, so the messages read the same on every machine). Audio cases
run as a batch ``in/good-a.wav BAD in/good-b.wav --out-dir out``: the harness checks that
the good files are still written and that nothing else appears (no partial output, no temp
file), and that an error is exactly one line with no traceback.

Every input is made here from numpy and soundfile; nothing binary is committed.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

import drumscribe
from drumscribe.charts.general_midi import read_midi
from drumscribe.cli import main
from drumscribe.hits import DrumHit
from drumscribe.model import write_sidecar
from support.tiny_model import build_tiny_model, drum_like_audio

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "RELIABILITY.md"
INVALID_CHARTS = REPO / "bindings" / "fixtures" / "invalid"
SR = 16000
PREFIX = "drumscribe: error: "


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What every case may use: the tiny model and a 2 s drum-like signal at 16 kHz."""

    model_path: Path
    audio: np.ndarray = field(default_factory=lambda: drum_like_audio(seconds=2.0, seed=11)[0])

    @property
    def model(self) -> drumscribe.Model:
        return drumscribe.load_model(self.model_path)

    def hits(self, audio: np.ndarray, sample_rate: int = SR) -> list[DrumHit]:
        """The hits of an in-memory signal: the reference a file must reproduce."""
        return list(drumscribe.transcribe(audio, sample_rate=sample_rate, model=self.model).hits)


def make_context(folder: Path) -> Context:
    """A context with a fresh tiny model in ``folder`` (the script's way; tests use fixtures)."""
    return Context(build_tiny_model(folder / "tiny" / "model.onnx"))


def same_hits(got: list[DrumHit], want: list[DrumHit], *, tol_s: float = 0.002) -> None:
    """Assert two hit lists agree: same drums and velocities, times within ``tol_s``."""
    assert len(got) == len(want), (len(got), len(want))
    for lane in drumscribe.LANE_NAMES:
        g = [h for h in got if h.drum == lane]
        w = [h for h in want if h.drum == lane]
        assert [h.velocity for h in g] == [h.velocity for h in w], lane
        assert all(abs(a.time_s - b.time_s) <= tol_s for a, b in zip(g, w, strict=True)), lane


# --------------------------------------------------------------------------- CLI cases


@dataclass
class Setup:
    """What a case built: the CLI arguments, new files it expects, an optional check/patch."""

    args: list[str]
    expect_new: set[str]
    check: Callable[[Outcome], None] | None = None
    patch: Callable[[], contextlib.AbstractContextManager[Any]] | None = None


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    new_files: set[str]
    lost_files: set[str]
    work: Path
    setup: Setup

    @property
    def error_lines(self) -> list[str]:
        """stderr's lines but the ``drumscribe: warning:`` ones (a warning is not an error)."""
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip() and not line.startswith("drumscribe: warning: ")
        ]


@dataclass(frozen=True)
class CliCase:
    """One command-line run.

    ``error`` is a regex the single error line must match (after ``drumscribe: error: ``);
    None means the run must succeed, and ``result`` says in words what it gives.
    """

    id: str
    area: str  # "audio", "output", "model" or "options"
    input: str
    make: Callable[[Path, Context], Setup]
    exit_code: int
    error: str | None = None
    result: str | None = None


def _write(path: Path, audio: np.ndarray, sr: int = SR, **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, sr, **kw)
    return path


def _good(work: Path, ctx: Context) -> None:
    _write(work / "in" / "good-a.wav", ctx.audio)
    _write(work / "in" / "good-b.wav", ctx.audio[::-1].copy())


def _batch(work: Path, ctx: Context, bad: str, *, extra: tuple[str, ...] = ()) -> Setup:
    """``in/good-a.wav BAD in/good-b.wav --out-dir out``: the good ones must be written."""
    _good(work, ctx)
    return Setup(
        ["in/good-a.wav", bad, "in/good-b.wav", "--out-dir", "out", *extra],
        {"out/good-a.mid", "out/good-b.mid"},
    )


def _midi_equals(
    name: str, want: Callable[[Context], list[DrumHit]], ctx: Context
) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        same_hits(read_midi(o.work / name), want(ctx))

    return check


def _ok(work: Path, ctx: Context, src: str, reference: Callable[[Context], list[DrumHit]]) -> Setup:
    """A batch whose middle file must transcribe to ``reference`` (the array's hits)."""
    s = _batch(work, ctx, src)
    stem = Path(src).stem
    s.expect_new.add(f"out/{stem}.mid")
    s.check = _midi_equals(f"out/{stem}.mid", reference, ctx)
    return s


# -- bad audio files


def _empty(work: Path, ctx: Context) -> Setup:
    (work / "in").mkdir(parents=True, exist_ok=True)
    (work / "in" / "empty.wav").write_bytes(b"")
    return _batch(work, ctx, "in/empty.wav")


def _text(work: Path, ctx: Context) -> Setup:
    (work / "in").mkdir(parents=True, exist_ok=True)
    (work / "in" / "notes.wav").write_text("these are my drum notes, not audio\n" * 20)
    return _batch(work, ctx, "in/notes.wav")


def _cut(work: Path, ctx: Context, name: str, fmt: str, keep: float | int) -> Setup:
    """Write ``name`` whole, then keep ``keep`` of its bytes (a fraction, or a byte count)."""
    full = _write(work / "full" / name, ctx.audio, format=fmt)
    data = full.read_bytes()
    full.unlink()
    (work / "in").mkdir(parents=True, exist_ok=True)
    (work / "in" / name).write_bytes(data[: keep if isinstance(keep, int) else int(len(data) * keep)])
    return _batch(work, ctx, f"in/{name}")


def _ogg_without_last_page(work: Path, ctx: Context) -> Setup:
    full = _write(work / "full" / "cut-at-page.ogg", ctx.audio, format="OGG")
    data = full.read_bytes()
    full.unlink()
    (work / "in").mkdir(parents=True, exist_ok=True)
    (work / "in" / "cut-at-page.ogg").write_bytes(data[: data.rfind(b"OggS")])  # whole pages, no EOS
    return _batch(work, ctx, "in/cut-at-page.ogg")


def _float_wav_with(value: float) -> Callable[[Path, Context], Setup]:
    def make(work: Path, ctx: Context) -> Setup:
        x = ctx.audio.copy()
        x[SR // 2] = value
        _write(work / "in" / "bad-samples.wav", x, subtype="FLOAT")
        return _batch(work, ctx, "in/bad-samples.wav")

    return make


def _missing(work: Path, ctx: Context) -> Setup:
    return _batch(work, ctx, "in/no-such-file.wav")


def _folder(work: Path, ctx: Context) -> Setup:
    """A folder makes a catalog run (drumscribe.catalog): the summary CSV is written too."""
    (work / "in" / "a-folder.wav").mkdir(parents=True)
    setup = _batch(work, ctx, "in/a-folder.wav", extra=("-q",))
    return Setup(setup.args, {*setup.expect_new, "out/drumscribe-summary.csv"})


def _fifo(work: Path, ctx: Context) -> Setup:
    (work / "in").mkdir(parents=True, exist_ok=True)
    os.mkfifo(work / "in" / "pipe.wav")
    return _batch(work, ctx, "in/pipe.wav")


def _symlink_loop(work: Path, ctx: Context) -> Setup:
    (work / "in").mkdir(parents=True, exist_ok=True)
    os.symlink("loop.wav", work / "in" / "loop.wav")  # a link to itself
    return _batch(work, ctx, "in/loop.wav")


#: ``in/drum\xff.wav``: a file name that is not valid UTF-8 (Python holds it as a lone surrogate)
NON_UTF8_NAME = os.fsdecode(b"drum\xff")


def _non_utf8(work: Path, ctx: Context) -> Setup:
    (work / "in").mkdir(parents=True, exist_ok=True)
    sf.write(os.fsencode(work / "in" / f"{NON_UTF8_NAME}.wav"), ctx.audio, SR, subtype="FLOAT")
    s = _batch(work, ctx, f"in/{NON_UTF8_NAME}.wav")
    s.expect_new.add(f"out/{NON_UTF8_NAME}.mid")
    s.check = _midi_equals(f"out/{NON_UTF8_NAME}.mid", lambda c: c.hits(c.audio), ctx)
    return s


# -- odd but valid audio


def _zero_frames(work: Path, ctx: Context) -> Setup:
    _write(work / "in" / "zero.wav", np.zeros(0, dtype=np.float32))
    return _ok(work, ctx, "in/zero.wav", lambda c: [])


def _one_sample(work: Path, ctx: Context) -> Setup:
    _write(work / "in" / "one.wav", ctx.audio[:1], subtype="FLOAT")
    return _ok(work, ctx, "in/one.wav", lambda c: c.hits(c.audio[:1]))


def _flac_named_wav(work: Path, ctx: Context) -> Setup:
    _write(work / "in" / "really-flac.wav", ctx.audio, format="FLAC", subtype="PCM_24")
    return _ok(work, ctx, "in/really-flac.wav", lambda c: c.hits(_pcm(c.audio, 24)))


def _pcm(x: np.ndarray, bits: int) -> np.ndarray:
    scale = float(2 ** (bits - 1))
    return (np.clip(np.round(x * scale), -scale, scale - 1) / scale).astype(np.float32)


def _denormals(work: Path, ctx: Context) -> Setup:
    tiny = np.full(SR, 1e-41, dtype=np.float32)  # subnormal float32
    tiny[::2] = -1e-44
    _write(work / "in" / "denormals.wav", tiny, subtype="FLOAT")
    return _ok(work, ctx, "in/denormals.wav", lambda c: c.hits(np.zeros(SR, dtype=np.float32)))


def _dc(work: Path, ctx: Context) -> Setup:
    x = (0.6 * ctx.audio + 0.3).astype(np.float32)
    _write(work / "in" / "dc.wav", x, subtype="FLOAT")
    return _ok(work, ctx, "in/dc.wav", lambda c: c.hits((0.6 * c.audio + 0.3).astype(np.float32)))


def _clipped(work: Path, ctx: Context) -> Setup:
    x = np.clip(8.0 * ctx.audio, -1.0, 1.0).astype(np.float32)
    _write(work / "in" / "clipped.wav", x, subtype="FLOAT")
    return _ok(work, ctx, "in/clipped.wav", lambda c: c.hits(np.clip(8.0 * c.audio, -1.0, 1.0)))


def _eight_channels(work: Path, ctx: Context) -> Setup:
    x = np.repeat(ctx.audio[:, None], 8, axis=1)
    _write(work / "in" / "eight.wav", x, subtype="FLOAT")
    return _ok(work, ctx, "in/eight.wav", lambda c: c.hits(c.audio))


def _rate(rate: int) -> Callable[[Path, Context], Setup]:
    def make(work: Path, ctx: Context) -> Setup:
        x = soxr.resample(ctx.audio, SR, rate).astype(np.float32)
        _write(work / "in" / f"rate{rate}.wav", x, rate, subtype="FLOAT")
        return _ok(work, ctx, f"in/rate{rate}.wav", lambda c: c.hits(x, rate))

    return make


def _unicode(work: Path, ctx: Context) -> Setup:
    _write(work / "in" / "ünï cödé" / "drum loop ♫ 01.wav", ctx.audio, subtype="FLOAT")
    s = _batch(work, ctx, "in/ünï cödé/drum loop ♫ 01.wav")
    s.expect_new.add("out/drum loop ♫ 01.mid")
    s.check = _midi_equals("out/drum loop ♫ 01.mid", lambda c: c.hits(c.audio), ctx)
    return s


# -- output locations


def _dots_name(name: str, fmt: str) -> Callable[[Path, Context], Setup]:
    def make(work: Path, ctx: Context) -> Setup:
        _write(work / "in" / name, ctx.audio, format="WAV", subtype="FLOAT")
        s = _batch(work, ctx, f"in/{name}", extra=("--format", fmt))
        if fmt == "midi":
            s.expect_new.add("out/output.mid")
            return s
        s.expect_new = {
            f"out/{stem}/{f}"
            for stem in ("good-a", "good-b", "output")
            # song.ogg: the first hit is under 2 s in, so the song folder pads the audio (a lead-in)
            for f in ("notes.chart", "song.ini", "song.ogg")
        }
        return s

    return make


def _backslashes(work: Path, ctx: Context) -> Setup:
    name = "..\\..\\evil.wav"  # one file name on POSIX; on Windows Path.name drops the folders
    _write(work / "in" / name, ctx.audio, format="WAV", subtype="FLOAT")
    s = _batch(work, ctx, f"in/{name}")
    s.expect_new.add("out/..\\..\\evil.mid")
    return s


def _same_stem(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    _write(work / "in" / "good-a.flac", ctx.audio, format="FLAC")
    return Setup(
        ["in/good-a.wav", "in/good-a.flac", "in/good-b.wav", "--out-dir", "out"],
        {"out/good-a.mid", "out/good-b.mid"},
    )


def _onto_input(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(["in/good-a.wav", "-o", "in/good-a.wav", "--format", "midi"], set())


def _parent_is_file(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "a-file").write_text("not a folder\n")
    return Setup(["in/good-a.wav", "-o", "a-file/song.mid"], set())


def _out_dir_is_file(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "a-file").write_text("not a folder\n")
    return Setup(["in/good-a.wav", "in/good-b.wav", "--out-dir", "a-file"], set())


def _out_dir_under_file(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "a-file").write_text("not a folder\n")
    return Setup(["in/good-a.wav", "in/good-b.wav", "--out-dir", "a-file/charts"], set())


def _song_under_file(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "a-file").write_text("not a folder\n")
    return Setup(["in/good-a.wav", "--format", "clonehero", "-o", "a-file/My Song"], set())


def _output_is_folder(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "charts.mid").mkdir()
    return Setup(["in/good-a.wav", "-o", "charts.mid"], set())


def _output_is_fifo(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    fifo = work / "pipe.mid"
    os.mkfifo(fifo)
    # a reader on the other end, so the writer's open() does not wait
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def check(o: Outcome) -> None:
        try:
            data = os.read(fd, 1 << 16)
        finally:
            os.close(fd)
        assert stat.S_ISFIFO(fifo.lstat().st_mode), "the pipe was replaced by a file"
        assert data.startswith(b"MThd") and len(data) > 100

    return Setup(["in/good-a.wav", "-o", "pipe.mid"], set(), check=check)


def _unknown_extension(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(["in/good-a.wav", "-o", "song.txt"], set())


def _o_with_two_inputs(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(["in/good-a.wav", "in/good-b.wav", "-o", "both.mid"], set())


def _failing_save(exc: BaseException) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """Patch mido's writer: the first save writes half a file, then fails with ``exc``."""

    @contextlib.contextmanager
    def patch() -> Iterator[None]:
        import mido

        real = mido.MidiFile.save
        calls = {"n": 0}

        def save(self: mido.MidiFile, filename: Any = None, file: Any = None) -> None:
            calls["n"] += 1
            if calls["n"] > 1:
                real(self, filename, file)
                return
            buf = io.BytesIO()
            real(self, file=buf)
            with open(filename, "wb") as fh:
                fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            if isinstance(exc, OSError):
                raise OSError(exc.errno, exc.strerror, str(filename))
            raise exc

        mido.MidiFile.save = save  # type: ignore[method-assign]
        try:
            yield
        finally:
            mido.MidiFile.save = real  # type: ignore[method-assign]

    return patch


def _no_decoding() -> contextlib.AbstractContextManager[Any]:
    """Patch: transcribing anything fails the test (the command must stop before decoding)."""

    @contextlib.contextmanager
    def patch() -> Iterator[None]:
        module = importlib.import_module("drumscribe.transcribe")  # the package re-exports the function
        real = module.transcribe

        def transcribe(*args: Any, **kw: Any) -> Any:
            raise AssertionError("audio was decoded before the problem was reported")

        module.transcribe = transcribe
        try:
            yield
        finally:
            module.transcribe = real

    return patch()


def _output_under_file(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    (work / "a-file").write_text("not a folder\n")
    return Setup(["in/good-a.wav", "-o", "a-file/charts/song.mid"], set(), patch=_no_decoding)


def _dev_full(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(["in/good-a.wav", "-o", "/dev/full", "--format", "midi"], set())


def _disk_full(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(
        ["in/good-a.wav", "in/good-b.wav", "--out-dir", "out"],
        {"out/good-b.mid"},  # the first write fails, the second goes through
        patch=_failing_save(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))),
    )


def _interrupted(work: Path, ctx: Context) -> Setup:
    _good(work, ctx)
    return Setup(
        ["in/good-a.wav", "in/good-b.wav", "--out-dir", "out"],
        set(),  # Ctrl-C stops the batch; the half-written file is removed
        patch=_failing_save(KeyboardInterrupt()),
    )


# -- bad models


def _model_case(build: Callable[[Path, Context], None]) -> Callable[[Path, Context], Setup]:
    def make(work: Path, ctx: Context) -> Setup:
        _good(work, ctx)
        build(work / "bad", ctx)
        return Setup(["in/good-a.wav", "--out-dir", "out", "--model", "bad/model.onnx"], set())

    return make


def _tiny(folder: Path, **kw: Any) -> Path:
    return build_tiny_model(folder / "model.onnx", **kw)


def _edit_sidecar(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path, Context], None]:
    def build(folder: Path, ctx: Context) -> None:
        side = _tiny(folder).with_name("model.onnx.json")
        data = json.loads(side.read_text())
        edit(data)
        side.write_text(json.dumps(data))

    return build


def _no_model(folder: Path, ctx: Context) -> None:
    folder.mkdir(parents=True)


def _no_sidecar(folder: Path, ctx: Context) -> None:
    _tiny(folder, write_side=False)


def _other_sidecar(folder: Path, ctx: Context) -> None:
    other = _tiny(folder / "other", hop=128)
    model = _tiny(folder, write_side=False)
    os.replace(other.with_name("model.onnx.json"), model.with_name("model.onnx.json"))


def _truncated_onnx(rehash: bool) -> Callable[[Path, Context], None]:
    def build(folder: Path, ctx: Context) -> None:
        model = _tiny(folder)
        data = model.read_bytes()
        model.write_bytes(data[: len(data) // 2])
        if rehash:  # a sidecar that matches the damaged file: onnxruntime itself must refuse it
            write_sidecar(model, sample_rate=SR, hop_length=160, chunk_s=1.0, context_s=0.05)

    return build


def _text_onnx(folder: Path, ctx: Context) -> None:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_text("not a model\n")
    write_sidecar(folder / "model.onnx", sample_rate=SR, hop_length=160)


def _wrong_input(folder: Path, ctx: Context) -> None:
    _tiny(folder, input_name="waveform")


def _seven_lanes(folder: Path, ctx: Context) -> None:
    _tiny(folder, n_lanes=7)


def _wrong_frames(folder: Path, ctx: Context) -> None:
    model = _tiny(folder)  # the graph hops 160 samples; the sidecar says 200
    write_sidecar(model, sample_rate=SR, hop_length=200, chunk_s=1.0, context_s=0.05)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]

    return edit


def _not_json(folder: Path, ctx: Context) -> None:
    _tiny(folder).with_name("model.onnx.json").write_text("{ this is not json")


def _scaled_onsets(scale: float) -> Callable[[Path, Context], None]:
    def build(folder: Path, ctx: Context) -> None:
        _tiny(folder, onset_scale=scale)

    return build


def _sidecar_replaced_by(kind: str) -> Callable[[Path, Context], None]:
    def build(folder: Path, ctx: Context) -> None:
        side = _tiny(folder).with_name("model.onnx.json")
        side.unlink()
        if kind == "folder":
            side.mkdir()
        else:
            os.symlink(kind, side)  # /dev/zero: endless

    return build


def _model_link_loop(folder: Path, ctx: Context) -> None:
    folder.mkdir(parents=True)
    os.symlink("model.onnx", folder / "model.onnx")


# -- options: refused before any work (exit 2), naming the option


def _option(*extra: str) -> Callable[[Path, Context], Setup]:
    def make(work: Path, ctx: Context) -> Setup:
        s = _batch(work, ctx, "in/good-a.wav", extra=extra)
        s.args.remove("in/good-a.wav")
        s.expect_new = set()
        s.patch = _no_decoding
        return s

    return make


# --------------------------------------------------------------------------- the list

_MIDI_SAME = "the same hits as the in-memory signal"

CLI_CASES: tuple[CliCase, ...] = (
    # bad audio: one error line, the rest of the batch is written
    CliCase("empty-file", "audio", "An empty file (0 bytes)", _empty, 1, r"in/empty\.wav: empty file"),
    CliCase(
        "text-as-wav",
        "audio",
        "A text file named `.wav`",
        _text,
        1,
        r"in/notes\.wav: not a readable audio file",
    ),
    CliCase(
        "truncated-wav",
        "audio",
        "WAV cut to half its bytes",
        lambda w, c: _cut(w, c, "cut.wav", "WAV", 0.5),
        1,
        r"in/cut\.wav: truncated: the header promises 2\.00 s",
    ),
    CliCase(
        "truncated-wav-header",
        "audio",
        "WAV cut inside its header (20 bytes)",
        lambda w, c: _cut(w, c, "cut.wav", "WAV", 20),
        1,
        r"in/cut\.wav: not a readable audio file",
    ),
    CliCase(
        "truncated-flac",
        "audio",
        "FLAC cut to half its bytes",
        lambda w, c: _cut(w, c, "cut.flac", "FLAC", 0.5),
        1,
        r"in/cut\.flac: decoding failed, file truncated or corrupt",
    ),
    CliCase(
        "truncated-ogg",
        "audio",
        "Ogg Vorbis cut to half its bytes",
        lambda w, c: _cut(w, c, "cut.ogg", "OGG", 0.5),
        1,
        r"in/cut\.ogg: truncated: the last Ogg page is cut off",
    ),
    CliCase(
        "truncated-ogg-page",
        "audio",
        "Ogg Vorbis cut between two pages (no end-of-stream page)",
        _ogg_without_last_page,
        1,
        r"in/cut-at-page\.ogg: truncated: the Ogg stream ends without its end-of-stream page",
    ),
    CliCase(
        "truncated-mp3",
        "audio",
        "MP3 cut to half its bytes",
        lambda w, c: _cut(w, c, "cut.mp3", "MP3", 0.5),
        1,
        r"in/cut\.mp3: truncated: the header promises 2\.00 s of audio, only \d\.\d\d s could be decoded",
    ),
    CliCase(
        "nan-samples",
        "audio",
        "Float WAV with a NaN sample",
        _float_wav_with(float("nan")),
        1,
        r"in/bad-samples\.wav: audio contains NaN or infinite samples",
    ),
    CliCase(
        "inf-samples",
        "audio",
        "Float WAV with an infinite sample",
        _float_wav_with(float("inf")),
        1,
        r"in/bad-samples\.wav: audio contains NaN or infinite samples",
    ),
    CliCase(
        "missing-file",
        "audio",
        "A file that does not exist",
        _missing,
        1,
        r"in/no-such-file\.wav: no such file",
    ),
    CliCase(
        "folder-input",
        "audio",
        "A folder with no audio in it given as input (`-q`)",
        _folder,
        1,
        r"in/a-folder\.wav: is a folder with no audio files in it",
    ),
    CliCase(
        "fifo-input",
        "audio",
        "A named pipe given as input (must not hang)",
        _fifo,
        1,
        r"in/pipe\.wav: not a regular file",
    ),
    # odd but valid audio: a result
    CliCase(
        "zero-frames",
        "audio",
        "WAV with a valid header and 0 frames",
        _zero_frames,
        0,
        result="transcribed: no hits, an empty chart",
    ),
    CliCase("one-sample", "audio", "WAV of one sample", _one_sample, 0, result="transcribed; " + _MIDI_SAME),
    CliCase(
        "flac-named-wav",
        "audio",
        "FLAC data in a file named `.wav`",
        _flac_named_wav,
        0,
        result="transcribed (libsndfile reads the content, not the name); " + _MIDI_SAME,
    ),
    CliCase(
        "denormals",
        "audio",
        "Float WAV of denormal (subnormal) samples",
        _denormals,
        0,
        result="transcribed; the same hits as digital silence",
    ),
    CliCase(
        "dc-offset",
        "audio",
        "Float WAV with a +0.3 DC offset",
        _dc,
        0,
        result="transcribed; the samples reach the model unchanged: " + _MIDI_SAME,
    ),
    CliCase(
        "clipping",
        "audio",
        "Full-scale clipping (signal x8, clipped to ±1)",
        _clipped,
        0,
        result="transcribed; " + _MIDI_SAME,
    ),
    CliCase(
        "eight-channels",
        "audio",
        "8-channel WAV",
        _eight_channels,
        0,
        result="transcribed (channels averaged); the same hits as the mono signal",
    ),
    CliCase(
        "rate-8k",
        "audio",
        "8 kHz WAV",
        _rate(8000),
        0,
        result="transcribed (resampled to the model's 16 kHz); " + _MIDI_SAME,
    ),
    CliCase(
        "rate-192k",
        "audio",
        "192 kHz WAV",
        _rate(192000),
        0,
        result="transcribed (resampled to the model's 16 kHz); " + _MIDI_SAME,
    ),
    CliCase(
        "symlink-loop",
        "audio",
        "A symbolic link to itself",
        _symlink_loop,
        1,
        r"in/loop\.wav: a loop of symbolic links",
    ),
    CliCase(
        "non-utf8-name",
        "audio",
        "A file name that is not valid UTF-8 (byte 0xFF) in a batch",
        _non_utf8,
        0,
        result="transcribed (the name passed to libsndfile as the OS's bytes) to `out/drum\\xff.mid`; "
        + _MIDI_SAME,
    ),
    CliCase(
        "unicode-path",
        "audio",
        "Unicode and spaces in folder and file names",
        _unicode,
        0,
        result="transcribed to `out/drum loop ♫ 01.mid`; " + _MIDI_SAME,
    ),
    # where outputs go
    CliCase(
        "name-three-dots-song",
        "output",
        "Input `...wav` with `--format clonehero` (its stem is `..`)",
        _dots_name("...wav", "clonehero"),
        0,
        result="song folder `out/output/`, never `out/..`",
    ),
    CliCase(
        "name-two-dots-song",
        "output",
        "Input `..wav` with `--format clonehero` (its stem is `.`)",
        _dots_name("..wav", "clonehero"),
        0,
        result="song folder `out/output/`, never `out/` itself",
    ),
    CliCase(
        "name-three-dots-midi",
        "output",
        "Input `...wav` to MIDI",
        _dots_name("...wav", "midi"),
        0,
        result="`out/output.mid`",
    ),
    CliCase(
        "name-backslashes",
        "output",
        "Input named `..\\..\\evil.wav` (one name on POSIX)",
        _backslashes,
        0,
        result="`out/..\\..\\evil.mid`, inside `out/`",
    ),
    CliCase(
        "same-output-twice",
        "output",
        "`good-a.wav` and `good-a.flac` in one batch (same output name)",
        _same_stem,
        1,
        r"in/good-a\.flac: its output out/good-a\.mid was already written for in/good-a\.wav",
    ),
    CliCase(
        "output-onto-input",
        "output",
        "`-o` names the input file itself",
        _onto_input,
        1,
        r"in/good-a\.wav: the output in/good-a\.wav would overwrite the input",
    ),
    CliCase(
        "output-parent-is-file",
        "output",
        "`-o a-file/song.mid` where `a-file` is a file",
        _parent_is_file,
        1,
        r"a-file/song\.mid: output folder a-file is a file, not a folder",
    ),
    CliCase(
        "out-dir-is-file",
        "output",
        "`--out-dir` names an existing file",
        _out_dir_is_file,
        2,
        r"a-file: cannot create output folder \(File exists\)",
    ),
    CliCase(
        "out-dir-under-file",
        "output",
        "`--out-dir a-file/charts` where `a-file` is a file",
        _out_dir_under_file,
        2,
        r"a-file/charts: cannot create output folder \(Not a directory\)",
    ),
    CliCase(
        "song-folder-under-file",
        "output",
        "Song folder under a file (`--format clonehero -o a-file/My Song`)",
        _song_under_file,
        1,
        r"a-file/My Song: cannot make the song folder \(Not a directory\)",
    ),
    CliCase(
        "output-is-folder",
        "output",
        "`-o charts.mid` where `charts.mid` is a folder",
        _output_is_folder,
        1,
        r"charts\.mid: is a folder; give an output file name",
    ),
    CliCase(
        "output-is-pipe",
        "output",
        "`-o pipe.mid` where `pipe.mid` is a named pipe (like `/dev/stdout`)",
        _output_is_fifo,
        0,
        result="the MIDI is written into the pipe; the pipe is not replaced by a file",
    ),
    CliCase(
        "unknown-extension",
        "output",
        "`-o song.txt` (no format for `.txt`)",
        _unknown_extension,
        2,
        r"song\.txt: cannot tell the output format from the extension '\.txt'",
    ),
    CliCase(
        "o-with-two-inputs",
        "output",
        "`-o` with two inputs",
        _o_with_two_inputs,
        2,
        r"-o names one output; use --out-dir DIR for many inputs",
    ),
    CliCase(
        "output-folder-unmakeable",
        "output",
        "`-o a-file/charts/song.mid` where `a-file` is a file (checked before the audio is decoded)",
        _output_under_file,
        1,
        r"a-file/charts/song\.mid: output folder a-file is a file, not a folder",
    ),
    CliCase(
        "output-dev-full",
        "output",
        "`-o /dev/full` (every write fails: ENOSPC)",
        _dev_full,
        1,
        r"^drumscribe: error: /dev/full: No space left on device$",
    ),
    CliCase(
        "disk-full",
        "output",
        "The disk fills up while a MIDI file is written (simulated ENOSPC)",
        _disk_full,
        1,
        r"out/good-a\.mid: No space left on device",
    ),
    CliCase(
        "interrupted", "output", "Ctrl-C while a MIDI file is written", _interrupted, 130, r"interrupted"
    ),
    # bad models: the command stops before any input (exit 2), except a runtime contract break
    CliCase(
        "model-missing",
        "model",
        "`--model` names a file that does not exist",
        _model_case(_no_model),
        2,
        r"bad/model\.onnx: model file not found",
    ),
    CliCase(
        "model-no-sidecar",
        "model",
        "Model without its sidecar `model.onnx.json`",
        _model_case(_no_sidecar),
        2,
        r"bad/model\.onnx: sidecar model\.onnx\.json not found beside the model",
    ),
    CliCase(
        "model-hash-mismatch",
        "model",
        "Sidecar of another export (sha256 differs)",
        _model_case(_other_sidecar),
        2,
        r"bad/model\.onnx: sha256 <sha256>… does not match the sidecar's <sha256>…",
    ),
    CliCase(
        "model-truncated",
        "model",
        "`.onnx` cut to half its bytes",
        _model_case(_truncated_onnx(rehash=False)),
        2,
        r"bad/model\.onnx: sha256 <sha256>… does not match",
    ),
    CliCase(
        "model-truncated-rehashed",
        "model",
        "`.onnx` cut to half, sidecar hash updated to match",
        _model_case(_truncated_onnx(rehash=True)),
        2,
        r"bad/model\.onnx: onnxruntime cannot load the model",
    ),
    CliCase(
        "model-not-onnx",
        "model",
        "A text file named `model.onnx` (with a matching sidecar)",
        _model_case(_text_onnx),
        2,
        r"bad/model\.onnx: onnxruntime cannot load the model",
    ),
    CliCase(
        "model-wrong-input",
        "model",
        "Model whose input is not named `audio`",
        _model_case(_wrong_input),
        2,
        r"bad/model\.onnx: expected one input named 'audio', found \['waveform'\]",
    ),
    CliCase(
        "model-seven-lanes",
        "model",
        "Model with 7 output lanes",
        _model_case(_seven_lanes),
        2,
        r"bad/model\.onnx: output 'onsets' has 7 lanes, expected 8",
    ),
    CliCase(
        "model-wrong-frames",
        "model",
        "Output frames differ from `samples // hop + 1` (sidecar hop 200, graph hop 160)",
        _model_case(_wrong_frames),
        2,
        r"bad/model\.onnx: output 'onsets' has shape \(1, \d+, 8\), expected \(1, \d+, 8\)",
    ),
    CliCase(
        "model-nan-output",
        "model",
        "Model whose onsets are NaN",
        _model_case(_scaled_onsets(float("nan"))),
        2,
        r"bad/model\.onnx: output 'onsets' is not finite \(NaN or infinite\) on a probe signal",
    ),
    CliCase(
        "model-scaled-output",
        "model",
        "Model whose onsets are scaled x50",
        _model_case(_scaled_onsets(50.0)),
        2,
        r"bad/model\.onnx: output 'onsets' ranges .* on a probe signal; the contract is probabilities in \[0, 1\]",
    ),
    CliCase(
        "model-negated-output",
        "model",
        "Model whose onsets are negated",
        _model_case(_scaled_onsets(-1.0)),
        2,
        r"bad/model\.onnx: output 'onsets' ranges -.* on a probe signal",
    ),
    CliCase(
        "model-link-loop",
        "model",
        "`model.onnx` a symbolic link to itself",
        _model_case(_model_link_loop),
        2,
        r"bad/model\.onnx: cannot open the model \(a loop of symbolic links\)",
    ),
    CliCase(
        "sidecar-not-json",
        "model",
        "Sidecar that is not JSON",
        _model_case(_not_json),
        2,
        r"bad/model\.onnx\.json: unreadable sidecar",
    ),
    CliCase(
        "sidecar-format-version",
        "model",
        "Sidecar `format_version: 2`",
        _model_case(_edit_sidecar(_set("format_version", 2))),
        2,
        r"sidecar format_version 2 is not supported",
    ),
    CliCase(
        "sidecar-missing-key",
        "model",
        "Sidecar without `hop_length`",
        _model_case(_edit_sidecar(_drop("hop_length"))),
        2,
        r"sidecar misses key hop_length",
    ),
    CliCase(
        "sidecar-missing-threshold",
        "model",
        "Sidecar thresholds without `ride`",
        _model_case(_edit_sidecar(_drop("peak_picking.thresholds.ride"))),
        2,
        r"peak_picking\.thresholds must give each of the 8 lanes a value in \(0, 1\]",
    ),
    CliCase(
        "sidecar-threshold-range",
        "model",
        "Sidecar threshold 1.5",
        _model_case(_edit_sidecar(_set("peak_picking.thresholds.kick", 1.5))),
        2,
        r"peak_picking\.thresholds must give each of the 8 lanes",
    ),
    CliCase(
        "sidecar-threshold-bool",
        "model",
        "Sidecar threshold `true`",
        _model_case(_edit_sidecar(_set("peak_picking.thresholds.kick", True))),
        2,
        r"peak_picking\.thresholds must give each of the 8 lanes",
    ),
    CliCase(
        "sidecar-negative-interval",
        "model",
        "Sidecar `min_interval_s: -0.03`",
        _model_case(_edit_sidecar(_set("peak_picking.min_interval_s", -0.03))),
        2,
        r"peak_picking\.min_interval_s must be a number >= 0",
    ),
    CliCase(
        "sidecar-unknown-peak-rule",
        "model",
        "Sidecar `peak_picking.rule: valley`",
        _model_case(_edit_sidecar(_set("peak_picking.rule", "valley"))),
        2,
        r"peak_picking\.rule must be one of peak, rise, got 'valley'",
    ),
    CliCase(
        "sidecar-nan-chunk",
        "model",
        "Sidecar `chunk_s: NaN`",
        _model_case(_edit_sidecar(_set("inference.chunk_s", float("nan")))),
        2,
        r"inference\.chunk_s must be > 0",
    ),
    CliCase(
        "sidecar-huge-rate",
        "model",
        "Sidecar `sample_rate: 1000000000` (with a correct sha256)",
        _model_case(_edit_sidecar(_set("sample_rate", 1_000_000_000))),
        2,
        r"bad/model\.onnx\.json: sample_rate 1000000000 is outside 4000\.\.192000 Hz",
    ),
    CliCase(
        "sidecar-huge-hop",
        "model",
        "Sidecar `hop_length: 10000000`",
        _model_case(_edit_sidecar(_set("hop_length", 10_000_000))),
        2,
        r"bad/model\.onnx\.json: hop_length 10000000 is more than 8192 samples",
    ),
    CliCase(
        "sidecar-huge-chunk",
        "model",
        "Sidecar `chunk_s: 1e9`",
        _model_case(_edit_sidecar(_set("inference.chunk_s", 1e9))),
        2,
        r"bad/model\.onnx\.json: inference\.chunk_s must be <= 600 s and context_s <= 60 s",
    ),
    CliCase(
        "sidecar-is-folder",
        "model",
        "Sidecar `model.onnx.json` that is a folder",
        _model_case(_sidecar_replaced_by("folder")),
        2,
        r"bad/model\.onnx\.json: unreadable sidecar \(the sidecar is a folder\)",
    ),
    CliCase(
        "sidecar-dev-zero",
        "model",
        "Sidecar `model.onnx.json` that is a link to `/dev/zero` (endless)",
        _model_case(_sidecar_replaced_by("/dev/zero")),
        2,
        r"bad/model\.onnx\.json: unreadable sidecar \(the sidecar is not a regular file",
    ),
    CliCase(
        "sidecar-lanes-reordered",
        "model",
        "Sidecar lanes in another order",
        _model_case(_edit_sidecar(lambda d: d["lanes"].reverse())),
        2,
        r"model lanes \[.*\] differ from the runtime's",
    ),
)


_OPTION_CASES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("option-chunk-inf", "`--chunk inf`", ("--chunk", "inf"), r"argument --chunk: must be a finite number"),
    (
        "option-threads-huge",
        "`--threads 100000` (took 16 GB and never finished)",
        ("--threads", "100000"),
        r"argument --threads: must be an integer 1\.\.64, got '100000'",
    ),
    (
        "option-min-interval-nan",
        "`--min-interval nan`",
        ("--min-interval", "nan"),
        r"argument --min-interval: must be a finite number",
    ),
    (
        "option-bpm-inf",
        "`--bpm inf`",
        ("--bpm", "inf"),
        r"argument --bpm: must be a finite number in \[1, 1000\]",
    ),
    ("option-bpm-huge", "`--bpm 1e300`", ("--bpm", "1e300"), r"argument --bpm: must be a finite number"),
    (
        "option-offset-nan",
        "`--offset nan`",
        ("--offset", "nan"),
        r"argument --offset: must be a finite number",
    ),
    (
        "option-threshold-nan",
        "`--threshold nan`",
        ("--threshold", "nan"),
        r"argument --threshold: thresholds must lie",
    ),
)

CLI_CASES = CLI_CASES + tuple(
    CliCase(cid, "options", what, _option(*extra), 2, error) for cid, what, extra, error in _OPTION_CASES
)


def _listing(root: Path, work: Path) -> set[str]:
    found = set()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(Path(dirpath) / name, work))
    return found


def normalize(text: str, work: Path) -> str:
    """Paths relative to the work folder; sha256 prefixes (they change with onnx) as ``<sha256>``."""
    for base in {str(work.resolve()), str(work)}:
        text = text.replace(base + os.sep, "")
    return re.sub(r"\b[0-9a-f]{12}…", "<sha256>…", text)


def run_cli_case(case: CliCase, ctx: Context, folder: Path) -> Outcome:
    """Build the case's inputs under ``folder/work`` and run ``drumscribe transcribe`` there."""
    root = folder / case.id
    work = root / "work"
    work.mkdir(parents=True)
    with contextlib.chdir(work):
        setup = case.make(work, ctx)
        args = ["transcribe", *setup.args, "-q"]
        if "--model" not in args:
            args += ["--model", str(ctx.model_path)]
        before = _listing(root, work)
        out, err = io.StringIO(), io.StringIO()
        patch = setup.patch() if setup.patch else contextlib.nullcontext()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), patch:
            try:
                code = main(args)
            except SystemExit as exc:
                code = int(exc.code or 0)
        after = _listing(root, work)
    return Outcome(
        code, out.getvalue(), normalize(err.getvalue(), work), after - before, before - after, work, setup
    )


def check_cli_case(case: CliCase, outcome: Outcome) -> None:
    """The rules every CLI case follows, then its own check."""
    setup = outcome.setup
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.code == case.exit_code, (outcome.code, outcome.stderr)
    assert not outcome.lost_files, f"inputs disappeared: {outcome.lost_files}"
    assert outcome.new_files == setup.expect_new, (
        f"files written: {sorted(outcome.new_files)}, expected {sorted(setup.expect_new)}"
    )
    if case.error is None:
        assert outcome.error_lines == [], outcome.stderr
    else:
        lines = outcome.error_lines
        assert len(lines) == 1, f"expected one error line, got {lines}"
        prefix = "drumscribe: " if case.exit_code == 130 else PREFIX
        assert lines[0].startswith(prefix), lines[0]
        assert re.search(case.error, lines[0]), (case.error, lines[0])
    if setup.check is not None:
        setup.check(outcome)


# --------------------------------------------------------------------------- array cases


@dataclass(frozen=True)
class ArrayCase:
    """``drumscribe.transcribe(array, sample_rate=...)``: an exception or a result."""

    id: str
    input: str
    make: Callable[[Context], tuple[Any, Any]]  # -> (audio, sample_rate)
    error: str | None = None  # "ExceptionType: regex"
    result: str | None = None
    reference: Callable[[Context], list[DrumHit]] | None = None


ARRAY_CASES: tuple[ArrayCase, ...] = (
    ArrayCase(
        "array-nan",
        "Array with a NaN",
        lambda c: (np.where(np.arange(SR) == 5, np.nan, 0.1).astype(np.float32), SR),
        "AudioError: <array>: audio contains NaN or infinite samples",
    ),
    ArrayCase(
        "array-inf",
        "Array with -inf",
        lambda c: (np.where(np.arange(SR) == 5, -np.inf, 0.1), SR),
        "AudioError: <array>: audio contains NaN or infinite samples",
    ),
    ArrayCase(
        "array-denormals",
        "Array of denormal float32",
        lambda c: (np.full(SR, 1e-41, np.float32), SR),
        result="the same hits as digital silence",
        reference=lambda c: c.hits(np.zeros(SR, np.float32)),
    ),
    ArrayCase(
        "array-empty",
        "Empty array",
        lambda c: (np.zeros(0, np.float32), SR),
        result="no hits, duration 0 s",
        reference=lambda c: [],
    ),
    ArrayCase(
        "array-one-sample",
        "Array of one sample",
        lambda c: (c.audio[:1], SR),
        result="a result (the model sees one frame)",
        reference=lambda c: c.hits(c.audio[:1]),
    ),
    ArrayCase(
        "array-eight-channels",
        "(8, samples) array",
        lambda c: (np.stack([c.audio] * 8), SR),
        result="channels averaged: the same hits as the mono signal",
        reference=lambda c: c.hits(c.audio),
    ),
    ArrayCase(
        "array-int16",
        "int16 array",
        lambda c: ((c.audio * 32767).astype(np.int16), SR),
        result="scaled to [-1, 1): the same hits as the float signal",
        reference=lambda c: c.hits((c.audio * 32767).astype(np.int16).astype(np.float32) / 32768),
    ),
    ArrayCase(
        "array-samples-channels",
        "(samples, 2) array (channels last)",
        lambda c: (np.stack([c.audio] * 2, axis=1), SR),
        f"AudioError: <array>: {2 * SR} channels; arrays are \\(channels, samples\\)",
    ),
    ArrayCase(
        "array-3d",
        "3-D array",
        lambda c: (np.zeros((1, 2, 100), np.float32), SR),
        r"AudioError: <array>: audio must have shape \(samples,\) or \(channels, samples\)",
    ),
    ArrayCase(
        "array-bool",
        "Boolean array",
        lambda c: (np.zeros(100, bool), SR),
        "AudioError: <array>: audio dtype bool is not numeric",
    ),
    ArrayCase(
        "array-no-rate",
        "Array without `sample_rate`",
        lambda c: (c.audio, None),
        "DrumscribeError: transcribe: an array input needs sample_rate=",
    ),
    ArrayCase(
        "array-zero-rate",
        "`sample_rate=0`",
        lambda c: (c.audio, 0),
        "AudioError: <array>: sample_rate must be a positive integer, got 0",
    ),
    ArrayCase(
        "array-bool-rate",
        "`sample_rate=True` (a bool is not a rate)",
        lambda c: (c.audio, True),
        "AudioError: <array>: sample_rate must be a positive integer, got True",
    ),
    ArrayCase(
        "array-0d",
        "0-d array `np.array(0.5)`",
        lambda c: (np.array(0.5), SR),
        r"AudioError: <array>: audio must have shape \(samples,\) or \(channels, samples\), got \(\)",
    ),
    ArrayCase(
        "array-no-channels",
        "`np.zeros((0, 100))` (no channels)",
        lambda c: (np.zeros((0, 100)), SR),
        r"AudioError: <array>: audio has shape \(0, 100\): no channels",
    ),
    ArrayCase(
        "array-uint8",
        "uint8 array (offset binary)",
        lambda c: (np.full(SR, 128, np.uint8), SR),
        "AudioError: <array>: audio dtype uint8 is unsigned",
    ),
    ArrayCase(
        "array-fraction-rate",
        "`sample_rate=0.5`",
        lambda c: (c.audio, 0.5),
        "AudioError: <array>: sample_rate must be a positive integer, got 0.5",
    ),
)


def run_array_case(case: ArrayCase, ctx: Context) -> tuple[str | None, list[DrumHit] | None]:
    """(error text ``Type: message`` or None, hits or None)."""
    audio, rate = case.make(ctx)
    try:
        result = drumscribe.transcribe(audio, sample_rate=rate, model=ctx.model)
    except drumscribe.DrumscribeError as exc:
        return f"{type(exc).__name__}: {exc}", None
    return None, list(result.hits)


def check_array_case(case: ArrayCase, error: str | None, hits: list[DrumHit] | None, ctx: Context) -> None:
    if case.error is not None:
        assert error is not None, f"expected {case.error}, got a result"
        kind, _, pattern = case.error.partition(": ")
        assert error.startswith(kind + ": "), error
        assert re.search(pattern, error), (pattern, error)
    else:
        assert error is None, error
        assert hits is not None and case.reference is not None
        same_hits(hits, case.reference(ctx))


# --------------------------------------------------------------------------- charts


def chart_rows() -> list[tuple[str, str]]:
    """(fixture name, the reader's message) for every invalid chart fixture."""
    from drumscribe.charts import read_chart_json
    from drumscribe.errors import ChartError

    rows = []
    for path in sorted(INVALID_CHARTS.glob("*.json")):
        try:
            read_chart_json(path)
        except ChartError as exc:
            rows.append((path.name, str(exc).replace(str(INVALID_CHARTS) + os.sep, "")))
        else:
            rows.append((path.name, "ACCEPTED (a bug: every fixture here is invalid)"))
    return rows


# --------------------------------------------------------------------------- other rows

#: (id, what is tried, what it gets, "test file::test name" that checks it)
STATIC_ROWS: tuple[tuple[str, str, str, str], ...] = (
    (
        "two-hours-silence",
        "Two hours of silence (FLAC, 8 kHz mono)",
        "transcribed in blocks; numpy memory stays under 64 MB (a whole-file decode would need 460 MB)",
        "tests/runtime/test_reliability_audio.py::test_two_hours_of_silence_stream_flat",
    ),
    (
        "subprocess-exit-codes",
        "The CLI as a subprocess: a batch with a bad file, a bad model, a usage error",
        "exit 1 / 2 / 2, one error line each, no `Traceback`",
        "tests/runtime/test_reliability_audio.py::test_subprocess_exit_codes_and_no_traceback",
    ),
    (
        "sigint-batch",
        "A real Ctrl-C (SIGINT) to the CLI process in the middle of a batch",
        "exit 130, `drumscribe: interrupted`; the finished output is kept, nothing of the interrupted one",
        "tests/runtime/test_reliability_audio.py::test_sigint_during_a_batch_exits_130_without_partial_output",
    ),
    (
        "atomic-writers",
        "Every writer (MIDI, JSON chart, notes.chart, notes.mid, song.ini, sidecar, song-folder audio) failing half-way for real (a file-size limit: EFBIG)",
        "the error is raised; an older output keeps its content, no partial or temp file is left",
        "tests/runtime/test_reliability_audio.py::test_failing_writers_leave_nothing",
    ),
    (
        "checkpoint-other-config",
        "A checkpoint from another model config",
        "`ModelError: …checkpoint was trained with another model config…`",
        "tests/training/test_train.py::test_checkpoint_from_another_config_is_refused",
    ),
    (
        "checkpoint-pickled-object",
        "A checkpoint holding a pickled custom object (its `__reduce__` would run code)",
        "`ModelError: …not a readable checkpoint (Weights only load failed…)`; the code never runs",
        "tests/training/test_reliability_training.py::test_checkpoint_with_a_pickled_object_is_refused",
    ),
    (
        "checkpoint-garbage",
        "A truncated checkpoint, a text file named `.ckpt`, a missing one",
        "`ModelError` naming the file",
        "tests/training/test_reliability_training.py::test_bad_checkpoints_are_model_errors",
    ),
    (
        "preprocess-sigkill",
        "`drumscribe-train preprocess` killed with SIGKILL while writing a shard",
        "finished shards are complete HDF5 and kept on resume (same inode and mtime); the half-written temp shard is removed; the final set equals an uninterrupted run",
        "tests/training/test_reliability_training.py::test_preprocess_killed_with_sigkill_resumes",
    ),
    (
        "preprocess-crash",
        "Preprocessing raising mid-run, or a worker process killed",
        "finished shards kept, the rest redone (existing tests)",
        "tests/training/test_preprocess.py::test_resume_after_a_worker_is_killed",
    ),
    (
        "train-sigkill",
        "`drumscribe-train fit` killed with SIGKILL in the middle of epoch 2",
        '`fit(resume="last")` continues from `last.ckpt` of epoch 1: epoch, global step and LR schedule go on',
        "tests/training/test_reliability_training.py::test_training_killed_mid_epoch_resumes_from_last",
    ),
    (
        "runtime-no-pickle-source",
        "The runtime package's source",
        "no `pickle`/`marshal`/`shelve`/`dill`/`joblib`/`torch` import, no `torch.load`, every `np.load` passes `allow_pickle=False`",
        "tests/runtime/test_reliability_security.py::test_runtime_source_never_unpickles",
    ),
    (
        "runtime-no-pickle-run",
        "A whole transcription (load model, decode, write MIDI, JSON, song folder)",
        "no `pickle.find_class` audit event: nothing is unpickled",
        "tests/runtime/test_reliability_security.py::test_transcription_unpickles_nothing",
    ),
    (
        "chart-json-round-trip",
        "Random hits, grids and tempos (hypothesis): transcription → JSON chart file → chart",
        "the chart read back equals the one built; every chart hit is one that went in",
        "tests/runtime/test_reliability_charts.py::test_chart_json_file_round_trip",
    ),
    (
        "midi-round-trip",
        "Random hits and tempos (hypothesis): hits → MIDI file (one tempo, as `transcribe -o x.mid`) → hits",
        "the same drums and velocities on the same ticks; each time within half a tick",
        "tests/runtime/test_reliability_charts.py::test_hits_midi_hits_round_trip_one_tempo",
    ),
    (
        "output-names-property",
        "Random input names of dots, spaces, backslashes, unicode (hypothesis) with `--out-dir`",
        "the output is one name directly inside the output folder, never `.` or `..`",
        "tests/runtime/test_reliability_security.py::test_output_names_stay_in_the_output_folder",
    ),
    (
        "sidecar-every-key",
        "A sidecar without each required key in turn; wrong types; NaN and infinite numbers",
        "`ModelError: side.json: sidecar misses key …` / `… has the wrong type …` / the range rule broken",
        "tests/runtime/test_reliability_models.py::test_every_required_sidecar_key",
    ),
    (
        "streaming-int16-blocks",
        "`StreamingTranscriber.push` of int16 blocks (at 16 and 44.1 kHz)",
        "scaled to [-1, 1) as `transcribe()` scales an array: the same hits as `transcribe()` on the same int16 array",
        "tests/runtime/test_reliability_limits.py::test_streaming_integer_blocks_scale_as_offline",
    ),
    (
        "streaming-unsigned-bool",
        "`push` of uint8, uint16 or bool blocks",
        "`AudioError`, the same message as `transcribe()` on that array",
        "tests/runtime/test_reliability_limits.py::test_streaming_refuses_what_offline_refuses",
    ),
    (
        "streaming-after-finish",
        "`push()` or `finish()` after `finish()` (16 and 44.1 kHz)",
        "`DrumscribeError: StreamingTranscriber.push() after finish(): the signal has ended; call reset() to start a new one`; `reset()` starts afresh",
        "tests/runtime/test_reliability_limits.py::test_streaming_after_finish_is_refused_until_reset",
    ),
    (
        "api-chunk-inf",
        "`transcribe(..., chunk_s=inf)` (and NaN chunk, context, interval)",
        "`DrumscribeError: chunk_s must be > 0 and <= 600 seconds, got inf`, before the file is opened",
        "tests/runtime/test_reliability_limits.py::test_api_options_are_checked_before_decoding",
    ),
    (
        "api-threads-huge",
        "`load_model(..., threads=100000)` (and 0, 65, `True`)",
        "`ModelError: …threads must be an integer 1..64…`",
        "tests/runtime/test_reliability_limits.py::test_threads_over_the_cap_are_a_model_error",
    ),
    (
        "sigterm-during-write",
        "A real SIGTERM while the output file is written",
        "exit 143, `drumscribe: terminated`; neither the output nor the hidden temp file is left",
        "tests/runtime/test_reliability_limits.py::test_sigterm_during_the_write_removes_the_temp_file",
    ),
    (
        "stale-temp-files",
        "Temp files (`.NAME.XXXXXXXX.tmp`) left by a killed run",
        "removed when the same output is written again, once older than an hour (`drumscribe._io.STALE_TEMP_AGE_S`); fresh ones are left alone",
        "tests/runtime/test_reliability_limits.py::test_stale_temp_files_are_swept",
    ),
    (
        "memory-capped-inputs",
        "`--threads 100000`, a sidecar `sample_rate: 1e9` (transcribe and `info`), `/dev/zero` as a chart, each in a process capped at 4 GB",
        "exit 2 / 2 / 2 / `ChartError`, one line each, at once (they took 16-24 GB)",
        "tests/runtime/test_reliability_limits.py::test_memory_hungry_inputs_fail_fast_under_a_cap",
    ),
    (
        "chart-not-regular",
        "A FIFO, a folder, a symlink loop or a file over 64 MiB as a chart (`read_chart_json`)",
        "`ChartError` naming the file; nothing is read (`MAX_CHART_BYTES`)",
        "tests/runtime/test_reliability_limits.py::test_chart_reader_reads_only_regular_files_of_bounded_size",
    ),
    (
        "c-chart-many-keys",
        "C loader: 300k keys in the free-form `model` object (5 MB)",
        "loaded in about a second (duplicates found by sorting; it ran past 120 s)",
        "tests/bindings/test_bindings_c.py::test_c_loader_many_object_keys_load_fast",
    ),
    (
        "c-chart-endless",
        "C loader: `/dev/zero`, a FIFO, a folder, a 65 MiB file, under a 1 GB cap",
        "`DS_ERR_IO` naming the file; nothing is read (`DS_MAX_CHART_BYTES`)",
        "tests/bindings/test_bindings_c.py::test_c_loader_refuses_endless_and_odd_files",
    ),
    (
        "ts-chart-endless",
        "TypeScript loader: `/dev/zero`, a FIFO, a folder, a 65 MiB file",
        "`ChartError` kind `io` naming the file; nothing is read (`MAX_CHART_BYTES`)",
        "tests/bindings/test_bindings_ts.py::test_ts_loader_refuses_endless_and_odd_files",
    ),
    (
        "csharp-chart-endless",
        "C# loader (`ChartLoader.Load`): `/dev/zero`, a FIFO, a folder, a 65 MiB file, under a 1 GB cap",
        "`ChartException` kind `Io` naming the file; nothing is read (`ChartLoader.MaxChartBytes`; `File.ReadAllBytes` blocked on the FIFO and read the 65 MiB file whole)",
        "tests/bindings/test_bindings_csharp.py::test_csharp_loader_refuses_endless_and_odd_files",
    ),
    (
        "gdscript-chart-endless",
        "GDScript loader (`load_file`): `/dev/zero`, a FIFO, a folder, a 65 MiB file",
        "`ERR_FILE_CANT_OPEN`, `error_kind` `io`, naming the file and why; nothing is read (`MAX_CHART_BYTES`; it was `Godot error 12`, and the 65 MiB file was read)",
        "tests/bindings/test_bindings_gdscript.py::test_gdscript_loader_refuses_endless_and_odd_files",
    ),
    (
        "chart-cap-agrees",
        "The chart file cap in the source of each loader (C, TypeScript, C#, GDScript, Python)",
        "all equal to the 67108864 bytes stated in `bindings/README.md`",
        "tests/bindings/test_bindings_file_cap.py::test_every_loader_caps_chart_files_at_the_readme_value",
    ),
    (
        "ts-truncated-wav",
        "TypeScript model runner: a WAV cut in half, or with data size 0x7FFFFFF0",
        "refused (`truncated: the header promises …`, exit 1) as Python refuses it; a streaming writer's placeholder size is read",
        "tests/bindings/test_bindings_ts_model.py::test_ts_refuses_truncated_wavs_as_python_does",
    ),
)


# --------------------------------------------------------------------------- the document


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cli_row(case: CliCase, outcome: Outcome) -> str:
    if case.error is None:
        what = case.result or ""
    else:
        what = "`" + outcome.error_lines[0] + "`"
    return f"| `{case.id}` | {_cell(case.input)} | {outcome.code} | {_cell(what)} |"


def array_row(case: ArrayCase, error: str | None) -> str:
    what = f"`{error}`" if error else (case.result or "")
    return f"| `{case.id}` | {_cell(case.input)} | {_cell(what)} |"


def chart_row(name: str, message: str) -> str:
    return f"| `{name}` | `{_cell(message)}` |"


def static_row(row: tuple[str, str, str, str]) -> str:
    rid, what, gets, test = row
    return f"| `{rid}` | {_cell(what)} | {_cell(gets)} | `{test}` |"


CLI_HEADER = "| case | input | exit | what you get |\n|---|---|---|---|"
ARRAY_HEADER = "| case | input | what you get |\n|---|---|---|"
CHART_HEADER = "| fixture | `read_chart_json` raises `ChartError` |\n|---|---|"
STATIC_HEADER = "| case | what is tried | what it gets | checked by |\n|---|---|---|---|"

SECTIONS = ("audio", "output", "model", "options", "array", "charts", "other")


def section_markers(name: str) -> tuple[str, str]:
    return f"<!-- table:{name} (generated: scripts/write_reliability_table.py) -->", f"<!-- /table:{name} -->"


def read_section(text: str, name: str) -> list[str]:
    """The table lines of one generated section of the document."""
    begin, end = section_markers(name)
    start = text.index(begin) + len(begin)
    return [line for line in text[start : text.index(end, start)].strip().splitlines()]


def doc_row(case_id: str, section: str) -> str | None:
    """The document's row for ``case_id`` in ``section``, or None."""
    for line in read_section(DOC.read_text(encoding="utf-8"), section):
        if line.startswith(f"| `{case_id}` |"):
            return line
    return None


def render_sections(ctx: Context, folder: Path) -> dict[str, list[str]]:
    """Run every case and render each section's table (the script's job)."""
    sections: dict[str, list[str]] = {}
    for area in ("audio", "output", "model", "options"):
        header = CLI_HEADER.splitlines()
        rows = []
        for case in CLI_CASES:
            if case.area == area:
                outcome = run_cli_case(case, ctx, folder)
                check_cli_case(case, outcome)
                rows.append(cli_row(case, outcome))
        sections[area] = header + rows
    rows = []
    for acase in ARRAY_CASES:
        error, hits = run_array_case(acase, ctx)
        check_array_case(acase, error, hits, ctx)
        rows.append(array_row(acase, error))
    sections["array"] = ARRAY_HEADER.splitlines() + rows
    sections["charts"] = CHART_HEADER.splitlines() + [chart_row(n, m) for n, m in chart_rows()]
    sections["other"] = STATIC_HEADER.splitlines() + [static_row(r) for r in STATIC_ROWS]
    return sections


def replace_sections(text: str, sections: dict[str, list[str]]) -> str:
    for name, lines in sections.items():
        begin, end = section_markers(name)
        start = text.index(begin) + len(begin)
        stop = text.index(end, start)
        text = text[:start] + "\n" + "\n".join(lines) + "\n" + text[stop:]
    return text
