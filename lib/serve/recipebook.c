/* recipebook.c - the offline recipe model: loads and validates the recipe
 * collection and answers conversations from it, deterministically. */
#include "recipebook.h"
#include "buf.h"
#include "hash.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* Only this much of each message, and this many user messages, are read:
 * the scorer does substring searches and must stay cheap on 1 MiB bodies. */
#define RECIPEBOOK_MAX_ANALYZE		4096
#define RECIPEBOOK_MAX_USER_MSGS	20
#define RECIPEBOOK_MAX_EXCLUDE		16
#define RECIPEBOOK_MAX_SERVINGS		50
#define RECIPEBOOK_WEIGHT_LATEST	3
#define RECIPEBOOK_WEIGHT_EARLIER	1

struct recipebook_entry {
	struct recipebook_recipe	  pub;
	char				**kw_norm;	/* " stemmed words " */
	char				**name_norm;	/* " word " per name word */
	size_t				  n_name;
	char				 *text_norm;	/* ingredients + steps */
};

struct recipebook {
	json_object	*root;
	struct recipebook_entry	*v;
	size_t		 n;
};

static const char *const tag_names[] = {
	"vegan", "vegetarian", "gluten-free", "dairy-free", "quick",
	"high-protein", "low-carb", "dessert", "breakfast", "soup", "salad",
	"spicy", "kid-friendly", "one-pot", "budget",
};
#define RECIPEBOOK_NTAGS (sizeof(tag_names) / sizeof(tag_names[0]))

unsigned
recipebook_tag_bit(const char *name)
{
	for (size_t i = 0; i < RECIPEBOOK_NTAGS; i++)
		if (strcmp(name, tag_names[i]) == 0)
			return 1u << i;
	return 0;
}

size_t
recipebook_count_words(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; s != NULL && *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

/* ---- Text normalisation ------------------------------------------------ */

/* Plural to singular, applied the same way to recipes and questions so
 * that "tomatoes" meets "tomato" and "eggs" meets "egg". */
static void
recipebook_stem(char *w)
{
	size_t n = strlen(w);

	if (n > 4 && strcmp(w + n - 3, "ies") == 0) {
		strcpy(w + n - 3, "y");
	} else if (n > 4 && (strcmp(w + n - 3, "oes") == 0 ||
	    strcmp(w + n - 4, "ches") == 0 || strcmp(w + n - 4, "shes") == 0)) {
		w[n - 2] = '\0';
	} else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' &&
	    w[n - 2] != 'u' && w[n - 2] != 'i') {
		w[n - 1] = '\0';
	}
}

static int
recipebook_wordchar(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Lower-case words of s joined as " w1 w2 ... " (so " phrase " can be
 * searched with strstr), reading at most max bytes. Apostrophes vanish
 * ("don't" -> "dont"). Caller frees. */
static char *
recipebook_norm(const char *s, size_t max, int stem)
{
	size_t len = strnlen(s, max), o = 0, ws;
	char *out = xmalloc(len + 3);

	out[o++] = ' ';
	for (size_t i = 0; i < len;) {
		if (s[i] == '\'') {
			i++;
			continue;
		}
		if (!recipebook_wordchar((unsigned char)s[i])) {
			i++;
			continue;
		}
		ws = o;
		while (i < len && (recipebook_wordchar((unsigned char)s[i]) ||
		    s[i] == '\''))
			if (s[i] != '\'')
				out[o++] = (char)tolower((unsigned char)s[i++]);
			else
				i++;
		out[o] = '\0';
		if (stem)
			recipebook_stem(out + ws);
		o = strlen(out);
		out[o++] = ' ';
	}
	out[o] = '\0';
	return out;
}

/* 1 when the normalised text holds the phrase (given without spaces). */
static int
recipebook_has(const char *norm, const char *phrase)
{
	char pat[128];

	if (snprintf(pat, sizeof(pat), " %s ", phrase) >= (int)sizeof(pat))
		return 0;
	return strstr(norm, pat) != NULL;
}

static size_t
recipebook_nwords(const char *norm)
{
	return recipebook_count_words(norm);
}

/* Append to a buffer without a limit; only memory could run out, and
 * xalloc aborts then, so this cannot fail. */
static void
recipebook_cat(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
recipebook_cat(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (buf_append(b, s, (size_t)n) == -1)
		abort();
	free(s);
}

/* ---- Loading and validation ------------------------------------------ */

struct recipebook_ctx {
	size_t		 idx;
	const char	*id;
	char		*err;
	size_t		 errlen;
};

static int
recipebook_fail(struct recipebook_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
recipebook_fail(struct recipebook_ctx *c, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->id != NULL)
		snprintf(c->err, c->errlen, "recipe %zu (id \"%s\"): %s",
		    c->idx, c->id, why);
	else
		snprintf(c->err, c->errlen, "recipe %zu: %s", c->idx, why);
	return -1;
}

static int
recipebook_str_ok(struct recipebook_ctx *c, const char *s, const char *field,
    int one_line)
{
	if (*s == '\0')
		return recipebook_fail(c, "field \"%s\" is empty", field);
	if (strlen(s) > RECIPEBOOK_MAX_STRING)
		return recipebook_fail(c, "field \"%s\" is too long", field);
	if (one_line && strpbrk(s, "\r\n") != NULL)
		return recipebook_fail(c, "field \"%s\" must be one line",
		    field);
	return 0;
}

static int
recipebook_get_str(struct recipebook_ctx *c, json_object *o, const char *key,
    const char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return recipebook_fail(c, "missing field \"%s\"", key);
	if (!json_object_is_type(v, json_type_string))
		return recipebook_fail(c, "field \"%s\" must be a string", key);
	*out = json_object_get_string(v);
	return recipebook_str_ok(c, *out, key, 1);
}

static int
recipebook_get_int(struct recipebook_ctx *c, json_object *o, const char *key,
    int max,
    int *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return recipebook_fail(c, "missing field \"%s\"", key);
	if (!json_object_is_type(v, json_type_int))
		return recipebook_fail(c, "field \"%s\" must be a whole number",
		    key);
	n = json_object_get_int64(v);
	if (n < 1 || n > max)
		return recipebook_fail(c, "field \"%s\" is out of range", key);
	*out = (int)n;
	return 0;
}

/* An array of strings (non-empty unless key is "tags"); *out is
 * allocated, and the caller frees it even on error. */
static int
recipebook_get_strs(struct recipebook_ctx *c, json_object *o, const char *key,
    const char ***out, size_t *n)
{
	size_t min = strcmp(key, "tags") == 0 ? 0 : 1;
	json_object *v, *e;
	size_t len;

	if (!json_object_object_get_ex(o, key, &v))
		return recipebook_fail(c, "missing field \"%s\"", key);
	if (!json_object_is_type(v, json_type_array))
		return recipebook_fail(c, "field \"%s\" must be an array", key);
	len = json_object_array_length(v);
	if (len < min || len > RECIPEBOOK_MAX_ITEMS)
		return recipebook_fail(c,
		    "field \"%s\" must have %zu to %d items", key,
		    min, RECIPEBOOK_MAX_ITEMS);
	*out = xcalloc(len + 1, sizeof(**out));
	*n = len;
	for (size_t i = 0; i < len; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return recipebook_fail(c,
			    "field \"%s\" must hold only strings",
			    key);
		(*out)[i] = json_object_get_string(e);
		if (recipebook_str_ok(c, (*out)[i], key, 1) == -1)
			return -1;
	}
	return 0;
}

static int
recipebook_check_id(struct recipebook_ctx *c, const char *id)
{
	for (const char *p = id; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) ||
		    isdigit((unsigned char)*p) ||
		    *p == '-'))
			return recipebook_fail(c,
			    "id must be a slug of [a-z0-9-]");
	return 0;
}

