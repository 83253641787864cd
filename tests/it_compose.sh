#!/bin/sh
# it_compose.sh - the container setup without a Docker engine: the compose
# file and its postgres profile validate and say what docs/docker.md
# promises; the image's entry point, health check and nginx configuration
# then run here against the real chat-fcgi and offline-llm.
. "$SRC_DIR/tests/lib.sh"

DC=${DOCKER_COMPOSE:-docker-compose}
DOCKER_DIR=$SRC_DIR/conf/docker
APP_PID=""
OFFLINE_PID=""
NGINX_PID=""

stop_mine() {
	for p in $NGINX_PID $APP_PID $OFFLINE_PID; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	NGINX_PID="" APP_PID="" OFFLINE_PID=""
}
trap 'stop_mine; it_cleanup' EXIT

if ! command -v "$DC" >/dev/null 2>&1; then
	not_ok "$DC is installed (apt-get install docker-compose)"
	finish
	exit 1
fi

# compose ENVFILE ARGS...: the checkout's compose file with ENVFILE's
# settings only: not the checkout's .env, not this shell's variables.
compose() {
	envfile=$1; shift
	env -i PATH="$PATH" HOME="$T" "$DC" -f "$SRC_DIR/docker-compose.yml" \
	    --project-directory "$SRC_DIR" --env-file "$envfile" "$@"
}
# config_json ENVFILE [ARGS...] > FILE: the resolved configuration as JSON
# (python3-yaml comes with Debian's docker-compose).
config_json() {
	compose "$@" config | python3 -c \
	    'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'
}
q() { jq -r "$1" "$J"; }
matches() { printf '%s\n' "$1" | grep -Eq "$2"; }
# Published ports as host:published:target/proto, short or long syntax.
ports_of() {
	jq -r --arg s "$1" '.services[$s].ports // [] | .[] |
	    if type == "string" then . else
	    "\(.host_ip // ""):\(.published):\(.target)/\(.protocol // "tcp")"
	    end' "$J"
}
# Mounts as source:target, short or long syntax.
mounts_of() {
	jq -r --arg s "$1" '.services[$s].volumes // [] | .[] |
	    if type == "string" then (split(":") | "\(.[0]):\(.[1])")
	    else "\(.source):\(.target)" end' "$J"
}
env_of() { jq -r --arg s "$1" --arg v "$2" '.services[$s].environment[$v] // ""' "$J"; }

# --- The compose file -------------------------------------------------------
: > "$T/empty.env"
check "docker-compose config -q accepts docker-compose.yml" \
    compose "$T/empty.env" config -q
check "docker-compose config -q accepts .env.example as the env file" \
    compose "$SRC_DIR/.env.example" config -q
J=$T/default.json
config_json "$T/empty.env" > "$J"
check "the configuration converts to JSON" jq -e .services "$J"

for s in phoenix app offline-model flusher nginx; do
	check "service $s exists" jq -e --arg s "$s" '.services | has($s)' "$J"
	check "service $s has a health check" jq -e --arg s "$s" \
	    '.services[$s].healthcheck.test | length > 1' "$J"
done
check "phoenix image is pinned to a version tag" \
    matches "$(q .services.phoenix.image)" \
    '^arizephoenix/phoenix:version-[0-9]+\.[0-9]+\.[0-9]+$'
pinned=$(env SRC_DIR="$SRC_DIR" sh -c \
    '. "$SRC_DIR/tests/phoenix.sh"; trap - EXIT; phoenix_version')
eq "the tests install the release compose runs (tests/phoenix.sh)" \
    "arizephoenix/phoenix:version-$pinned" "$(q .services.phoenix.image)"
check "phoenix's health check asks /readyz (the database answers)" \
    jq -e '.services.phoenix.healthcheck.test | any(test("/readyz"))' "$J"
check "phoenix publishes 6006 (UI, OTLP/HTTP)" \
    sh -c "echo '$(ports_of phoenix)' | grep -q ':6006:6006/tcp\$'"
check "phoenix publishes 4317 (OTLP/gRPC)" \
    sh -c "echo '$(ports_of phoenix)' | grep -q ':4317:4317/tcp\$'"
check "nginx publishes 8000" \
    sh -c "echo '$(ports_of nginx)' | grep -q ':8000:8000/tcp\$'"
eq "published ports default to loopback" "127.0.0.1" \
    "$(ports_of nginx | cut -d: -f1)"
eq "app publishes no port (so it scales)" "" "$(ports_of app)"
eq "app has no container name (so it scales)" "" "$(q '.services.app.container_name // ""')"

