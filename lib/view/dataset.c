/* dataset.c - chat turns from the spool as a Phoenix dataset (see
 * dataset.h): spanscan finds the turns, json-c (through jsonval) reads
 * the spans of the selected ones only. json-c: the example arrays belong
 * to struct dataset and are put in dataset_free; parse trees are put
 * where they are made. */
#define _GNU_SOURCE		/* asprintf */
#include "dataset.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exporter.h"
#include "httpc.h"
#include "jsonval.h"
#include "spanscan.h"
#include "spoolfmt.h"
#include "spoolwalk.h"
#include "xalloc.h"

#define DATASET_JSON_OUT	(JSON_C_TO_STRING_PLAIN | \
    JSON_C_TO_STRING_NOSLASHESCAPE)
#define DATASET_DETAIL_MAX	300	/* Phoenix's words in a message */
#define DATASET_IN_PREFIX	"llm.input_messages."
#define DATASET_IN_MAX		10000	/* messages of one turn */

/* One example; its parts are put with the dataset. */
struct dataset_ex {
	uint64_t	 start_ns;	/* of the chat_turn span: the order */
	uint64_t	 seq;		/* then the order they were read in */
	json_object	*input, *output, *metadata, *span_id;
};

struct dataset {
	const struct spanfilter	*flt;
	const struct feedidx	*votes;
	size_t			 limit;
	struct dataset_ex	*ex;
	size_t			 nex, excap;
	struct dataset_stats	 st;
	struct spanscan_span	*spans;		/* of the current line */
	size_t			 nspans, cap;
	FILE			*progress;	/* of dataset_read_spool */
	uint64_t		 reported;	/* turns at the last progress */
};

struct dataset *
dataset_new(const struct spanfilter *f, const struct feedidx *votes,
    size_t limit)
{
	struct dataset *d = xcalloc(1, sizeof(*d));

	d->flt = f;
	d->votes = votes;
	d->limit = limit != 0 ? limit : DATASET_LIMIT_DEFAULT;
	return d;
}

void
dataset_free(struct dataset *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nex; i++) {
		json_object_put(d->ex[i].input);
		json_object_put(d->ex[i].output);
		json_object_put(d->ex[i].metadata);
		json_object_put(d->ex[i].span_id);
	}
	free(d->ex);
	free(d->spans);
	free(d);
}

const struct dataset_stats *
dataset_stats(const struct dataset *d)
{
	return &d->st;
}

/* ---- Reading a span's JSON --------------------------------------------- */

/* The span object of raw span text, or NULL. Caller puts. */
static json_object *
dataset_span_json(struct spanscan_str raw)
{
	json_object *o = NULL;
	char err[JSONVAL_ERR_MAX];

	if (raw.ptr == NULL || jsonval_parse(raw.ptr, raw.len,
	    SPOOLFMT_DEPTH_MAX, &o, err, sizeof(err), NULL) == -1)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The member key of o, or NULL; borrowed from o. */
static json_object *
dataset_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The string value of attribute key of span o, or NULL; owned by o. */
static const char *
dataset_attr(json_object *o, const char *key)
{
	json_object *attrs = dataset_get(o, "attributes"), *a, *v;
	const char *k;
	size_t i, n;

	if (!json_object_is_type(attrs, json_type_array))
		return NULL;
	n = json_object_array_length(attrs);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(attrs, i);
		k = json_object_get_string(dataset_get(a, "key"));
		if (k == NULL || strcmp(k, key) != 0)
			continue;
		v = dataset_get(dataset_get(a, "value"), "stringValue");
		return json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : NULL;
	}
	return NULL;
}

/* A new JSON string of s, or JSON null for NULL. */
static json_object *
dataset_str(const char *s)
{
	json_object *o;

	if (s == NULL)
		return NULL;
	if ((o = json_object_new_string(s)) == NULL)
		abort();
	return o;
}

