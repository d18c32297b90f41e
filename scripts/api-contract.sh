#!/usr/bin/env bash
# The API contract, checked from outside: `orderpay up` on a seeded temp data dir, then
# schemathesis (property-based, from PyPI) generates requests from each service's own
# /openapi.json (the registry's and the gateway's too) and checks every answer: no 5xx for any
# input, each status and body as the document declares (problem+json for errors), input the
# document rules out refused, 405s for methods a path does not take, and the auth a route declares
# enforced.
#
# Not checked, because a JSON Schema cannot say it: whether every request the document allows is
# accepted (a product id that does not exist, a confirmPassword unlike newPassword, an image judged
# by its bytes), and that a soft-deleted user is gone (it is kept, status DELETED, on purpose).
#
# Usage: scripts/api-contract.sh [--examples N] [--seed N]   (ORDERPAY_BIN: the binary to run)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=25 seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --examples) examples=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--examples N] [--seed N]" >&2; exit 2 ;;
  esac
done
bin=${ORDERPAY_BIN:-.build/debug/orderpay}
[ -x "$bin" ] || swift build --product orderpay
venv=$PWD/.build/contract-venv
schemathesis_version=4.32.5
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi

data=$(mktemp -d)
up_pid= registry_pid=
stop() {
  for pid in $up_pid $registry_pid; do kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  [ -n "${KEEP_DATA:-}" ] && echo "data: $data" >&2 || rm -rf "$data"
}
trap stop EXIT
"$bin" seed --data "$data" >/dev/null
# Its own admin, so that the seeded one (id 1, which generated ids meet first) may be locked,
# renamed or deleted by a generated request without ending the run.
"$bin" users create --data "$data" --email contract-check@orderpay.dev --name "Contract check" \
  --password contract-check-pw --role admin >/dev/null

read -r gateway registry auth orders payments lone_registry < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
"$bin" up --data "$data" --rate-limit 0 --port gateway="$gateway" --port registry="$registry" \
  --port auth="$auth" --port orders="$orders" --port payments="$payments" >"$data/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 120); do
  grep -q "stops everything" "$data/up.log" && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$data/up.log"; echo "orderpay up exited" >&2; exit 1; }
  sleep 0.5
done
grep -q "stops everything" "$data/up.log" || { cat "$data/up.log"; echo "orderpay up did not start in 60 s" >&2; exit 1; }
# The registry's own check registers generated instances, some at the services' ports under their
# app names; in up's registry the gateway would route to them. So it gets a registry of its own.
"$bin" serve registry --port "$lone_registry" --data "$data/lone-registry" >"$data/lone-registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$lone_registry/health" >/dev/null && break; sleep 0.5; done

failed=0
for target in auth:$auth orders:$orders payments:$payments registry:$lone_registry gateway:$gateway; do
  name=${target%%:*} port=${target#*:}
  # A token per target: access tokens live five minutes.
  token=$(curl -sf -X POST "http://127.0.0.1:$gateway/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"contract-check@orderpay.dev","password":"contract-check-pw"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')
  echo "== $name (http://127.0.0.1:$port/openapi.json)"
  # The event stream never ends by itself: its own tests cover it.
  # From the data dir: schemathesis leaves a .schemathesis folder where it runs.
  if ! (cd "$data" && "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
      --header "Authorization: Bearer $token" --exclude-path-regex '/stream$' \
      --exclude-checks positive_data_acceptance,use_after_free,ensure_resource_availability \
      --max-examples "$examples" --seed "$seed" --workers 1 --generation-database none \
      --request-timeout 30 --no-color) >"$data/$name.txt" 2>&1; then
    failed=1
    cat "$data/$name.txt"
  else
    grep -E "generated, " "$data/$name.txt" | tail -1
  fi
done
exit $failed