static int
recipebook_get_tags(struct recipebook_ctx *c, json_object *o, unsigned *tags)
{
	const char **v = NULL;
	size_t n = 0;
	unsigned bit;
	int rc = -1;

	*tags = 0;
	if (recipebook_get_strs(c, o, "tags", &v, &n) == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((bit = recipebook_tag_bit(v[i])) == 0) {
			recipebook_fail(c, "unknown tag \"%s\"", v[i]);
			goto out;
		}
		*tags |= bit;
	}
	rc = 0;
out:
	free(v);
	return rc;
}

/* Rules between fields that the collection relies on. */
static int
recipebook_check_consistency(struct recipebook_ctx *c,
    const struct recipebook_recipe *r)
{
	if ((r->tags & RECIPEBOOK_TAG_VEGAN) &&
	    !(r->tags & RECIPEBOOK_TAG_VEGETARIAN))
		return recipebook_fail(c, "a vegan recipe must also be tagged "
		    "vegetarian");
	if ((r->tags & RECIPEBOOK_TAG_QUICK) &&
	    r->time_minutes > RECIPEBOOK_QUICK_MINUTES)
		return recipebook_fail(c, "tagged quick but takes more than %d "
		    "minutes", RECIPEBOOK_QUICK_MINUTES);
	return 0;
}

static int
recipebook_check_recipe(struct recipebook_ctx *c, json_object *o,
    struct recipebook_recipe *r)
{
	if (!json_object_is_type(o, json_type_object))
		return recipebook_fail(c, "must be an object");
	if (recipebook_get_str(c, o, "id", &r->id) == -1)
		return -1;
	c->id = r->id;
	if (recipebook_check_id(c, r->id) == -1 ||
	    recipebook_get_str(c, o, "name", &r->name) == -1 ||
	    recipebook_get_str(c, o, "description", &r->description) == -1 ||
	    recipebook_get_tags(c, o, &r->tags) == -1 ||
	    recipebook_get_strs(c, o, "keywords", &r->keywords,
	    &r->n_keywords) == -1 ||
	    recipebook_get_int(c, o, "servings", 100, &r->servings) == -1 ||
	    recipebook_get_int(c, o, "time_minutes", 7 * 24 * 60,
	    &r->time_minutes) == -1 ||
	    recipebook_get_strs(c, o, "ingredients", &r->ingredients,
	    &r->n_ingredients) == -1 ||
	    recipebook_get_strs(c, o, "steps", &r->steps, &r->n_steps) == -1)
		return -1;
	return recipebook_check_consistency(c, r);
}

static int
recipebook_is_stopword(const char *w)
{
	static const char *const stop[] = { "and", "with", "the", "for",
	    "style", "classic", "homemade", "easy" };

	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		if (strcmp(w, stop[i]) == 0)
			return 1;
	return strlen(w) < 3;
}

static void
recipebook_index_name(struct recipebook_entry *e)
{
	char *norm = recipebook_norm(e->pub.name, RECIPEBOOK_MAX_STRING, 1);
	char *save = NULL, *w;
	size_t cap = recipebook_nwords(norm);

	e->name_norm = xcalloc(cap + 1, sizeof(char *));
	for (w = strtok_r(norm, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save))
		if (!recipebook_is_stopword(w))
			e->name_norm[e->n_name++] = xstrdup(w);
	free(norm);
}

/* Normalised search forms, built once so that replies only compare. */
static void
recipebook_index(struct recipebook_entry *e)
{
	const struct recipebook_recipe *r = &e->pub;
	struct buf b;
	char *n;

	e->kw_norm = xcalloc(r->n_keywords, sizeof(char *));
	for (size_t i = 0; i < r->n_keywords; i++)
		e->kw_norm[i] = recipebook_norm(r->keywords[i],
		    RECIPEBOOK_MAX_STRING, 1);
	recipebook_index_name(e);
	buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < r->n_ingredients + r->n_steps; i++) {
		n = recipebook_norm(i < r->n_ingredients ? r->ingredients[i] :
		    r->steps[i - r->n_ingredients], RECIPEBOOK_MAX_STRING, 1);
		recipebook_cat(&b, "%s", n);
		free(n);
	}
	e->text_norm = buf_take(&b);
}

static void
recipebook_entry_cleanup(struct recipebook_entry *e)
{
	for (size_t i = 0; e->kw_norm != NULL && i < e->pub.n_keywords; i++)
		free(e->kw_norm[i]);
	for (size_t i = 0; i < e->n_name; i++)
		free(e->name_norm[i]);
	free(e->kw_norm);
	free(e->name_norm);
	free(e->text_norm);
	free(e->pub.keywords);
	free(e->pub.ingredients);
	free(e->pub.steps);
}

void
recipebook_free(struct recipebook *rb)
{
	if (rb == NULL)
		return;
	for (size_t i = 0; i < rb->n; i++)
		recipebook_entry_cleanup(&rb->v[i]);
	free(rb->v);
	json_object_put(rb->root);
	free(rb);
}

static int
recipebook_check_all(struct recipebook *rb, char *err, size_t errlen)
{
	size_t len = json_object_array_length(rb->root);
	struct recipebook_ctx c = { 0, NULL, err, errlen };
	struct recipebook_entry *e;

	if (len == 0 || len > RECIPEBOOK_MAX_RECIPES) {
		snprintf(err, errlen, "expected 1 to %d recipes, found %zu",
		    RECIPEBOOK_MAX_RECIPES, len);
		return -1;
	}
	rb->v = xcalloc(len, sizeof(*rb->v));
	while (rb->n < len) {
		/* Counted first, so that recipebook_free releases a half-checked
		 * entry too. */
		e = &rb->v[rb->n++];
		c.idx = rb->n - 1;
		c.id = NULL;
		if (recipebook_check_recipe(&c,
		    json_object_array_get_idx(rb->root,
		    c.idx), &e->pub) == -1)
			return -1;
		for (size_t j = 0; j < c.idx; j++)
			if (strcmp(rb->v[j].pub.id, e->pub.id) == 0)
				return recipebook_fail(&c,
				    "duplicate id (also recipe "
				    "%zu)", j);
		recipebook_index(e);
	}
	return 0;
}

int
recipebook_parse(const char *text, size_t len, struct recipebook **out,
    char *err, size_t errlen)
{
	struct recipebook *rb = xcalloc(1, sizeof(*rb));
	json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	int rc = -1;

	*out = NULL;
	rb->root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (rb->root == NULL || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen, "not valid JSON: %s",
		    jerr == json_tokener_success ? "trailing data" :
		    jerr == json_tokener_continue ? "unexpected end of input" :
		    json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(rb->root, json_type_array)) {
		snprintf(err, errlen, "the top level must be an array of "
		    "recipes");
		goto out;
	}
	if (recipebook_check_all(rb, err, errlen) == -1)
		goto out;
	*out = rb;
	rb = NULL;
	rc = 0;
out:
	json_tokener_free(tok);
	recipebook_free(rb);
	return rc;
}