/* {"role": role, "content": content}, or NULL for the system prompt and
 * for a message without a role. */
static json_object *
dataset_message(const char *role, const char *content)
{
	json_object *m;

	if (role == NULL || strcmp(role, "system") == 0)
		return NULL;
	if ((m = json_object_new_object()) == NULL)
		abort();
	json_object_object_add(m, "role", dataset_str(role));
	json_object_object_add(m, "content", dataset_str(content ?
	    content : ""));
	return m;
}

/* Split "llm.input_messages.N.message.FIELD" into N and FIELD: 0, or -1
 * for another key. */
static int
dataset_msg_key(const char *key, size_t *n, const char **field)
{
	char *end;
	unsigned long v;

	if (strncmp(key, DATASET_IN_PREFIX, strlen(DATASET_IN_PREFIX)) != 0)
		return -1;
	key += strlen(DATASET_IN_PREFIX);
	if (!isdigit((unsigned char)*key))
		return -1;
	v = strtoul(key, &end, 10);
	if (v >= DATASET_IN_MAX || strncmp(end, ".message.", 9) != 0)
		return -1;
	*n = v;
	*field = end + 9;
	return 0;
}

/* Gather the role (slot 2n) and content (2n + 1) of each input message
 * of span o into slots. Returns the number of messages, 0 when none. */
static size_t
dataset_msg_slots(json_object *o, json_object *slots)
{
	json_object *attrs = dataset_get(o, "attributes"), *a, *v;
	const char *k, *field;
	size_t i, n, idx, count = 0;

	n = json_object_is_type(attrs, json_type_array) ?
	    json_object_array_length(attrs) : 0;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(attrs, i);
		k = json_object_get_string(dataset_get(a, "key"));
		v = dataset_get(dataset_get(a, "value"), "stringValue");
		if (k == NULL || !json_object_is_type(v, json_type_string) ||
		    dataset_msg_key(k, &idx, &field) == -1)
			continue;
		if (strcmp(field, "role") == 0)
			json_object_array_put_idx(slots, 2 * idx,
			    json_object_get(v));
		else if (strcmp(field, "content") == 0)
			json_object_array_put_idx(slots, 2 * idx + 1,
			    json_object_get(v));
		else
			continue;
		if (idx + 1 > count)
			count = idx + 1;
	}
	return count;
}

/* The messages of input.value (a JSON array of {role, content}) into
 * out, the system prompt left out. */
static void
dataset_msgs_from_input(json_object *o, json_object *out)
{
	const char *in = dataset_attr(o, "input.value");
	json_object *arr = NULL, *m, *e;
	char err[JSONVAL_ERR_MAX];
	size_t i, n;

	if (in == NULL || jsonval_parse(in, strlen(in), 0, &arr, err,
	    sizeof(err), NULL) == -1)
		return;
	n = json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		if ((m = dataset_message(json_object_get_string(
		    dataset_get(e, "role")), json_object_get_string(
		    dataset_get(e, "content")))) != NULL)
			json_object_array_add(out, m);
	}
	json_object_put(arr);
}

/* The conversation the model received, as OpenInference records it on
 * the LLM span (llm.input_messages.N.message.role/content, else
 * input.value), without the system prompt. Caller puts. */
static json_object *
dataset_messages(json_object *llm)
{
	json_object *slots, *out, *m;
	size_t i, n;

	if ((slots = json_object_new_array()) == NULL ||
	    (out = json_object_new_array()) == NULL)
		abort();
	n = dataset_msg_slots(llm, slots);
	for (i = 0; i < n; i++)
		if ((m = dataset_message(json_object_get_string(
		    json_object_array_get_idx(slots, 2 * i)),
		    json_object_get_string(json_object_array_get_idx(slots,
		    2 * i + 1)))) != NULL)
			json_object_array_add(out, m);
	json_object_put(slots);
	if (n == 0)
		dataset_msgs_from_input(llm, out);
	return out;
}

