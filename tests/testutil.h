/* testutil.h - what the unit tests share: temporary directories and the
 * table-driven data files under tests/data (tab-separated columns, blank
 * lines and '#' lines skipped). Failures here fail the calling test. */
#ifndef RC_TESTUTIL_H
#define RC_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>

/* Fill buf with "/tmp/<name>.XXXXXX" and create that directory. Returns
 * buf, or NULL with errno (ENAMETOOLONG when len is too small). */
char *testutil_mkdtemp(char *buf, size_t len, const char *name);
/* Remove dir and everything below it, not following symbolic links.
 * Returns 0, or -1 with errno at the first entry that cannot go. */
int testutil_rmtree(const char *dir);

/* $RC_TEST_DATA, else tests/data in the source tree. Not to be freed. */
const char *testutil_data_dir(void);

struct testutil_table {
	FILE	*fp;
	char	*path;		/* of the data file, for messages */
	char	*line;		/* the current line; fields point into it */
	size_t	 cap;
	int	 lineno;	/* of the current line, from 1 */
};

/* Open the data file name for testutil_next_case; fails the test when it
 * cannot. Release with testutil_table_close. */
void testutil_table_open(struct testutil_table *t, const char *name);
void testutil_table_close(struct testutil_table *t);
/* Read up to the next line that is neither blank nor a '#' comment and
 * split it at tabs into at most max_fields fields (max_fields >= 1), the
 * last one keeping the rest of the line, tabs included. Returns the number
 * of fields, or 0 at the end of the file. The fields live until the next
 * call. */
int testutil_next_case(struct testutil_table *t, char **fields,
    int max_fields);

/* Called for one "input<TAB>expected" row with both columns unescaped. */
typedef void (*testutil_pair_fn)(const char *input, const char *expected,
    int lineno);
/* Run fn on every row of the data file name, after undoing the escapes
 * \t \s \\ \xHH in both columns ("" alone is the empty string). Fails the
 * test on a row without a tab or with a bad escape. Returns the number of
 * rows. */
int testutil_run_pairs(const char *name, testutil_pair_fn fn);

#endif
