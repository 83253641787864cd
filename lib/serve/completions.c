/* completions.c - the chat completions server side: requests in, the
 * chat.completion, model list and error bodies out. json-c: the request's
 * tree belongs to struct completions_request; every tree built here is
 * put before its text is returned. */
#include "completions.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "jsonval.h"
#include "recipebook.h"
#include "xalloc.h"

static int
completions_fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

static int
completions_message(json_object *o, struct llm_message *m, char *err,
    size_t errlen)
{
	static const char *const roles[] = { "system", "developer", "user",
	    "assistant", "tool" };
	json_object *role, *content;
	size_t i;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "role", &role) ||
	    !json_object_object_get_ex(o, "content", &content))
		return completions_fail(err, errlen, "each message must be an "
		    "object with role and content");
	if (!json_object_is_type(role, json_type_string) ||
	    !json_object_is_type(content, json_type_string))
		return completions_fail(err, errlen, "message role and "
		    "content must be strings");
	m->role = json_object_get_string(role);
	m->content = json_object_get_string(content);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(m->role, roles[i]) == 0)
			return 0;
	return completions_fail(err, errlen, "message role must be system, "
	    "developer, user, assistant or tool");
}

/* The members around the messages: "model" and "stream". */
static int
completions_params(json_object *root, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_is_type(root, json_type_object))
		return completions_fail(err, errlen, "the request body must "
		    "be a JSON object");
	if (json_object_object_get_ex(root, "model", &v) &&
	    !json_object_is_type(v, json_type_string))
		return completions_fail(err, errlen, "model must be a string");
	if (json_object_object_get_ex(root, "stream", &v) &&
	    json_object_get_boolean(v))
		return completions_fail(err, errlen, "stream is not supported "
		    "by the offline model");
	return 0;
}

int
completions_parse_request(const char *body, size_t len,
    struct completions_request *req, char *err, size_t errlen)
{
	char why[JSONVAL_ERR_MAX];
	json_object *arr;
	size_t i;

	memset(req, 0, sizeof(*req));
	/* A literal null parses but is no request: answered as before. */
	if (jsonval_parse(body != NULL ? body : "", body != NULL ? len : 0, 0,
	    &req->root, why, sizeof(why), NULL) == -1 || req->root == NULL)
		return completions_fail(err, errlen, "the request body is not "
		    "valid JSON");
	if (completions_params(req->root, err, errlen) == -1)
		return -1;
	if (!json_object_object_get_ex(req->root, "messages", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    (req->n = json_object_array_length(arr)) == 0 ||
	    req->n > COMPLETIONS_MAX_MESSAGES)
		return completions_fail(err, errlen, "messages must be an "
		    "array of 1 to 1000 messages");
	req->msgs = xcalloc(req->n, sizeof(*req->msgs));
	for (i = 0; i < req->n; i++)
		if (completions_message(json_object_array_get_idx(arr, i),
		    &req->msgs[i], err, errlen) == -1)
			return -1;
	return 0;
}

void
completions_request_cleanup(struct completions_request *req)
{
	free(req->msgs);
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

/* The text of root, which is put. */
static char *
completions_text(json_object *root)
{
	char *s = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(root);
	return s;
}

static json_object *
completions_usage(const struct completions_request *req, const char *reply)
{
	json_object *u = json_object_new_object();
	int64_t prompt = 0, completion;
	size_t i;

	for (i = 0; i < req->n; i++)
		prompt += (int64_t)recipebook_count_words(req->msgs[i].content);
	completion = (int64_t)recipebook_count_words(reply);
	json_object_object_add(u, "prompt_tokens",
	    json_object_new_int64(prompt));
	json_object_object_add(u, "completion_tokens",
	    json_object_new_int64(completion));
	json_object_object_add(u, "total_tokens",
	    json_object_new_int64(prompt + completion));
	return u;
}

static json_object *
completions_choices(const char *reply)
{
	json_object *choices = json_object_new_array(), *choice, *msg;

	msg = json_object_new_object();
	json_object_object_add(msg, "role",
	    json_object_new_string("assistant"));
	json_object_object_add(msg, "content", json_object_new_string(reply));
	choice = json_object_new_object();
	json_object_object_add(choice, "index", json_object_new_int(0));
	json_object_object_add(choice, "message", msg);
	json_object_object_add(choice, "finish_reason",
	    json_object_new_string("stop"));
	json_object_array_add(choices, choice);
	return choices;
}

char *
completions_reply_json(const char *body, size_t len,
    const struct completions_request *req, const char *reply,
    time_t created)
{
	json_object *root = json_object_new_object();
	char id[64];

	snprintf(id, sizeof(id), "chatcmpl-offline-%016llx",
	    (unsigned long long)hash_fnv64(body, len, HASH_FNV64_INIT));
	json_object_object_add(root, "id", json_object_new_string(id));
	json_object_object_add(root, "object",
	    json_object_new_string("chat.completion"));
	json_object_object_add(root, "created",
	    json_object_new_int64((int64_t)created));
	json_object_object_add(root, "model",
	    json_object_new_string(COMPLETIONS_MODEL));
	json_object_object_add(root, "choices", completions_choices(reply));
	json_object_object_add(root, "usage", completions_usage(req, reply));
	return completions_text(root);
}

char *
completions_error_json(int status, const char *msg)
{
	json_object *root = json_object_new_object(), *e;

	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(
	    status >= 500 ? "server_error" : "invalid_request_error"));
	json_object_object_add(e, "param", NULL);
	json_object_object_add(e, "code", NULL);
	json_object_object_add(root, "error", e);
	return completions_text(root);
}

char *
completions_models_json(void)
{
	json_object *root = json_object_new_object(), *list, *m;

	m = json_object_new_object();
	json_object_object_add(m, "id",
	    json_object_new_string(COMPLETIONS_MODEL));
	json_object_object_add(m, "object", json_object_new_string("model"));
	json_object_object_add(m, "created", json_object_new_int64(0));
	json_object_object_add(m, "owned_by",
	    json_object_new_string("recipe-chat"));
	list = json_object_new_array();
	json_object_array_add(list, m);
	json_object_object_add(root, "object", json_object_new_string("list"));
	json_object_object_add(root, "data", list);
	return completions_text(root);
}
