# Sourced by run.sh and test.sh (from the repository root): installs what the project needs and
# skips what is there — fail2ban, nodejs/npm and chromium (apt-get), the wasm32-wasip2 Rust
# target, and the geo database — and defines build_ui.

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
# The web dashboard (functions/ui/web) builds with Node.js and npm; its browser test
# (tests/tests/ui) drives /usr/bin/chromium.
if ! command -v npm >/dev/null; then
	echo "==> installing nodejs and npm"
	$SUDO apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi
if [ ! -x /usr/bin/chromium ]; then
	echo "==> installing chromium (for the dashboard's browser test)"
	$SUDO apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
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
# Builds the dashboard into functions/ui/web/dist (served by the edge's `ui` component and the
# agent's [ui] dir). `npm ci` only when package-lock.json is newer than the installed tree.
build_ui() {
	(
		cd functions/ui/web
		if [ ! -f node_modules/.package-lock.json ] ||
			[ package-lock.json -nt node_modules/.package-lock.json ]; then
			echo "==> npm ci (functions/ui/web)"
			npm ci --no-audit --no-fund
		fi
		echo "==> npm run build (functions/ui/web)"
		npm run build
	)
}
