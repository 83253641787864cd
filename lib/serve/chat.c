/* chat.c - the /chat contract: parsing and validating request bodies, the
 * recipe system prompt, and the JSON bodies /chat answers with (written as
 * text, jsonw.h). json-c: every tree here, the request's included, is
 * built and put inside the function that builds it. */
#include "chat.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "buf.h"
#include "jsonval.h"
#include "jsonw.h"
#include "xalloc.h"

#define CHAT_JSON_DEPTH		32	/* request nesting; ours needs 3 */
#define CHAT_JSON_OUT		(JSON_C_TO_STRING_PLAIN | \
				 JSON_C_TO_STRING_NOSLASHESCAPE)
#define CHAT_ROLES_TEXT		"system, user, assistant"
#define CHAT_SESSION_ERR	"session_id must be 1-128 characters of " \
				"A-Z a-z 0-9 _ . : -"

const char chat_system_prompt[] =
    "You are a friendly recipe assistant. Whatever the user asks for, you "
    "answer with exactly ONE complete recipe: never a list of options, never "
    "a partial recipe.\n"
    "\n"
    "Format every recipe in Markdown, in this order:\n"
    "1. The recipe name as a level-2 heading: \"## Recipe Name\".\n"
    "2. A one-line description of the dish.\n"
    "3. \"### Ingredients\": a bullet list with precise measurements "
    "(for example \"200 g spaghetti\", \"2 tbsp olive oil\", "
    "\"1 medium onion, finely chopped\").\n"
    "4. \"### Instructions\": numbered steps that give cooking times, "
    "oven or pan temperatures and how to tell when something is done.\n"
    "\n"
    "Rules:\n"
    "- Make the recipe for 2 servings unless the user asks for a different "
    "number.\n"
    "- Never ask follow-up questions. When the request leaves something "
    "open, make a reasonable assumption and state it briefly in one short "
    "line after the description.\n"
    "- Use common ingredients found in an ordinary supermarket. When an "
    "unusual ingredient is essential, suggest a common substitute.\n"
    "- Respect any diet, allergy, equipment or time limit the user "
    "mentions.\n"
    "- Follow safe food handling, and give safe internal temperatures for "
    "meat, poultry, fish and eggs where they matter.\n"
    "- If a request is unsafe, unethical or harmful (for example dangerous "
    "food handling, eating things that are not food, or harming someone), "
    "decline politely in one or two sentences and give no recipe.\n"
    "- Stay on cooking and food. If the user asks about anything else, "
    "say briefly that you can only help with recipes and cooking.\n";

static int chat_fail(int *, int, char *, size_t, const char *, ...)
	__attribute__((format(printf, 5, 6)));

/* Report a client error; always returns -1. */
static int
chat_fail(int *http_status, int status, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	*http_status = status;
	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The string value of o, or NULL when o is not a string or holds a NUL
 * that C strings would silently cut at. */
static const char *
chat_string(json_object *o)
{
	const char *s;

	if (!json_object_is_type(o, json_type_string))
		return NULL;
	s = json_object_get_string(o);
	if (strlen(s) != (size_t)json_object_get_string_len(o))
		return NULL;
	return s;
}

static const char *const chat_roles[] = { "system", "user", "assistant" };

/* The static copy of role s, or NULL when s is not a role /chat takes. */
static const char *
chat_role(const char *s)
{
	for (size_t i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, chat_roles[i]) == 0)
			return chat_roles[i];
	return NULL;
}

bool
chat_session_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.:-");
	return n >= 1 && n <= CHAT_SESSION_ID_MAX && s[n] == '\0';
}

/* jsonval's reasons that /chat has always worded its own way. */
static const struct {
	const char	*reason;
	const char	*detail;
} chat_json_details[] = {
	{ "too large", "body too large" },
	{ "NUL byte", "NUL byte in body" },
};

/* Parse exactly len bytes as one JSON value (jsonval_parse). *out is NULL
 * for a literal null. Returns 0, or -1 with a 413 when the body holds too
 * many values (counted first, so no tree is built for it), or with
 * "malformed JSON: <reason>" in err and a 400. */