/* ---- One example per selected turn -------------------------------------- */

/* {"content": the answer}; a turn whose model call failed has no answer:
 * {"content": null, "error": the span's status message}. */
static json_object *
dataset_output(json_object *turn)
{
	json_object *o, *status;
	const char *answer = dataset_attr(turn, "output.value");

	if ((o = json_object_new_object()) == NULL)
		abort();
	json_object_object_add(o, "content", dataset_str(answer));
	if (answer == NULL) {
		status = dataset_get(turn, "status");
		json_object_object_add(o, "error", dataset_str(
		    json_object_get_string(dataset_get(status, "message"))));
	}
	return o;
}

static json_object *
dataset_meta(const struct dataset *d, json_object *turn, json_object *llm,
    const char *span_id)
{
	const struct feedrec *vote = NULL;
	json_object *m;

	if (d->votes != NULL)
		vote = feedidx_get(d->votes, span_id);
	if ((m = json_object_new_object()) == NULL)
		abort();
	json_object_object_add(m, "session_id",
	    dataset_str(dataset_attr(turn, "session.id")));
	json_object_object_add(m, "trace_id", dataset_str(
	    json_object_get_string(dataset_get(turn, "traceId"))));
	json_object_object_add(m, "feedback",
	    dataset_str(vote != NULL ? feedrec_label(vote->up) : NULL));
	json_object_object_add(m, "comment",
	    dataset_str(vote != NULL ? vote->comment : NULL));
	json_object_object_add(m, "model",
	    dataset_str(dataset_attr(llm, "llm.model_name")));
	return m;
}

/* Add the example of turn and its LLM span. Returns 0, or -1 when either
 * span's text does not parse (then nothing is added). */
static int
dataset_add(struct dataset *d, const struct spanscan_span *turn,
    const struct spanscan_span *llm)
{
	json_object *t = dataset_span_json(turn->raw), *l = NULL;
	struct dataset_ex *e;
	const char *span_id;
	int rc = -1;

	if (t == NULL || (l = dataset_span_json(llm->raw)) == NULL)
		goto out;
	span_id = json_object_get_string(dataset_get(t, "spanId"));
	if (span_id == NULL)
		goto out;
	if (d->nex == d->excap) {
		d->excap = d->excap ? 2 * d->excap : 64;
		d->ex = xrealloc(d->ex, d->excap * sizeof(*d->ex));
	}
	e = &d->ex[d->nex++];
	e->start_ns = turn->start_ns;
	e->seq = d->st.selected++;
	if ((e->input = json_object_new_object()) == NULL)
		abort();
	json_object_object_add(e->input, "messages", dataset_messages(l));
	e->output = dataset_output(t);
	e->metadata = dataset_meta(d, t, l, span_id);
	e->span_id = dataset_str(span_id);
	rc = 0;
out:
	json_object_put(t);
	json_object_put(l);
	return rc;
}

/* spanscan_fn: keep the line's spans (slices of the line) for pairing. */
static int
dataset_collect(const struct spanscan_span *s, void *arg)
{
	struct dataset *d = arg;

	if (d->nspans == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->spans = xrealloc(d->spans, d->cap * sizeof(*d->spans));
	}
	d->spans[d->nspans++] = *s;
	return 0;
}

/* The turn's LLM span among the line's: a child of it of kind LLM. */
static const struct spanscan_span *
dataset_llm_of(const struct dataset *d, const struct spanscan_span *turn)
{
	const struct spanscan_span *s;
	size_t i;

	for (i = 0; i < d->nspans; i++) {
		s = &d->spans[i];
		if (s->parent_span_id.len == turn->span_id.len &&
		    s->parent_span_id.ptr != NULL &&
		    memcmp(s->parent_span_id.ptr, turn->span_id.ptr,
		    turn->span_id.len) == 0 && spanscan_eq(s->oi_kind, "LLM"))
			return s;
	}
	return NULL;
}

