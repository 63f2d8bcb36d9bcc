"""C# chart loader: compiled with mono's mcs, run with mono over every fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from bindings_harness import (
    BINDINGS,
    FixtureSet,
    check_ok,
    check_program_output,
    need_executable,
    run,
)

CSHARP = BINDINGS / "csharp"

pytestmark = pytest.mark.bindings


@pytest.fixture(scope="session")
def csharp_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mcs = need_executable("mcs")
    need_executable("mono")
    out = tmp_path_factory.mktemp("csharp_build")
    source = str(CSHARP / "DrumscribeChart.cs")
    # the library alone, as a game would build it, with warnings as errors
    proc = run(
        [
            mcs,
            "-langversion:7.2",
            "-warnaserror+",
            "-target:library",
            f"-out:{out / 'Drumscribe.Chart.dll'}",
            source,
        ],
        timeout=300,
    )
    check_ok(proc, "mcs (library)")
    proc = run(
        [
            mcs,
            "-langversion:7.2",
            "-warnaserror+",
            f"-out:{out / 'ChartTest.exe'}",
            source,
            str(CSHARP / "tests" / "ChartTest.cs"),
        ],
        timeout=300,
    )
    check_ok(proc, "mcs (test program)")
    return out


def test_csharp_loader_over_all_fixtures(csharp_build: Path, fixture_set: FixtureSet) -> None:
    proc = run(["mono", str(csharp_build / "ChartTest.exe"), *map(str, fixture_set.all)], timeout=300)
    check_ok(proc, "mono ChartTest.exe")
    check_program_output(proc.stdout, fixture_set, "C#")
