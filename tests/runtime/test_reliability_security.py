"""Security rows of issue 11: the runtime never unpickles; output names stay in their folder.

(Checkpoints loading with ``weights_only=True`` is a training matter:
tests/training/test_reliability_training.py.)
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import drumscribe
from drumscribe.cli import _output_for

RUNTIME = Path(drumscribe.__file__).resolve().parent
TESTS = Path(__file__).resolve().parents[1]

#: modules whose loading runs pickled code (or that load pickles: torch.load, joblib.load)
UNPICKLERS = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "joblib", "shelve", "marshal", "torch"}


def unpickling_sites(source: str, filename: str) -> list[str]:
    """Places in ``source`` that import an unpickler, call one, or np.load without allow_pickle=False."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                f"{filename}:{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in UNPICKLERS
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in UNPICKLERS:
            found.append(f"{filename}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            last = name.rsplit(".", 1)[-1]
            if name in ("np.load", "numpy.load", "np.lib.format.read_array"):
                ok = any(
                    k.arg == "allow_pickle" and isinstance(k.value, ast.Constant) and k.value.value is False
                    for k in node.keywords
                )
                if not ok:
                    found.append(f"{filename}:{node.lineno}: {name} without allow_pickle=False")
            elif last in ("load", "loads", "Unpickler") and name.split(".")[0] in UNPICKLERS:
                found.append(f"{filename}:{node.lineno}: {name}(...)")
            elif name in ("yaml.load", "yaml.unsafe_load", "yaml.full_load", "eval", "exec"):
                found.append(f"{filename}:{node.lineno}: {name}(...)")
    return found


def test_the_scanner_finds_what_it_looks_for() -> None:
    bad = textwrap.dedent(
        """
        import pickle
        from torch import load
        import numpy as np
        np.load("a.npy")
        np.load("b.npy", allow_pickle=True)
        np.load("c.npy", allow_pickle=False)
        joblib.load("m.pkl")
        yaml.load(text)
        """
    )
    found = unpickling_sites(bad, "bad.py")
    assert [f.split(":")[1] for f in found] == ["2", "3", "5", "6", "8", "9"], found


def test_runtime_source_never_unpickles() -> None:
    files = sorted(RUNTIME.rglob("*.py"))
    assert len(files) > 20 and RUNTIME / "model.py" in files
    found = [
        site
        for f in files
        for site in unpickling_sites(f.read_text(encoding="utf-8"), str(f.relative_to(RUNTIME)))
    ]
    assert found == []
    # and no pickled data ships in the package either
    assert not [
        p
        for p in RUNTIME.rglob("*")
        if p.suffix in (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".npy", ".npz", ".joblib")
    ]


_AUDITED_RUN = textwrap.dedent(
    """
    import json, pickle, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    import numpy as np, soundfile as sf
    from support.tiny_model import build_tiny_model, drum_like_audio

    root = Path(sys.argv[1])
    model_path = build_tiny_model(root / "model" / "model.onnx")
    audio, _ = drum_like_audio(seconds=3.0, seed=1)
    sf.write(root / "drums.flac", audio, 16000)

    events = []
    def hook(event, args):
        if event.startswith("pickle."):
            events.append([event, [str(a) for a in args]])
    sys.addaudithook(hook)

    import drumscribe
    from drumscribe.charts import read_chart_json
    from drumscribe.cli import main
    from drumscribe.charts.general_midi import read_midi
    model = drumscribe.load_model(model_path)
    result = drumscribe.transcribe(root / "drums.flac", model=model)
    result.write(root / "out.mid")
    result.write(root / "out.json")
    result.write(root / "song", format="clonehero")
    read_chart_json(root / "out.json")
    read_midi(root / "out.mid")
    code = main(["transcribe", str(root / "drums.flac"), "--model", str(model_path), "-o", str(root / "cli.json"), "-q"])
    during = list(events)
    pickle.loads(pickle.dumps(Path("x")))  # the hook must see this one
    print(json.dumps({"code": code, "hits": len(result.hits), "during": during, "after": events[len(during):]}))
    """
)


@pytest.mark.timeout(120)
def test_transcription_unpickles_nothing(tmp_path: Path) -> None:
    """A whole transcription under an audit hook: no ``pickle.find_class`` event at all."""
    proc = subprocess.run(
        [sys.executable, "-c", _AUDITED_RUN, str(tmp_path), str(TESTS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["code"] == 0 and report["hits"] > 0
    assert report["during"] == []
    assert report["after"] and report["after"][0][0] == "pickle.find_class"  # the hook works


_names = st.text(alphabet=st.sampled_from(list("ab... _-\\:~ü♫\x7f")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    stem=_names,
    ext=st.sampled_from(["", ".wav", ".flac", ".mp3", "."]),
    fmt=st.sampled_from(["midi", "json", "clonehero"]),
)
@example(stem="..", ext=".wav", fmt="clonehero")
@example(stem=".", ext=".wav", fmt="clonehero")
@example(stem="..", ext="", fmt="clonehero")
@example(stem="", ext=".wav", fmt="midi")
def test_output_names_stay_in_the_output_folder(stem: str, ext: str, fmt: str) -> None:
    name = stem + ext
    if not name or name in (".", ".."):
        return  # not a file name
    out_dir = Path("/srv/charts")
    args = argparse.Namespace(output=None, out_dir=str(out_dir))
    out = _output_for(args, Path("/music/in") / name, fmt)
    assert out.parent == out_dir, out
    assert out.name not in ("", ".", "..") and "/" not in out.name
    assert out.resolve().parent == out_dir.resolve()
