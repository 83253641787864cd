#!/bin/sh
# deps.sh - install the Debian packages the build, the run and the tests need,
# only when one is missing (a fresh Debian 12 machine has none of them).
# clang and its runtime (libFuzzer) build the fuzz drivers (make test-fuzz).
set -eu
pkgs="build-essential cmake pkg-config libfcgi-dev libcurl4-openssl-dev
libjson-c-dev uuid-dev libcmocka-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev
nginx-light curl jq wrk time nodejs npm chromium docker-compose libfcgi-bin
clang libclang-rt-14-dev strace"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# Machines that ship node and npm outside Debian's packages need neither.
case "$missing" in *nodejs*|*npm*)
	if command -v node >/dev/null && command -v npm >/dev/null; then
		missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//')
	fi ;;
esac
# The tests install Phoenix into a venv (tests/phoenix.sh): Debian's
# python3 makes one only with python3-venv; pyenv's and others need nothing.
if ! command -v python3 >/dev/null ||
   ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
	for p in python3 python3-venv; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
fi
[ -z "$(echo "$missing" | tr -d ' ')" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
