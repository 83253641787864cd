#!/bin/sh
# it_phoenix.sh - the real nginx, pool and flusher shipping to a real
# `phoenix serve` (the release compose pins, tests/phoenix.sh), read back
# through Phoenix's own REST API: a session, an error turn, incoming
# traceparents, a Phoenix restart, a kill -9 of the flusher, and a user's
# vote shipped as a span annotation (and changed). The routes
# and shapes relied on are listed in docs/phoenix.md.
. "$SRC_DIR/tests/lib.sh"
. "$SRC_DIR/tests/phoenix.sh"
# The drill below kills the stack's flusher once; run.sh restarts it.
EXPECT_FLUSHER_RESTARTS=1

phoenix_install
phoenix_start
PROJECT=it-phoenix-$$-$(date +%s)
start_mock_llm
STACK_ARGS="OPENAI_BASE_URL=$MOCK_URL MODEL_NAME=openai/gpt-4o-mini
    OPENAI_API_KEY=sk-test PHOENIX_COLLECTOR_ENDPOINT=$PHX_URL
    PHOENIX_PROJECT_NAME=$PROJECT"
# shellcheck disable=SC2086
start_stack $STACK_ARGS

# turn BODY [curl args...]: POST /chat; prints the turn's trace id.
turn() {
	local body=$1; shift
	curl -sS -o "$T/resp" -D - -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@" "$BASE/chat" | tr -d '\r' |
	    sed -n 's/^X-Trace-Id: //Ip'
}
# spans_of TRACE [QUERY]: the trace's spans stored in the project.
spans_of() { phx_spans "$PROJECT" "trace_id=$1${2:+&$2}"; }
has_trace() { [ "$(spans_of "$1" | wc -l)" -ge "$2" ]; }
# a SPAN KEY: one attribute of a span from the REST API (flattened keys).
a() { printf '%s\n' "$1" | jq -r --arg k "$2" '.attributes[$k] // empty'; }
# spool_attr SPANID KEY: what the stack wrote for that span's attribute.
spool_attr() {
	spool_spans | jq -r --arg s "$1" "$ATTR select(.spanId == \$s) | attr(\"$2\")"
}
# graphql QUERY VARIABLES: Phoenix's GraphQL API, for what the REST API
# does not say (a session's first input and last output).
graphql() {
	jq -n -c --arg q "$1" --argjson v "$2" '{query: $q, variables: $v}' |
	    curl -fsS --max-time 10 -H 'Content-Type: application/json' \
	    --data-binary @- "$PHX_URL/graphql"
}

# --- What /v1/traces accepts ------------------------------------------------------
# The rules tests/otlp-receiver.c copies, asked of the real one.
# post_traces CONTENT-TYPE CONTENT-ENCODING BODY: the status.
post_traces() {
	printf "$3" | curl -sS -o /dev/null -w '%{http_code}' -X POST \
	    -H "Content-Type: $1" ${2:+-H "Content-Encoding: $2"} \
	    --data-binary @- "$PHX_URL/v1/traces"
}
eq "an empty protobuf request is accepted" 200 "$(post_traces application/x-protobuf "" "")"
eq "OTLP/JSON gets 415" 415 "$(post_traces application/json "" "{}")"
eq "a content type with parameters gets 415" 415 \
    "$(post_traces "application/x-protobuf; charset=utf-8" "" "")"
eq "an unknown content encoding gets 415" 415 "$(post_traces application/x-protobuf br "")"
eq "a body that is not a request gets 422" 422 \
    "$(post_traces application/x-protobuf "" '\377\377\377\377')"

