/* test_recipebook.c - the shipped recipe collection and the offline
 * model's replies: data invariants, table cases from
 * tests/data/recipe_queries.test, filters, follow-ups, refusals, Markdown
 * shape, scaling and bad data files. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recipebook.h"
#include "testutil.h"

#define MAX_TURNS	16

static struct recipebook *book;

static int
setup_book(void **state)
{
	char path[1024], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/../../data/recipes.json",
	    testutil_data_dir());
	if (recipebook_load(path, &book, err, sizeof(err)) == -1) {
		fprintf(stderr, "cannot load %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static int
teardown_book(void **state)
{
	(void)state;
	recipebook_free(book);
	book = NULL;
	return 0;
}

/* A conversation under construction: strings are owned. */
struct convo {
	struct llm_message	 m[MAX_TURNS];
	char			*own[MAX_TURNS];
	size_t			 n;
};

/* Append a turn; the conversation takes ownership of content. */
static void
convo_take(struct convo *c, const char *role, char *content)
{
	assert_true(c->n < MAX_TURNS);
	c->own[c->n] = content;
	c->m[c->n].role = role;
	c->m[c->n].content = content;
	c->n++;
}

static void
convo_add(struct convo *c, const char *role, const char *content)
{
	convo_take(c, role, strdup(content));
}

static void
convo_init(struct convo *c)
{
	memset(c, 0, sizeof(*c));
	convo_add(c, "system", "You are an expert chef. Answer in Markdown.");
}

static void
convo_cleanup(struct convo *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->own[i]);
}

/* Add the user turn, then the book's reply as the assistant turn. */
static char *
convo_ask(struct convo *c, const char *user, struct recipebook_choice *ch)
{
	char *reply;

	convo_add(c, "user", user);
	reply = recipebook_reply(book, c->m, c->n, ch);
	assert_non_null(reply);
	convo_take(c, "assistant", reply);
	return reply;
}

/* Whole-word search in a lower-cased copy: "egg" is not in "eggplant". */
static int
has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	char *low = strdup(text);
	const char *p;
	int found = 0;

	for (char *q = low; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	for (p = strstr(low, word); p != NULL && !found;
	    p = strstr(p + 1, word))
		found = (p == low || !isalpha((unsigned char)p[-1])) &&
		    !isalpha((unsigned char)p[wl]) &&
		    !(p[wl] == 's' && isalpha((unsigned char)p[wl + 1]));
	free(low);
	return found;
}

/* An ingredient line with the allowed look-alikes removed. */
static char *
strip_allowed(const char *line, const char *const *allowed)
{
	char *s = strdup(line), *p;

	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	for (; *allowed != NULL; allowed++)
		while ((p = strstr(s, *allowed)) != NULL)
			memset(p, '_', strlen(*allowed));
	return s;
}

static void
check_forbidden(unsigned tag, const char *const *forbidden,
    const char *const *allowed)
{
	const struct recipebook_recipe *r;
	char *line;

	for (size_t i = 0; (r = recipebook_get(book, i)) != NULL; i++) {
		if (!(r->tags & tag))
			continue;
		for (size_t j = 0; j < r->n_ingredients; j++) {
			line = strip_allowed(r->ingredients[j], allowed);
			for (size_t k = 0; forbidden[k] != NULL; k++)
				if (has_word(line, forbidden[k])) {
					fprintf(stderr, "%s: \"%s\" has %s\n",
					    r->id, r->ingredients[j],
					    forbidden[k]);
					fail();
				}
			free(line);
		}
	}
}

static const char *const animal[] = { "chicken", "beef", "pork", "lamb",
    "bacon", "ham", "guanciale", "pancetta", "fish", "salmon", "tuna",
    "cod", "shrimp", "prawn", "anchovy", "gelatin", "fish sauce",
    "oyster sauce", "worcestershire", "stock", NULL };
