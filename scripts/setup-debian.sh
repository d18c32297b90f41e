#!/usr/bin/env bash
# Installs the Debian packages OrderPay builds against (SQLite, ncursesw, libcurl, librdkafka), tmux
# for the console tests, PostgreSQL for the PostgreSQL test pass, Python's venv for the API
# contract check, and wrk and nginx for `orderpay bench http`, only when one is missing
# (so a set-up machine needs no network and no root).
set -euo pipefail

packages=(libsqlite3-dev pkg-config libncurses-dev libcurl4-openssl-dev librdkafka-dev tmux postgresql wrk nginx-light)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The API contract check runs schemathesis in a virtual environment of its own.
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