wd=$(env_of phoenix PHOENIX_WORKING_DIR)
check "PHOENIX_WORKING_DIR is set" test -n "$wd"
eq "phoenix data is the phoenix-data volume" "phoenix-data:$wd" \
    "$(mounts_of phoenix | grep ":$wd\$")"
check "phoenix-data is a named volume" jq -e '.volumes | has("phoenix-data")' "$J"
eq "phoenix stores in SQLite under its working dir by default" \
    "sqlite:///$wd/phoenix.db" "$(env_of phoenix PHOENIX_SQL_DATABASE_URL)"

spool=$(env_of app SPOOL_DIR)
eq "app SPOOL_DIR" "/var/spool/recipe-chat" "$spool"
eq "flusher reads the app's SPOOL_DIR" "$spool" "$(env_of flusher SPOOL_DIR)"
eq "app mounts the spool volume" "spool:$spool" "$(mounts_of app)"
eq "flusher mounts the same spool volume" "spool:$spool" "$(mounts_of flusher)"
check "spool is a named volume" jq -e '.volumes | has("spool")' "$J"
eq "flusher ships to Phoenix" "http://phoenix:6006" \
    "$(env_of flusher PHOENIX_COLLECTOR_ENDPOINT)"
eq "flusher waits for a healthy Phoenix" "service_healthy" \
    "$(q .services.flusher.depends_on.phoenix.condition)"
eq "flusher runs span-flusher" "span-flusher" "$(q '.services.flusher.command | if type == "array" then .[0] else . end')"
eq "nginx waits for a healthy app" "service_healthy" \
    "$(q .services.nginx.depends_on.app.condition)"
eq "nginx waits for a healthy offline model" "service_healthy" \
    "$(q '.services.nginx.depends_on["offline-model"].condition')"
eq "app listens on the compose network" "0.0.0.0:9000" "$(env_of app CHAT_LISTEN)"
eq "app's offline model is nginx's internal server" "http://nginx:8081/v1" \
    "$(env_of app OFFLINE_BASE_URL)"
eq "no model configured by default" "" "$(env_of app MODEL_NAME)$(env_of app OPENAI_API_KEY)"
eq "app and flusher use one image" "$(q .services.app.image)" "$(q .services.flusher.image)"

# Settings from an env file reach the app and nginx.
cat > "$T/keys.env" <<'EOF'
MODEL_NAME=anthropic/claude-3-5-haiku-latest
ANTHROPIC_API_KEY=test-key-not-real
LLM_TIMEOUT_S=45
TRUST_TRACEPARENT=1
PHOENIX_PROJECT_NAME=recipes-test
PHOENIX_API_KEY=phoenix-test-key
EOF
J=$T/keys.json
config_json "$T/keys.env" > "$J"
eq "MODEL_NAME from the env file" "anthropic/claude-3-5-haiku-latest" "$(env_of app MODEL_NAME)"
eq "ANTHROPIC_API_KEY from the env file" "test-key-not-real" "$(env_of app ANTHROPIC_API_KEY)"
eq "LLM_TIMEOUT_S reaches the app" "45" "$(env_of app LLM_TIMEOUT_S)"
eq "LLM_TIMEOUT_S reaches nginx" "45" "$(env_of nginx LLM_TIMEOUT_S)"
eq "TRUST_TRACEPARENT from the env file" "1" "$(env_of app TRUST_TRACEPARENT)"
eq "PHOENIX_PROJECT_NAME from the env file" "recipes-test" "$(env_of app PHOENIX_PROJECT_NAME)"
eq "PHOENIX_API_KEY goes to the flusher" "phoenix-test-key" "$(env_of flusher PHOENIX_API_KEY)"
eq "PHOENIX_API_KEY does not go to the app" "" "$(env_of app PHOENIX_API_KEY)"

grace=$(q '.services.app.stop_grace_period')
grace_s=$(echo "$grace" | sed -n 's/^\([0-9]*\)s$/\1/p; s/^\([0-9]*\)m\([0-9]*\)s$/\1 \2/p' | awk '{ print NF == 2 ? $1 * 60 + $2 : $1 }')
check "app's stop_grace_period ($grace) exceeds POOL_STOP_TIMEOUT_S ($(env_of app POOL_STOP_TIMEOUT_S))" \
    test "${grace_s:-0}" -gt "$(env_of app POOL_STOP_TIMEOUT_S)"
check "app reaches the host as host.docker.internal" jq -e \
    '.services.app.extra_hosts | tostring | test("host.docker.internal.*host-gateway")' "$J"