static const char *const plant_ok[] = { "vegetable stock", "peanut butter",
    "almond milk", "oat milk", "soy milk", "coconut milk", "cream of tartar",
    "dairy-free", "nutritional yeast", NULL };

static void
test_vegetarian_has_no_meat(void **state)
{
	(void)state;
	check_forbidden(RECIPEBOOK_TAG_VEGETARIAN, animal, plant_ok);
}

static void
test_vegan_has_no_animal_products(void **state)
{
	static const char *const more[] = { "butter", "milk", "cream",
	    "cheese", "egg", "honey", "yogurt", "ghee", "parmesan",
	    "mozzarella", "feta", "cheddar", "mascarpone", "pecorino", "yolk",
	    "mayonnaise", "chicken", "beef", "pork", "fish", "shrimp",
	    "gelatin", "anchovy", "fish sauce", "stock", NULL };

	(void)state;
	check_forbidden(RECIPEBOOK_TAG_VEGAN, more, plant_ok);
}

static void
test_gluten_free_has_no_gluten(void **state)
{
	static const char *const gluten[] = { "flour", "wheat", "bulgur",
	    "bread", "spaghetti", "penne", "macaroni", "pasta", "soy sauce",
	    "barley", "baguette", "brioche", "ladyfinger", "couscous",
	    "oyster sauce", "worcestershire", "egg noodles", "sourdough",
	    "ditalini", NULL };
	static const char *const ok[] = { "rice noodles", "corn tortillas",
	    NULL };

	(void)state;
	check_forbidden(RECIPEBOOK_TAG_GLUTEN_FREE, gluten, ok);
}

static void
test_dairy_free_has_no_dairy(void **state)
{
	static const char *const dairy[] = { "butter", "milk", "cream",
	    "cheese", "yogurt", "ghee", "parmesan", "mozzarella", "feta",
	    "cheddar", "mascarpone", "pecorino", "gruyère", NULL };

	(void)state;
	check_forbidden(RECIPEBOOK_TAG_DAIRY_FREE, dairy, plant_ok);
}

/* Count, quick times, and both temperature scales wherever there is heat. */
static void
test_collection_shape(void **state)
{
	const struct recipebook_recipe *r;

	(void)state;
	assert_true(recipebook_count(book) >= 45);
	for (size_t i = 0; (r = recipebook_get(book, i)) != NULL; i++) {
		assert_ptr_equal(recipebook_find(book, r->id), r);
		if (r->tags & RECIPEBOOK_TAG_QUICK)
			assert_true(r->time_minutes <= 30);
		if (r->tags & RECIPEBOOK_TAG_VEGAN)
			assert_true(r->tags & RECIPEBOOK_TAG_VEGETARIAN);
		for (size_t j = 0; j < r->n_steps; j++) {
			if (strstr(r->steps[j], "°C") != NULL &&
			    strstr(r->steps[j], "°F") == NULL)
				fail_msg("%s step %zu: °C without °F", r->id,
				    j + 1);
			if ((strstr(r->steps[j], "Heat the oven") != NULL ||
			    strstr(r->steps[j], "Heat the grill") != NULL) &&
			    strstr(r->steps[j], "°C") == NULL)
				fail_msg("%s step %zu: oven without temperature",
				    r->id, j + 1);
		}
		assert_true(r->servings >= 1 && r->n_ingredients >= 1);
	}
	assert_null(recipebook_get(book, recipebook_count(book)));
	assert_null(recipebook_find(book, "no-such-recipe"));
}

/* ---- Table cases ----------------------------------------------------- */

