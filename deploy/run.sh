#!/usr/bin/env bash
# README command 1: run BanGUI edge locally.
#
#   bash deploy/run.sh [--dir DIR] [--port 8650] [--failure-interval SECS]
#
# Installs what is missing (fail2ban, nodejs/npm and chromium from apt, the wasm32-wasip2 Rust
# target), builds the web dashboard, the workspace and the Spin components, and runs
# target/debug/bangui-dev, the edge shape: two sandboxed fail2ban-servers with demo jails and
# failure generators, an agent next to each (mTLS edge listeners on 8651/8652, agent-only mode
# on http://127.0.0.1:8650), and the dev host serving spin.toml on http://127.0.0.1:8600 — open
# it in a browser for the dashboard. Ctrl-C stops everything.
# Needs a Debian machine with Rust (rustup), run as root or with sudo for the apt step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=deploy/prepare.sh
. deploy/prepare.sh

build_ui
echo "==> cargo build --workspace"
cargo build --workspace
echo "==> cargo build --target wasm32-wasip2 --profile wasm (the Spin components)"
cargo build --target wasm32-wasip2 --profile wasm -p 'bangui-fn-*'

exec target/debug/bangui-dev "$@"
