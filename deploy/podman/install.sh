#!/usr/bin/env bash
# Containers without a Docker engine (Debian bookworm, as root): podman with runc, netavark and
# aardvark-dns (bridge networks that resolve service names), iptables (netavark 1.4 sets up the
# bridge's NAT and port forwarding with it, and Debian lists it as no dependency of netavark),
# catatonit (compose's `init: true`), debootstrap for a base image, and podman-compose from PyPI
# in its own virtualenv ($1).
set -euo pipefail
compose_venv=${1:?usage: install.sh COMPOSE_VENV}
need=()
for pkg in podman runc netavark aardvark-dns iptables catatonit debootstrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "run as root to install: ${need[*]}" >&2; exit 1; }
    echo "installing ${need[*]} …"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# 1.6.0 reads depends_on conditions, --scale, and the compose file's YAML merge keys.
if ! "$compose_venv/bin/podman-compose" version >/dev/null 2>&1; then
    python3 -m venv "$compose_venv"
    "$compose_venv/bin/pip" install -q --disable-pip-version-check podman-compose==1.6.0
fi