# --- A two-turn session ------------------------------------------------------
sid=session_$(date +%s)000_phoenix
t1=$(turn "{\"messages\":[{\"role\":\"user\",\"content\":\"lentil soup\"}],\"session_id\":\"$sid\"}")
t2=$(turn "$(jq -c --arg s "$sid" '.messages += [{"role":"user","content":"second turn"}]
    | {messages, session_id: $s}' "$T/resp")")
check "both turns have a trace id" test -n "$t1" -a -n "$t2"
both_turns() { has_trace "$t1" 2 && has_trace "$t2" 2; }
check "both traces arrive in project $PROJECT" wait_for 60 both_turns
root=$(spans_of "$t2" "parent_id=null")
llm=$(spans_of "$t2" "span_kind=LLM")
eq "one root span in the second trace" 1 "$(printf '%s\n' "$root" | grep -c .)"
eq "the root is chat_turn" chat_turn "$(printf '%s\n' "$root" | jq -r .name)"
eq "chat_turn is an AGENT" AGENT "$(printf '%s\n' "$root" | jq -r .span_kind)"
eq "the LLM span is completion" completion "$(printf '%s\n' "$llm" | jq -r .name)"
eq "completion's parent is chat_turn" "$(printf '%s\n' "$root" | jq -r .context.span_id)" \
    "$(printf '%s\n' "$llm" | jq -r .parent_id)"
eq "both spans are OK" "OK OK" "$(spans_of "$t2" | jq -r .status_code | xargs)"
eq "chat_turn carries the session id" "$sid" "$(a "$root" session.id)"
eq "chat_turn input is the last user message" "second turn" "$(a "$root" input.value)"
eq "chat_turn output is the reply" "mock reply to: second turn" "$(a "$root" output.value)"
llm_id=$(printf '%s\n' "$llm" | jq -r .context.span_id)
for k in prompt completion total; do
	sent=$(spool_attr "$llm_id" "llm.token_count.$k")
	check "the stack sent llm.token_count.$k" test "${sent:-0}" -gt 0
	eq "Phoenix stored llm.token_count.$k as sent" "$sent" "$(a "$llm" "llm.token_count.$k")"
done
eq "the model name as sent" "$(spool_attr "$llm_id" llm.model_name)" "$(a "$llm" llm.model_name)"

phx_get "/v1/sessions/$sid" > "$T/session" || : > "$T/session"
eq "GET /v1/sessions/{id}: both traces, in order" "$t1 $t2" \
    "$(jq -r '.data.traces[].trace_id' "$T/session" | xargs)"
tokens=0
for t in $t1 $t2; do
	id=$(spans_of "$t" "span_kind=LLM" | jq -r .context.span_id)
	tokens=$((tokens + $(spool_attr "$id" llm.token_count.total)))
done
eq "the session's total tokens are both turns'" "$tokens" "$(jq -r .data.token_count_total "$T/session")"
check "GET /v1/projects/{name}/sessions lists the session" sh -c \
    "curl -fsS '$PHX_URL/v1/projects/$PROJECT/sessions' | jq -e --arg s '$sid' 'any(.data[]; .session_id == \$s)'"
# The Sessions view: first input and last output, from root spans only.
graphql 'query ($id: ID!) { node(id: $id) { ... on ProjectSession {
    firstInput { value } lastOutput { value } } } }' \
    "$(jq -c '{id: .data.id}' "$T/session")" > "$T/io" || : > "$T/io"
eq "the session's first input" "lentil soup" "$(jq -r .data.node.firstInput.value "$T/io")"
eq "the session's last output" "mock reply to: second turn" \
    "$(jq -r .data.node.lastOutput.value "$T/io")"

# --- An error turn -------------------------------------------------------------
te=$(turn '{"messages":[{"role":"user","content":"MOCK_STATUS=500"}]}')
check "the error turn arrives" wait_for 60 has_trace "$te" 2
eq "both spans are ERROR" "ERROR ERROR" "$(spans_of "$te" | jq -r .status_code | xargs)"
eq "both spans have an exception event" "1 1" "$(spans_of "$te" |
    jq -r '[.events[] | select(.name == "exception")] | length' | xargs)"
