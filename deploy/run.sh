#!/usr/bin/env bash
# README command 1: run BanGUI edge locally.
#
#   bash deploy/run.sh [--dir DIR] [--port 8650] [--failure-interval SECS]
#
# Installs what is missing (fail2ban from apt, the wasm32-wasip2 Rust target), builds the
# workspace and runs target/debug/bangui-dev: a sandboxed fail2ban-server with demo jails, a
# generator of failure lines, and the agent on http://127.0.0.1:8650. Ctrl-C stops everything.
# Needs a Debian machine with Rust (rustup), run as root or with sudo for the apt step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

if ! command -v fail2ban-server >/dev/null || ! command -v fail2ban-client >/dev/null; then
	echo "==> installing fail2ban"
	$SUDO apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y fail2ban
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -x wasm32-wasip2 >/dev/null; then
	echo "==> adding the wasm32-wasip2 Rust target"
	rustup target add wasm32-wasip2
fi

echo "==> cargo build --workspace"
cargo build --workspace

exec target/debug/bangui-dev "$@"
