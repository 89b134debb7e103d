#!/usr/bin/env bash
# Benchmark: the ban archive and dashboard analytics on 1,000,000 generated bans (not part of
# the tests). Builds release binaries, then runs bangui-bench-history; extra arguments go to it
# (see --help, e.g. --bans 100000). Needs about 2 GB free in the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p bangui-agent -p bangui-tests --bins
exec target/release/bangui-bench-history "$@"
