/* recipebook.h - the offline recipe model: a validated recipe collection
 * (data/recipes.json, format in docs/offline-model.md) and deterministic
 * Markdown replies to a chat conversation. A loaded book is read-only, so
 * any number of threads may share it.
 * json-c: the book owns its parsed tree and releases it in recipebook_free;
 * recipe strings point into it. */
#ifndef RC_RECIPEBOOK_H
#define RC_RECIPEBOOK_H

#include <stddef.h>

#include "llm.h"

#define RECIPEBOOK_MAX_FILE	(4 * 1024 * 1024)	/* recipes.json */
#define RECIPEBOOK_MAX_RECIPES	1000
#define RECIPEBOOK_MAX_ITEMS	64	/* keywords, ingredients, steps */
#define RECIPEBOOK_MAX_STRING	1000	/* any one string of a recipe */
#define RECIPEBOOK_MAX_REPLY	(256 * 1024)	/* rendered Markdown */

/* Tag bits; recipebook_tag_bit maps the names used in the JSON. */
#define RECIPEBOOK_TAG_VEGAN		(1u << 0)
#define RECIPEBOOK_TAG_VEGETARIAN	(1u << 1)
#define RECIPEBOOK_TAG_GLUTEN_FREE	(1u << 2)
#define RECIPEBOOK_TAG_DAIRY_FREE	(1u << 3)
#define RECIPEBOOK_TAG_QUICK		(1u << 4)
#define RECIPEBOOK_TAG_HIGH_PROTEIN	(1u << 5)
#define RECIPEBOOK_TAG_LOW_CARB		(1u << 6)
#define RECIPEBOOK_TAG_DESSERT		(1u << 7)
#define RECIPEBOOK_TAG_BREAKFAST	(1u << 8)
#define RECIPEBOOK_TAG_SOUP		(1u << 9)
#define RECIPEBOOK_TAG_SALAD		(1u << 10)
#define RECIPEBOOK_TAG_SPICY		(1u << 11)
#define RECIPEBOOK_TAG_KID_FRIENDLY	(1u << 12)
#define RECIPEBOOK_TAG_ONE_POT		(1u << 13)
#define RECIPEBOOK_TAG_BUDGET		(1u << 14)

/* Quick recipes take at most this long; the loader checks it. */
#define RECIPEBOOK_QUICK_MINUTES	30

struct recipebook_recipe {
	const char	 *id;
	const char	 *name;
	const char	 *description;
	unsigned	  tags;		/* RECIPEBOOK_TAG_* bits */
	const char	**keywords;
	size_t		  n_keywords;
	int		  servings;
	int		  time_minutes;
	const char	**ingredients;	/* with measurements for servings */
	size_t		  n_ingredients;
	const char	**steps;
	size_t		  n_steps;
};

struct recipebook;

enum recipebook_kind {
	RECIPEBOOK_RECIPE,	/* the best recipe for the conversation */
	RECIPEBOOK_NO_MATCH,	/* nothing passed the filters: closest one */
	RECIPEBOOK_REFUSED,	/* unsafe request: a short refusal */
};

struct recipebook_choice {
	enum recipebook_kind	 kind;
	const char		*recipe_id;	/* into the book; NULL if refused */
	int			 servings;	/* as rendered; 0 if refused */
};

/* Read and validate a recipe file (at most RECIPEBOOK_MAX_FILE bytes).
 * Returns 0 with *out set, or -1 with a message in err naming the file
 * and, for bad data, the recipe index and id. Free with recipebook_free. */
int recipebook_load(const char *path, struct recipebook **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* The same from len bytes of JSON text in memory; err does not name a
 * file. Returns 0 with *out set (free with recipebook_free), or -1. */
int recipebook_parse(const char *text, size_t len, struct recipebook **out,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Free a book and everything its recipes point into; NULL is allowed. */
void recipebook_free(struct recipebook *rb);

/* The number of recipes. Cannot fail. */
size_t recipebook_count(const struct recipebook *rb);
/* The i-th recipe in file order, or NULL past the end. Points into the
 * book (not to be freed), valid until recipebook_free. */
const struct recipebook_recipe *recipebook_get(const struct recipebook *rb,
    size_t i);
/* The recipe with this id, or NULL. Points into the book, as above. */
const struct recipebook_recipe *recipebook_find(const struct recipebook *rb,
    const char *id);
/* The bit of a tag name ("gluten-free"), or 0 when the name is unknown.
 * Cannot fail. */
unsigned recipebook_tag_bit(const char *name);

/* Answer a conversation deterministically (matching rules in
 * docs/offline-model.md): a recipe in Markdown, the closest recipe with
 * a note when the dietary filters exclude everything, or a refusal for an
 * unsafe request. Fills *choice when not NULL. Returns the Markdown
 * (caller frees), or NULL if it would pass RECIPEBOOK_MAX_REPLY. */
char *recipebook_reply(const struct recipebook *rb,
    const struct llm_message *msgs, size_t n,
    struct recipebook_choice *choice);

/* One ingredient line with its leading quantity scaled from servings
 * `from` to `to` ("1/2 tsp salt", 2 -> 6: "1 1/2 tsp salt"); a line
 * without a leading number is copied. Never NULL (out of memory aborts);
 * caller frees. */
char *recipebook_scale_ingredient(const char *line, int from, int to);

/* The number of whitespace-separated words in s (0 for NULL), the token
 * count reported in the endpoint's usage. Cannot fail. */
size_t recipebook_count_words(const char *s);

#endif