for v in OPENAI_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY TOGETHER_API_KEY; do
	eq "$v does not go to the flusher" "" "$(env_of flusher $v)"
done
for v in CHAT_RATE_PER_S CHAT_RATE_BURST CHAT_CONN_PER_CLIENT CHAT_LIMIT_EXEMPT; do
	check "nginx gets $v" test -n "$(env_of nginx $v)"
done

# Only nginx can reach the pool: the app is on no network another service
# shares, but the internal one it shares with nginx alone.
eq "the app's networks" "egress pool" "$(jq -r '.services.app.networks | if type == "object" then keys else . end | sort | join(" ")' "$J")"
check "the pool network is internal" jq -e '.networks.pool.internal == true' "$J"
eq "services on the pool network" "app nginx" "$(jq -r '[.services | to_entries[] | select(.value.networks // {} | if type == "object" then has("pool") else index("pool") != null end) | .key] | sort | join(" ")' "$J")"
eq "services on the egress network" "app" "$(jq -r '[.services | to_entries[] | select(.value.networks // {} | if type == "object" then has("egress") else index("egress") != null end) | .key] | sort | join(" ")' "$J")"

for v in MODEL_NAME OPENAI_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY \
    TOGETHER_API_KEY OPENAI_BASE_URL LLM_TIMEOUT_S PHOENIX_PROJECT_NAME \
    TRUST_TRACEPARENT PHOENIX_API_KEY PHOENIX_SQL_DATABASE_URL \
    COMPOSE_PROFILES POOL_STOP_TIMEOUT_S CHAT_RATE_PER_S CHAT_RATE_BURST \
    CHAT_CONN_PER_CLIENT CHAT_LIMIT_EXEMPT; do
	check ".env.example documents $v" grep -Eq "^#?$v=" "$SRC_DIR/.env.example"
done

# --- The postgres profile ---------------------------------------------------
check "docker-compose --profile postgres config -q passes" \
    compose "$T/empty.env" --profile postgres config -q
# The two lines .env.example gives for it, uncommented.
sed -n 's/^#\(COMPOSE_PROFILES=\|PHOENIX_SQL_DATABASE_URL=\)/\1/p' \
    "$SRC_DIR/.env.example" > "$T/pg.env"
J=$T/pg.json
config_json "$T/pg.env" --profile postgres > "$J"
check "postgres service exists" jq -e '.services | has("postgres")' "$J"
eq "postgres only runs in its profile" '["postgres"]' "$(jq -c .services.postgres.profiles "$J")"
check "postgres image is pinned to the current stable 17.x" \
    matches "$(q .services.postgres.image)" '^postgres:17\.[0-9]+'
eq "postgres data is a named volume" "postgres-data:/var/lib/postgresql/data" \
    "$(mounts_of postgres)"
check "postgres has a health check" jq -e '.services.postgres.healthcheck.test | length > 1' "$J"
eq "phoenix uses the postgres service" \
    "postgresql://$(env_of postgres POSTGRES_USER):$(env_of postgres POSTGRES_PASSWORD)@postgres:5432/$(env_of postgres POSTGRES_DB)" \
    "$(env_of phoenix PHOENIX_SQL_DATABASE_URL)"
eq "the documented URL" "postgresql://phoenix:phoenix@postgres:5432/phoenix" \
    "$(env_of phoenix PHOENIX_SQL_DATABASE_URL)"

# --- The Dockerfile -----------------------------------------------------------
DF=$SRC_DIR/Dockerfile
check "images build on Debian 12 slim" grep -q '^ARG DEBIAN_IMAGE=debian:12-slim$' "$DF"
check "nginx base image is pinned" grep -Eq '^ARG NGINX_IMAGE=nginx:[0-9]+\.[0-9]+\.[0-9]+' "$DF"
check "stages build, web, runtime" sh -c "grep -c '^FROM .* AS \\(build\\|web\\|runtime\\)\$' '$DF' | grep -qx 3"
eq "the default image is the runtime stage" "runtime" "$(grep '^FROM ' "$DF" | tail -1 | awk '{print $NF}')"
eq "the runtime runs as an unprivileged user" "USER recipe" "$(grep '^USER ' "$DF")"
data_dir=$(sed -n 's|^COPY data/ \(/.*\)/$|\1|p' "$DF")
check "RECIPES_FILE is the copied collection" \
    grep -q "RECIPES_FILE=$data_dir/recipes.json" "$DF"