static void
run_case(const char *turns, const char *expect, int lineno)
{
	struct recipebook_choice ch;
	struct convo c;
	char *copy = strdup(turns), *save = NULL, *t, *reply = NULL;
	const struct recipebook_recipe *r;

	convo_init(&c);
	for (t = strtok_r(copy, ">", &save); t != NULL;
	    t = strtok_r(NULL, ">", &save)) {
		while (*t == ' ')
			t++;
		while (*t != '\0' && t[strlen(t) - 1] == ' ')
			t[strlen(t) - 1] = '\0';
		if (*t == '\0')
			continue;
		free(reply);
		reply = strdup(convo_ask(&c, t, &ch));
	}
	if (strcmp(expect, "!refuse") == 0) {
		if (ch.kind != RECIPEBOOK_REFUSED || ch.recipe_id != NULL)
			fail_msg("line %d: \"%s\": expected a refusal, got %s",
			    lineno, turns, ch.recipe_id);
	} else if (strncmp(expect, "!nomatch ", 9) == 0) {
		if (ch.kind != RECIPEBOOK_NO_MATCH ||
		    strcmp(ch.recipe_id, expect + 9) != 0)
			fail_msg("line %d: \"%s\": expected no match and %s, "
			    "got kind %d %s", lineno, turns, expect + 9,
			    ch.kind, ch.recipe_id);
		assert_non_null(strstr(reply, "couldn't find"));
	} else {
		if (ch.kind != RECIPEBOOK_RECIPE || ch.recipe_id == NULL ||
		    strcmp(ch.recipe_id, expect) != 0)
			fail_msg("line %d: \"%s\": expected %s, got kind %d %s",
			    lineno, turns, expect, ch.kind, ch.recipe_id);
		r = recipebook_find(book, expect);
		assert_non_null(r);
		assert_int_equal(strncmp(reply, "## ", 3), 0);
		assert_int_equal(strncmp(reply + 3, r->name, strlen(r->name)), 0);
	}
	free(reply);
	free(copy);
	convo_cleanup(&c);
}

static void
test_query_table(void **state)
{
	struct testutil_table t;
	char *line, *sep;
	int cases = 0;

	(void)state;
	/* Rows are "query => expectation", not tab-separated. */
	testutil_table_open(&t, "recipe_queries.test");
	while (testutil_next_case(&t, &line, 1) > 0) {
		sep = strstr(line, " => ");
		if (sep == NULL)
			fail_msg("line %d: no \" => \"", t.lineno);
		*sep = '\0';
		run_case(line, sep + 4, t.lineno);
		cases++;
	}
	testutil_table_close(&t);
	assert_true(cases >= 90);
}

/* ---- Behaviour ------------------------------------------------------- */

static void
test_filters(void **state)
{
	const struct recipebook_recipe *r;
	struct recipebook_choice ch;
	struct convo c;

	(void)state;
	convo_init(&c);
	convo_ask(&c, "vegan pasta", &ch);
	r = recipebook_find(book, ch.recipe_id);
	assert_non_null(r);
	assert_true(r->tags & RECIPEBOOK_TAG_VEGAN);
	assert_true(has_word(r->ingredients[0], "spaghetti") ||
	    has_word(r->ingredients[0], "penne"));
	convo_ask(&c, "gluten-free dessert", &ch);
	r = recipebook_find(book, ch.recipe_id);
	assert_true(r->tags & RECIPEBOOK_TAG_GLUTEN_FREE);
	assert_true(r->tags & RECIPEBOOK_TAG_DESSERT);
	/* Filters carry over: still vegan. */
	assert_true(r->tags & RECIPEBOOK_TAG_VEGAN);
	convo_cleanup(&c);

	convo_init(&c);
	convo_ask(&c, "a quick dinner, under 20 minutes please", &ch);
	r = recipebook_find(book, ch.recipe_id);
	assert_true(r->time_minutes <= 20);
	convo_cleanup(&c);

	convo_init(&c);
	convo_ask(&c, "something with chicken but no dairy", &ch);
	r = recipebook_find(book, ch.recipe_id);
	assert_true(r->tags & RECIPEBOOK_TAG_DAIRY_FREE);
	assert_true(has_word(r->name, "chicken"));
	convo_cleanup(&c);
}

