#!/usr/bin/env bash
# Benchmark: importing a generated 100,000-entry list (served from 127.0.0.1) into a real
# fail2ban-server through the agent, next to banning the same addresses straight over the
# socket at the fastest batch size; prints the agent's peak RSS (not part of the tests).
# Options: --entries N, --action none|dummy.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fail2ban-server >/dev/null || { echo "fail2ban is not installed: run 'bash deploy/test.sh' once (it installs it)" >&2; exit 1; }
cargo build --release -p bangui-agent -p bangui-tests --bins
exec target/release/bangui-bench-blocklist "$@"
