#!/usr/bin/env bash
# README command 2: the full check, as CI runs it (.ci/run).
#
#   bash deploy/test.sh
#
# Installs what is missing (fail2ban, nodejs/npm and chromium from apt, the wasm32-wasip2 Rust
# target), then runs, in order and stopping at the first failure: the dashboard's build and unit
# tests (npm), rustfmt, clippy, the host build, the wasm build of the Spin components and the
# whole test suite (unit tests plus end-to-end tests that start real fail2ban-server,
# bangui-agent and bangui-devhost processes, and the dashboard's browser test in Chromium).
# Needs a Debian machine with Rust (rustup), run as root or with sudo for the apt step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() {
	echo
	echo "==> $*"
}

# shellcheck source=deploy/prepare.sh
. deploy/prepare.sh

# The dashboard first: its unit tests, and the build the `ui` test binary serves and drives.
step "npm ci && npm run build (functions/ui/web)"
build_ui
step "npm test (functions/ui/web: vitest)"
(cd functions/ui/web && npm test)

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo build --workspace --all-targets"
cargo build --workspace --all-targets

# The one wasm build: every Spin component (and the dev host's test fixture). The components
# pull in the shared crate, so this also proves it builds for wasm32-wasip2.
step "cargo build --target wasm32-wasip2 --profile wasm (components)"
cargo build --target wasm32-wasip2 --profile wasm -p 'bangui-fn-*' -p bangui-probe-component

step "cargo test --workspace"
cargo test --workspace