static void
dataset_turn(struct dataset *d, const struct spanscan_span *turn)
{
	const struct spanscan_span *llm;

	d->st.turns++;
	if (!spanfilter_match(d->flt, turn))
		return;
	d->st.matched++;
	if ((llm = dataset_llm_of(d, turn)) == NULL)
		d->st.no_llm++;
	else if (d->st.selected >= d->limit)
		d->st.over_limit++;
	else if (dataset_add(d, turn, llm) == -1)
		d->st.bad_lines++;
}

int
dataset_line(const char *line, size_t len, void *arg)
{
	struct dataset *d = arg;
	size_t i;

	d->st.lines++;
	d->nspans = 0;
	if (spanscan_line(line, len, dataset_collect, d) == -1) {
		d->st.bad_lines++;
		return -1;
	}
	for (i = 0; i < d->nspans; i++)
		if (spanscan_eq(d->spans[i].name, "chat_turn"))
			dataset_turn(d, &d->spans[i]);
	return 0;
}

/* ---- Reading the spool -------------------------------------------------- */

static void
dataset_progress(struct dataset *d, int final)
{
	if (d->progress == NULL || (!final &&
	    d->st.turns - d->reported < DATASET_PROGRESS_EVERY))
		return;
	d->reported = d->st.turns;
	fprintf(d->progress, "spool-dataset: %s %llu of %llu turns\n",
	    final ? "selected" : "so far", (unsigned long long)d->st.selected,
	    (unsigned long long)d->st.turns);
}

static int
dataset_walk_line(const char *line, size_t len, void *arg)
{
	(void)dataset_line(line, len, arg);
	dataset_progress(arg, 0);
	return 0;
}

int
dataset_read_spool(struct dataset *d, const char *dir, FILE *progress,
    char *err, size_t errlen)
{
	struct spoolwalk *w;

	if ((w = spoolwalk_open(dir, SPOOLFMT_KIND_SPANS, err,
	    errlen)) == NULL)
		return -1;
	d->progress = progress;
	(void)spoolwalk_read_all(w, dataset_walk_line, d);
	spoolwalk_free(w);
	dataset_progress(d, 1);
	d->progress = NULL;
	return 0;
}

void
dataset_report(FILE *fp, const struct dataset *d)
{
	if (d->st.bad_lines > 0)
		fprintf(fp, "spool-dataset: skipped %llu unparsable or torn "
		    "lines\n", (unsigned long long)d->st.bad_lines);
	if (d->st.no_llm > 0)
		fprintf(fp, "spool-dataset: skipped %llu matching turns the "
		    "model never saw (refused before the call)\n",
		    (unsigned long long)d->st.no_llm);
	if (d->st.over_limit > 0)
		fprintf(fp, "spool-dataset: left out %llu matching turns past "
		    "--limit %zu\n", (unsigned long long)d->st.over_limit,
		    d->limit);
}

/* ---- The request ------------------------------------------------------- */