check "nginx is the current stable line (1.28)" grep -Eq '^ARG NGINX_IMAGE=nginx:1\.28\.[0-9]+' "$DF"
node=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\).*/\1/p' "$DF")
check "the build stage has Node >= 20 for the page (node $node)" test "${node:-0}" -ge 20
check "the build stage takes node from that image" grep -q '^COPY --from=node /usr/local/bin/node ' "$DF"
check "the build stage does not install Debian's Node 18" sh -c "! grep -Eq '[[:space:]]nodejs([[:space:]]|\$)' '$DF'"
check "the image builds only the programs and the page" \
    grep -q -- '--target chat-fcgi offline-llm' "$DF"
for p in '*.sh' '*.in' '*.conf'; do
	check ".gitattributes keeps $p LF" grep -Fqx "$p text eol=lf" "$SRC_DIR/.gitattributes"
done
for p in '.git' '.env' 'build\*' '\*\*/node_modules'; do
	check ".dockerignore leaves out $p" grep -qx "$p" "$SRC_DIR/.dockerignore"
done

# --- The entry point ------------------------------------------------------
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho "$MODEL_NAME|$OPENAI_BASE_URL"\n' > "$T/fakebin/chat-fcgi"
cp "$T/fakebin/chat-fcgi" "$T/fakebin/span-flusher"
chmod +x "$T/fakebin/chat-fcgi" "$T/fakebin/span-flusher"
ep() {		# ep COMMAND [VAR=value...]
	cmd=$1; shift
	env -i PATH="$T/fakebin:/usr/bin:/bin" "$@" \
	    sh "$DOCKER_DIR/entrypoint.sh" "$cmd" 2>/dev/null
}
OFF=OFFLINE_BASE_URL=http://nginx:8081/v1
eq "entrypoint: nothing set picks the offline model" \
    "offline-recipe-model|http://nginx:8081/v1" "$(ep chat-fcgi $OFF)"
eq "entrypoint: empty values as compose passes them" \
    "offline-recipe-model|http://nginx:8081/v1" \
    "$(ep chat-fcgi $OFF MODEL_NAME= OPENAI_API_KEY= OPENAI_BASE_URL=)"
eq "entrypoint: an OpenAI key keeps the default model" "|" \
    "$(ep chat-fcgi $OFF OPENAI_API_KEY=sk-test)"
eq "entrypoint: MODEL_NAME is kept" "anthropic/x|" \
    "$(ep chat-fcgi $OFF MODEL_NAME=anthropic/x ANTHROPIC_API_KEY=k)"
eq "entrypoint: OPENAI_BASE_URL is kept" "|http://llm:8080/v1" \
    "$(ep chat-fcgi $OFF OPENAI_BASE_URL=http://llm:8080/v1)"
eq "entrypoint: other programs are left alone" "|" "$(ep span-flusher $OFF)"
eq "entrypoint: without OFFLINE_BASE_URL nothing changes" "|" "$(ep chat-fcgi)"

# --- nginx's configuration ---------------------------------------------------
render() {	# render OUT [VAR=value...]
	out=$1; shift
	env "$@" sh "$DOCKER_DIR/nginx-render.sh" "$DOCKER_DIR/nginx.conf.in" "$out"
}
check "nginx-render.sh renders with defaults" render "$T/default.conf"
eq "no placeholder is left" "0" "$(grep -c '@[A-Z_]*@' "$T/default.conf")"
check "default read timeout is LLM_TIMEOUT_S + 30" grep -q 'fastcgi_read_timeout 150s;' "$T/default.conf"
check "default body limit" grep -q 'client_max_body_size 1048576;' "$T/default.conf"
render "$T/t45.conf" LLM_TIMEOUT_S=45 CHAT_MAX_BODY=2048 >/dev/null 2>&1
check "read timeout follows LLM_TIMEOUT_S" grep -q 'fastcgi_read_timeout 75s;' "$T/t45.conf"
check "body limit follows CHAT_MAX_BODY" grep -q 'client_max_body_size 2048;' "$T/t45.conf"
for bad in abc 12s -5 0120; do
	check "nginx-render.sh refuses LLM_TIMEOUT_S=$bad" \
	    sh -c "! env LLM_TIMEOUT_S=$bad sh '$DOCKER_DIR/nginx-render.sh' '$DOCKER_DIR/nginx.conf.in' '$T/bad.conf'"
done

