"""Interrupted work and unsafe checkpoints (issue 11), on the training side.

* preprocessing killed with SIGKILL (the whole process, mid-shard) resumes without redoing
  finished shards and without a corrupt HDF5 file (test_preprocess.py covers an exception
  mid-run and killed pool workers);
* training killed with SIGKILL in the middle of an epoch resumes from ``last.ckpt``
  (test_train.py covers resuming after a clean stop);
* checkpoints load with ``weights_only=True``: a pickled object inside is refused, and its
  code never runs; damaged checkpoints are a ModelError naming the file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

from drumscribe.errors import ModelError
from drumscribe_training.config import load_config
from drumscribe_training.data import preprocess as pp
from drumscribe_training.data.preprocess import PreprocessOptions, run_preprocess
from drumscribe_training.network.checkpoint import load_checkpoint
from support.egmd_testdata import write_tiny_egmd
from support.training_setup import small_overrides

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- checkpoints


class _RunsCode:
    """Unpickling this calls os.mkdir(marker): code that a checkpoint must never run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


def test_checkpoint_with_a_pickled_object_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "the-payload-ran"
    path = tmp_path / "evil.ckpt"
    torch.save(
        {
            "state_dict": {"model.w": torch.zeros(3)},
            "hyper_parameters": {"config": load_config().to_dict()},
            "extra": _RunsCode(marker),
        },
        path,
    )
    with pytest.raises(ModelError, match=r"evil\.ckpt: not a readable checkpoint \(Weights only load failed"):
        load_checkpoint(path)
    assert not marker.exists(), "load_checkpoint ran code from the checkpoint"
    # the payload is real: a plain unpickling load runs it
    torch.load(path, weights_only=False)
    assert marker.is_dir()


def test_bad_checkpoints_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"missing\.ckpt: checkpoint not found"):
        load_checkpoint(tmp_path / "missing.ckpt")
    (tmp_path / "notes.ckpt").write_text("not a checkpoint\n")
    with pytest.raises(ModelError, match=r"notes\.ckpt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "notes.ckpt")
    good = {
        "state_dict": {"model.w": torch.zeros(1000)},
        "hyper_parameters": {"config": load_config().to_dict()},
    }
    torch.save(good, tmp_path / "whole.ckpt")
    data = (tmp_path / "whole.ckpt").read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"cut\.ckpt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "cut.ckpt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.ckpt")
    with pytest.raises(ModelError, match=r"other\.ckpt: not a drumscribe checkpoint"):
        load_checkpoint(tmp_path / "other.ckpt")
    torch.save(
        {"state_dict": {}, "hyper_parameters": {"config": {"model": {"no_such_key": 1}}}},
        tmp_path / "odd.ckpt",
    )
    with pytest.raises(ModelError, match=r"odd\.ckpt: checkpoint config does not fit"):
        load_checkpoint(tmp_path / "odd.ckpt")
    # weights of another shape than the stored config's network
    with pytest.raises(ModelError, match=r"whole\.ckpt: weights do not fit the configured network"):
        load_checkpoint(tmp_path / "whole.ckpt")


# --------------------------------------------------------------------------- preprocessing

_SLOW_PREPROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from drumscribe_training.data import preprocess as pp
    from drumscribe_training.config import load_config

    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    real_add = pp._ShardWriter.add

    def slow_add(self, row, result):  # time for the test to kill us in the middle of a shard
        real_add(self, row, result)
        time.sleep(0.2)

    pp._ShardWriter.add = slow_add
    opts = pp.PreprocessOptions.from_config(
        load_config(), data_dir=root, out_dir=out / "proc", splits_dir=out / "splits",
        num_workers=1, progress=False, shard_hours=2.5 / 3600,
    )
    pp.run_preprocess(opts)
    print("finished")
    """
)


def _opts(root: Path, out: Path) -> PreprocessOptions:
    return PreprocessOptions.from_config(
        load_config(),
        data_dir=root,
        out_dir=out / "proc",
        splits_dir=out / "splits",
        num_workers=1,
        progress=False,
        shard_hours=2.5 / 3600,
    )


def _stamp(paths: list[Path]) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def _shard_content(path: Path) -> dict[str, Any]:
    with h5py.File(path, "r") as f:
        return {
            "attrs": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in f.attrs.items()},
            "audio": f["audio"][:],
            "events": f["events"][:],
            "names": f["examples"]["audio_filename"][:].tolist(),
        }


@pytest.mark.timeout(240)
def test_preprocess_killed_with_sigkill_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 16 pairs of 1 s; two per shard: 6 train shards, 1 val, 1 test
    root, _ = write_tiny_egmd(tmp_path / "e-gmd", n_train=12, duration_s=1.0, hits_per_s=2.0)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_PREPROCESS, str(root), str(killed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = killed / "proc"
    manifest = out / pp.MANIFEST_NAME
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            shards = json.loads(manifest.read_text())["shards"] if manifest.is_file() else {}
            if len(shards) >= 2 and list(out.glob(".train_*.h5.*.tmp")):  # two done, one being written
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"preprocessing ended before it could be killed: {proc.communicate()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL

    # what the kill left: whole shards (every .h5 opens and says complete), one temp shard
    finished = sorted(out.glob("*.h5"))
    assert len(finished) >= 2
    for shard in finished:
        with h5py.File(shard, "r") as f:
            assert f.attrs["complete"] and int(f.attrs["num_examples"]) == 2
    assert list(out.glob(".train_*.h5.*.tmp")), "the kill should have caught a shard half-written"
    listed = json.loads(manifest.read_text())["shards"]  # the manifest is whole JSON
    recorded = [p for p in finished if p.name in listed]
    assert len(recorded) >= 2
    before = _stamp(recorded)

    written: list[str] = []
    real_init = pp._ShardWriter.__init__

    def spy_init(self: Any, path: Path, **kw: Any) -> None:
        written.append(path.name)
        real_init(self, path, **kw)

    monkeypatch.setattr(pp._ShardWriter, "__init__", spy_init)
    summary = run_preprocess(_opts(root, killed))
    assert not set(written) & set(before), "finished shards were redone"
    assert _stamp(recorded) == before
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".scratch-*"))
    assert summary["splits"]["train"]["examples"] == 12
    assert summary["splits"]["val"]["examples"] == 2 and summary["splits"]["test"]["examples"] == 2

    # and the result is the same as a run that was never interrupted
    monkeypatch.undo()
    run_preprocess(_opts(root, tmp_path / "clean"))
    clean = sorted((tmp_path / "clean" / "proc").glob("*.h5"))
    assert [p.name for p in clean] == [p.name for p in sorted(out.glob("*.h5"))]
    assert len(clean) == 8
    for ref in clean:
        a, b = _shard_content(ref), _shard_content(out / ref.name)
        assert a["names"] == b["names"] and a["attrs"] == b["attrs"], ref.name
        np.testing.assert_array_equal(a["audio"], b["audio"])
        np.testing.assert_array_equal(a["events"], b["events"])


# --------------------------------------------------------------------------- training


def _small(tmp: Path) -> dict[str, Any]:
    """The narrow, two-batch setup of test_train.py, three epochs."""
    return small_overrides(tmp, epochs=3)


_STALLING_FIT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from drumscribe_training.config import load_config
    from drumscribe_training.network.lightning_module import DrumTranscriberModule
    from drumscribe_training.network.train import fit

    marker, processed, overrides = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])

    def stall(self, batch, batch_idx):  # the second batch of the second epoch: wait to be killed
        if self.current_epoch == 1 and batch_idx == 1:
            marker.write_text(str(self.global_step))
            time.sleep(600)

    DrumTranscriberModule.on_train_batch_start = stall
    fit(load_config(overrides=overrides), experiment="run", processed_dir=processed, enable_progress_bar=False)
    """
)


