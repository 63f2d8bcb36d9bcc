"""Transcribe a catalog with Dask: one task per shard, each a ``drumscribe transcribe --shard K/N``.

The recipe of docs/CATALOGS.md ("Dask"). Dask schedules, retries and places the tasks; each
task is the same command a SLURM array task runs, so outputs, ``--skip-existing`` resumes and
the per-shard summary CSVs are the same. Locally (``--scheduler processes``) it runs on this
machine's cores; with a ``dask.distributed`` cluster (``--scheduler tcp://host:8786``, or a
``dask_jobqueue`` cluster's address) on many machines that share the input and output folders.

    uv run python scripts/catalog_dask.py /music --out-dir /charts --shards 64 --scheduler tcp://head:8786
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

#: Exit codes a shard may end with and still count as done: ok, or some songs failed (listed
#: in its summary CSV).
DONE_CODES = (0, 1)


def transcribe_shard(index: int, count: int, args: Sequence[str]) -> int:
    """Run ``drumscribe transcribe ARGS --shard index/count --jobs 1`` in this worker; its exit code."""
    from drumscribe.cli import main

    return main(["transcribe", *args, "--shard", f"{index}/{count}", "--jobs", "1", "-q"])


def run(
    inputs: Sequence[str],
    *,
    out_dir: Path,
    shards: int,
    scheduler: str = "processes",
    extra: Sequence[str] = (),
) -> list[int]:
    """Transcribe ``inputs`` into ``out_dir`` as ``shards`` Dask tasks; return their exit codes.

    Parameters
    ----------
    inputs : sequence of str
        Files and folders (and ``--from-list FILE`` in ``extra``), as for the command.
    out_dir : pathlib.Path
    shards : int
        Tasks; a few per worker core keeps every core busy to the end.
    scheduler : str
        ``"processes"`` / ``"threads"`` / ``"synchronous"`` (Dask's local schedulers) or the
        address of a ``dask.distributed`` scheduler.
    extra : sequence of str
        More options of ``drumscribe transcribe`` (``--format json``, ``--skip-existing``, ...).
    """
    import dask

    args = [*inputs, "--out-dir", str(out_dir), *extra]
    tasks = [dask.delayed(transcribe_shard)(k, shards, args) for k in range(1, shards + 1)]
    if "://" in scheduler:
        from dask.distributed import Client

        with Client(scheduler):
            return list(dask.compute(*tasks))
    return list(dask.compute(*tasks, scheduler=scheduler))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--scheduler", default="processes")
    args, extra = p.parse_known_args(argv)
    codes = run(args.inputs, out_dir=args.out_dir, shards=args.shards, scheduler=args.scheduler, extra=extra)
    print(
        f"{len(codes)} shards: {sum(c == 0 for c in codes)} ok, {sum(c not in DONE_CODES for c in codes)} stopped"
    )
    return max(codes) if codes else 0


if __name__ == "__main__":
    raise SystemExit(main())