static int
recipebook_read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	char chunk[8192];
	FILE *fp;
	size_t n;
	int rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(b, chunk, n) == -1) {
			snprintf(err, errlen, "larger than %d bytes",
			    RECIPEBOOK_MAX_FILE);
			goto out;
		}
	if (ferror(fp)) {
		snprintf(err, errlen, "read error");
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

int
recipebook_load(const char *path, struct recipebook **out, char *err,
    size_t errlen)
{
	struct buf b;
	char why[512];
	int rc = -1;

	*out = NULL;
	buf_init(&b, RECIPEBOOK_MAX_FILE);
	if (recipebook_read_file(path, &b, why, sizeof(why)) == -1 ||
	    recipebook_parse(b.data ? b.data : "", b.len, out, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	rc = 0;
out:
	buf_cleanup(&b);
	return rc;
}

size_t
recipebook_count(const struct recipebook *rb)
{
	return rb->n;
}

const struct recipebook_recipe *
recipebook_get(const struct recipebook *rb, size_t i)
{
	return i < rb->n ? &rb->v[i].pub : NULL;
}

const struct recipebook_recipe *
recipebook_find(const struct recipebook *rb, const char *id)
{
	for (size_t i = 0; i < rb->n; i++)
		if (strcmp(rb->v[i].pub.id, id) == 0)
			return &rb->v[i].pub;
	return NULL;
}

/* ---- Reading the conversation ---------------------------------------- */

struct recipebook_phrase {
	const char	*phrase;	/* normalised, unstemmed */
	unsigned	 tag;
};

/* Dietary words: hard filters. */
static const struct recipebook_phrase diet_phrases[] = {
	{ "vegan", RECIPEBOOK_TAG_VEGAN },
	{ "plant based", RECIPEBOOK_TAG_VEGAN },
	{ "vegetarian", RECIPEBOOK_TAG_VEGETARIAN },
	{ "veggie", RECIPEBOOK_TAG_VEGETARIAN },
	{ "meatless", RECIPEBOOK_TAG_VEGETARIAN },
	{ "meat free", RECIPEBOOK_TAG_VEGETARIAN },
	{ "no meat", RECIPEBOOK_TAG_VEGETARIAN },
	{ "without meat", RECIPEBOOK_TAG_VEGETARIAN },
	{ "gluten free", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "glutenfree", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "no gluten", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "without gluten", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "celiac", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "coeliac", RECIPEBOOK_TAG_GLUTEN_FREE },
	{ "dairy free", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "dairyfree", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "no dairy", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "without dairy", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "non dairy", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "lactose free", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "lactose intolerant", RECIPEBOOK_TAG_DAIRY_FREE },
	{ "low carb", RECIPEBOOK_TAG_LOW_CARB },
	{ "lowcarb", RECIPEBOOK_TAG_LOW_CARB },
	{ "keto", RECIPEBOOK_TAG_LOW_CARB },
};

/* Words that favour a kind of dish: they score, they do not filter. */
static const struct recipebook_phrase kind_phrases[] = {
	{ "soup", RECIPEBOOK_TAG_SOUP },
	{ "salad", RECIPEBOOK_TAG_SALAD },
	{ "dessert", RECIPEBOOK_TAG_DESSERT },
	{ "sweet", RECIPEBOOK_TAG_DESSERT },
	{ "treat", RECIPEBOOK_TAG_DESSERT },
	{ "breakfast", RECIPEBOOK_TAG_BREAKFAST },
	{ "brunch", RECIPEBOOK_TAG_BREAKFAST },
	{ "morning", RECIPEBOOK_TAG_BREAKFAST },
	{ "spicy", RECIPEBOOK_TAG_SPICY },
	{ "protein", RECIPEBOOK_TAG_HIGH_PROTEIN },
	{ "kid", RECIPEBOOK_TAG_KID_FRIENDLY },
	{ "child", RECIPEBOOK_TAG_KID_FRIENDLY },
	{ "children", RECIPEBOOK_TAG_KID_FRIENDLY },
	{ "family", RECIPEBOOK_TAG_KID_FRIENDLY },
	{ "toddler", RECIPEBOOK_TAG_KID_FRIENDLY },
	{ "one pot", RECIPEBOOK_TAG_ONE_POT },
	{ "one pan", RECIPEBOOK_TAG_ONE_POT },
	{ "cheap", RECIPEBOOK_TAG_BUDGET },
	{ "budget", RECIPEBOOK_TAG_BUDGET },
	{ "inexpensive", RECIPEBOOK_TAG_BUDGET },
	{ "affordable", RECIPEBOOK_TAG_BUDGET },
};

/* Words for a main meal, which count against breakfasts and desserts. */
static const char *const meal_phrases[] = {
	"dinner", "lunch", "supper", "main", "weeknight", "entree",
};
#define RECIPEBOOK_MEAL_TAGS (RECIPEBOOK_TAG_BREAKFAST | RECIPEBOOK_TAG_DESSERT)

static const char *const mild_phrases[] = {
	"not spicy", "mild", "no spice", "not too spicy", "nothing spicy",
	"without spice",
};

static const char *const quick_phrases[] = {
	"quick", "quickly", "fast", "speedy", "in a hurry", "in a rush",
	"short on time",
};

static const char *const followup_phrases[] = {
	"another", "else", "different", "other", "alternative", "next",
	"instead",
};

/* Words after "no"/"without" that name an ingredient group. */
static const struct {
	const char	*word;
	const char	*members;	/* space-separated, stemmed */
} exclude_groups[] = {
	{ "nut", "peanut almond cashew walnut pecan pistachio hazelnut "
	    "macadamia" },
	{ "meat", "chicken beef pork lamb bacon ham sausage guanciale "
	    "pancetta turkey prosciutto chorizo steak" },
	{ "pork", "pork bacon ham guanciale pancetta prosciutto chorizo" },
	{ "fish", "fish salmon cod tuna anchovy shrimp prawn" },
	{ "seafood", "fish salmon cod tuna anchovy shrimp prawn oyster" },
	{ "shellfish", "shrimp prawn oyster crab lobster mussel clam scallop" },
	{ "egg", "egg yolk mayonnaise" },
	{ "cheese", "cheese cheddar parmesan mozzarella feta gruyère pecorino "
	    "mascarpone ricotta halloumi paneer" },
};

enum recipebook_unsafe { RECIPEBOOK_SAFE, RECIPEBOOK_RAW_MEAT,
    RECIPEBOOK_RAW_FLOUR, RECIPEBOOK_NONFOOD, RECIPEBOOK_FUGU };

static const struct {
	const char	*phrase;
	enum recipebook_unsafe	 why;
} unsafe_phrases[] = {
	{ "raw chicken", RECIPEBOOK_RAW_MEAT }, { "undercooked chicken",
	    RECIPEBOOK_RAW_MEAT },
	{ "chicken tartare", RECIPEBOOK_RAW_MEAT }, { "chicken sashimi",
	    RECIPEBOOK_RAW_MEAT },
	{ "pink chicken", RECIPEBOOK_RAW_MEAT }, { "rare chicken",
	    RECIPEBOOK_RAW_MEAT },
	{ "raw pork", RECIPEBOOK_RAW_MEAT }, { "undercooked pork",
	    RECIPEBOOK_RAW_MEAT },
	{ "raw turkey", RECIPEBOOK_RAW_MEAT },
	{ "raw flour", RECIPEBOOK_RAW_FLOUR }, { "uncooked flour",
	    RECIPEBOOK_RAW_FLOUR },
	{ "raw dough", RECIPEBOOK_RAW_FLOUR }, { "raw cookie dough",
	    RECIPEBOOK_RAW_FLOUR },
	{ "uncooked dough", RECIPEBOOK_RAW_FLOUR }, { "raw batter",
	    RECIPEBOOK_RAW_FLOUR },
	{ "raw cake batter", RECIPEBOOK_RAW_FLOUR }, { "eat cookie dough",
	    RECIPEBOOK_RAW_FLOUR },
	{ "eating cookie dough", RECIPEBOOK_RAW_FLOUR },
	{ "poison", RECIPEBOOK_NONFOOD }, { "poisons", RECIPEBOOK_NONFOOD },
	{ "poisonous", RECIPEBOOK_NONFOOD }, { "bleach", RECIPEBOOK_NONFOOD },
	{ "drain cleaner", RECIPEBOOK_NONFOOD }, { "detergent",
	    RECIPEBOOK_NONFOOD },
	{ "tide pod", RECIPEBOOK_NONFOOD }, { "tide pods", RECIPEBOOK_NONFOOD },
	{ "laundry pod", RECIPEBOOK_NONFOOD }, { "dish soap",
	    RECIPEBOOK_NONFOOD },
	{ "antifreeze", RECIPEBOOK_NONFOOD }, { "cyanide", RECIPEBOOK_NONFOOD },
	{ "arsenic", RECIPEBOOK_NONFOOD }, { "gasoline", RECIPEBOOK_NONFOOD },
	{ "petrol", RECIPEBOOK_NONFOOD }, { "kerosene", RECIPEBOOK_NONFOOD },
	{ "lighter fluid", RECIPEBOOK_NONFOOD }, { "ammonia",
	    RECIPEBOOK_NONFOOD },
	{ "hand sanitizer", RECIPEBOOK_NONFOOD }, { "mothballs",
	    RECIPEBOOK_NONFOOD },
	{ "non food", RECIPEBOOK_NONFOOD }, { "nonfood", RECIPEBOOK_NONFOOD },
	{ "inedible", RECIPEBOOK_NONFOOD }, { "death cap", RECIPEBOOK_NONFOOD },
	{ "fugu", RECIPEBOOK_FUGU }, { "pufferfish", RECIPEBOOK_FUGU },
	{ "puffer fish", RECIPEBOOK_FUGU }, { "blowfish", RECIPEBOOK_FUGU },
};

static const char *const refusal_text[] = {
	[RECIPEBOOK_RAW_MEAT] =
	    "I can't help with that. Raw or undercooked chicken "
	    "and pork can carry Salmonella and Campylobacter; poultry must "
	    "reach 74 °C (165 °F) and pork 63 °C (145 °F) inside. "
	    "I'm happy to suggest a fully cooked recipe instead.\n",
	[RECIPEBOOK_RAW_FLOUR] =
	    "I can't help with that. Raw flour and raw dough or "
	    "batter can carry E. coli and should not be eaten until baked or "
	    "heat-treated to 74 °C (165 °F). I'm happy to suggest a baked "
	    "dessert instead.\n",
	[RECIPEBOOK_NONFOOD] =
	    "I can't help with that. That is not food and can "
	    "cause serious harm if eaten. If someone has swallowed something "
	    "harmful, contact your local poison control center or emergency "
	    "services now.\n",
	[RECIPEBOOK_FUGU] =
	    "I can't help with that. Pufferfish (fugu) contains "
	    "tetrodotoxin, a lethal poison, and may only be prepared by "
	    "specially licensed chefs. I'm happy to suggest another seafood "
	    "recipe instead.\n",
};

struct recipebook_query {
	unsigned	 need;		/* tags every recipe must have */
	unsigned	 avoid;		/* tags no recipe may have */
	int		 max_minutes;	/* 0: no limit */
	char		*exclude[RECIPEBOOK_MAX_EXCLUDE];	/* stemmed words */
	size_t		 n_exclude;
	int		 servings;	/* 0: the recipe's own */
	int		 followup;
};

static enum recipebook_unsafe
recipebook_unsafe(const char *plain)
{
	for (size_t i = 0; i < sizeof(unsafe_phrases) /
	    sizeof(unsafe_phrases[0]); i++)
		if (recipebook_has(plain, unsafe_phrases[i].phrase))
			return unsafe_phrases[i].why;
	return RECIPEBOOK_SAFE;
}

static int
recipebook_has_any(const char *plain, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (recipebook_has(plain, v[i]))
			return 1;
	return 0;
}
#define RECIPEBOOK_HAS_ANY(plain, v) \
	recipebook_has_any(plain, v, sizeof(v) / sizeof(v[0]))

/* The whole words of a normalised string; v[] points into the copy. */
struct recipebook_words {
	char	 *copy;
	char	**v;
	size_t	  n;
};

static void
recipebook_words_init(struct recipebook_words *w, const char *norm)
{
	char *save = NULL, *t;

	w->copy = xstrdup(norm);
	w->v = xcalloc(recipebook_nwords(norm) + 1, sizeof(char *));
	w->n = 0;
	for (t = strtok_r(w->copy, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save))
		w->v[w->n++] = t;
}

static void
recipebook_words_cleanup(struct recipebook_words *w)
{
	free(w->copy);
	free(w->v);
}

static const char *
recipebook_word(const struct recipebook_words *w, size_t i)
{
	return i < w->n ? w->v[i] : "";
}

static int
recipebook_word_in(const char *word, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(word, set[i]) == 0)
			return 1;
	return 0;
}
#define RECIPEBOOK_WORD_IN(w, set) \
	recipebook_word_in(w, set, sizeof(set) / sizeof(set[0]))

/* 1..999 from digits or a number word, else 0. */
static int
recipebook_number(const char *w)
{
	static const char *const words[] = { "one", "two", "three", "four",
	    "five", "six", "seven", "eight", "nine", "ten", "eleven",
	    "twelve" };
	size_t len = strlen(w);

	if (len > 0 && len <= 3 && strspn(w, "0123456789") == len)
		return atoi(w);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i]) == 0)
			return (int)i + 1;
	if (strcmp(w, "couple") == 0)
		return 2;
	return 0;
}

