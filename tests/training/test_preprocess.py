"""Preprocessing a tiny E-GMD-shaped folder: shards, splits, skipped pairs, summary, resume."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from drumscribe.contract import LANE_NAMES
from drumscribe_training.config import load_config
from drumscribe_training.data import preprocess as pp
from drumscribe_training.data.egmd import lane_lookup, read_index
from drumscribe_training.data.preprocess import (
    EVENT_DTYPE,
    PreprocessError,
    PreprocessOptions,
    plan_shards,
    run_preprocess,
    shard_paths,
)
from drumscribe_training.data.splits import assign_splits, read_split_file
from support.egmd_testdata import write_tiny_egmd

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfg():
    return load_config()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return write_tiny_egmd(tmp_path_factory.mktemp("egmd") / "e-gmd", corrupt=True, duration_s=2.0)


def _options(cfg, root: Path, tmp: Path, **kw) -> PreprocessOptions:
    kw.setdefault("num_workers", 1)
    kw.setdefault("progress", False)
    return PreprocessOptions.from_config(
        cfg, data_dir=root, out_dir=tmp / "proc", splits_dir=tmp / "splits", **kw
    )


@pytest.fixture(scope="module")
def processed(tiny, cfg, tmp_path_factory: pytest.TempPathFactory):
    root, _pairs = tiny
    tmp = tmp_path_factory.mktemp("run")
    summary = run_preprocess(_options(cfg, root, tmp, num_workers=2))
    return tmp, summary


def test_split_files_and_shards(tiny, processed) -> None:
    root, _pairs = tiny
    tmp, _ = processed
    rows = read_index(root)
    for split in ("train", "val", "test"):
        listed = read_split_file(tmp / "splits" / f"{split}_split.txt")
        assert listed == tuple(sorted(r.audio_filename for r in rows if r.split == split))
        assert [p.name for p in shard_paths(tmp / "proc", split)] == [f"{split}_00000.h5"]
    assert not list((tmp / "proc").glob(".*.tmp"))


def test_shard_layout_and_content(tiny, processed, cfg) -> None:
    _root, pairs = tiny
    tmp, _ = processed
    lanes = lane_lookup(cfg.classes.note_map)
    by_name = {p.audio_filename: p for p in pairs}
    with h5py.File(tmp / "proc" / "train_00000.h5", "r") as f:
        assert f.attrs["complete"] and f.attrs["split"] == "train"
        assert f.attrs["sample_rate"] == 16000 and json.loads(f.attrs["lane_names"]) == list(LANE_NAMES)
        assert f["audio"].dtype == np.int16 and f["events"].dtype == EVENT_DTYPE
        ex = f["examples"]
        n = int(f.attrs["num_examples"])
        assert n == 6  # the four corrupt training rows are skipped
        assert int(ex["audio_length"][:].sum()) == f["audio"].shape[0] == f.attrs["num_samples"]
        for i in range(n):
            name = ex["audio_filename"][i].decode()
            pair = by_name[name]
            assert ex["midi_filename"][i].decode() == pair.midi_filename
            assert ex["kit_name"][i].decode() and ex["style"][i].decode()
            assert ex["bpm"][i] == 120 and ex["duration_s"][i] == pytest.approx(2.0)
            assert abs(int(ex["audio_length"][i]) - 32000) <= 1
            e0, ec = int(ex["event_start"][i]), int(ex["event_count"][i])
            ev = f["events"][e0 : e0 + ec]
            want = sorted((t, lanes[nt], v, nt) for t, nt, v in pair.hits)
            np.testing.assert_allclose(ev["time_s"], [w[0] for w in want], atol=1e-3)
            assert ev["lane"].tolist() == [w[1] for w in want]
            assert ev["velocity"].tolist() == [w[2] for w in want]
            assert ev["note"].tolist() == [w[3] for w in want]
            assert ex["lane_hits"][i].tolist() == np.bincount(ev["lane"], minlength=8).tolist()
            a0 = int(ex["audio_start"][i])
            audio = f["audio"][a0 : a0 + int(ex["audio_length"][i])]
            assert np.abs(audio).max() > 1000  # not silent


def test_skipped_report_and_summary(tiny, processed, cfg) -> None:
    _root, pairs = tiny
    tmp, summary = processed
    lines = (tmp / "proc" / "skipped.tsv").read_text().splitlines()
    assert lines[0] == "split\taudio_filename\tmidi_filename\treason"
    reasons = sorted(line.split("\t")[3] for line in lines[1:])
    assert len(reasons) == 4
    assert reasons[0].startswith("MIDI longer than audio")
    assert reasons[1] == "missing MIDI file"
    assert all(r.startswith("unreadable audio") for r in reasons[2:])
    saved = json.loads((tmp / "proc" / "summary.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    lanes = lane_lookup(cfg.classes.note_map)
    for split in ("train", "val", "test"):
        s = summary["splits"][split]
        want = np.zeros(8, dtype=int)
        for p in pairs:
            if p.split == split:
                for _, note, _ in p.hits:
                    want[lanes[note]] += 1
        assert [s["hits"][name] for name in LANE_NAMES] == want.tolist()
        assert s["hours"] == pytest.approx(sum(p.split == split for p in pairs) * 2.0 / 3600, rel=1e-3)
    assert summary["splits"]["train"]["skipped"] == 4
    n_extra = sum(1 for p in pairs if int(p.audio_filename.split("/")[-1].split("_")[0]) % 2 == 1)
    assert summary["unmapped_notes"] == {"99": n_extra}
    assert summary["ignored_notes"] == {"39": n_extra}
    table = (tmp / "proc" / "summary.txt").read_text()
    assert "unmapped notes" in table and "hi_tom" in table and "train" in table


def test_grouped_split_is_deterministic_and_keeps_sessions_apart(tiny) -> None:
    root, _ = tiny
    rows = read_index(root)
    a = assign_splits(rows, mode="grouped", fractions=(0.7, 0.15, 0.15), seed=7)
    b = assign_splits(rows, mode="grouped", fractions=(0.7, 0.15, 0.15), seed=7)
    assert a == b
    assert sum(len(v) for v in a.values()) == len(rows)
    groups = {s: {r.group for r in v} for s, v in a.items()}
    assert not groups["train"] & groups["val"] and not groups["train"] & groups["test"]
    assert not groups["val"] & groups["test"]
    assert all(groups[s] for s in ("train", "val", "test"))


def test_plan_shards_cuts_by_hours(tiny) -> None:
    root, _ = tiny
    splits = assign_splits(read_index(root))
    plans = plan_shards(splits, shard_hours=4.5 / 3600)  # two 2 s rows per shard
    train = [p for p in plans if p.split == "train"]
    assert [len(p.rows) for p in train] == [2, 2, 2, 2, 2]
    assert [p.name for p in train] == [f"train_{i:05d}.h5" for i in range(5)]
    assert plan_shards(splits, shard_hours=4.5 / 3600) == plans


def _stamp(paths: list[Path]) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def test_resume_after_a_failure_mid_run(tiny, cfg, tmp_path: Path, monkeypatch) -> None:
    root, _ = tiny
    opts = _options(cfg, root, tmp_path, shard_hours=4.5 / 3600)
    calls: dict[str, object] = {"n": 0}
    real_add = pp._ShardWriter.add

    def failing_add(self, row, result):
        calls["n"] = int(calls["n"]) + 1
        if calls["n"] == 5:  # the fifth good pair: in the middle of the training shards
            calls["crashed_in"] = self.path.name
            raise RuntimeError("simulated crash")
        real_add(self, row, result)

    monkeypatch.setattr(pp._ShardWriter, "add", failing_add)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_preprocess(opts)
    out = tmp_path / "proc"
    finished = sorted(out.glob("*.h5"))
    crashed = str(calls["crashed_in"])
    assert [p.name for p in finished] == [f"train_{i:05d}.h5" for i in range(int(crashed[6:11]))]
    assert len(finished) >= 2
    assert not (out / crashed).exists()
    assert not list(out.glob(".*"))  # no temp shard left behind
    manifest = json.loads((out / pp.MANIFEST_NAME).read_text())
    assert sorted(manifest["shards"]) == [p.name for p in finished]
    before = _stamp(finished)
    monkeypatch.setattr(pp._ShardWriter, "add", real_add)
    written: list[str] = []
    real_init = pp._ShardWriter.__init__

    def spy_init(self, path, **kw):
        written.append(path.name)
        real_init(self, path, **kw)

    monkeypatch.setattr(pp._ShardWriter, "__init__", spy_init)
    summary = run_preprocess(opts)
    assert not set(written) & {p.name for p in finished}
    assert _stamp(finished) == before  # finished shards were kept, not rewritten
    assert len(sorted(out.glob("train_*.h5"))) == 5
    assert summary["splits"]["train"]["examples"] == 6 and summary["splits"]["train"]["skipped"] == 4
    for p in out.glob("*.h5"):
        with h5py.File(p, "r") as f:
            assert f.attrs["complete"]


@pytest.mark.timeout(180)
def test_resume_after_a_worker_is_killed(cfg, tmp_path: Path, monkeypatch) -> None:
    # 16 pairs of 1 s, two per shard: when the workers die after the third pair, at most
    # 3 + 2 workers x 4 in flight = 11 jobs were ever submitted, so the pool must break.
    root, _ = write_tiny_egmd(tmp_path / "e-gmd", n_train=12, duration_s=1.0, hits_per_s=2.0)
    opts = _options(cfg, root, tmp_path, shard_hours=2.5 / 3600, num_workers=2)
    real_add = pp._ShardWriter.add
    calls = {"n": 0}

    def kill_workers_then_add(self, row, result):
        calls["n"] += 1
        if calls["n"] == 3:  # after the first shards: SIGKILL every worker process
            workers = [
                c for c in multiprocessing.active_children() if type(c).__name__ == "ForkServerProcess"
            ]
            assert workers
            for child in workers:
                with contextlib.suppress(ProcessLookupError):  # one may be exiting already
                    os.kill(child.pid, signal.SIGKILL)
                child.join(timeout=30)
        real_add(self, row, result)

    monkeypatch.setattr(pp._ShardWriter, "add", kill_workers_then_add)
    with pytest.raises(PreprocessError, match="worker process died"):
        run_preprocess(opts)
    out = tmp_path / "proc"
    finished = sorted(out.glob("*.h5"))
    assert [p.name for p in finished] == ["train_00000.h5"]
    assert not list(out.glob(".*"))
    manifest = json.loads((out / pp.MANIFEST_NAME).read_text())
    assert sorted(manifest["shards"]) == [p.name for p in finished]
    before = _stamp(finished)
    monkeypatch.setattr(pp._ShardWriter, "add", real_add)
    summary = run_preprocess(opts)
    assert _stamp(finished) == before
    assert summary["splits"]["train"]["examples"] == 12
    assert summary["splits"]["val"]["examples"] == 2 and summary["splits"]["test"]["examples"] == 2
    assert len(list(out.glob("train_*.h5"))) == 6


def test_changed_settings_redo_the_shards(tiny, cfg, tmp_path: Path) -> None:
    root, _ = tiny
    run_preprocess(_options(cfg, root, tmp_path))
    stamp = _stamp(sorted((tmp_path / "proc").glob("*.h5")))
    again = run_preprocess(_options(cfg, root, tmp_path))
    assert _stamp(sorted((tmp_path / "proc").glob("*.h5"))) == stamp
    assert again["splits"]["train"]["examples"] == 6
    cfg8k = cfg.replace(audio={"sample_rate": 8000, "hop_length": 80}, frontend={"fmax": 4000.0})
    run_preprocess(_options(cfg8k, root, tmp_path))
    with h5py.File(tmp_path / "proc" / "train_00000.h5", "r") as f:
        assert f.attrs["sample_rate"] == 8000


def test_cli_and_seed_script(tiny, tmp_path: Path) -> None:
    from drumscribe_training.cli import main

    root, _ = tiny
    config = REPO_ROOT / "configs" / "default_config.yaml"
    rc = main(
        [
            "preprocess",
            "--config",
            str(config),
            "--data-dir",
            str(root),
            "--out",
            str(tmp_path / "a"),
            "--splits-dir",
            str(tmp_path / "sa"),
            "--num-workers",
            "1",
            "--use-hdf5",
            "--no-progress",
        ]
    )
    assert rc == 0 and (tmp_path / "a" / "train_00000.h5").is_file()
    assert (
        main(
            [
                "preprocess",
                "--config",
                str(config),
                "--data-dir",
                str(tmp_path / "missing"),
                "--out",
                str(tmp_path / "b"),
                "--no-progress",
            ]
        )
        == 2
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "preprocess_egmd.py"),
            "--config",
            str(config),
            "--data-dir",
            str(root),
            "--out",
            str(tmp_path / "c"),
            "--splits-dir",
            str(tmp_path / "sc"),
            "--num-workers",
            "2",
            "--use-hdf5",
            "--compression",
            "gzip",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "hours" in proc.stdout and "skipped.tsv" in proc.stdout
    with h5py.File(tmp_path / "c" / "val_00000.h5", "r") as f:
        assert f["audio"].compression == "gzip"