msg=$(spans_of "$te" "span_kind=LLM" | jq -r '.events[] | select(.name == "exception")
    | .attributes["exception.message"] // empty')
check "the exception says what failed" test -n "$msg"

# --- An incoming traceparent ----------------------------------------------------
in_trace=4bf92f3577b34da6a3ce929d0e0e4736
in_span=00f067aa0ba902b7
tl=$(turn '{"messages":[{"role":"user","content":"behind a gateway"}]}' \
    -H "traceparent: 00-$in_trace-$in_span-01")
check "the turn arrives" wait_for 60 has_trace "$tl" 2
check "by default it starts a trace of its own" test "$tl" != "$in_trace"
eq "by default chat_turn stays a root" chat_turn \
    "$(spans_of "$tl" "parent_id=null" | jq -r .name)"
# Phoenix keeps no OTLP links (docs/phoenix.md): the link is checked where
# the stack wrote it, for the span Phoenix stored.
root_id=$(spans_of "$tl" "parent_id=null" | jq -r .context.span_id)
eq "the incoming context is chat_turn's link" "$in_trace $in_span" \
    "$(spool_spans | jq -r --arg s "$root_id" 'select(.spanId == $s) | .links[]? | "\(.traceId) \(.spanId)"')"
stop_stack
# shellcheck disable=SC2086
start_stack $STACK_ARGS TRUST_TRACEPARENT=1
tt=$(turn '{"messages":[{"role":"user","content":"trusted gateway"}]}' \
    -H "traceparent: 00-$in_trace-$in_span-01")
eq "TRUST_TRACEPARENT=1 joins the incoming trace" "$in_trace" "$tt"
check "the trusted turn arrives" wait_for 60 has_trace "$in_trace" 2
eq "chat_turn's parent is the incoming span" "$in_span" \
    "$(spans_of "$in_trace" "name=chat_turn" | jq -r .parent_id)"

# --- The flusher through a Phoenix restart ----------------------------------------
# spool_unique: distinct span ids the stack wrote; every one must be
# stored in Phoenix, and each once.
spool_unique() { spool_spans | jq -r .spanId | sort -u | wc -l; }
all_stored() { [ "$(phx_unique "$PROJECT")" -ge "$(spool_unique)" ]; }
check "everything so far arrives" wait_for 60 all_stored
phoenix_stop
i=0
while [ $i -lt 5 ]; do
	turn "{\"messages\":[{\"role\":\"user\",\"content\":\"while Phoenix is down $i\"}]}" >/dev/null
	i=$((i + 1))
done
phoenix_start
check "the turns made while Phoenix was down arrive after its restart" \
    wait_for 90 all_stored

# --- The flusher through kill -9 --------------------------------------------------
# flusher_pid: the stack's span-flusher, found below the stack's own
# process (other tests may run flushers from the same build).
flusher_pid() {
	local kids=$STACK_PID next p
	while [ -n "$kids" ]; do
		next=""
		for p in $kids; do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = span-flusher ] && echo "$p"
			next="$next $(pgrep -P "$p" | xargs)"
		done
		kids=$(echo $next)
	done
}
before=$(phx_unique "$PROJECT")
i=0
while [ $i -lt 20 ]; do
	turn "{\"messages\":[{\"role\":\"user\",\"content\":\"before kill -9 $i\"}]}" >/dev/null
	i=$((i + 1))
done
fp=$(flusher_pid)
check "the stack's flusher is found" test -n "$fp"
wait_for 30 phx_has "$PROJECT" $((before + 1))
[ -n "$fp" ] && kill -KILL "$fp"
restarted() { p=$(flusher_pid); [ -n "$p" ] && [ "$p" != "$fp" ]; }
check "the flusher is started again" wait_for 10 restarted
check "every span arrives after kill -9" wait_for 90 all_stored
eq "every span is stored once: distinct" "$(spool_unique)" "$(phx_unique "$PROJECT")"
eq "every span is stored once: rows" "$(spool_unique)" "$(phx_total "$PROJECT")"

# --- spool-dataset: the disliked turn becomes a dataset ---------------------
# A 👎 on the second turn, written as /feedback writes it; spool-dataset
# uploads it (POST /v1/datasets/upload?sync=true) and Phoenix's REST API
# reads it back: GET /v1/datasets?name=, GET /v1/datasets/{id}/examples,
# whose source.span_id is the span the example is linked to.
t2_span=$(printf '%s\n' "$root" | jq -r .context.span_id)
"$TESTS_BIN/feedgen" "$SPOOL" "$t2" "$t2_span" "$sid" down "too bland"
DSNAME=disliked-$PROJECT
ds() {
	env PHOENIX_COLLECTOR_ENDPOINT="$PHX_URL/v1/traces" \
	    "$BUILD_DIR/bin/spool-dataset" --spool "$SPOOL" "$@" \
	    > "$T/ds.out" 2> "$T/ds.err"
	echo $?
}
eq "spool-dataset uploads the disliked turn" 0 "$(ds --name "$DSNAME" --feedback down)"
phx_get "/v1/datasets?name=$DSNAME" > "$T/dsets" || : > "$T/dsets"
eq "GET /v1/datasets finds it, with one example" 1 "$(jq -r '.data[0].example_count' "$T/dsets")"
dsid=$(jq -r '.data[0].id' "$T/dsets")
phx_get "/v1/datasets/$dsid/examples" > "$T/dsex" || : > "$T/dsex"
eq "the example is linked to the turn's chat_turn span" "$t2_span" \
    "$(jq -r '.data.examples[0].source.span_id' "$T/dsex")"