static void
test_followup_gives_another(void **state)
{
	struct recipebook_choice a, b, d;
	struct convo c;
	char *first;

	(void)state;
	convo_init(&c);
	first = strdup(convo_ask(&c, "chocolate dessert", &a));
	convo_ask(&c, "another one", &b);
	convo_ask(&c, "something else please", &d);
	assert_string_not_equal(a.recipe_id, b.recipe_id);
	assert_string_not_equal(b.recipe_id, d.recipe_id);
	assert_string_not_equal(a.recipe_id, d.recipe_id);
	assert_true(recipebook_find(book, b.recipe_id)->tags &
	    RECIPEBOOK_TAG_DESSERT);
	free(first);
	convo_cleanup(&c);
}

static void
test_deterministic(void **state)
{
	const char *qs[] = { "vegan pasta", "hello there", "what's for dinner?",
	    "surprise me", "something with tofu for 3" };
	struct recipebook_choice c1, c2;
	struct convo c;
	char *r1, *r2;

	(void)state;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		convo_init(&c);
		convo_add(&c, "user", qs[i]);
		r1 = recipebook_reply(book, c.m, c.n, &c1);
		r2 = recipebook_reply(book, c.m, c.n, &c2);
		assert_string_equal(r1, r2);
		assert_string_equal(c1.recipe_id, c2.recipe_id);
		free(r1);
		free(r2);
		convo_cleanup(&c);
	}
	/* No user message at all still yields a recipe. */
	convo_init(&c);
	r1 = recipebook_reply(book, c.m, c.n, NULL);
	assert_int_equal(strncmp(r1, "## ", 3), 0);
	free(r1);
	convo_cleanup(&c);
}

static void
test_refusal(void **state)
{
	const char *qs[] = { "how long should I marinate raw chicken to eat "
	    "it raw", "Is it ok to eat raw cookie dough?", "a cake with a "
	    "little bleach", "how to cook fugu at home", "poison" };
	struct recipebook_choice ch;
	struct convo c;
	char *r;

	(void)state;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		convo_init(&c);
		r = convo_ask(&c, qs[i], &ch);
		assert_int_equal(ch.kind, RECIPEBOOK_REFUSED);
		assert_null(ch.recipe_id);
		assert_int_equal(ch.servings, 0);
		assert_null(strstr(r, "##"));
		assert_non_null(strstr(r, "can't help"));
		assert_true(recipebook_count_words(r) < 60);
		convo_cleanup(&c);
	}
	/* Only the latest message counts: the conversation can go on. */
	convo_init(&c);
	convo_ask(&c, "raw chicken sashimi", &ch);
	convo_ask(&c, "ok, a roast chicken then", &ch);
	assert_int_equal(ch.kind, RECIPEBOOK_RECIPE);
	assert_string_equal(ch.recipe_id, "roast-chicken");
	convo_cleanup(&c);
}

static void
test_markdown_shape(void **state)
{
	const struct recipebook_recipe *r;
	struct recipebook_choice ch;
	struct convo c;
	const char *reply, *ing, *ins, *p;
	char num[32];

	(void)state;
	convo_init(&c);
	reply = convo_ask(&c, "tom yum soup", &ch);
	r = recipebook_find(book, ch.recipe_id);
	assert_int_equal(strncmp(reply, "## Tom Yum Goong\n\n", 18), 0);
	assert_non_null(strstr(reply, r->description));
	assert_non_null(strstr(reply, "*Serves 2 · Ready in 25 minutes"));
	ing = strstr(reply, "\n### Ingredients\n\n- ");
	ins = strstr(reply, "\n### Instructions\n\n1. ");
	assert_non_null(ing);
	assert_non_null(ins);
	assert_true(ing < ins);
	for (size_t i = 0; i < r->n_steps; i++) {
		snprintf(num, sizeof(num), "\n%zu. ", i + 1);
		assert_non_null(strstr(ins, num));
	}
	assert_non_null(strstr(reply, "- 700 ml chicken stock\n"));
	assert_non_null(strstr(reply, "°C (145 °F)"));
	/* No follow-up questions. */
	for (p = reply; (p = strchr(p, '?')) != NULL; p++)
		assert_false(p[1] == '\n' || p[1] == '\0');
	assert_int_equal(reply[strlen(reply) - 1], '\n');
	convo_cleanup(&c);
}

