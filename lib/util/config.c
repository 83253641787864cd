/* config.c - environment settings through a validated table (config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
config_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	/* Digits only, with an optional '-': no white space, no '+'. */
	if (!(isdigit((unsigned char)*s) ||
	    (*s == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
config_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
config_otel_bool(const char *val, int *unknown)
{
	*unknown = 0;
	if (val == NULL || val[0] == '\0' || strcasecmp(val, "false") == 0)
		return 0;
	if (strcasecmp(val, "true") == 0)
		return 1;
	*unknown = 1;
	return 0;
}

int
config_check_url(const char *val, char *err, size_t errlen)
{
	const char *host;

	if (strncasecmp(val, "http://", 7) == 0)
		host = val + 7;
	else if (strncasecmp(val, "https://", 8) == 0)
		host = val + 8;
	else {
		snprintf(err, errlen, "must start with http:// or https://");
		return -1;
	}
	if (!isalnum((unsigned char)*host) && *host != '[') {
		snprintf(err, errlen, "has no host");
		return -1;
	}
	if (strpbrk(val, " \t\r\n") != NULL) {
		snprintf(err, errlen, "contains white space");
		return -1;
	}
	return 0;
}

static int
config_load_one(const struct config_entry *e, char *err, size_t errlen)
{
	const char *val = getenv(e->name);
	char why[160] = "";

	if (val == NULL || *val == '\0')
		val = e->def;
	switch (e->type) {
	case CONFIG_STR:
		if (val != NULL && e->check != NULL &&
		    e->check(val, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s", e->name, why);
			return -1;
		}
		*(const char **)e->dst = val;
		return 0;
	case CONFIG_INT:
		if (val == NULL)
			return 0;
		if (config_parse_int(val, e->min, e->max,
		    (long long *)e->dst) == -1) {
			snprintf(err, errlen, "%s: '%s' is not a whole number "
			    "from %lld to %lld", e->name, val, e->min, e->max);
			return -1;
		}
		return 0;
	case CONFIG_BOOL:
		if (val == NULL)
			return 0;
		if (config_parse_bool(val, (int *)e->dst) == -1) {
			snprintf(err, errlen, "%s: '%s' is not one of "
			    "0/1/true/false/yes/no/on/off", e->name, val);
			return -1;
		}
		return 0;
	}
	return -1;
}

int
config_load(const struct config_entry *table, size_t n, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (config_load_one(&table[i], err, errlen) == -1)
			return -1;
	return 0;
}

void
config_usage(FILE *fp, const struct config_entry *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(fp, "  %-28s %s", table[i].name,
		    table[i].help != NULL ? table[i].help : "");
		if (table[i].def != NULL)
			fprintf(fp, " (default: %s)", table[i].def);
		fputc('\n', fp);
	}
}