eq "its input is the conversation the model received, without the system prompt" \
    "user:lentil soup|assistant:mock reply to: lentil soup|user:second turn" \
    "$(jq -r '.data.examples[0].input.messages | map("\(.role):\(.content)") | join("|")' "$T/dsex")"
eq "its output is the answer" "mock reply to: second turn" \
    "$(jq -r '.data.examples[0].output.content' "$T/dsex")"
eq "its metadata has the vote, the comment, the session and the trace" \
    "thumbs_down too bland $sid $t2" \
    "$(jq -r '.data.examples[0].metadata | "\(.feedback) \(.comment) \(.session_id) \(.trace_id)"' "$T/dsex")"
eq "the same name again: Phoenix's 409, exit 4" 4 "$(ds --name "$DSNAME" --feedback down)"
check "explained: --append or another --name" grep -q "already exists in Phoenix: add to it with --append" "$T/ds.err"
eq "--append adds the error turn" 0 "$(ds --name "$DSNAME" --append --errors --trace "$te")"
eq "the dataset now has two examples" 2 "$(phx_get "/v1/datasets/$dsid/examples" | jq '.data.examples | length')"

# --- Still to come ------------------------------------------------------------------
# Feedback (not built yet): a vote on a turn is a span annotation on its
# chat_turn span (POST /v1/span_annotations); read it back with GET
# /v1/projects/{name}/span_annotations?span_ids=..., and check that
# changing the vote updates that annotation instead of adding one.

# --- Cost: cached prompt tokens priced as Arize's SDK records them ----------------
# A 1,200-token prompt with 1,024 tokens served from OpenAI's cache, on a
# model Phoenix has built-in prices for. Phoenix must price the parts
# (docs/spans.md): the 176 uncached tokens as input, the 1,024 at the
# cache-read rate. Its prices come from the installed release's own
# manifest; the cost is read back through GraphQL, as no REST route of
# this release says what a span cost.
manifest=$(echo "$PHOENIX_VENV"/lib/python3*/site-packages/phoenix/server/cost_tracking/model_cost_manifest.json)
# price TOKEN-TYPE IS-PROMPT: gpt-4o-mini's rate per token in the manifest.
price() {
	jq -r --arg t "$1" --argjson p "$2" '.models[] | select(.name == "gpt-4o-mini")
	    | .token_prices[] | select(.token_type == $t and .is_prompt == $p) | .base_rate' "$manifest"
}
p_in=$(price input true); p_cr=$(price cache_read true); p_out=$(price output false)
check "Phoenix has gpt-4o-mini prices for input, cache reads and output" \
    test -n "$p_in" -a -n "$p_cr" -a -n "$p_out"
u=prompt_tokens=1200,prompt_tokens_details.cached_tokens=1024,completion_tokens=100
tc=$(turn "{\"messages\":[{\"role\":\"user\",\"content\":\"pho MOCK_MODEL=gpt-4o-mini MOCK_USAGE=$u\"}]}")
check "the cached turn arrives" wait_for 60 has_trace "$tc" 2
cost_id=$(spans_of "$tc" "span_kind=LLM" | jq -r .id)
span_cost() {
	graphql 'query ($id: ID!) { node(id: $id) { ... on Span {
	    costSummary { prompt { tokens cost } completion { tokens cost } total { tokens cost } }
	    costDetailSummaryEntries { tokenType isPrompt value { tokens cost } } } } }' \
	    "$(jq -n -c --arg id "$cost_id" '{id: $id}')"
}
has_cost() { span_cost > "$T/cost" && jq -e '.data.node.costSummary.total.cost != null' "$T/cost" >/dev/null; }
check "Phoenix prices the LLM span" wait_for 30 has_cost
# detail TYPE IS-PROMPT FIELD: tokens or cost of one line of the breakdown.
detail() {
	jq -r --arg t "$1" --argjson p "$2" '.data.node.costDetailSummaryEntries[]
	    | select(.tokenType == $t and .isPrompt == $p) | .value.'"$3" "$T/cost"
}
eq "cache reads: the 1,024 cached tokens" 1024 "$(detail cache_read true tokens | cut -d. -f1)"
eq "input: the 176 others" 176 "$(detail input true tokens | cut -d. -f1)"
eq "output: the 100 completion tokens" 100 "$(detail output false tokens | cut -d. -f1)"
want=$(jq -n --argjson i "$p_in" --argjson c "$p_cr" --argjson o "$p_out" '176 * $i + 1024 * $c + 100 * $o')
check "the span costs 176 input + 1,024 cache-read + 100 output tokens at Phoenix's prices" \
    jq -e --argjson w "$want" '.data.node.costSummary.total.cost - $w
	| (if . < 0 then -. else . end) < $w * 1e-9' "$T/cost"

