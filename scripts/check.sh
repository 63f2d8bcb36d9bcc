#!/usr/bin/env bash
# The one lint-and-type command (CONTRIBUTING.md "Lint, types and tests"):
#   ruff check .  ->  ruff format --check .  ->  mypy (strict: runtime, training, exporters)
#   ->  uv run pytest (the fast tests, the README's command)
#
#   bash scripts/check.sh                 all four
#   bash scripts/check.sh --no-tests      lint and types only (.ci/run, which runs the tests itself)
#   bash scripts/check.sh tests/runtime   paths (and, after --, options) go to pytest
#
# Every step runs even when an earlier one fails; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

tests=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-tests) tests=0; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "check.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) break ;;  # a test path: it and what follows go to pytest
    esac
done

failed=()
step() {
    local name="$1"
    shift
    echo "== $name"
    "$@" || failed+=("$name")
}

step "ruff check" uv run ruff check .
step "ruff format --check" uv run ruff format --check .
step "mypy" uv run mypy
if [ "$tests" -eq 1 ]; then
    step "pytest" uv run pytest "$@"
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "check.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "check.sh: all passed"
