#!/usr/bin/env bash
# The whole test suite: unit, integration (real SQLite data dirs) and CLI tests (the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
swift build --build-tests
swift test --skip-build