# The rendered file, with the container's paths and names mapped onto this
# machine, served by the local nginx in front of the real programs.
ports=$(free_ports 4)
P_APP=$(echo "$ports" | sed -n 1p)
P_OFF=$(echo "$ports" | sed -n 2p)
P_HTTP=$(echo "$ports" | sed -n 3p)
P_V1=$(echo "$ports" | sed -n 4p)
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
mkdir -p "$T/ngx"
sed -e "s|^user nginx;|$user_line|" \
    -e "s|^worker_processes auto;|worker_processes 1;|" \
    -e "s|/var/run/nginx.pid|$T/ngx/nginx.pid|" \
    -e "s|access_log /dev/stdout;|access_log $T/ngx/access.log;\\
	client_body_temp_path $T/ngx/body;\\
	fastcgi_temp_path $T/ngx/fastcgi;\\
	proxy_temp_path $T/ngx/proxy;\\
	uwsgi_temp_path $T/ngx/uwsgi;\\
	scgi_temp_path $T/ngx/scgi;|" \
    -e "s|/etc/nginx/recipe-chat/|$SRC_DIR/conf/|g" \
    -e "s|/usr/share/recipe-chat/htdocs|$BUILD_DIR/htdocs|" \
    -e "s|listen 8000 |listen 127.0.0.1:$P_HTTP |" \
    -e "s|listen 8081;|listen 127.0.0.1:$P_V1;|" \
    -e "s|app:9000|127.0.0.1:$P_APP|" \
    -e "s|offline-model:9001|127.0.0.1:$P_OFF|" \
    "$T/default.conf" > "$T/ngx/nginx.conf"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
check "nginx -t accepts the rendered configuration" \
    "$NGINX" -t -q -p "$T/ngx" -c "$T/ngx/nginx.conf" -e stderr

HEALTHZ="sh $DOCKER_DIR/fcgi-healthz.sh"
check "fcgi-healthz fails with nothing listening" \
    sh -c "! $HEALTHZ 127.0.0.1:$P_APP"
check "fcgi-healthz needs an address" sh -c "! $HEALTHZ"

env OFFLINE_LISTEN="127.0.0.1:$P_OFF" RECIPES_FILE="$SRC_DIR/data/recipes.json" \
    LOG_LEVEL=warn "$BUILD_DIR/bin/offline-llm" 2>>"$T/offline.log" &
OFFLINE_PID=$!
env PATH="$BUILD_DIR/bin:$PATH" CHAT_LISTEN="127.0.0.1:$P_APP" \
    SPOOL_DIR="$T/spool" OFFLINE_BASE_URL="http://127.0.0.1:$P_V1/v1" \
    MODEL_NAME= OPENAI_API_KEY= OPENAI_BASE_URL= POOL_WORKERS=1 \
    POOL_THREADS=4 LOG_LEVEL=warn \
    sh "$DOCKER_DIR/entrypoint.sh" chat-fcgi 2>>"$T/app.log" &
APP_PID=$!
"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e stderr -g 'daemon off;' \
    2>>"$T/nginx.log" &
NGINX_PID=$!

check "fcgi-healthz: the pool is healthy" wait_for 20 $HEALTHZ "127.0.0.1:$P_APP"
check "fcgi-healthz: the offline model is healthy" wait_for 20 $HEALTHZ "127.0.0.1:$P_OFF"
BASE=http://127.0.0.1:$P_HTTP
check "nginx answers /healthz from the pool" wait_for 20 curl -fsS "$BASE/healthz"
eq "/healthz body" 'ok 0' "$(curl -sS "$BASE/healthz" | jq -r '"\(.status) \(.spool.dropped_turns)"')"
eq "the page is served" "200" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/")"
eq "POST / is refused" "403" \
    "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d x "$BASE/")"
eq "the offline server block reaches the model" "200" \
    "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_V1/v1/models")"
eq "the offline server block has nothing else" "404" \
    "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_V1/other")"
eq "POST /chat answers through the offline model" "200" \
    "$(chat '{"messages":[{"role":"user","content":"a quick vegan soup"}]}')"
eq "the reply is the assistant's" "assistant" "$(resp '.messages[-1].role')"
check "the reply is a recipe" sh -c "jq -r '.messages[-1].content' '$T/resp' | grep -q '^## '"
check "the turn's spans name the offline model" \
    sh -c "cat '$T'/spool/*.jsonl | grep -q 'offline-recipe-model'"
eq "a body over CHAT_MAX_BODY gets nginx's 413" "413" \
    "$(head -c 1100000 /dev/zero | tr '\0' 'a' | curl -sS -o /dev/null -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' --data-binary @- "$BASE/chat")"
kill -TERM "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
APP_PID=""
eq "a stopped pool gives 503 JSON" "503" \
    "$(chat '{"messages":[{"role":"user","content":"soup"}]}')"
eq "503 detail" "chat service unavailable" "$(resp .detail)"
stop_mine

finish
