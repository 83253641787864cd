/* testutil.c - temporary directories and data-file tables for the unit
 * tests (see testutil.h). */
#define _GNU_SOURCE	/* getline, nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#ifndef TESTUTIL_DATA_DIR
#define TESTUTIL_DATA_DIR	"tests/data"
#endif
#define TESTUTIL_FDS		16	/* open directories nftw may hold */

char *
testutil_mkdtemp(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "/tmp/%s.XXXXXX", name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return mkdtemp(buf);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
testutil_rmtree(const char *dir)
{
	return nftw(dir, rm_entry, TESTUTIL_FDS, FTW_DEPTH | FTW_PHYS) == 0 ?
	    0 : -1;
}

const char *
testutil_data_dir(void)
{
	const char *dir = getenv("RC_TEST_DATA");

	return dir != NULL ? dir : TESTUTIL_DATA_DIR;
}

void
testutil_table_open(struct testutil_table *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	if (asprintf(&t->path, "%s/%s", testutil_data_dir(), name) == -1)
		fail_msg("%s: out of memory", name);
	if ((t->fp = fopen(t->path, "r")) == NULL)
		fail_msg("cannot open %s: %s (set RC_TEST_DATA)", t->path,
		    strerror(errno));
}

void
testutil_table_close(struct testutil_table *t)
{
	if (t->fp != NULL)
		fclose(t->fp);
	free(t->line);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int
testutil_next_case(struct testutil_table *t, char **fields, int max_fields)
{
	char *p;
	int n;

	do {
		if (getline(&t->line, &t->cap, t->fp) == -1)
			return 0;
		t->lineno++;
		t->line[strcspn(t->line, "\n")] = '\0';
	} while (t->line[0] == '\0' || t->line[0] == '#');
	p = t->line;
	for (n = 0; n < max_fields - 1 && p != NULL; n++)
		fields[n] = strsep(&p, "\t");
	if (p != NULL)
		fields[n++] = p;
	return n;
}

/* Undo the escapes in place: the result is never longer. */
static void
unescape(char *s, const char *name, int lineno)
{
	char *in = s, *out = s;
	unsigned int byte;

	if (strcmp(s, "\"\"") == 0) {
		s[0] = '\0';
		return;
	}
	while (*in != '\0') {
		if (in[0] != '\\') {
			*out++ = *in++;
			continue;
		}
		if (in[1] == 't' || in[1] == 's' || in[1] == '\\') {
			*out++ = in[1] == 't' ? '\t' :
			    in[1] == 's' ? ' ' : '\\';
			in += 2;
		} else if (in[1] == 'x' && isxdigit((unsigned char)in[2]) &&
		    isxdigit((unsigned char)in[3]) &&
		    sscanf(in + 2, "%2x", &byte) == 1) {
			*out++ = (char)byte;
			in += 4;
		} else
			fail_msg("%s:%d: bad escape in %s", name, lineno, in);
	}
	*out = '\0';
}

int
testutil_run_pairs(const char *name, testutil_pair_fn fn)
{
	struct testutil_table t;
	char *f[2];
	int n, cases = 0;

	testutil_table_open(&t, name);
	while ((n = testutil_next_case(&t, f, 2)) > 0) {
		if (n < 2)
			fail_msg("%s:%d: no tab", name, t.lineno);
		unescape(f[0], name, t.lineno);
		unescape(f[1], name, t.lineno);
		fn(f[0], f[1], t.lineno);
		cases++;
	}
	testutil_table_close(&t);
	return cases;
}