static const char *const time_units[] = { "minute", "minutes", "min",
    "mins", "hour", "hours", "hr", "hrs", "second", "seconds", "day",
    "days", "degree", "degrees", "c", "f", "week", "weeks" };

/* "for 4", "serves six", "4 people", "family of 5": servings or 0. */
static int
recipebook_parse_servings(const struct recipebook_words *w)
{
	static const char *const before[] = { "for", "serve", "serves",
	    "serving", "feed", "feeds", "feeding", "of" };
	static const char *const after[] = { "people", "persons", "person",
	    "servings", "serving", "portions", "portion", "guests", "adults",
	    "us" };
	int n;

	for (size_t i = 0; i < w->n; i++) {
		if ((n = recipebook_number(w->v[i])) < 1 ||
		    n > RECIPEBOOK_MAX_SERVINGS)
			continue;
		if (RECIPEBOOK_WORD_IN(recipebook_word(w, i + 1), time_units))
			continue;
		if (RECIPEBOOK_WORD_IN(recipebook_word(w, i + 1), after))
			return n;
		if (i > 0 && RECIPEBOOK_WORD_IN(w->v[i - 1], before) &&
		    (strcmp(w->v[i - 1], "of") != 0 ||
		    (i > 1 && strcmp(w->v[i - 2], "family") == 0)))
			return n;
	}
	return 0;
}