/* Oldest turn first: the spool's segments interleave the workers'. */
static int
dataset_cmp(const void *a, const void *b)
{
	const struct dataset_ex *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A new array of part off of every example. */
static json_object *
dataset_column(const struct dataset *d, size_t off)
{
	json_object *a, *v;
	size_t i;

	if ((a = json_object_new_array_ext((int)d->nex)) == NULL)
		abort();
	for (i = 0; i < d->nex; i++) {
		memcpy(&v, (const char *)&d->ex[i] + off, sizeof(v));
		json_object_array_add(a, json_object_get(v));
	}
	return a;
}

char *
dataset_request_json(struct dataset *d, const char *name,
    const char *description, int append)
{
	json_object *o;
	char *out;

	if (d->nex > 1)
		qsort(d->ex, d->nex, sizeof(*d->ex), dataset_cmp);

	if ((o = json_object_new_object()) == NULL)
		abort();
	json_object_object_add(o, "action",
	    dataset_str(append ? "append" : "create"));
	json_object_object_add(o, "name", dataset_str(name));
	json_object_object_add(o, "description", dataset_str(description));
	json_object_object_add(o, "inputs", dataset_column(d,
	    offsetof(struct dataset_ex, input)));
	json_object_object_add(o, "outputs", dataset_column(d,
	    offsetof(struct dataset_ex, output)));
	json_object_object_add(o, "metadata", dataset_column(d,
	    offsetof(struct dataset_ex, metadata)));
	json_object_object_add(o, "span_ids", dataset_column(d,
	    offsetof(struct dataset_ex, span_id)));
	out = xstrdup(json_object_to_json_string_ext(o, DATASET_JSON_OUT));
	json_object_put(o);
	return out;
}

void
dataset_describe(const struct spanfilter *f, char *out, size_t outlen)
{
	char when[32] = "";
	time_t t;
	struct tm tm;

	if (f->since_ns != 0) {
		t = (time_t)(f->since_ns / 1000000000ULL);
		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(out, outlen, "spool-dataset: chat turns%s%s%s%s%s%s%s%s",
	    f->session ? " of session " : "", f->session ? f->session : "",
	    f->trace ? " of trace " : "", f->trace ? f->trace : "",
	    f->errors ? " that failed" : "",
	    f->feedback ? (f->feedback > 0 ? " with feedback thumbs_up" :
	    " with feedback thumbs_down") : "",
	    *when ? " since " : "", when);
}

/* ---- Phoenix's REST API ------------------------------------------------ */

/* Phoenix's plain-text detail, cut and on one line. */
static void
dataset_detail(const char *body, size_t len, char *out, size_t outlen)
{
	size_t i, n = len < outlen - 1 ? len : outlen - 1;

	if (n > DATASET_DETAIL_MAX)
		n = DATASET_DETAIL_MAX;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)body[i] < 0x20 ? ' ' : body[i];
	out[n] = '\0';
}

/* The ids and counts of a 200 answer: 0, or -1 when they are missing. */
static int
dataset_read_ids(const char *body, size_t len, struct dataset_result *r)
{
	json_object *o = NULL, *data;
	const char *ds, *ver;
	char err[JSONVAL_ERR_MAX];
	int rc = -1;

	if (jsonval_parse(body, len, 0, &o, err, sizeof(err), NULL) == -1)
		return -1;
	data = dataset_get(o, "data");
	ds = json_object_get_string(dataset_get(data, "dataset_id"));
	ver = json_object_get_string(dataset_get(data, "version_id"));
	if (ds != NULL && ver != NULL && *ds != '\0') {
		snprintf(r->dataset_id, sizeof(r->dataset_id), "%s", ds);
		snprintf(r->version_id, sizeof(r->version_id), "%s", ver);
		r->created = json_object_get_int64(dataset_get(data,
		    "num_created_examples"));
		r->updated = json_object_get_int64(dataset_get(data,
		    "num_updated_examples"));
		r->deleted = json_object_get_int64(dataset_get(data,
		    "num_deleted_examples"));
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

enum dataset_outcome
dataset_answer(long status, const char *body, size_t len, const char *name,
    struct dataset_result *r)
{
	char detail[DATASET_DETAIL_MAX + 1];

	memset(r, 0, sizeof(*r));
	dataset_detail(body, len, detail, sizeof(detail));
	if (status >= 200 && status < 300) {
		if (dataset_read_ids(body, len, r) == 0) {
			snprintf(r->msg, sizeof(r->msg), "dataset \"%s\" (%s), "
			    "version %s: %ld new, %ld updated, %ld deleted "
			    "examples", name, r->dataset_id, r->version_id,
			    r->created, r->updated, r->deleted);
			return DATASET_UPLOADED;
		}
		snprintf(r->msg, sizeof(r->msg), "Phoenix answered HTTP %ld "
		    "without a dataset id: %s", status, detail);
		return DATASET_BAD_ANSWER;
	}
	if (status == 409) {
		snprintf(r->msg, sizeof(r->msg), "a dataset named \"%s\" "
		    "already exists in Phoenix: add to it with --append, or "
		    "choose another --name", name);
		return DATASET_EXISTS;
	}
	snprintf(r->msg, sizeof(r->msg), "Phoenix %s the upload (HTTP %ld)"
	    "%s%s%s", status >= 500 || status == 429 ? "could not take" :
	    "refused", status, *detail ? ": " : "", detail,
	    status == 401 || status == 403 ? " (check PHOENIX_API_KEY)" : "");
	return status >= 500 || status == 429 ? DATASET_UNAVAILABLE :
	    DATASET_REFUSED;
}

/* cfg's headers (PHOENIX_CLIENT_HEADERS, PHOENIX_API_KEY as a bearer
 * token: exporter_config_from_env), all secret in logs. 0, or -1 with
 * r->msg. */
static int
dataset_headers(struct httpc *c, const struct exporter_config *cfg,
    struct dataset_result *r)
{
	for (size_t i = 0; i < cfg->headers.n; i++)
		if (httpc_header(c, cfg->headers.v[i].name,
		    cfg->headers.v[i].value, HTTPC_SECRET) == -1) {
			snprintf(r->msg, sizeof(r->msg),
			    "a header could not be set");
			return -1;
		}
	return 0;
}

int
dataset_upload(const struct exporter_config *ecfg, const char *body,
    const char *name, struct dataset_result *r)
{
	const char *base = ecfg->rest_base;
	struct httpc_config cfg = { .connect_timeout_ms =
	    EXPORTER_CONNECT_TIMEOUT_MS, .timeout_ms = DATASET_TIMEOUT_MS,
	    .body_max = DATASET_RESPONSE_MAX, .body_truncate = 1,
	    .user_agent = "spool-dataset/" RC_VERSION };
	struct httpc_request req = { .body = body, .len = strlen(body) };
	struct httpc_response res;
	struct httpc *c = NULL;
	char *url = NULL, *shown;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (asprintf(&url, "%s%s", base, DATASET_UPLOAD_PATH) == -1)
		abort();
	cfg.url = url;
	if ((c = httpc_new(&cfg)) == NULL) {
		snprintf(r->msg, sizeof(r->msg), "libcurl cannot be set up");
		goto out;
	}
	if (httpc_header(c, "Content-Type", "application/json", 0) == -1 ||
	    httpc_header(c, "Expect", NULL, 0) == -1) {
		snprintf(r->msg, sizeof(r->msg), "a header could not be set");
		goto out;
	}
	if (dataset_headers(c, ecfg, r) == -1)
		goto out;
	if (httpc_post(c, &req, &res) == -1) {
		if (res.error == HTTPC_ERR_SETUP) {
			snprintf(r->msg, sizeof(r->msg), "%s", res.errmsg);
			goto out;
		}
		shown = httpc_url_for_log(base);
		snprintf(r->msg, sizeof(r->msg), "Phoenix at %s did not "
		    "answer: %s", shown, res.errmsg);
		free(shown);
		rc = DATASET_UNAVAILABLE;
		goto out;
	}
	rc = (int)dataset_answer(res.status, res.body, res.body_len, name, r);
out:
	httpc_free(c);
	free(url);
	return rc;
}

int
dataset_exit_status(int outcome)
{
	switch (outcome) {
	case DATASET_UPLOADED:
		return 0;
	case DATASET_UNAVAILABLE:
	case DATASET_BAD_ANSWER:
		return DATASET_EXIT_UNAVAILABLE;
	case DATASET_EXISTS:
	case DATASET_REFUSED:
		return DATASET_EXIT_REFUSED;
	default:
		return DATASET_EXIT_USAGE;
	}
}
