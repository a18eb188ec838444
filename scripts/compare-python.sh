#!/usr/bin/env bash
# corrcause side by side with networkx, pgmpy and causal-learn (pinned, from PyPI) on the same
# seeded random DAGs: every d-separation statement, CPDAGs, MEC members; checks that every answer
# agrees and prints per-item times and ratios for N = 5, 6, 8, 10, 12. The table (with the date and
# machine) replaces the "Side by side with Python" section of benches/RESULTS.md.
#
#   scripts/compare-python.sh [--budget SECONDS] [--sizes 5,6,8] [--graphs 100]
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
cargo build --release --quiet
table=$(mktemp)
trap 'rm -f "$table"' EXIT
status=0
"$venv/bin/python" scripts/compare_python.py target/release/corrcause "$table" "$@" || status=$?
# Replace the section between the markers in benches/RESULTS.md.
python3 - "$table" <<'PY'
import re, sys
table = open(sys.argv[1]).read()
path = "benches/RESULTS.md"
text = open(path).read()
begin, end = "<!-- compare-python:begin -->", "<!-- compare-python:end -->"
block = f"{begin}\n{table}{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text += f"\n## Side by side with Python (`scripts/compare-python.sh`)\n\n{block}\n"
open(path, "w").write(text)
PY
exit "$status"
