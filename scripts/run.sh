#!/usr/bin/env bash
# Builds OrderPay (release) and launches it on the embedded default: a local data dir,
# seeded with demo data on first launch. Arguments are passed to `orderpay`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
swift build -c release --product orderpay >&2
exec .build/release/orderpay "$@"