/* "under 20 minutes", "in an hour", "half an hour or less": minutes or 0. */
static int
recipebook_parse_minutes(const struct recipebook_words *w)
{
	static const char *const limit[] = { "under", "within", "in", "than",
	    "most", "max", "maximum", "below", "have", "got", "only" };
	size_t i, k;
	int n;

	for (i = 1; i < w->n; i++) {
		k = i - 1;
		if (strncmp(w->v[i], "min", 3) != 0 &&
		    strncmp(w->v[i], "hour", 4) != 0 && strcmp(w->v[i], "hr"))
			continue;
		n = strcmp(w->v[k], "an") == 0 || strcmp(w->v[k], "a") == 0 ?
		    1 : recipebook_number(w->v[k]);
		if (n == 0)
			continue;
		if (w->v[i][0] == 'h')
			n *= 60;
		if (k > 0 && strcmp(w->v[k - 1], "half") == 0) {
			n /= 2;
			k--;
		}
		if ((k > 0 && RECIPEBOOK_WORD_IN(w->v[k - 1], limit)) ||
		    (strcmp(recipebook_word(w, i + 1), "or") == 0 &&
		    strcmp(recipebook_word(w, i + 2), "less") == 0))
			return n;
	}
	return 0;
}

static void
recipebook_exclude_word(struct recipebook_query *q, const char *word)
{
	static const char *const ignore[] = { "time", "idea", "problem",
	    "way", "one", "thank", "thanks", "need", "worry", "matter", "rush",
	    "dairy", "gluten", "lactose", "cooking", "cook", "fuss", "mess",
	    "recipe", "more", "longer", "less", "than", "spice", "spicy",
	    "heat", "hurry", "clue", "fan", "big" };
	char w[48];

	if (strlen(word) >= sizeof(w) || RECIPEBOOK_WORD_IN(word, ignore))
		return;
	for (size_t i = 0; i < sizeof(kind_phrases) /
	    sizeof(kind_phrases[0]); i++)
		if (strcmp(word, kind_phrases[i].phrase) == 0) {
			q->avoid |= kind_phrases[i].tag;
			return;
		}
	strcpy(w, word);
	recipebook_stem(w);
	for (size_t i = 0; i < q->n_exclude; i++)
		if (strcmp(q->exclude[i], w) == 0)
			return;
	if (q->n_exclude < RECIPEBOOK_MAX_EXCLUDE)
		q->exclude[q->n_exclude++] = xstrdup(w);
}

static void
recipebook_exclude(struct recipebook_query *q, const char *word)
{
	struct recipebook_words g;
	char w[48];

	snprintf(w, sizeof(w), "%s", word);
	recipebook_stem(w);
	for (size_t i = 0; i < sizeof(exclude_groups) /
	    sizeof(exclude_groups[0]); i++) {
		if (strcmp(w, exclude_groups[i].word) != 0)
			continue;
		recipebook_words_init(&g, exclude_groups[i].members);
		for (size_t j = 0; j < g.n; j++)
			recipebook_exclude_word(q, g.v[j]);
		recipebook_words_cleanup(&g);
		return;
	}
	recipebook_exclude_word(q, word);
}

/* "no X", "without X", "allergic to X", "X allergy", "X free", ... */
static void
recipebook_parse_exclusions(struct recipebook_query *q,
    const struct recipebook_words *w)
{
	static const char *const neg[] = { "no", "without", "skip", "avoid",
	    "exclude", "minus", "hate", "dislike" };
	static const char *const fill[] = { "the", "any", "a", "an", "some",
	    "extra", "to", "like", "want", "eat", "have", "use", "using",
	    "my", "our" };
	static const char *const free_ok[] = { "gluten", "dairy", "lactose",
	    "meat", "egg", "eggs", "nut", "nuts", "peanut", "peanuts", "sugar",
	    "soy", "fish", "pork", "shellfish" };
	size_t j;
	int weak;

	for (size_t i = 0; i < w->n; i++) {
		j = i + 1;
		/* "don't like X" excludes X, "don't know" does not. */
		weak = strcmp(w->v[i], "dont") == 0 ||
		    strcmp(w->v[i], "cant") == 0;
		if (weak || RECIPEBOOK_WORD_IN(w->v[i], neg) ||
		    strcmp(w->v[i], "allergic") == 0) {
			while (j < w->n && RECIPEBOOK_WORD_IN(w->v[j], fill))
				j++;
			if (j < w->n && (!weak || j > i + 1))
				recipebook_exclude(q, w->v[j]);
		} else if (i > 0 && (strncmp(w->v[i], "allerg", 6) == 0 ||
		    (strcmp(w->v[i], "free") == 0 &&
		    RECIPEBOOK_WORD_IN(w->v[i - 1], free_ok))))
			recipebook_exclude(q, w->v[i - 1]);
	}
}

static void
recipebook_parse_diet(struct recipebook_query *q, const char *plain,
    const struct recipebook_words *w)
{
	int m;

	for (size_t i = 0; i < sizeof(diet_phrases) /
	    sizeof(diet_phrases[0]); i++)
		if (recipebook_has(plain, diet_phrases[i].phrase))
			q->need |= diet_phrases[i].tag;
	if (RECIPEBOOK_HAS_ANY(plain, mild_phrases))
		q->avoid |= RECIPEBOOK_TAG_SPICY;
	m = RECIPEBOOK_HAS_ANY(plain, quick_phrases) ?
	    RECIPEBOOK_QUICK_MINUTES : 0;
	if (m == 0 || (recipebook_parse_minutes(w) > 0 &&
	    recipebook_parse_minutes(w) < m))
		m = recipebook_parse_minutes(w);
	if (m > 0 && (q->max_minutes == 0 || m < q->max_minutes))
		q->max_minutes = m;
}

/* One user message: the plain and stemmed forms and its weight. */
struct recipebook_msg {
	char	*plain;
	char	*stem;
	int	 weight;
};

/* Up to RECIPEBOOK_MAX_USER_MSGS user messages, latest first. */
static size_t
recipebook_user_msgs(const struct llm_message *msgs, size_t n,
    struct recipebook_msg *out)
{
	size_t k = 0;

	for (size_t i = n; i > 0 && k < RECIPEBOOK_MAX_USER_MSGS; i--) {
		if (msgs[i - 1].role == NULL || msgs[i - 1].content == NULL ||
		    strcmp(msgs[i - 1].role, "user") != 0)
			continue;
		out[k].plain = recipebook_norm(msgs[i - 1].content,
		    RECIPEBOOK_MAX_ANALYZE, 0);
		out[k].stem = recipebook_norm(msgs[i - 1].content,
		    RECIPEBOOK_MAX_ANALYZE, 1);
		out[k].weight = k == 0 ? RECIPEBOOK_WEIGHT_LATEST :
		    RECIPEBOOK_WEIGHT_EARLIER;
		k++;
	}
	return k;
}

static void
recipebook_build_query(struct recipebook_query *q,
    const struct recipebook_msg *m, size_t n)
{
	struct recipebook_words w;

	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < n; i++) {
		recipebook_words_init(&w, m[i].plain);
		recipebook_parse_diet(q, m[i].plain, &w);
		recipebook_parse_exclusions(q, &w);
		if (q->servings == 0)
			q->servings = recipebook_parse_servings(&w);
		recipebook_words_cleanup(&w);
	}
	q->followup = n > 0 && RECIPEBOOK_HAS_ANY(m[0].plain, followup_phrases);
}

static void
recipebook_query_cleanup(struct recipebook_query *q)
{
	for (size_t i = 0; i < q->n_exclude; i++)
		free(q->exclude[i]);
}

/* ---- Choosing a recipe ------------------------------------------------- */

static int
recipebook_excluded(const struct recipebook_query *q, const char *norm)
{
	for (size_t i = 0; i < q->n_exclude; i++)
		if (recipebook_has(norm, q->exclude[i]))
			return 1;
	return 0;
}

