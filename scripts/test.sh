#!/usr/bin/env bash
# The project's test command (README, .ci/run): every unit, integration and property test, plus
# each benchmark run once in test mode so benchmarks cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets "$@"
cargo test --doc "$@"