static void
test_servings_in_reply(void **state)
{
	struct recipebook_choice ch;
	struct convo c;
	const char *reply;

	(void)state;
	convo_init(&c);
	reply = convo_ask(&c, "shakshuka for 4", &ch);
	assert_int_equal(ch.servings, 4);
	assert_non_null(strstr(reply, "*Serves 4 (scaled from 2)"));
	assert_non_null(strstr(reply, "- 8 eggs\n"));
	assert_non_null(strstr(reply, "- 2 onions, thinly sliced\n"));
	assert_non_null(strstr(reply, "- 1/2 tsp chili flakes\n"));
	assert_non_null(strstr(reply, "- 800 g canned chopped tomatoes\n"));
	/* The next turn keeps the size. */
	reply = convo_ask(&c, "another egg dish", &ch);
	assert_int_equal(ch.servings, 4);
	convo_cleanup(&c);

	convo_init(&c);
	reply = convo_ask(&c, "carbonara for six people", &ch);
	assert_int_equal(ch.servings, 6);
	assert_non_null(strstr(reply, "- 600 g spaghetti\n"));
	assert_non_null(strstr(reply, "- 6 egg yolks\n"));
	convo_cleanup(&c);

	convo_init(&c);
	reply = convo_ask(&c, "a risotto that serves 1", &ch);
	assert_int_equal(ch.servings, 1);
	assert_non_null(strstr(reply, "- 1/2 tbsp butter\n"));
	convo_cleanup(&c);

	/* A time is not a number of people. */
	convo_init(&c);
	convo_ask(&c, "carbonara, I can cook for 30 minutes", &ch);
	assert_int_equal(ch.servings, 2);
	convo_cleanup(&c);
}

static void
test_scale_ingredient(void **state)
{
	static const struct {
		const char *in;
		int from, to;
		const char *out;
	} t[] = {
		{ "1/2 tsp salt", 2, 6, "1 1/2 tsp salt" },
		{ "1/2 tsp salt", 2, 4, "1 tsp salt" },
		{ "1/4 tsp salt", 2, 1, "1/8 tsp salt" },
		{ "1 1/2 cups water", 2, 1, "3/4 cup water" },
		{ "3/4 cup sugar", 2, 4, "1 1/2 cups sugar" },
		{ "1 egg", 2, 4, "2 eggs" },
		{ "2 eggs, beaten", 2, 1, "1 egg, beaten" },
		{ "3 eggs", 2, 1, "2 eggs" },
		{ "2 egg yolks", 2, 1, "1 egg yolk" },
		{ "1 red bell pepper, sliced", 2, 4,
		    "2 red bell peppers, sliced" },
		{ "1/2 onion, chopped", 2, 4, "1 onion, chopped" },
		{ "1/2 onion, chopped", 2, 8, "2 onions, chopped" },
		{ "200 g spaghetti", 2, 3, "300 g spaghetti" },
		{ "115 g butter", 12, 4, "38 g butter" },
		{ "150 g flour", 2, 3, "225 g flour" },
		{ "250 g sugar", 2, 3, "375 g sugar" },
		{ "400 g tomatoes", 2, 3, "600 g tomatoes" },
		{ "5 g yeast", 2, 3, "7.5 g yeast" },
		{ "1.6 kg chicken", 4, 2, "0.8 kg chicken" },
		{ "2-3 tbsp oil", 2, 4, "4-6 tbsp oil" },
		{ "1 can (400 g) beans", 2, 4, "2 cans (400 g) beans" },
		{ "Salt and pepper, to taste", 2, 4,
		    "Salt and pepper, to taste" },
		{ "1 pinch salt", 2, 6, "3 pinches salt" },
		{ "2 tbsp oil", 2, 2, "2 tbsp oil" },
		{ "2 tbsp oil", 0, 2, "2 tbsp oil" },
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = recipebook_scale_ingredient(t[i].in, t[i].from, t[i].to);
		if (strcmp(s, t[i].out) != 0)
			fail_msg("\"%s\" %d->%d: want \"%s\", got \"%s\"",
			    t[i].in, t[i].from, t[i].to, t[i].out, s);
		free(s);
	}
}

