#!/bin/sh
# deps.sh installs what the e2e suite and the demo cluster need on a Debian
# host: dockerd (docker.io), iptables, Alertmanager
# (prometheus-alertmanager: the alerting specs deliver to a real one) and
# promtool (prometheus: go test ./charts/ checks the rules with it) and
# Chromium (the web UI's browser tests in test/ui drive it headless). It does
# nothing when they are already there. Used by `make test`, `make demo` and
# CI.
set -eu

missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v iptables >/dev/null 2>&1 || missing="$missing iptables"
[ -x /usr/bin/prometheus-alertmanager ] || missing="$missing prometheus-alertmanager"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
for tool in ip nsenter unshare; do
	command -v "$tool" >/dev/null 2>&1 || { echo "deps.sh: $tool is missing (iproute2 / util-linux)" >&2; exit 1; }
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: need root to install:$missing" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -qq $missing >/dev/null
fi

# The docker CLI drives builds and stack deploys; the docker.io package
# ships one when none is installed.
command -v docker >/dev/null 2>&1 || { echo "deps.sh: no docker CLI found" >&2; exit 1; }