/* What one message says for a recipe; words the user asked to leave out
 * ("no cheese") do not count for it. */
static long
recipebook_score_msg(const struct recipebook_entry *e,
    const struct recipebook_query *q,
    const char *stem)
{
	char w[64];
	long s = 0;

	for (size_t i = 0; i < e->pub.n_keywords; i++)
		if (strlen(e->kw_norm[i]) > 2 && !recipebook_excluded(q,
		    e->kw_norm[i]) &&
		    strstr(stem, e->kw_norm[i]) != NULL)
			s += 3 * (long)recipebook_nwords(e->kw_norm[i]);
	for (size_t i = 0; i < e->n_name; i++) {
		snprintf(w, sizeof(w), " %s ", e->name_norm[i]);
		if (!recipebook_excluded(q, w) && recipebook_has(stem,
		    e->name_norm[i]))
			s += 2;
	}
	for (size_t i = 0; i < sizeof(kind_phrases) /
	    sizeof(kind_phrases[0]); i++)
		if ((e->pub.tags & kind_phrases[i].tag) &&
		    recipebook_has(stem, kind_phrases[i].phrase))
			s += 4;
	if ((e->pub.tags & RECIPEBOOK_MEAL_TAGS) && RECIPEBOOK_HAS_ANY(stem,
	    meal_phrases))
		s -= 4;
	return s;
}

static int
recipebook_popcount(unsigned v)
{
	int n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* How badly the recipe misses the query's hard filters (0: it passes).
 * Diets and excluded ingredients weigh more than time or spiciness, so
 * the closest recipe to an impossible request stays safe to eat. */
static int
recipebook_failures(const struct recipebook_entry *e,
    const struct recipebook_query *q)
{
	int f = 2 * recipebook_popcount(q->need & ~e->pub.tags) +
	    recipebook_popcount(q->avoid & e->pub.tags);

	if (q->max_minutes > 0 && e->pub.time_minutes > q->max_minutes)
		f++;
	for (size_t i = 0; i < q->n_exclude; i++)
		if (recipebook_has(e->text_norm, q->exclude[i]))
			f += 2;
	return f;
}

/* Mark the recipes whose "## Name" heading an assistant already sent. */
static void
recipebook_mark_given(const struct recipebook *rb,
    const struct llm_message *msgs,
    size_t n, unsigned char *given)
{
	const char *p, *eol;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		if (msgs[i].role == NULL || msgs[i].content == NULL ||
		    strcmp(msgs[i].role, "assistant") != 0)
			continue;
		for (p = msgs[i].content; p != NULL && *p != '\0';
		    p = *eol ? eol + 1 : NULL) {
			eol = p + strcspn(p, "\n");
			if (strncmp(p, "## ", 3) != 0)
				continue;
			len = (size_t)(eol - p - 3);
			while (len > 0 &&
			    isspace((unsigned char)p[3 + len - 1]))
				len--;
			for (size_t r = 0; r < rb->n; r++)
				if (strlen(rb->v[r].pub.name) == len &&
				    strncmp(rb->v[r].pub.name, p + 3, len) == 0)
					given[r] = 1;
		}
	}
}

struct recipebook_scored {
	long		 *score;
	int		 *fails;
	unsigned char	 *given;
};

static int
recipebook_eligible(const struct recipebook_scored *s, size_t i, int skip_given)
{
	return s->fails[i] == 0 && !(skip_given && s->given[i]);
}

/* The best eligible recipe; ties go to the earlier one. When nothing
 * scored, a hash of the latest message picks among the eligible recipes
 * that share the top score. */
static long
recipebook_pick(size_t n, const struct recipebook_scored *s, int skip_given,
    uint32_t h)
{
	long best = -1;
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (recipebook_eligible(s, i, skip_given) &&
		    (best < 0 || s->score[i] > s->score[best]))
			best = (long)i;
	if (best < 0 || s->score[best] > 0)
		return best;
	for (size_t i = 0; i < n; i++)
		if (recipebook_eligible(s, i, skip_given) &&
		    s->score[i] == s->score[best])
			count++;
	h %= (uint32_t)count;
	for (size_t i = 0; i < n; i++)
		if (recipebook_eligible(s, i, skip_given) &&
		    s->score[i] == s->score[best] && h-- == 0)
			return (long)i;
	return best;
}

/* Least failure, then highest score, then file order. */
static size_t
recipebook_closest(size_t n, const struct recipebook_scored *s)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (s->fails[i] < s->fails[best] ||
		    (s->fails[i] == s->fails[best] &&
		    s->score[i] > s->score[best]))
			best = i;
	return best;
}

/* ---- Scaling ingredient quantities ------------------------------------ */

enum recipebook_qkind { RECIPEBOOK_Q_INT, RECIPEBOOK_Q_FRAC, RECIPEBOOK_Q_DEC };

/* Quantities are never negative; these spare the library a libm link. */
static double
recipebook_round(double v)
{
	return (double)(long)(v + 0.5);
}

static double
recipebook_abs(double v)
{
	return v < 0 ? -v : v;
}

static double
recipebook_max(double a, double b)
{
	return a > b ? a : b;
}

/* A leading "2", "1/2", "1 1/2" or "0.5". Returns the end, or NULL. */
static const char *
recipebook_parse_qty(const char *s, double *v, enum recipebook_qkind *kind)
{
	char *end, *e2, *e3;
	long a, b, c;

	if (!isdigit((unsigned char)*s))
		return NULL;
	a = strtol(s, &end, 10);
	*v = (double)a;
	*kind = RECIPEBOOK_Q_INT;
	if (*end == '.' && isdigit((unsigned char)end[1])) {
		*v = strtod(s, &end);
		*kind = RECIPEBOOK_Q_DEC;
	} else if (*end == '/' && isdigit((unsigned char)end[1])) {
		if ((b = strtol(end + 1, &e2, 10)) == 0)
			return NULL;
		*v = (double)a / (double)b;
		*kind = RECIPEBOOK_Q_FRAC;
		end = e2;
	} else if (*end == ' ' && isdigit((unsigned char)end[1])) {
		c = strtol(end + 1, &e2, 10);
		if (*e2 == '/' && isdigit((unsigned char)e2[1]) &&
		    (b = strtol(e2 + 1, &e3, 10)) != 0 && c < b) {
			*v = (double)a + (double)c / (double)b;
			*kind = RECIPEBOOK_Q_FRAC;
			end = e3;
		}
	}
	return end;
}

/* Kitchen fractions: the nearest of eighths, quarters, thirds, halves. */
static void
recipebook_fmt_frac(double v, char *out, size_t len)
{
	static const struct { double v; const char *s; } fr[] = {
		{ 0, "" }, { 0.125, "1/8" }, { 0.25, "1/4" }, { 1.0 / 3,
		    "1/3" },
		{ 0.5, "1/2" }, { 2.0 / 3, "2/3" }, { 0.75, "3/4" }, { 1, "" },
	};
	long whole = (long)v;
	size_t best = 0;

	if (v >= 10) {
		snprintf(out, len, "%ld", (long)recipebook_round(v));
		return;
	}
	for (size_t i = 1; i < sizeof(fr) / sizeof(fr[0]); i++)
		if (recipebook_abs(v - (double)whole - fr[i].v) <
		    recipebook_abs(v - (double)whole - fr[best].v))
			best = i;
	if (best == 7) {
		whole++;
		best = 0;
	}
	if (whole == 0 && best == 0)
		best = 1;
	if (whole == 0)
		snprintf(out, len, "%s", fr[best].s);
	else if (best == 0)
		snprintf(out, len, "%ld", whole);
	else
		snprintf(out, len, "%ld %s", whole, fr[best].s);
}

