"""C# chart loader: compiled with mono's mcs (library and test program), run with mono."""

from __future__ import annotations

from pathlib import Path

import pytest
from bindings_harness import FixtureSet, check_program_output, run_loader

pytestmark = pytest.mark.bindings


def test_csharp_loader_over_all_fixtures(csharp_build: Path, fixture_set: FixtureSet, tmp_path: Path) -> None:
    stdout = run_loader("csharp", csharp_build, fixture_set.all, tmp_path)
    check_program_output(stdout, fixture_set, "C#")
