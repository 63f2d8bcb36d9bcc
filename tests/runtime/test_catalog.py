"""Catalog runs of ``drumscribe transcribe``: folders, lists, --jobs, --skip-existing, --shard, summary."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import soundfile as sf

from drumscribe.catalog import (
    SUMMARY_FIELDS,
    collect_inputs,
    parse_shard,
    shard,
    summary_path,
    threads_per_job,
)
from drumscribe.cli import main
from support.tiny_model import SAMPLE_RATE, drum_like_audio

#: Songs in the generated catalog: two albums, one nested deeper, same file names in both.
SONGS = ("album a/01.wav", "album a/02.flac", "album b/01.wav", "album b/disc 2/03.wav", "loose.ogg")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of short songs in sub-folders, with non-audio files and a hidden folder."""
    root = tmp_path_factory.mktemp("library")
    for i, rel in enumerate(SONGS):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        audio, _ = drum_like_audio(seconds=1.5 + 0.25 * i, seed=40 + i)
        sf.write(path, audio, SAMPLE_RATE)
    (root / "album a" / "cover.jpg").write_bytes(b"\xff\xd8not audio")
    (root / "album a" / "notes.txt").write_text("liner notes")
    (root / ".cache").mkdir()
    sf.write(root / ".cache" / "hidden.wav", drum_like_audio(seconds=1.0, seed=1)[0], SAMPLE_RATE)
    return root


def _summary(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == SUMMARY_FIELDS
        return list(reader)


def _outputs(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.mid"))


def test_folders_recurse_and_skip_non_audio(library: Path) -> None:
    catalog = collect_inputs([library])
    assert [p.relative_to(library).as_posix() for p, _ in catalog] == sorted(SONGS)
    assert all(root == library for _, root in catalog)


def test_folder_jobs_2_summary_then_skip_existing(
    library: Path, tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "charts"
    base = ["transcribe", str(library), "--out-dir", str(out), "--model", str(tiny_model_path)]
    assert main([*base, "--jobs", "2"]) == 0
    # sub-folders mirrored: the two albums' 01.wav do not collide
    assert _outputs(out) == sorted(str(Path(s).with_suffix(".mid").as_posix()) for s in SONGS)
    rows = _summary(summary_path(out))
    assert [r["status"] for r in rows] == ["ok"] * len(SONGS)
    assert all(int(r["hits"]) > 0 and float(r["duration"]) > 1 and not r["error"] for r in rows)
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == len(SONGS) + 1  # one line per song, then the totals
    assert captured.err == ""
    totals = lines[-1]
    assert f"{len(SONGS)} songs: {len(SONGS)} done, 0 skipped, 0 failed" in totals
    assert "with 2 jobs" in totals

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.mid")}
    (out / "album a" / "02.mid").unlink()  # one song lost: only it is done again
    assert main([*base, "--jobs", "2", "--skip-existing", "-q"]) == 0
    rows = _summary(summary_path(out))
    status = {Path(r["input"]).relative_to(library).as_posix(): r["status"] for r in rows}
    assert status == {s: ("ok" if s == "album a/02.flac" else "skipped") for s in SONGS}
    for p, mtime in before.items():
        if p.name != "02.mid" or p.parent.name != "album a":
            assert p.stat().st_mtime_ns == mtime, p  # finished songs untouched
    assert (out / "album a" / "02.mid").is_file()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_shards_cover_the_catalog_exactly_once(library: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "charts"
    done: list[str] = []
    for k in (1, 2):
        argv = ["transcribe", str(library), "--out-dir", str(out), "--model", str(tiny_model_path)]
        assert main([*argv, "--shard", f"{k}/2", "--jobs", "1", "-q"]) == 0
        rows = _summary(summary_path(out, (k, 2)))
        assert rows and all(r["status"] == "ok" for r in rows)
        done += [r["input"] for r in rows]
    assert sorted(done) == sorted(str(p) for p, _ in collect_inputs([library]))
    assert len(set(done)) == len(SONGS)
    assert len(_outputs(out)) == len(SONGS)


def test_shard_function_is_a_partition() -> None:
    items = list(range(23))
    for n in (1, 2, 3, 7, 30):
        parts = [shard(items, k, n) for k in range(1, n + 1)]
        assert sorted(x for part in parts for x in part) == items
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parse_shard("2/5") == (2, 5)
    for bad in ("0/2", "3/2", "1", "a/b", "1/2/3"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_from_list_with_comments_and_folders(
    library: Path, tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library)  # relative entries are relative to the current folder
    listing = tmp_path / "songs.txt"
    listing.write_text("# my catalog\n\nloose.ogg\nalbum b\n", encoding="utf-8")
    out = tmp_path / "charts"
    code = main(
        [
            "transcribe",
            "--from-list",
            str(listing),
            "--out-dir",
            str(out),
            "--model",
            str(tiny_model_path),
            "-q",
        ]
    )
    assert code == 0
    assert _outputs(out) == ["01.mid", "disc 2/03.mid", "loose.mid"]
    assert len(_summary(summary_path(out))) == 3


def test_a_bad_file_does_not_stop_the_batch(
    library: Path, tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    out = tmp_path / "charts"
    argv = ["transcribe", str(bad), str(library / "album a"), "--out-dir", str(out), "--jobs", "2"]
    assert main([*argv, "--model", str(tiny_model_path), "-q"]) == 1
    rows = {Path(r["input"]).name: r for r in _summary(summary_path(out))}
    assert rows["broken.wav"]["status"] == "failed" and "broken.wav" in rows["broken.wav"]["error"]
    assert rows["01.wav"]["status"] == rows["02.flac"]["status"] == "ok"
    err = capsys.readouterr().err
    assert err.count("drumscribe: error:") == 1 and "Traceback" not in err
    assert _outputs(out) == ["01.mid", "02.mid"]


def test_plain_file_runs_write_no_summary(tiny_model_path: Path, tmp_path: Path) -> None:
    src = tmp_path / "in" / "song.wav"
    src.parent.mkdir()
    sf.write(src, drum_like_audio(seconds=1.0, seed=2)[0], SAMPLE_RATE)
    out = tmp_path / "out"
    assert main(["transcribe", str(src), "--out-dir", str(out), "--model", str(tiny_model_path), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["song.mid"]


def test_threads_split_never_oversubscribes() -> None:
    for cores in (1, 2, 16):
        for jobs in range(1, cores + 3):
            per = threads_per_job(jobs, cores=cores)
            assert per >= 1
            assert jobs * per <= max(cores, jobs)


def test_a_folder_without_audio_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no audio")
    assert main(["transcribe", str(empty), "--out-dir", str(tmp_path / "o"), "-q"]) == 1
    assert "is a folder with no audio files in it" in capsys.readouterr().err
    assert os.listdir(tmp_path / "o") == ["drumscribe-summary.csv"]