static void
test_count_words(void **state)
{
	(void)state;
	assert_int_equal(recipebook_count_words(NULL), 0);
	assert_int_equal(recipebook_count_words(""), 0);
	assert_int_equal(recipebook_count_words("   \n\t "), 0);
	assert_int_equal(recipebook_count_words("one"), 1);
	assert_int_equal(recipebook_count_words("  two\twords\n"), 2);
	assert_int_equal(recipebook_count_words("## Title\n\n- 1 egg"), 5);
}

static void
test_tag_bit(void **state)
{
	(void)state;
	assert_int_equal(recipebook_tag_bit("vegan"), RECIPEBOOK_TAG_VEGAN);
	assert_int_equal(recipebook_tag_bit("gluten-free"),
	    RECIPEBOOK_TAG_GLUTEN_FREE);
	assert_int_equal(recipebook_tag_bit("budget"), RECIPEBOOK_TAG_BUDGET);
	assert_int_equal(recipebook_tag_bit("Vegan"), 0);
	assert_int_equal(recipebook_tag_bit("paleo"), 0);
}

/* ---- Bad data --------------------------------------------------------- */

#define GOOD_A "{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", " \
	"\"tags\": [\"vegan\", \"vegetarian\"], \"keywords\": [\"k\"], " \
	"\"servings\": 2, \"time_minutes\": 10, \"ingredients\": [\"1 x\"], " \
	"\"steps\": [\"s\"]}"

static void
expect_bad(const char *json, const char *want1, const char *want2)
{
	struct recipebook *rb = (struct recipebook *)&rb;
	char err[512] = "";

	if (recipebook_parse(json, strlen(json), &rb, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", json);
	assert_null(rb);
	if (strstr(err, want1) == NULL || strstr(err, want2) == NULL)
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, want1,
		    want2);
}

static void
test_bad_data(void **state)
{
	(void)state;
	expect_bad("{not json", "not valid JSON", "");
	expect_bad("", "not valid JSON", "end of input");
	expect_bad("[" GOOD_A "] x", "not valid JSON", "");
	expect_bad("{\"recipes\": []}", "top level must be an array", "");
	expect_bad("[]", "expected 1 to", "found 0");
	expect_bad("[" GOOD_A ", 3]", "recipe 1:", "must be an object");
	expect_bad("[" GOOD_A ", {\"name\": \"B\"}]", "recipe 1:",
	    "missing field \"id\"");
	expect_bad("[" GOOD_A ", {\"id\": \"b\", \"name\": \"B\"}]",
	    "recipe 1 (id \"b\")", "missing field \"description\"");
	expect_bad("[" GOOD_A ", " GOOD_A "]", "recipe 1 (id \"a\")",
	    "duplicate id");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [\"spicy-ish\"]}]", "recipe 0 (id \"a\")",
	    "unknown tag \"spicy-ish\"");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [], \"keywords\": []}]",
	    "recipe 0 (id \"a\")", "\"keywords\" must have 1 to");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [\"quick\"], \"keywords\": [\"k\"], \"servings\": \"2\"}]",
	    "recipe 0", "\"servings\" must be a whole number");
	expect_bad("[{\"id\": \"A b\", \"name\": \"A\"}]", "recipe 0",
	    "slug");
	expect_bad("[{\"id\": \"a\", \"name\": 5}]", "recipe 0",
	    "\"name\" must be a string");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": "
	    "\"two\\nlines\"}]", "recipe 0", "one line");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [\"vegan\"], \"keywords\": [\"k\"], \"servings\": 2, "
	    "\"time_minutes\": 10, \"ingredients\": [\"x\"], \"steps\": "
	    "[\"s\"]}]", "recipe 0", "also be tagged vegetarian");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [\"quick\"], \"keywords\": [\"k\"], \"servings\": 2, "
	    "\"time_minutes\": 45, \"ingredients\": [\"x\"], \"steps\": "
	    "[\"s\"]}]", "recipe 0", "quick");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [], \"keywords\": [\"k\"], \"servings\": 0}]",
	    "recipe 0", "out of range");
	expect_bad("[{\"id\": \"a\", \"name\": \"A\", \"description\": \"d\", "
	    "\"tags\": [], \"keywords\": [\"k\"], \"servings\": 2, "
	    "\"time_minutes\": 10, \"ingredients\": [\"x\", 7]}]",
	    "recipe 0", "\"ingredients\" must hold only strings");
}