static void
recipebook_fmt_qty(double v, int metric, enum recipebook_qkind kind, char *out,
    size_t len)
{
	if (metric || kind == RECIPEBOOK_Q_DEC) {
		if (v >= 100)
			snprintf(out, len, "%ld",
			    5 * (long)recipebook_round(v / 5));
		else if (v >= 10)
			snprintf(out, len, "%ld", (long)recipebook_round(v));
		else
			snprintf(out, len, "%g",
			    recipebook_round(recipebook_max(v, 0.1) * 10) / 10);
	} else
		recipebook_fmt_frac(v, out, len);
}

static const struct {
	const char	*one, *many;
	int		 whole;		/* counted in whole items */
} recipebook_nouns[] = {
	{ "egg", "eggs", 1 }, { "yolk", "yolks", 1 }, { "onion", "onions", 1 },
	{ "clove", "cloves", 1 }, { "lemon", "lemons", 1 },
	{ "lime", "limes", 1 }, { "tomato", "tomatoes", 1 },
	{ "potato", "potatoes", 1 }, { "carrot", "carrots", 1 },
	{ "banana", "bananas", 1 }, { "avocado", "avocados", 1 },
	{ "apple", "apples", 1 }, { "shallot", "shallots", 1 },
	{ "tortilla", "tortillas", 1 }, { "fillet", "fillets", 1 },
	{ "breast", "breasts", 1 }, { "chicken", "chickens", 1 },
	{ "chili", "chilies", 1 }, { "jalapeño", "jalapeños", 1 },
	{ "eggplant", "eggplants", 1 }, { "mango", "mangoes", 1 },
	{ "zucchini", "zucchini", 1 }, { "can", "cans", 1 },
	{ "slice", "slices", 1 }, { "sprig", "sprigs", 1 },
	{ "pod", "pods", 1 }, { "cube", "cubes", 1 }, { "piece", "pieces", 1 },
	{ "stick", "sticks", 1 }, { "leaf", "leaves", 1 },
	{ "squash", "squashes", 1 },
	{ "cucumber", "cucumbers", 0 }, { "pepper", "peppers", 0 },
	{ "stalk", "stalks", 0 }, { "cup", "cups", 0 }, { "head", "heads", 0 },
	{ "handful", "handfuls", 0 }, { "pinch", "pinches", 0 },
	{ "bunch", "bunches", 0 },
};

static const char *const recipebook_adjectives[] = { "small", "medium", "large",
    "big", "ripe", "red", "green", "yellow", "white", "fresh", "frozen",
    "whole", "thick", "thin", "boneless", "skinless", "raw", "dried",
    "kaffir", "thai", "bird", "bell", "corn", "flat", "plum", "new",
    "baby", "spring", "sweet", "bay", "firm", "heaped", "level" };

static int
recipebook_noun_index(const char *w, size_t len, int *plural)
{
	for (size_t i =
	    0; i < sizeof(recipebook_nouns) / sizeof(recipebook_nouns[0]); i++) {
		if (strlen(recipebook_nouns[i].one) == len &&
		    strncmp(recipebook_nouns[i].one, w, len) == 0) {
			*plural = 0;
			return (int)i;
		}
		if (strlen(recipebook_nouns[i].many) == len &&
		    strncmp(recipebook_nouns[i].many, w, len) == 0) {
			*plural = 1;
			return (int)i;
		}
	}
	return -1;
}

struct recipebook_noun {
	const char	*at;		/* start of the word in the line */
	size_t		 len;
	int		 idx;		/* in recipebook_nouns, -1 if none */
	int		 plural;
};

static size_t
recipebook_wordlen(const char *p)
{
	size_t n = 0;

	while (isalpha((unsigned char)p[n]) || (unsigned char)p[n] >= 0x80)
		n++;
	return n;
}

/* The counted noun after the quantity: "2 large eggs" -> eggs,
 * "2 egg yolks" -> yolks, "1 red bell pepper" -> pepper. */
static void
recipebook_find_noun(const char *p, struct recipebook_noun *nn)
{
	char low[32];
	size_t len;
	int plural, idx;

	nn->idx = -1;
	for (;;) {
		p += strspn(p, " ");
		if ((len = recipebook_wordlen(p)) == 0 || len >= sizeof(low))
			return;
		for (size_t i = 0; i < len; i++)
			low[i] = (char)tolower((unsigned char)p[i]);
		low[len] = '\0';
		if ((idx = recipebook_noun_index(low, len, &plural)) >= 0) {
			nn->at = p;
			nn->len = len;
			nn->idx = idx;
			nn->plural = plural;
		} else if (nn->idx >= 0 || !RECIPEBOOK_WORD_IN(low,
		    recipebook_adjectives))
			return;
		p += len;
	}
}

static int
recipebook_is_metric(const char *p)
{
	static const char *const units[] = { "g", "kg", "ml", "l", "litre",
	    "litres", "liter", "liters", "gram", "grams", "cm", "mm" };
	char w[16];
	size_t len;

	p += strspn(p, " ");
	len = recipebook_wordlen(p);
	if (len == 0 || len >= sizeof(w))
		return 0;
	memcpy(w, p, len);
	w[len] = '\0';
	return RECIPEBOOK_WORD_IN(w, units);
}

char *
recipebook_scale_ingredient(const char *line, int from, int to)
{
	const char *end, *rest;
	enum recipebook_qkind kind, kind2 = RECIPEBOOK_Q_INT;
	struct recipebook_noun nn;
	double v, v2 = 0, last;
	char q[32], q2[32] = "";
	struct buf b;

	if (from <= 0 || to <= 0 || (end = recipebook_parse_qty(line, &v,
	    &kind)) == NULL)
		return xstrdup(line);
	rest = end;
	if (*end == '-' && (rest = recipebook_parse_qty(end + 1, &v2,
	    &kind2)) == NULL)
		rest = end;
	recipebook_find_noun(rest, &nn);
	v = v * to / from;
	v2 = v2 * to / from;
	if (nn.idx >= 0 && recipebook_nouns[nn.idx].whole &&
	    kind == RECIPEBOOK_Q_INT) {
		v = recipebook_max(1, recipebook_round(v));
		v2 = v2 > 0 ? recipebook_max(v, recipebook_round(v2)) : 0;
	}
	recipebook_fmt_qty(v, recipebook_is_metric(rest), kind, q, sizeof(q));
	if (rest != end)
		recipebook_fmt_qty(v2, recipebook_is_metric(rest), kind2, q2,
		    sizeof(q2));
	last = v2 > 0 ? v2 : v;
	buf_init(&b, SIZE_MAX);
	recipebook_cat(&b, "%s%s%s", q, *q2 ? "-" : "", q2);
	if (nn.idx < 0 || nn.plural == (last > 1))
		recipebook_cat(&b, "%s", rest);
	else
		recipebook_cat(&b, "%.*s%s%s", (int)(nn.at - rest), rest,
		    last > 1 ?
		    recipebook_nouns[nn.idx].many :
		    recipebook_nouns[nn.idx].one,
		    nn.at + nn.len);
	return buf_take(&b);
}

/* ---- Rendering -------------------------------------------------------- */

static void
recipebook_cat_time(struct buf *b, int minutes)
{
	int h = minutes / 60, m = minutes % 60;

	if (h == 0) {
		recipebook_cat(b, "%d minutes", m);
		return;
	}
	recipebook_cat(b, "%d hour%s", h, h == 1 ? "" : "s");
	if (m > 0)
		recipebook_cat(b, " %d minutes", m);
}