@pytest.mark.timeout(300)
def test_training_killed_mid_epoch_resumes_from_last(
    tiny_processed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drumscribe_training.network.lightning_module import DrumTranscriberModule
    from drumscribe_training.network.train import fit

    overrides = _small(tmp_path)
    marker = tmp_path / "mid-epoch"
    proc = subprocess.Popen(
        [sys.executable, "-c", _STALLING_FIT, str(marker), str(tiny_processed), json.dumps(overrides)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + 240
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), (
            f"training never reached epoch 2: {proc.poll()} {proc.stderr and proc.stderr.read()[-3000:]}"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert marker.read_text() == "3"  # killed at global step 3: epoch 2, batch 2

    last = tmp_path / "checkpoints" / "run" / "last.ckpt"
    ck = torch.load(last, map_location="cpu", weights_only=True)  # whole and loadable after the kill
    assert ck["epoch"] == 0 and ck["global_step"] == 2
    assert not [p for p in last.parent.iterdir() if p.suffix != ".ckpt"], (
        "no temp file beside the checkpoints"
    )

    ran: list[tuple[int, int]] = []

    def record(self: Any, batch: Any, batch_idx: int) -> None:
        ran.append((self.current_epoch, batch_idx))

    monkeypatch.setattr(DrumTranscriberModule, "on_train_batch_start", record, raising=False)
    result = fit(
        load_config(overrides=overrides),
        experiment="run",
        processed_dir=tiny_processed,
        resume="last",
        enable_progress_bar=False,
    )
    # only the epochs after last.ckpt ran (0-based 1 and 2); a restart would begin at epoch 0
    assert ran == [(1, 0), (1, 1), (2, 0), (2, 1)]
    ck = torch.load(result.last_checkpoint, map_location="cpu", weights_only=True)
    assert ck["epoch"] == 2 and ck["global_step"] == 6  # epochs 2 and 3 after epoch 1: continued
    assert ck["lr_schedulers"][0]["last_epoch"] == 6  # the schedule continued, not restarted
    assert load_checkpoint(result.last_checkpoint).global_step == 6
