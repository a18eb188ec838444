#!/usr/bin/env bash
# corrcause side by side with networkx, pgmpy and causal-learn (pinned, from PyPI) on the same
# seeded random DAGs: every d-separation statement, CPDAGs, MEC members; checks that every answer
# agrees and prints per-item times and ratios for N = 5, 6, 8, 10, 12. The table (with the date and
# machine) replaces the "Side by side with Python" section of benches/RESULTS.md. Then the same
# through the Python API in one process (scripts/compare_python_api.py, the release wheel built by
# maturin and installed into the same environment): one d-separation query, every statement of a
# DAG, CPDAGs, MEC members; its table replaces the "Python API" block of benches/RESULTS.md.
#
#   scripts/compare-python.sh [--only cli|api] [--budget SECONDS] [--sizes 5,6,8] [--graphs 100] [--queries 20000]
#
# Exit status 1 when any library disagrees with corrcause (the smallest example is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv/compare-python
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import networkx, pgmpy, causallearn" 2>/dev/null; then
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "networkx==3.6.1" "pgmpy==1.1.2" "causal-learn==0.1.4.8"
fi
only=all
if [[ "${1:-}" == "--only" ]]; then
    only=$2
    shift 2
fi
table=$(mktemp)
trap 'rm -f "$table"' EXIT
# Replaces the block between the markers `<!-- NAME:begin -->` and `<!-- NAME:end -->` of
# benches/RESULTS.md with the table (appended under TITLE when the markers are not there yet).
replace_block() {
    python3 - "$table" "$1" "$2" <<'PY'
import re, sys
table, name, title = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
path = "benches/RESULTS.md"
text = open(path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
block = f"{begin}\n{table}{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text += f"\n## {title}\n\n{block}\n"
open(path, "w").write(text)
PY
}
status=0
if [[ "$only" != api ]]; then
    cargo build --release --quiet
    "$venv/bin/python" scripts/compare_python.py target/release/corrcause "$table" "$@" || status=$?
    replace_block compare-python "Side by side with Python (\`scripts/compare-python.sh\`)"
fi
if [[ "$only" != cli ]]; then
    # The release wheel, with the maturin that scripts/test-python.sh pins.
    tools="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/corrcause/python/maturin-1.16.0"
    if ! "$tools/bin/maturin" --version >/dev/null 2>&1; then
        rm -rf "$tools"
        "${PYTHON:-python3}" -m venv "$tools"
        "$tools/bin/pip" install --quiet --disable-pip-version-check "maturin==1.16.0"
    fi
    wheels=$(mktemp -d)
    "$tools/bin/maturin" build --quiet --release --strip --interpreter "$venv/bin/python" --out "$wheels"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/corrcause-*.whl
    rm -rf "$wheels"
    "$venv/bin/python" scripts/compare_python_api.py "$table" "$@" || status=$?
    replace_block compare-python-api "Python API side by side (\`scripts/compare-python.sh --only api\`)"
fi
exit "$status"
