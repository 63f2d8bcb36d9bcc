"""Run the benchmarks (or read their JSON) and write benchmarks/RESULTS.md.

Usage::

    uv run python scripts/write_benchmark_results.py                  # full run, then write
    uv run python scripts/write_benchmark_results.py --quick          # quick mode (labelled so)
    uv run python scripts/write_benchmark_results.py --json run.json  # from an earlier
                                                                      # `pytest benchmarks --benchmark-json run.json`
    uv run python scripts/write_benchmark_results.py -- -k "rtf or engines"   # extra pytest args

A run keeps its raw pytest-benchmark JSON (``--keep-json``; the committed runs are in
``benchmarks/runs/``, one file per run, and RESULTS.md is rendered from them with ``--json A
--json B``: a later run's rows replace an earlier one's).
Everything in the tables comes from the JSON: the benchmarks store their derived numbers
(real-time factors, rates, RSS) in ``extra_info`` and the session's machine, versions, model
and machine load under the ``drumscribe`` key (``benchmarks/conftest.py``). A hand-written
notes file (``benchmarks/NOTES.md``: profile, experiments, changes) is linked from the end, not
copied, so the two files never repeat each other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "RESULTS.md"
#: Evaluation reports of the bundled live model beside the offline one on the same clips (issue 26).
LIVE_REPORTS = REPO_ROOT / "docs" / "model" / "reports" / "live-model-test20"
LIVE_CONDITIONS = ("drums", "mix+0dB", "mix-6dB")

#: Targets of issue 10 (default model, 2 CPU cores).
TARGET_SONG_S = 2.0
TARGET_ORT_VS_TORCH = 1.5
TARGET_RSS_MB = 500.0
#: More CPU than this (cores on average) taken by other processes during a run: not quiet.
FOREIGN_CORES_QUIET = 0.05


# ----------------------------------------------------------------------------- running


def run_benchmarks(json_path: Path, *, quick: bool, extra: list[str], select: list[str]) -> int:
    env = dict(os.environ)
    env["DRUMSCRIBE_BENCH_QUICK"] = "1" if quick else "0"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *[str(REPO_ROOT / x) for x in select],
        "--benchmark-only",
        f"--benchmark-json={json_path}",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra,
    ]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=REPO_ROOT, env=env)


def _busy_cpu_s() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_wait_s: float, *, window_s: float = 30.0, cores: float = 0.05) -> bool:
    """Wait until the machine was idle (< ``cores`` busy) for ``window_s``; False on timeout."""
    import time

    deadline = time.monotonic() + max_wait_s
    while time.monotonic() < deadline:
        b0 = _busy_cpu_s()
        time.sleep(window_s)
        used = (_busy_cpu_s() - b0) / window_s
        if used < cores:
            return True
        print(f"machine busy ({used:.2f} cores over {window_s:.0f} s), waiting", flush=True)
    return False


# ----------------------------------------------------------------------------- reading


class Results:
    """The benchmarks of one or more JSON files, by test function name.

    A benchmark present in several files is taken from the last one (a rerun replaces).
    """

    def __init__(self, datas: list[dict[str, Any]], names: list[str] | None = None) -> None:
        self.datas = datas
        self.data = datas[-1]
        self.runs: list[dict[str, Any]] = []
        benches: dict[str, dict[str, Any]] = {}
        for i, data in enumerate(datas):
            meta = data.get("drumscribe") or {}
            files = sorted(
                {b["fullname"].split("::", 1)[0].rsplit("/", 1)[-1] for b in data.get("benchmarks", [])}
            )
            self.runs.append(
                {
                    "meta": meta,
                    "files": files,
                    "name": (names or [])[i] if names and i < len(names) else f"run {i + 1}",
                }
            )
            for bench in data.get("benchmarks", []):
                benches.pop(bench["fullname"], None)
                benches[bench["fullname"]] = bench
        with_model = [r["meta"] for r in self.runs if (r["meta"].get("model") or {}).get("kind")]
        self.meta: dict[str, Any] = dict(self.runs[-1]["meta"])
        if with_model:
            self.meta["model"] = with_model[-1]["model"]
        self.meta["quick"] = any(r["meta"].get("quick") for r in self.runs)
        self.by_test: dict[str, list[dict[str, Any]]] = {}
        for bench in benches.values():
            test = bench["name"].split("[", 1)[0]
            self.by_test.setdefault(test, []).append(bench)

    def get(self, test: str, **params: Any) -> dict[str, Any] | None:
        """extra_info of the benchmark of ``test`` whose params match (None if absent)."""
        for bench in self.by_test.get(test, []):
            p = bench.get("params") or {}
            if all(p.get(k) == v for k, v in params.items()):
                info = dict(bench.get("extra_info") or {})
                info["_stats"] = bench.get("stats") or {}
                return info
        return None

    def all(self, test: str) -> list[dict[str, Any]]:
        out = []
        for bench in self.by_test.get(test, []):
            info = dict(bench.get("extra_info") or {})
            info["_params"] = bench.get("params") or {}
            info["_stats"] = bench.get("stats") or {}
            out.append(info)
        return out


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    hs = list(headers)
    lines = ["| " + " | ".join(hs) + " |", "|" + "|".join("---" for _ in hs) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def f(x: Any, fmt: str = ".2f", missing: str = "-") -> str:
    return missing if x is None else format(x, fmt)


def ratio(a: float | None, b: float | None) -> float | None:
    return None if not a or not b else a / b


# ----------------------------------------------------------------------------- sections


def header(r: Results, *, source: str) -> list[str]:
    meta = r.meta
    machine = meta.get("machine") or {}
    model = meta.get("model") or {}
    versions = ", ".join(f"{k} {v}" for k, v in (machine.get("versions") or {}).items())
    out = ["# drumscribe benchmark results", ""]
    if meta.get("quick"):
        out += [
            "> **Quick mode**: tiny inputs (seconds of audio, one round), a smoke run of every",
            "> benchmark. These numbers are **not** the timings of the full sizes; do not quote them.",
            "",
        ]
    rows = []
    noisy = training = False
    for run in r.runs:
        m = run["meta"]
        start = m.get("session_start") or {}
        end = m.get("session_end") or {}
        foreign = end.get("foreign_cores")
        noisy |= foreign is not None and foreign > FOREIGN_CORES_QUIET
        training |= bool(start.get("training_running") or end.get("training_running"))
        rows.append(
            [
                run["name"],
                start.get("time", "?"),
                ", ".join(run["files"]) or "-",
                "quick" if m.get("quick") else "full",
                f"{end['wall_s']:.0f} s" if end.get("wall_s") is not None else "-",
                f"{foreign:.3f} cores ({end['foreign_cpu_s']:.0f} CPU s)"
                if foreign is not None
                else "not recorded",
                "yes" if start.get("training_running") or end.get("training_running") else "no",
            ]
        )
    if noisy:
        out += [
            f"> **Not a quiet machine**: in at least one run other processes used more than "
            f"{FOREIGN_CORES_QUIET:g} cores on average (table below); its timings are inflated.",
            "",
        ]
    if training:
        out += [
            "> **Measured while a training run was using the CPUs**: timings are inflated and the",
            "> 1-vs-2-thread ratios in particular are unreliable.",
            "",
        ]
    out += [
        f"Written by `scripts/write_benchmark_results.py` from {source}. Derived numbers use the "
        "fastest round of each benchmark.",
        "",
        f"- machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores "
        f"({machine.get('affinity', '?')} usable), {machine.get('ram_gb', '?')} GB RAM; "
        f"CPU flags {machine.get('cpu_flags') or '-'}; {machine.get('os', '')}",
        f"- versions: {versions}",
        f"- model: {model.get('kind', '?')}; name `{model.get('name')}`, sha256 "
        f"`{str(model.get('sha256', ''))[:12]}`, {model.get('parameters') or '?'} parameters, "
        f"chunk {model.get('chunk_s')} s + context {model.get('context_s')} s per side",
        "- audio: generated drum-like bursts, 44.1 kHz stereo 16-bit WAV (decoded, downmixed and "
        "resampled to the model's 16 kHz by the runtime, as a song would be)",
        "",
        table(
            [
                "run",
                "started (UTC)",
                "benchmarks",
                "sizes",
                "wall",
                "CPU of other processes",
                "training running",
            ],
            rows,
        ),
        "",
    ]
    return out


def headline_and_targets(r: Results) -> list[str]:
    song = r.get("test_rtf", nominal=180)
    cli = r.get("test_cli_end_to_end", fmt="json")
    ort2 = r.get("test_engines", engine="onnxruntime fp32", threads=2)
    torch2 = r.get("test_engines", engine="torch eager", threads=2)
    int82 = r.get("test_engines", engine="onnxruntime int8", threads=2)
    ort1 = r.get("test_engines", engine="onnxruntime fp32", threads=1)
    torch1 = r.get("test_engines", engine="torch eager", threads=1)
    rss_rows = r.all("test_peak_rss")
    rss = {row["_params"].get("minutes"): row for row in rss_rows if row.get("output", "api") == "api"}
    cold = r.get("test_cold_start", what="import+load")
    speed = ratio(torch2 and torch2["seconds"], ort2 and ort2["seconds"])
    speed1 = ratio(torch1 and torch1["seconds"], ort1 and ort1["seconds"])
    int8_ratio = ratio(ort2 and ort2["seconds"], int82 and int82["seconds"])
    threads_gain = ratio(ort1 and ort1["seconds"], ort2 and ort2["seconds"])
    rss_vals = [rss[m]["peak_rss_mb"] for m in (1, 10, 60) if m in rss]
    # every output (API, CLI -> MIDI, CLI -> JSON) from 1 to 60 minutes
    rss_all = [x["peak_rss_mb"] for x in rss_rows if x.get("minutes") in (1, 10, 60)]
    lines = ["## Headline", ""]
    hl = []
    if song:
        hl.append(
            f"- A {song['audio_s']:.0f} s song: **{song['seconds']:.2f} s** with `drumscribe.transcribe` "
            f"(model loaded; decode, resample, network, peak picking) = **{song['x_realtime']:.0f}x real "
            f"time** on {r.meta.get('machine', {}).get('cores', '?')} cores"
            + (
                f"; {cli['seconds']:.2f} s as a cold `drumscribe transcribe` process writing a JSON chart."
                if cli
                else "."
            )
        )
    if speed:
        hl.append(
            f"- onnxruntime is **{speed:.1f}x** faster than torch eager on the same weights "
            f"(2 threads; {f(speed1, '.1f')}x with 1 thread), end to end through the same chunking."
        )
    if int8_ratio:
        hl.append(
            f"- Dynamic int8 runs at **{int8_ratio:.2f}x** the speed of fp32 "
            f"({'faster' if int8_ratio > 1 else 'slower'}); 2 threads give {f(threads_gain, '.2f')}x over 1 thread (fp32)."
        )
    if rss_vals:
        hl.append(
            f"- Peak RSS: {' / '.join(f'{v:.0f}' for v in rss_vals)} MB for 1 / 10 / 60 minutes of audio "
            f"(flat: the file is decoded and run in blocks)."
        )
    if cold:
        hl.append(f"- Cold start (interpreter + import + model load): {cold['seconds']:.2f} s.")
    lines += hl or ["- (no runtime benchmarks in this run)"]
    lines += ["", "## Targets (issue 10: default model, 2 CPU cores)", ""]
    rows = []
    if song:
        ok = song["seconds"] < TARGET_SONG_S
        rows.append(
            [
                f"3-minute song end to end < {TARGET_SONG_S:g} s (90x real time)",
                f"{song['seconds']:.2f} s ({song['x_realtime']:.0f}x)",
                "met" if ok else "**missed**",
            ]
        )
    if speed:
        rows.append(
            [
                f"onnxruntime >= {TARGET_ORT_VS_TORCH:g}x torch eager (same weights)",
                f"{speed:.2f}x (2 threads), {f(speed1)}x (1 thread)",
                "met" if speed >= TARGET_ORT_VS_TORCH else "**missed**",
            ]
        )
    if rss_all:
        flat = max(rss_all) - min(rss_all)
        ok = max(rss_all) < TARGET_RSS_MB and (60 in rss)
        rows.append(
            [
                f"memory flat 1 -> 60 min, < {TARGET_RSS_MB:g} MB RSS (API, CLI -> MIDI and JSON)",
                f"{min(rss_all):.0f}-{max(rss_all):.0f} MB (spread {flat:.0f} MB)",
                "met" if ok else "**missed**",
            ]
        )
    lines += [table(["target", "measured", ""], rows) if rows else "(not measured)", ""]
    if r.meta.get("quick"):
        lines += ["Quick mode: the met/missed column refers to tiny inputs and means nothing.", ""]
    return lines


def runtime_sections(r: Results) -> list[str]:
    out: list[str] = []
    rtf = sorted(r.all("test_rtf"), key=lambda x: x["_params"].get("nominal", 0))
    if rtf:
        out += ["## Real-time factor against length", ""]
        out += [
            "`drumscribe.transcribe(path, model=loaded)`, onnxruntime's default threads; fastest of the rounds (the tables use the fastest round throughout).",
            "",
        ]
        out += [
            table(
                ["audio", "time", "x real time", "ms per audio minute", "network (share)", "chunks", "hits"],
                [
                    [
                        f"{x['audio_s']:.0f} s",
                        f"{x['seconds']:.3f} s",
                        f"{x['x_realtime']:.1f}x",
                        f"{1000 * x['seconds'] / x['audio_s'] * 60:.0f}",
                        f"{x['network_s']:.3f} s ({100 * x['network_s'] / x['seconds']:.0f}%)",
                        x["chunks"],
                        x["hits"],
                    ]
                    for x in rtf
                ],
            ),
            "",
        ]
    stages = r.all("test_stages")
    full = r.get("test_rtf", nominal=180)
    if stages:
        out += ["## Where the time goes (180 s file)", ""]
        rows = [
            [
                x["stage"],
                f"{1000 * x['seconds']:.1f} ms",
                f"{100 * x['seconds'] / full['seconds']:.0f}%" if full else "-",
                f"{x['x_realtime']:.0f}x",
            ]
            for x in stages
        ]
        if full:
            rest = full["seconds"] - sum(x["seconds"] for x in stages)
            # the stages are timed apart (fastest round each): their sum can exceed the whole
            rows.append(
                [
                    "rest (results, sorting, glue)",
                    f"{1000 * rest:.1f} ms" if rest >= 0 else f"~0 (stages sum {-1000 * rest:.1f} ms over)",
                    f"{100 * rest / full['seconds']:.0f}%" if rest >= 0 else "~0%",
                    "-",
                ]
            )
            rows.append(
                [
                    "transcribe, all of it",
                    f"{1000 * full['seconds']:.1f} ms",
                    "100%",
                    f"{full['x_realtime']:.0f}x",
                ]
            )
        out += [table(["stage", "time", "share", "x real time"], rows), ""]
    prof = r.all("test_onnx_op_profile")
    if prof:
        out += [
            "onnxruntime's profiler on one chunk window (chunk + context on both sides), share of kernel time:",
            "",
        ]
        for x in prof:
            shares = x.get("op_shares") or {}
            top = ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(shares.items())[:7])
            out.append(f"- {x['variant']} ({x['window_s']:g} s in {1000 * x['seconds']:.0f} ms): {top}")
        out.append("")
    eng = r.all("test_engines")
    if eng:
        out += ["## Engines: the same weights in onnxruntime fp32, onnxruntime int8 and torch eager", ""]
        weights = eng[0].get("weights", "")
        out += [f"Weights: {weights}. Same chunking and peak picking; `transcribe` of the 180 s file.", ""]
        by = {(x["engine"], x["threads"]): x for x in eng}
        rows = []
        for engine in (
            "onnxruntime fp32",
            "onnxruntime int8",
            "onnxruntime int8 static convs",
            "torch eager",
        ):
            a, b = by.get((engine, 1)), by.get((engine, 2))
            base1, base2 = by.get(("onnxruntime fp32", 1)), by.get(("onnxruntime fp32", 2))
            rows.append(
                [
                    engine,
                    f"{a['seconds']:.2f} s ({a['x_realtime']:.0f}x)" if a else "-",
                    f"{b['seconds']:.2f} s ({b['x_realtime']:.0f}x)" if b else "-",
                    f(ratio(a and a["seconds"], b and b["seconds"])),
                    f(ratio(a and a["seconds"], base1 and base1["seconds"])),
                    f(ratio(b and b["seconds"], base2 and base2["seconds"])),
                    f"{b['max_abs_diff_vs_fp32']:.1e} / {b['hit_agreement_vs_fp32']:.3f}" if b else "-",
                ]
            )
        out += [
            table(
                [
                    "engine",
                    "1 thread",
                    "2 threads",
                    "2-thread speed-up",
                    "time vs ORT fp32 (1 thr)",
                    "time vs ORT fp32 (2 thr)",
                    "vs fp32: max abs diff / hit F",
                ],
                rows,
            ),
            "",
        ]
    stream = r.all("test_streaming_latency")
    if stream:
        out += ["## Streaming latency (`StreamingTranscriber.push`, 100 ms blocks at 44.1 kHz)", ""]
        out += [
            table(
                ["chunking", "p50", "p95", "p99", "max", "busy", "hit decided after at most"],
                [
                    [
                        f"{x['geometry']}: chunk {x['chunk_s']:g} s, context {x['context_s']:g} s",
                        f"{x['p50_ms']:.2f} ms",
                        f"{x['p95_ms']:.2f} ms",
                        f"{x['p99_ms']:.1f} ms",
                        f"{x['max_ms']:.1f} ms",
                        f"{100 * x['busy_fraction']:.1f}%",
                        f"{x['max_hit_delay_s']:.2f} s",
                    ]
                    for x in stream
                ],
            ),
            "",
            "A push returns at once unless it completes a chunk; then it runs the network on chunk + "
            "2 x context. Busy = compute time / audio time.",
            "",
        ]
    cold = r.all("test_cold_start")
    cli = r.all("test_cli_end_to_end")
    if cold or cli:
        out += ["## Cold start (fresh subprocess each round)", ""]
        rows = []
        for x in cold:
            parts = f"import {x['import_s']:.2f} s, load_model {x['load_s']:.2f} s"
            if "first_s" in x:
                parts += f", first transcribe {x['first_s']:.3f} s, second {x['second_s']:.3f} s"
            rows.append([f"python -c: {x['what']}", f"{x['seconds']:.2f} s", parts])
        for x in cli:
            rows.append(
                [
                    f"`drumscribe transcribe` {x['audio_s']:.0f} s file -> {x['fmt']}",
                    f"{x['seconds']:.2f} s",
                    f"{x['x_realtime']:.0f}x real time including start-up",
                ]
            )
        out += [table(["what", "wall", "split"], rows), ""]
    rss_by: dict[tuple[int, str], dict[str, Any]] = {
        (int(x["minutes"]), str(x.get("output", "api"))): x for x in r.all("test_peak_rss")
    }
    if rss_by:
        out += ["## Peak memory against length (fresh subprocess each)", ""]
        rows = []
        for minutes in sorted({m for m, _ in rss_by}):
            api = rss_by.get((minutes, "api"))
            cells = [
                f"{rss_by[(minutes, o)]['peak_rss_mb']:.0f} MB" if (minutes, o) in rss_by else "-"
                for o in ("api", "midi", "json")
            ]
            any_row = api or next(v for (m, _), v in rss_by.items() if m == minutes)
            what = "import + load_model" if not minutes else f"{any_row['audio_s'] / 60:.2f} min"
            speed = (
                f"{api['transcribe_s']:.1f} s ({api['audio_s'] / api['transcribe_s']:.0f}x)"
                if api and minutes
                else "-"
            )
            rows.append([what, *cells, f"{api['rss_after_load_mb']:.0f} MB" if api else "-", speed])
        out += [
            table(
                ["audio", "peak RSS, API", "CLI -> MIDI", "CLI -> JSON", "RSS after load", "API transcribe"],
                rows,
            ),
            "",
        ]
        out += [
            "Peak RSS is `getrusage(RUSAGE_CHILDREN).ru_maxrss` read by a bare launcher process "
            "around each child (the child's own VmHWM agrees); a child started straight from pytest "
            "would inherit pytest's high-water mark across exec.",
            "",
        ]
    many = r.get("test_many_files")
    if many:
        out += ["## Many files, one session", ""]
        out += [
            f"{many['files']} files of {many['seconds_each']:g} s through one loaded model: "
            f"{many['seconds']:.2f} s, {many['files_per_s']:.1f} files/s, {many['ms_per_file']:.0f} ms per file, "
            f"{many['x_realtime']:.0f}x real time.",
            "",
        ]
    return out


def data_sections(r: Results) -> list[str]:
    out: list[str] = []
    pre = r.all("test_preprocess_throughput")
    comp = r.all("test_compression_disk_and_reads")
    loader = r.all("test_loader_throughput")
    train = r.all("test_train_step")
    model = r.all("test_model_train_step")
    if not (pre or comp or loader or train or model):
        return out
    out += ["## Data and training throughput", ""]
    if pre:
        out += ["Preprocessing (E-GMD-shaped folder -> HDF5 shards):", ""]
        out += [
            table(
                ["workers", "compression", "audio h/min", "full E-GMD (444 h)"],
                [
                    [
                        x["_params"].get("workers"),
                        x["_params"].get("compression"),
                        f"{x['audio_hours_per_minute']:.2f}",
                        f"{444 / x['audio_hours_per_minute']:.0f} min",
                    ]
                    for x in pre
                ],
            ),
            "",
        ]
        source = pre[0].get("source")
        if source:
            out += [f"Input: {source}.", ""]
    if comp:
        out += [
            table(
                ["compression", "MB per audio hour", "full E-GMD", "random crop reads/s"],
                [
                    [
                        x["_params"].get("compression"),
                        f"{x['mb_per_hour']:.1f}",
                        f"{x['projected_gb']:.1f} GB",
                        f"{x['crop_reads_per_s']:.0f}",
                    ]
                    for x in comp
                ],
            ),
            "",
        ]
    if loader:
        out += ["Loader (DataModule train loader, random crops):", ""]
        out += [
            table(
                ["augmentation", "workers", "examples/s"],
                [
                    [
                        "on" if x["_params"].get("augment") else "off",
                        x["_params"].get("workers"),
                        f"{x['examples_per_s']:.1f}",
                    ]
                    for x in loader
                ],
            ),
            "",
        ]
    if train:
        out += [
            "Training step (the LightningModule's losses, backward, clipping, AdamW; generated batch):",
            "",
        ]
        out += [
            table(
                [
                    "device",
                    "precision",
                    "batch",
                    "s/step",
                    "examples/s",
                    "audio s per wall s",
                    "E-GMD epoch (444 h)",
                ],
                [
                    [
                        f"{x['device']} ({x['threads']} thr)",
                        x["precision"],
                        f"{x['batch_size']} x {x['crop_s']:g} s",
                        f"{x['seconds_per_step']:.2f}",
                        f"{x['examples_per_s']:.2f}",
                        f"{x['audio_s_per_s']:.1f}",
                        f"{x['egmd_epoch_hours']:.0f} h",
                    ]
                    for x in train
                ],
            ),
            "",
        ]
        bf16 = next((x for x in train if x["device"] == "cpu" and x["precision"] == "bf16-autocast"), None)
        aug = [x for x in loader if x["_params"].get("augment")]
        if bf16 and aug:
            best = max(aug, key=lambda x: x["examples_per_s"])
            out += [
                f"Loader with augmentation ({best['_params'].get('workers')} workers) delivers "
                f"{best['examples_per_s']:.1f} examples/s against {bf16['examples_per_s']:.2f} consumed by a CPU "
                f"training step (bf16): {best['examples_per_s'] / bf16['examples_per_s']:.0f}x what the CPU "
                "trainer needs (on the same 2 cores the two compete).",
                "",
            ]
    return out


def band_sections(r: Results) -> list[str]:
    """Band parts (bench_band.py): renderer real-time factor, on-the-fly crop cost, mixing loader."""
    rtf = r.all("test_band_render_rtf")
    crop = r.all("test_band_on_the_fly_crop_cost")
    loader = r.all("test_mixing_loader_throughput")
    if not (rtf or crop or loader):
        return []
    out = ["## Band parts (renderer and mixing loader)", ""]
    for b in rtf:
        out.append(
            f"- Band-part renderer: {f(b.get('real_time_factor'), '.1f')}x real time "
            f"({f(b.get('audio_s'), '.0f')} s clips, one process, warm caches)."
        )
    for b in crop:
        out.append(
            f"- Band part per on-the-fly training crop ({f(b.get('crop_s'), 'g')} s): "
            f"{f(1000 * b['mean_s'], '.0f') if b.get('mean_s') else '-'} ms mean, "
            f"{f(1000 * b['best_s'], '.0f') if b.get('best_s') else '-'} ms best."
        )
    if loader:
        rows = [
            [
                b.get("workers", "-"),
                f(b.get("mixed_examples_per_s"), ".1f"),
                f(b.get("drums_examples_per_s"), ".1f"),
                f(ratio(b.get("mixed_examples_per_s"), b.get("drums_examples_per_s")), ".2f"),
            ]
            for b in sorted(loader, key=lambda b: b.get("workers", 0))
        ]
        mix = loader[0].get("band_mix") or {}
        recipe = ", ".join(f"{k} {v:g}" for k, v in mix.items()) or "-"
        out += [
            "",
            "Training loader with augmentation on a generated set whose every clip has a stored band "
            f"part: band mixing on (`band_mix`: {recipe}) against off, in one run "
            f"(examples of {f(loader[0].get('crop_s'), 'g')} s per second):",
            "",
            table(["workers", "mixed", "drums alone", "ratio"], rows),
        ]
    return [*out, ""]


def live_sections(r: Results) -> list[str]:
    """Live mode (bench_live.py): compute per 10 ms block on one thread, end-to-end delay."""
    compute = r.all("test_live_compute_per_block")
    delay = r.all("test_live_end_to_end_delay")
    if not compute and not delay:
        return []
    out = ["## Live mode (`LiveTranscriber`, 10 ms blocks, one thread)", ""]
    if compute:
        rows = [
            [
                c.get("model", "-"),
                f(1000 * c["declared_latency_s"], ".0f") + " ms" if c.get("declared_latency_s") else "-",
                " / ".join(f(c.get(f"call_ms_{q}"), ".3f") for q in ("p50", "p95", "p99")),
                f(c.get("call_ms_max"), ".2f"),
                " / ".join(f(c.get(f"push_ms_{q}"), ".3f") for q in ("p50", "p95", "p99")),
                f(c.get("push_ms_max"), ".2f"),
                c.get("blocks", "-"),
            ]
            for c in compute
        ]
        headers = [
            "model",
            "declared latency",
            "model call, ms p50 / p95 / p99",
            "max",
            "push at 48 kHz, ms p50 / p95 / p99",
            "max",
            "blocks",
        ]
        out += [table(headers, rows), ""]
    if delay:
        rows = [
            [
                d.get("model", "-"),
                d.get("hits", "-"),
                f(d.get("delay_ms_median"), ".1f"),
                f(d.get("delay_ms_p95"), ".1f"),
                f(d.get("delay_ms_max"), ".1f"),
                f(d.get("delay_ms_sd"), ".1f"),
                f(1000 * d["declared_latency_s"], ".1f") if d.get("declared_latency_s") else "-",
            ]
            for d in delay
        ]
        out += [
            "End-to-end delay: from the end of the block holding a hit's sample to the end of the push "
            "that returned the hit, plus that push's compute (10 ms blocks at 48 kHz in real time).",
            "",
            table(["model", "hits", "median ms", "p95 ms", "max ms", "jitter (sd) ms", "declared ms"], rows),
            "",
        ]
    return out + live_accuracy(LIVE_REPORTS)


def live_accuracy(folder: Path) -> list[str]:
    """F1 of the bundled live model beside the offline one, from their evaluation reports."""
    rows = []
    for cond in LIVE_CONDITIONS:
        paths = (folder / cond / "report.json", folder / "offline" / cond / "report.json")
        if not all(p.is_file() for p in paths):
            continue
        live, offline = (json.loads(p.read_text(encoding="utf-8")) for p in paths)
        cells = [cond, str(live["clips"])]
        for key in ("50ms", "20ms"):
            cells.append(" / ".join(f(100 * r["scores"][key]["micro_f1"], ".1f") for r in (live, offline)))
        for lane in ("kick", "snare"):
            cells.append(" / ".join(f(100 * r["scores"]["50ms"]["f1"][lane], ".1f") for r in (live, offline)))
        rows.append(cells)
    if not rows:
        return []
    headers = ["condition", "clips", "F1 @50 ms live / offline", "F1 @20 ms", "kick @50 ms", "snare @50 ms"]
    return [
        f"Accuracy on held-out test clips, the live model beside the offline one on the same clips "
        f"(`{_rel(folder)}`):",
        "",
        table(headers, rows),
        "",
    ]


def other_lines(r: Results) -> list[str]:
    """Result lines of benchmarks the tables above do not cover (kept, not lost)."""
    known = {
        "test_rtf",
        "test_stages",
        "test_onnx_op_profile",
        "test_engines",
        "test_streaming_latency",
        "test_cold_start",
        "test_cli_end_to_end",
        "test_peak_rss",
        "test_many_files",
        "test_preprocess_throughput",
        "test_compression_disk_and_reads",
        "test_loader_throughput",
        "test_train_step",
        "test_live_compute_per_block",
        "test_band_render_rtf",
        "test_band_on_the_fly_crop_cost",
        "test_mixing_loader_throughput",
        "test_live_end_to_end_delay",
    }
    lines = []
    for test, benches in r.by_test.items():
        if test in known:
            continue
        for b in benches:
            line = (b.get("extra_info") or {}).get("line")
            if line:
                lines.append(f"- `{b['name']}`: {line}")
    return ["## Other results", "", *lines, ""] if lines else []


#: The end of RESULTS.md: the hand-written notes are linked, not copied.
NOTES_LINK = (
    "## Notes\n\n"
    "How these are measured, where the time goes, what was tried and not kept, and the changes made "
    "for speed: [NOTES.md](NOTES.md) (written by hand)."
)


def render(r: Results, *, source: str) -> str:
    parts = header(r, source=source)
    parts += headline_and_targets(r)
    parts += runtime_sections(r)
    parts += data_sections(r)
    parts += band_sections(r)
    parts += live_sections(r)
    parts += other_lines(r)
    parts += [NOTES_LINK, ""]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument(
        "--json",
        type=Path,
        action="append",
        help="read this pytest-benchmark JSON instead of running (repeat to merge runs; later ones replace)",
    )
    p.add_argument(
        "--select",
        nargs="+",
        default=["benchmarks"],
        help="what a run collects (default: benchmarks; e.g. benchmarks/bench_transcribe.py)",
    )
    p.add_argument("--quick", action="store_true", help="run in quick mode (labelled as such)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown to write")
    p.add_argument("--keep-json", type=Path, help="where a run keeps its JSON (default: OUT with .json)")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before running, wait up to S seconds for 30 s of idle machine (the run says how quiet it was)",
    )
    p.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")
    args = p.parse_args(argv)
    if args.json:
        paths = list(args.json)
        source = ", ".join(f"`{_rel(p)}`" for p in paths)
    else:
        if args.wait_quiet > 0 and not wait_quiet(args.wait_quiet):
            print("machine never went quiet; running anyway", file=sys.stderr)
        json_path = args.keep_json or args.out.with_suffix(".json")
        json_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_json = Path(tmp) / "run.json"
            rc = run_benchmarks(tmp_json, quick=args.quick, extra=args.pytest_args, select=args.select)
            if not tmp_json.is_file():
                print(f"benchmarks wrote no JSON (pytest exit code {rc})", file=sys.stderr)
                return 1
            json_path.write_text(tmp_json.read_text(encoding="utf-8"), encoding="utf-8")
        if rc != 0:
            print(f"warning: pytest exit code {rc}; writing what was measured", file=sys.stderr)
        mode = "quick mode" if args.quick else "full sizes"
        source = f"`pytest {' '.join(args.select)} --benchmark-only` ({mode}; raw JSON `{_rel(json_path)}`)"
        paths = [json_path]
    datas = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    text = render(Results(datas, [_rel(p) for p in paths]), source=source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(args.out.name + ".tmp")
    tmp_out.write_text(text, encoding="utf-8")
    os.replace(tmp_out, args.out)
    print(f"wrote {args.out}")
    return 0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


if __name__ == "__main__":
    sys.exit(main())