static int
chat_tokenize(const char *body, size_t len, json_object **out, char *err,
    size_t errlen, int *http_status)
{
	char why[JSONVAL_ERR_MAX];
	const char *detail = why;
	struct jsonval_shape shape;

	/* Too deep stops the count: jsonval_parse says so as malformed.
	 * Past INT_MAX it refuses unread, and so do we. */
	if (len < INT_MAX)
		jsonval_shape(body, len, CHAT_MAX_JSON_VALUES, CHAT_JSON_DEPTH,
		    &shape);
	if (len < INT_MAX && shape.values > CHAT_MAX_JSON_VALUES)
		return chat_fail(http_status, 413, err, errlen, "body holds "
		    "more than %d JSON values", CHAT_MAX_JSON_VALUES);
	if (jsonval_parse(body, len, CHAT_JSON_DEPTH, out, why, sizeof(why),
	    NULL) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(chat_json_details) /
	    sizeof(chat_json_details[0]); i++)
		if (strcmp(why, chat_json_details[i].reason) == 0)
			detail = chat_json_details[i].detail;
	return chat_fail(http_status, 400, err, errlen, "malformed JSON: %s",
	    detail);
}

/* Check messages[i] and point *m into it. */
static int
chat_check_message(json_object *item, size_t i, struct llm_message *m,
    int *http_status, char *err, size_t errlen)
{
	json_object *v = NULL;

	if (!json_object_is_type(item, json_type_object))
		return chat_fail(http_status, 422, err, errlen,
		    "messages[%zu] must be an object", i);
	m->role = chat_role(json_object_object_get_ex(item, "role", &v) ?
	    chat_string(v) : NULL);
	if (m->role == NULL)
		return chat_fail(http_status, 422, err, errlen,
		    "messages[%zu].role must be one of " CHAT_ROLES_TEXT, i);
	v = NULL;
	m->content = json_object_object_get_ex(item, "content", &v) ?
	    chat_string(v) : NULL;
	if (m->content == NULL)
		return chat_fail(http_status, 422, err, errlen,
		    json_object_is_type(v, json_type_string) ?
		    "messages[%zu].content must not contain NUL characters" :
		    "messages[%zu].content must be a string", i);
	return 0;
}

/* Copy the contents of msgs[0..n) into one allocation, req->text, and
 * point req->messages (after the prompt) at the copies, so the tree can go. */
static void
chat_copy_messages(struct chat_request *req, const struct llm_message *msgs,
    size_t n)
{
	size_t i, len, total = 1, used = 0;
	struct llm_message *m = req->messages + 1;

	for (i = 0; i < n; i++)
		total += strlen(msgs[i].content) + 1;
	req->text = xmalloc(total);
	for (i = 0; i < n; i++) {
		len = strlen(msgs[i].content) + 1;
		memcpy(req->text + used, msgs[i].content, len);
		m[i].role = msgs[i].role;
		m[i].content = req->text + used;
		used += len;
		if (m[i].role == chat_roles[1])
			req->last_user = m[i].content;
	}
	req->messages[0].role = chat_roles[0];
	req->messages[0].content = chat_system_prompt;
	req->n_messages = n + 1;
}

/* Fill req->messages: the recipe prompt, then the request's user and
 * assistant messages (its system messages are checked, then left out). */