# --- Feedback: a vote is an annotation on its chat_turn span --------------------
# Votes are written into the spool as /feedback writes them (tests/feedgen,
# through feedrec); the stack's flusher ships them after the turn's spans.
# The dataset's 👎 above is on the same span: the newest vote wins.
# annotations SPAN: its annotations, from GET
# /v1/projects/{name}/span_annotations?span_ids= (docs/phoenix.md).
annotations() {
	phx_get "/v1/projects/$PROJECT/span_annotations?span_ids=$1" |
	    jq -c '.data[]' 2>/dev/null
}
# has_vote SPAN LABEL COMMENT: its user_feedback annotation is that vote.
has_vote() {
	annotations "$1" | jq -e --arg l "$2" --arg c "$3" \
	    'select(.name == "user_feedback" and .result.label == $l
	    and .result.explanation == $c)' >/dev/null
}
vote_id=$(printf '%s\n' "$root" | jq -r .context.span_id)
"$TESTS_BIN/feedgen" "$SPOOL" "$t2" "$vote_id" "$sid" down "too much cumin" >/dev/null
check "a thumbs_down reaches the turn's chat_turn span" wait_for 60 has_vote "$vote_id" thumbs_down "too much cumin"
"$TESTS_BIN/feedgen" "$SPOOL" "$t2" "$vote_id" "$sid" up "better with less" >/dev/null
check "the changed vote reaches it" wait_for 60 has_vote "$vote_id" thumbs_up "better with less"
annotations "$vote_id" > "$T/annotations"
eq "exactly one user_feedback annotation on the span" 1 \
    "$(jq -r 'select(.name == "user_feedback") | .id' "$T/annotations" | wc -l)"
eq "the newer label, score and explanation, by a HUMAN" \
    "thumbs_up 1 better with less HUMAN" \
    "$(jq -r 'select(.name == "user_feedback")
    | "\(.result.label) \(.result.score | floor) \(.result.explanation) \(.annotator_kind)"' "$T/annotations")"
eq "on the right span, with its identifier and metadata" \
    "$vote_id fb-$vote_id $sid $t2" \
    "$(jq -r 'select(.name == "user_feedback")
    | "\(.span_id) \(.identifier) \(.metadata.session_id) \(.metadata.trace_id)"' "$T/annotations")"
# The route's rules, asked of the real one (the receiver copies them).
post_annot() {
	curl -sS -o "$T/annot.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "$2" "$PHX_URL/v1/span_annotations$1"
}
eq "the name note is reserved: 400" 400 "$(post_annot "" \
    "{\"data\":[{\"span_id\":\"$vote_id\",\"name\":\"note\",\"annotator_kind\":\"HUMAN\"}]}")"
eq "a missing field: 422" 422 "$(post_annot "" '{"data":[{"name":"x","annotator_kind":"HUMAN"}]}')"
eq "its loc names the field" '["body","data",0,"span_id"]' \
    "$(jq -c '.detail[0].loc' "$T/annot.out")"
eq "an unknown span with sync=true: 404" 404 "$(post_annot "?sync=true" \
    '{"data":[{"span_id":"00000000000000ff","name":"x","annotator_kind":"HUMAN"}]}')"
check "which says the spans do not exist" grep -q "do not exist" "$T/annot.out"
eq "empty data: 200" 200 "$(post_annot "?sync=true" '{"data":[]}')"

stop_stack
finish
