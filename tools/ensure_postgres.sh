#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries and the PostGIS extension are installed, from Debian's
# packages, so the store contract suite can start its own throw-away server. Idempotent: does
# nothing (and touches no network) when both are present. Never starts or changes a cluster.
#
# Usage: bash tools/ensure_postgres.sh        (root, or a user with sudo)
set -euo pipefail

have_pg_ctl() {
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

have_postgis() {
    compgen -G '/usr/share/postgresql/*/extension/postgis.control' >/dev/null
}

if have_pg_ctl && have_postgis; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
else
    SUDO=(sudo)
fi

apt_get() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

echo "ensure_postgres: installing Debian's postgresql and postgis packages" >&2
apt_get update
# `postgis` only recommends the extension; `postgresql-postgis` depends on it for Debian's
# default server (postgresql-15-postgis-3 on Debian 12), whatever apt's recommends setting.
apt_get install postgresql postgis postgresql-postgis

if ! have_pg_ctl; then
    echo "ensure_postgres: pg_ctl still missing after installing postgresql" >&2
    exit 1
fi
if ! have_postgis; then
    echo "ensure_postgres: the postgis extension is still missing after installing postgis" >&2
    exit 1
fi