static int
chat_check_messages(struct chat_request *req, json_object *root,
    int *http_status, char *err, size_t errlen)
{
	struct llm_message *kept;
	json_object *arr;
	size_t i, n, k = 0;
	int rc = -1;

	if (!json_object_object_get_ex(root, "messages", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return chat_fail(http_status, 422, err, errlen,
		    "messages must be an array");
	if ((n = json_object_array_length(arr)) == 0)
		return chat_fail(http_status, 422, err, errlen,
		    "messages must not be empty");
	if (n > CHAT_MAX_MESSAGES)
		return chat_fail(http_status, 422, err, errlen,
		    "messages must have at most %d items", CHAT_MAX_MESSAGES);
	kept = xcalloc(n, sizeof(*kept));
	for (i = 0; i < n; i++) {
		if (chat_check_message(json_object_array_get_idx(arr, i), i,
		    &kept[k], http_status, err, errlen) == -1)
			goto out;
		if (kept[k].role == chat_roles[0])
			req->system_ignored++;
		else
			k++;
	}
	req->messages = xcalloc(k + 1, sizeof(*req->messages));
	chat_copy_messages(req, kept, k);
	rc = 0;
out:
	free(kept);
	return rc;
}

static int
chat_check_session(struct chat_request *req, json_object *root,
    int *http_status, char *err, size_t errlen)
{
	json_object *v;
	const char *s;
	uuid_t uu;

	if (!json_object_object_get_ex(root, "session_id", &v) ||
	    v == NULL) {
		uuid_generate_random(uu);
		uuid_unparse_lower(uu, req->session_id);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return chat_fail(http_status, 422, err, errlen,
		    "session_id must be a string");
	if ((s = chat_string(v)) == NULL || !chat_session_id_valid(s))
		return chat_fail(http_status, 422, err, errlen,
		    CHAT_SESSION_ERR);
	memcpy(req->session_id, s, strlen(s) + 1);
	req->session_given = 1;
	return 0;
}

int
chat_parse_request(const char *body, size_t len, struct chat_request *req,
    int *http_status, char *err, size_t errlen)
{
	json_object *root = NULL;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (chat_tokenize(body, len, &root, err, errlen, http_status) == -1)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		chat_fail(http_status, 422, err, errlen,
		    "body must be a JSON object");
		goto out;
	}
	if (chat_check_messages(req, root, http_status, err, errlen) == -1 ||
	    chat_check_session(req, root, http_status, err, errlen) == -1)
		goto out;
	*http_status = 0;
	rc = 0;
out:
	json_object_put(root);
	if (rc == -1)
		chat_request_cleanup(req);
	return rc;
}

void
chat_request_cleanup(struct chat_request *req)
{
	free(req->messages);
	free(req->text);
	memset(req, 0, sizeof(*req));
}

/* json-c reports allocation failure by NULL or -1; the policy is abort. */
static json_object *
chat_json_string(const char *s)
{
	json_object *o;

	if ((o = json_object_new_string(s != NULL ? s : "")) == NULL)
		abort();
	return o;
}

/* Compact text of o, which is put. */
static char *
chat_json_take(json_object *o)
{
	const char *s;
	char *out;

	if ((s = json_object_to_json_string_ext(o, CHAT_JSON_OUT)) == NULL)
		abort();
	out = xstrdup(s);
	json_object_put(o);
	return out;
}

/* The messages as a JSON array, then extra (NULL: none) as one more
 * message with role "assistant". Out of memory or past the limit aborts,
 * as json-c's trees did. */
static void
chat_write_messages(struct buf *b, const struct llm_message *msgs, size_t n,
    const char *extra)
{
	size_t i;

	if (buf_append(b, "[", 1) == -1)
		abort();
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_append(b, ",", 1) == -1) ||
		    llm_message_write(b, msgs[i].role, msgs[i].content) == -1)
			abort();
	if (extra != NULL && ((n > 0 && buf_append(b, ",", 1) == -1) ||
	    llm_message_write(b, "assistant", extra) == -1))
		abort();
	if (buf_append(b, "]", 1) == -1)
		abort();
}

/* Written as text, not as a json-c tree: it is built on every turn. */
char *
chat_response_json(const struct chat_request *req, const char *reply,
    const char *trace_id, const char *span_id)
{
	struct buf b;

	buf_init(&b, LLM_BODY_MAX);
	if (buf_append(&b, "{\"messages\":", 12) == -1)
		abort();
	chat_write_messages(&b, req->messages, req->n_messages, reply);
	if (buf_append(&b, ",\"session_id\":", 14) == -1 ||
	    jsonw_cstring(&b, req->session_id) == -1)
		abort();
	if (trace_id != NULL && (buf_append(&b, ",\"trace_id\":", 12) == -1 ||
	    jsonw_cstring(&b, trace_id) == -1))
		abort();
	if (span_id != NULL && (buf_append(&b, ",\"span_id\":", 11) == -1 ||
	    jsonw_cstring(&b, span_id) == -1))
		abort();
	if (buf_append(&b, "}", 1) == -1)
		abort();
	return buf_take(&b);
}

char *
chat_error_json(const char *msg)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "detail", chat_json_string(msg)) != 0)
		abort();
	return chat_json_take(o);
}

char *
chat_messages_json(const struct llm_message *msgs, size_t n)
{
	struct buf b;

	buf_init(&b, LLM_BODY_MAX);
	chat_write_messages(&b, msgs, n, NULL);
	return buf_take(&b);
}
