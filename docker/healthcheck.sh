#!/usr/bin/env bash
# Container health probe without curl or wget in the image: an HTTP/1.1 GET over bash's /dev/tcp.
#
#   healthcheck.sh PORT [PATH]      exit 0 when http://127.0.0.1:PORT/PATH answers 200, else 1
#
# Used by the images' HEALTHCHECK and by the chart's exec probe for the edge agent, whose HTTP endpoint listens on
# loopback only (the kubelet's httpGet probes could not reach it).
set -u
port=${1:?usage: healthcheck.sh PORT [PATH]}
path=${2:-/health/live}
host=${HEALTHCHECK_HOST:-127.0.0.1}

{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || exit 1
printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$host" "$port" >&3
IFS=' ' read -r -t "${HEALTHCHECK_TIMEOUT:-5}" version status _ <&3 || exit 1
exec 3<&-
[[ $version == HTTP/1.* && $status == 200 ]]
