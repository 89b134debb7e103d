#!/usr/bin/env bash
# README command 2: the full check, as CI runs it (.ci/run).
#
#   bash deploy/test.sh
#
# Installs what is missing (fail2ban from apt, the wasm32-wasip2 Rust target), then runs, in
# order and stopping at the first failure: rustfmt, clippy, the host build, the wasm build of the
# Spin components and the whole test suite (unit tests plus end-to-end tests that start real
# fail2ban-server, bangui-agent and bangui-devhost processes).
# Needs a Debian machine with Rust (rustup), run as root or with sudo for the apt step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

step() {
	echo
	echo "==> $*"
}

if ! command -v fail2ban-server >/dev/null || ! command -v fail2ban-client >/dev/null; then
	step "installing fail2ban"
	$SUDO apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y fail2ban
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -x wasm32-wasip2 >/dev/null; then
	step "adding the wasm32-wasip2 Rust target"
	rustup target add wasm32-wasip2
fi
# The geo database (npm package @ip-location-db/geo-whois-asn-country-mmdb, CC0-1.0 with NRO data
# under CC BY 4.0), fetched once into target/geo/, where the agent looks by default. Without it
# every country is unknown; nothing else depends on it.
GEO_DB=target/geo/geo-whois-asn-country.mmdb
if [ ! -s "$GEO_DB" ]; then
	if command -v npm >/dev/null && geo_tmp=$(mktemp -d) &&
		(cd "$geo_tmp" && npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb >/dev/null) &&
		tar -xzf "$geo_tmp"/*.tgz -C "$geo_tmp" package/geo-whois-asn-country.mmdb; then
		mkdir -p target/geo
		mv "$geo_tmp/package/geo-whois-asn-country.mmdb" "$GEO_DB"
		echo "==> fetched the geo database into $GEO_DB"
	else
		echo "==> warning: could not fetch the geo database (npm); countries will show as unknown" >&2
	fi
	rm -rf "${geo_tmp:-}"
fi

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
