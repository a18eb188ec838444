#!/usr/bin/env bash
# The Python package as a user gets it: builds the wheel with maturin (pinned), installs it into a
# fresh virtual environment with pytest and networkx (pinned) and runs tests/python against it.
# maturin's environment and pip's cache live under ${XDG_CACHE_HOME:-~/.cache}/corrcause/python,
# so a fresh clone reuses them; the environment the wheel is installed into is always new.
# The wheel is built with the quick `python-test` profile (PROFILE=release for a release wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/corrcause/python"
tools="$cache/maturin-1.16.0"
export PIP_CACHE_DIR="$cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
if ! "$tools/bin/maturin" --version >/dev/null 2>&1; then
    rm -rf "$tools"
    "$python" -m venv "$tools"
    "$tools/bin/pip" install --quiet "maturin==1.16.0"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tools/bin/maturin" build --quiet --profile "${PROFILE:-python-test}" --interpreter "$python" --out "$work/wheel"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$work"/wheel/corrcause-*.whl "pytest==9.2.0" "networkx==3.6.1"
# From another folder, so `import corrcause` can only find the installed wheel.
cd "$work"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$OLDPWD/tests/python" "$@"
