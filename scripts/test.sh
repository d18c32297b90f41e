#!/usr/bin/env bash
# The whole test suite: unit, integration (real SQLite data dirs), CLI and console tests (the built
# binary, tmux), Kafka on librdkafka's mock cluster, the API against its OpenAPI documents
# (schemathesis, from PyPI, on `orderpay up`), then the flow, HTTP, distributed-mode and Kafka
# suites again on a real PostgreSQL server
# (Debian's package, started here on a loopback port with its data in a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
swift build --build-tests
swift test --skip-build

echo "== the API against its OpenAPI documents (schemathesis on orderpay up)"
bash scripts/api-contract.sh

eval "$(scripts/postgres-server.sh start --fast)"
trap 'scripts/postgres-server.sh stop "$ORDERPAY_PG_DIR"' EXIT
echo "== the same flow, HTTP, gateway and Kafka suites on PostgreSQL ($ORDERPAY_TEST_DATABASE), and the CLI's outage test"
ORDERPAY_TEST_ENGINE=postgres swift test --skip-build --filter 'OrderPayFlowTests|OrderPayHTTPTests|OrderPayGatewayTests|OrderPayKafkaTests|FollowOutageTests'
