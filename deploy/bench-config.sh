#!/usr/bin/env bash
# Benchmark: listing all jails of the Debian default tree through the agent vs.
# `fail2ban-client -d` on the same tree (not part of the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fail2ban-server >/dev/null || { echo "fail2ban is not installed: run 'bash deploy/test.sh' once (it installs it)" >&2; exit 1; }
cargo build --release -p bangui-agent -p bangui-tests --bins
exec target/release/bangui-bench-config "$@"
