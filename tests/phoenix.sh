# phoenix.sh - a real Arize Phoenix for the integration tests: the release
# docker-compose.yml pins, installed from PyPI into a venv under the build
# directory once, and `phoenix serve` on free loopback ports with its own
# working directory (SQLite), read back through Phoenix's REST API.
# Sourced after tests/lib.sh; PHOENIX_E2E=0 skips the test that sources it.

PHOENIX_PID=""
PHX_PORT=""
PHX_GRPC_PORT=""
PHX_DIR=""
PHX_URL=""

trap 'phoenix_stop; it_cleanup' EXIT

# phoenix_version: the release compose pins (the one place it is written).
phoenix_version() {
	sed -n 's|^[[:space:]]*image:[[:space:]]*arizephoenix/phoenix:version-\([0-9][0-9.]*\)[[:space:]]*$|\1|p' \
	    "$SRC_DIR/docker-compose.yml" | head -1
}

# phoenix_skip_if_off: PHOENIX_E2E=0 ends the test here, counted as
# skipped, never as passed.
phoenix_skip_if_off() {
	[ "${PHOENIX_E2E:-1}" = 0 ] || return 0
	echo "skipped: PHOENIX_E2E=0"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# phoenix_fail MESSAGE: the test cannot run; say how to skip it.
phoenix_fail() {
	not_ok "$1 (set PHOENIX_E2E=0 to skip the tests against the real Phoenix)"
	finish
	exit 1
}

# phoenix_install: sets PHOENIX_VERSION and PHOENIX_VENV. A venv is reused
# once its stamp says pip finished; a half-done one is made again. The
# sanitizer build reuses the plain build's venv when there is one.
phoenix_install() {
	phoenix_skip_if_off
	PHOENIX_VERSION=$(phoenix_version)
	[ -n "$PHOENIX_VERSION" ] ||
		phoenix_fail "no arizephoenix/phoenix:version-X.Y.Z image in docker-compose.yml"
	local name=phoenix-venv-$PHOENIX_VERSION
	PHOENIX_VENV=$BUILD_DIR/$name
	case $BUILD_DIR in *-asan)
		[ -f "${BUILD_DIR%-asan}/$name/.installed" ] &&
			PHOENIX_VENV=${BUILD_DIR%-asan}/$name ;;
	esac
	[ -f "$PHOENIX_VENV/.installed" ] && return 0
	# Tests run in parallel: one installs, the others wait for it.
	(
		flock 9
		[ -f "$PHOENIX_VENV/.installed" ] && exit 0
		phoenix_pip_install
	) 9>"$BUILD_DIR/phoenix-venv.lock" ||
		phoenix_fail "could not install arize-phoenix==$PHOENIX_VERSION from PyPI into $PHOENIX_VENV"
}

# phoenix_python: the first python3 (PATH's, then Debian's) that makes
# venvs and is new enough for Phoenix (3.11).
phoenix_python() {
	local py
	for py in python3 /usr/bin/python3; do
		"$py" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' \
		    2>/dev/null && { echo "$py"; return 0; }
	done
	return 1
}

# phoenix_pip_install: the venv from scratch; 0 or 1 with pip's reasons
# on stderr (without the machine's pip configuration noise).
phoenix_pip_install() {
	local log=$BUILD_DIR/phoenix-venv-install.log py
	echo "installing arize-phoenix==$PHOENIX_VERSION into $PHOENIX_VENV (once)" >&2
	rm -rf "$PHOENIX_VENV"
	if ! py=$(phoenix_python); then
		echo "no python3 >= 3.11 that makes venvs: make deps (python3-venv)" >&2
		return 1
	fi
	if ! "$py" -m venv "$PHOENIX_VENV" >"$log" 2>&1; then
		cat "$log" >&2
		return 1
	fi
	if ! "$PHOENIX_VENV/bin/pip" install -q --disable-pip-version-check \
	    --timeout 30 --retries 2 "arize-phoenix==$PHOENIX_VERSION" >>"$log" 2>&1; then
		grep -v 'is ignored' "$log" | tail -n 15 >&2
		return 1
	fi
	touch "$PHOENIX_VENV/.installed"
}

# phoenix_start: `phoenix serve` on 127.0.0.1 with telemetry and outside
# resources off. The first call picks free ports and a working directory
# under $T; later calls (a restart) reuse them, so the data stays. Sets
# PHX_URL; exits the test if it is not ready within three minutes (it
# took 35 s on a busy 2-core machine, mostly Python imports).
phoenix_start() {
	local ports
	if [ -z "$PHX_PORT" ]; then
		ports=$(free_ports 2)
		PHX_PORT=$(echo "$ports" | sed -n 1p)
		PHX_GRPC_PORT=$(echo "$ports" | sed -n 2p)
		PHX_DIR=$T/phoenix
		PHX_URL=http://127.0.0.1:$PHX_PORT
		mkdir -p "$PHX_DIR"
	fi
	env PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$PHX_PORT" \
	    PHOENIX_GRPC_PORT="$PHX_GRPC_PORT" PHOENIX_WORKING_DIR="$PHX_DIR" \
	    PHOENIX_TELEMETRY_ENABLED=false PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
	    "$PHOENIX_VENV/bin/python" "$SRC_DIR/tests/phoenix-serve.py" \
	    >>"$T/phoenix.log" 2>&1 &
	PHOENIX_PID=$!
	if ! wait_for 180 curl -fsS --max-time 5 "$PHX_URL/readyz"; then
		tail -n 30 "$T/phoenix.log" >&2
		not_ok "phoenix serve is ready on $PHX_URL"
		exit 1
	fi
}

# phoenix_stop: SIGTERM, and SIGKILL if it has not gone in 30 s.
phoenix_stop() {
	[ -n "$PHOENIX_PID" ] || return 0
	kill -TERM "$PHOENIX_PID" 2>/dev/null
	wait_for 30 sh -c "! kill -0 $PHOENIX_PID" || kill -KILL "$PHOENIX_PID" 2>/dev/null
	wait "$PHOENIX_PID" 2>/dev/null
	PHOENIX_PID=""
}

# phx_get PATH: GET from Phoenix's REST API; the body on stdout.
phx_get() { curl -fsS --max-time 10 "$PHX_URL$1"; }

# phx_spans PROJECT [QUERY]: every span of PROJECT matching QUERY (e.g.
# "trace_id=...&parent_id=null"), one compact JSON object per line, through
# every page of GET /v1/projects/{project}/spans.
phx_spans() {
	local q=${2:+$2&} cursor="" page
	while :; do
		page=$(phx_get "/v1/projects/$1/spans?${q}limit=1000${cursor:+&cursor=$cursor}") ||
			return 1
		printf '%s\n' "$page" | jq -c '.data[]'
		cursor=$(printf '%s\n' "$page" | jq -r '.next_cursor // empty')
		[ -n "$cursor" ] || return 0
	done
}

# Distinct span ids stored in PROJECT, and all rows (a duplicate would show
# as total > distinct).
phx_unique() { phx_spans "$1" | jq -r .context.span_id | sort -u | wc -l; }
phx_total() { phx_spans "$1" | wc -l; }
# phx_has PROJECT N: at least N distinct spans are stored (for wait_for).
phx_has() { [ "$(phx_unique "$1")" -ge "$2" ]; }