static void
recipebook_cat_tags(struct buf *b, unsigned tags)
{
	static const unsigned shown = RECIPEBOOK_TAG_VEGAN |
	    RECIPEBOOK_TAG_VEGETARIAN | RECIPEBOOK_TAG_GLUTEN_FREE |
	    RECIPEBOOK_TAG_DAIRY_FREE | RECIPEBOOK_TAG_LOW_CARB |
	    RECIPEBOOK_TAG_HIGH_PROTEIN | RECIPEBOOK_TAG_SPICY;
	const char *sep = " · ";

	if (tags & RECIPEBOOK_TAG_VEGAN)
		tags &= ~RECIPEBOOK_TAG_VEGETARIAN;	/* implied */
	for (size_t i = 0; i < RECIPEBOOK_NTAGS; i++)
		if (tags & shown & (1u << i)) {
			recipebook_cat(b, "%s%s", sep, tag_names[i]);
			sep = ", ";
		}
}

static void
recipebook_render(struct buf *b, const struct recipebook_recipe *r,
    int servings)
{
	char *line;

	recipebook_cat(b, "## %s\n\n%s\n\n*Serves %d", r->name, r->description,
	    servings);
	if (servings != r->servings)
		recipebook_cat(b, " (scaled from %d)", r->servings);
	recipebook_cat(b, " · Ready in ");
	recipebook_cat_time(b, r->time_minutes);
	recipebook_cat_tags(b, r->tags);
	recipebook_cat(b, "*\n\n### Ingredients\n\n");
	for (size_t i = 0; i < r->n_ingredients; i++) {
		line = recipebook_scale_ingredient(r->ingredients[i],
		    r->servings, servings);
		recipebook_cat(b, "- %s\n", line);
		free(line);
	}
	recipebook_cat(b, "\n### Instructions\n\n");
	for (size_t i = 0; i < r->n_steps; i++)
		recipebook_cat(b, "%zu. %s\n", i + 1, r->steps[i]);
}

/* "I couldn't find ... that is vegan, ready in 10 minutes or less and
 * without mushroom." */
static void
recipebook_render_no_match(struct buf *b, const struct recipebook_query *q)
{
	const char *sep = "";

	recipebook_cat(b,
	    "I couldn't find a recipe in my offline collection that "
	    "matches all of: ");
	for (size_t i = 0; i < RECIPEBOOK_NTAGS; i++)
		if (q->need & (1u << i)) {
			recipebook_cat(b, "%s%s", sep, tag_names[i]);
			sep = ", ";
		}
	for (size_t i = 0; i < RECIPEBOOK_NTAGS; i++)
		if (q->avoid & (1u << i)) {
			recipebook_cat(b, "%snot %s", sep, tag_names[i]);
			sep = ", ";
		}
	if (q->max_minutes > 0) {
		recipebook_cat(b, "%sready in %d minutes or less", sep,
		    q->max_minutes);
		sep = ", ";
	}
	for (size_t i = 0; i < q->n_exclude; i++) {
		recipebook_cat(b, "%swithout %s", sep, q->exclude[i]);
		sep = ", ";
	}
	recipebook_cat(b, ". Here is the closest one I have.\n\n");
}

/* ---- Replying --------------------------------------------------------- */

static void
recipebook_scores(const struct recipebook *rb, const struct recipebook_msg *m,
    size_t nm,
    const struct recipebook_query *q, struct recipebook_scored *s)
{
	for (size_t i = 0; i < rb->n; i++) {
		s->score[i] = 0;
		for (size_t k = 0; k < nm; k++)
			s->score[i] += m[k].weight *
			    recipebook_score_msg(&rb->v[i], q, m[k].stem);
		s->fails[i] = recipebook_failures(&rb->v[i], q);
	}
}

/* Index of the recipe to send; *kind says whether it passed the filters. */
static size_t
recipebook_decide(const struct recipebook *rb,
    const struct recipebook_scored *s,
    const struct recipebook_query *q, const char *latest,
    enum recipebook_kind *kind)
{
	/* No latest message hashes like an empty one. */
	uint32_t h = latest != NULL ? hash_fnv32(latest, strlen(latest),
	    HASH_FNV32_INIT) : HASH_FNV32_INIT;
	long i;

	*kind = RECIPEBOOK_RECIPE;
	i = recipebook_pick(rb->n, s, q->followup, h);
	if (i < 0 && q->followup)
		i = recipebook_pick(rb->n, s, 0, h);
	if (i >= 0)
		return (size_t)i;
	*kind = RECIPEBOOK_NO_MATCH;
	return recipebook_closest(rb->n, s);
}

static const char *
recipebook_latest_user(const struct llm_message *msgs, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (msgs[i - 1].role != NULL && msgs[i - 1].content != NULL &&
		    strcmp(msgs[i - 1].role, "user") == 0)
			return msgs[i - 1].content;
	return "";
}

static char *
recipebook_finish(struct buf *b, struct recipebook_choice *choice,
    struct recipebook_choice c)
{
	if (choice != NULL)
		*choice = c;
	if (b->len > RECIPEBOOK_MAX_REPLY) {
		buf_cleanup(b);
		return NULL;
	}
	return buf_take(b);
}

static void
recipebook_answer(const struct recipebook *rb, const struct llm_message *msgs,
    size_t n, struct buf *b, struct recipebook_choice *c)
{
	struct recipebook_msg m[RECIPEBOOK_MAX_USER_MSGS];
	struct recipebook_scored s;
	struct recipebook_query q;
	const struct recipebook_recipe *r;
	size_t nm, i;

	nm = recipebook_user_msgs(msgs, n, m);
	recipebook_build_query(&q, m, nm);
	s.score = xcalloc(rb->n, sizeof(*s.score));
	s.fails = xcalloc(rb->n, sizeof(*s.fails));
	s.given = xcalloc(rb->n, 1);
	recipebook_mark_given(rb, msgs, n, s.given);
	recipebook_scores(rb, m, nm, &q, &s);
	i = recipebook_decide(rb, &s, &q, recipebook_latest_user(msgs, n),
	    &c->kind);
	r = &rb->v[i].pub;
	c->recipe_id = r->id;
	c->servings = q.servings > 0 ? q.servings : r->servings;
	if (c->kind == RECIPEBOOK_NO_MATCH)
		recipebook_render_no_match(b, &q);
	recipebook_render(b, r, c->servings);
	for (size_t k = 0; k < nm; k++) {
		free(m[k].plain);
		free(m[k].stem);
	}
	free(s.score);
	free(s.fails);
	free(s.given);
	recipebook_query_cleanup(&q);
}

char *
recipebook_reply(const struct recipebook *rb, const struct llm_message *msgs,
    size_t n, struct recipebook_choice *choice)
{
	struct recipebook_choice c = { RECIPEBOOK_REFUSED, NULL, 0 };
	struct buf b;
	enum recipebook_unsafe why;
	char *plain;

	buf_init(&b, SIZE_MAX);
	plain = recipebook_norm(recipebook_latest_user(msgs, n),
	    RECIPEBOOK_MAX_ANALYZE, 0);
	why = recipebook_unsafe(plain);
	free(plain);
	if (why != RECIPEBOOK_SAFE)
		recipebook_cat(&b, "%s", refusal_text[why]);
	else
		recipebook_answer(rb, msgs, n, &b, &c);
	return recipebook_finish(&b, choice, c);
}