static void
test_good_minimal(void **state)
{
	const char *json = "[" GOOD_A "]";
	struct recipebook *rb;
	const struct recipebook_recipe *r;
	char err[256];

	(void)state;
	assert_int_equal(recipebook_parse(json, strlen(json), &rb, err,
	    sizeof(err)), 0);
	assert_int_equal(recipebook_count(rb), 1);
	r = recipebook_get(rb, 0);
	assert_string_equal(r->id, "a");
	assert_int_equal(r->tags, RECIPEBOOK_TAG_VEGAN |
	    RECIPEBOOK_TAG_VEGETARIAN);
	assert_int_equal(r->n_ingredients, 1);
	recipebook_free(rb);
}

static void
test_bad_files(void **state)
{
	char path[] = "/tmp/test_recipebook.XXXXXX", err[512];
	struct recipebook *rb;
	FILE *fp;
	int fd;

	(void)state;
	assert_int_equal(recipebook_load("/nonexistent/recipes.json", &rb, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/recipes.json: "));
	assert_non_null(strstr(err, "No such file"));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("[" GOOD_A ", {\"id\": \"b\", \"name\": \"B\", \"description\": "
	    "\"d\", \"tags\": [], \"keywords\": [\"k\"], \"servings\": 2, "
	    "\"time_minutes\": 5, \"ingredients\": [\"x\"]}]", fp);
	fclose(fp);
	assert_int_equal(recipebook_load(path, &rb, err, sizeof(err)), -1);
	assert_null(rb);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "recipe 1 (id \"b\"): missing field "
	    "\"steps\""));

	fp = fopen(path, "w");
	fputs("Not JSON at all", fp);
	fclose(fp);
	assert_int_equal(recipebook_load(path, &rb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not valid JSON"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest book_tests[] = {
		cmocka_unit_test(test_collection_shape),
		cmocka_unit_test(test_vegetarian_has_no_meat),
		cmocka_unit_test(test_vegan_has_no_animal_products),
		cmocka_unit_test(test_gluten_free_has_no_gluten),
		cmocka_unit_test(test_dairy_free_has_no_dairy),
		cmocka_unit_test(test_query_table),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_followup_gives_another),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_markdown_shape),
		cmocka_unit_test(test_servings_in_reply),
	};
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_scale_ingredient),
		cmocka_unit_test(test_count_words),
		cmocka_unit_test(test_tag_bit),
		cmocka_unit_test(test_bad_data),
		cmocka_unit_test(test_good_minimal),
		cmocka_unit_test(test_bad_files),
	};
	int rc;

	rc = cmocka_run_group_tests_name("recipebook_collection", book_tests,
	    setup_book, teardown_book);
	rc += cmocka_run_group_tests_name("recipebook_units", unit_tests,
	    NULL, NULL);
	return rc;
}
