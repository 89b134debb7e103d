#!/usr/bin/env bash
# Benchmark: the agent's HTTP layer against the raw fail2ban socket work (not part of the tests).
# Builds release binaries, then runs bangui-bench; extra arguments go to it (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fail2ban-server >/dev/null || { echo "fail2ban is not installed: run 'bash deploy/test.sh' once (it installs it)" >&2; exit 1; }
cargo build --release -p bangui-agent -p bangui-tests --bins
exec target/release/bangui-bench "$@"
