/* config.h - settings read in one place, from the environment, through a
 * table of name -> default -> validator (redis createIntConfig style). */
#ifndef RC_CONFIG_H
#define RC_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum config_type {
	CONFIG_STR,	/* dst: const char ** (points at the environment or def) */
	CONFIG_INT,	/* dst: long long *, within [min, max] */
	CONFIG_BOOL,	/* dst: int *, from 0/1/true/false/yes/no/on/off */
};

struct config_entry {
	const char		*name;	/* environment variable */
	const char		*def;	/* default text; NULL means unset */
	enum config_type	 type;
	long long		 min, max;
	void			*dst;
	const char		*help;
	/* Optional extra check of a string value; fills err, returns -1. */
	int			(*check)(const char *val, char *err, size_t errlen);
};

/* Read every entry of the table from the environment (empty counts as
 * unset). Returns 0, or -1 with "NAME: reason" in err for the first bad
 * value. */
int config_load(const struct config_entry *table, size_t n, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Print "  NAME  (default X)  help" lines for --help. Write errors are
 * the stream's. */
void config_usage(FILE *fp, const struct config_entry *table, size_t n);
/* Parse one decimal integer in [min, max] into *out. Returns 0, or -1
 * (*out unchanged) for anything else. */
int config_parse_int(const char *s, long long min, long long max,
    long long *out) __attribute__((warn_unused_result));
/* Parse a boolean word (0/1/true/false/yes/no/on/off) into *out.
 * Returns 0, or -1 (*out unchanged) for anything else. */
int config_parse_bool(const char *s, int *out)
	__attribute__((warn_unused_result));
/* An OpenTelemetry boolean such as OTEL_SDK_DISABLED, read as that
 * specification says: 1 for "true" in any case; 0 for "false", empty or
 * NULL; 0 with *unknown set to 1 for anything else (the caller warns and
 * keeps the default). */
int config_otel_bool(const char *val, int *unknown);
/* Check that a value is an http:// or https:// URL with a host (a
 * config_entry check). Returns 0, or -1 with the reason in err. */
int config_check_url(const char *val, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
