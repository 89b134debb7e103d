#!/usr/bin/env bash
# Benchmark: what the edge adds (dev host + components + mTLS) over agent-only and the raw
# fail2ban socket, beside a plain relay making the same hop; fan-out to two agents, edge
# throughput, component sizes, dev host RSS.
# Builds release binaries and the components first; the fleet takes free edge ports in 8660..8700.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fail2ban-server >/dev/null || { echo "fail2ban is not installed: run 'bash deploy/test.sh' once (it installs it)" >&2; exit 1; }
cargo build --release -p bangui-agent -p bangui-devhost -p bangui-tests --bins
cargo build --target wasm32-wasip2 --profile wasm -p 'bangui-fn-*'
exec target/release/bangui-bench-edge "$@"
