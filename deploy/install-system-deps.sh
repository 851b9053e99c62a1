#!/usr/bin/env bash
# System packages Vigie needs on Debian/Ubuntu: Java 17 and Maven for the local Kafka broker,
# Prometheus (promtool and the server) for the monitoring tests. The same list is installed by
# deploy/Dockerfile, so CI exercises the production install steps.
set -euo pipefail
need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v promtool >/dev/null || need+=(prometheus)
# docker-compose validates the compose file offline against the schema it ships (no engine needed).
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "missing: ${need[*]} (install them with your package manager)" >&2
    exit 1
fi
sudo=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
echo "installing ${need[*]} …"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
