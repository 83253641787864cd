/* test_log.c - log levels and the lines written to stderr (captured by
 * pointing fd 2 at a temp file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define CAPTURE_MAX	16384

struct capture {
	int	saved;		/* the real stderr */
	FILE	*tmp;
	char	text[CAPTURE_MAX];
	size_t	len;
};

static int
setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->tmp = tmpfile()) == NULL)
		return -1;
	fflush(stderr);
	if ((c->saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fileno(c->tmp), STDERR_FILENO) == -1)
		return -1;
	log_init("test_log", LOG_LVL_INFO);
	*state = c;
	return 0;
}

static const char *captured(struct capture *c);

static void
restore(struct capture *c)
{
	if (c->saved == -1)
		return;
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	c->saved = -1;
}

static int
teardown(void **state)
{
	struct capture *c = *state;
	size_t seen = c->len;

	/* cmocka reports failures on stderr too: pass on what no test read. */
	captured(c);
	restore(c);
	if (c->len > seen && write(STDERR_FILENO, c->text + seen,
	    c->len - seen) < 0)
		return -1;
	fclose(c->tmp);
	free(c);
	return 0;
}

/* Everything written to fd 2 so far, NUL-terminated in c->text. */
static const char *
captured(struct capture *c)
{
	ssize_t n;

	c->len = 0;
	assert_int_equal(lseek(fileno(c->tmp), 0, SEEK_SET), 0);
	while ((n = read(fileno(c->tmp), c->text + c->len,
	    sizeof(c->text) - 1 - c->len)) > 0)
		c->len += (size_t)n;
	c->text[c->len] = '\0';
	return c->text;
}

static size_t
count_char(const char *s, size_t len, char ch)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == ch;
	return n;
}

static void
test_parse_level(void **state)
{
	static const struct { const char *s; enum log_level l; } ok[] = {
		{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};
	static const char *const bad[] = {
		"", "warning", "inf", "debugx", "trace", " info",
	};
	enum log_level l;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		l = (enum log_level)-1;
		assert_int_equal(log_parse_level(ok[i].s, &l), 0);
		assert_int_equal(l, ok[i].l);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = LOG_LVL_DEBUG;
		if (log_parse_level(bad[i], &l) != -1)
			fail_msg("'%s' accepted as a level", bad[i]);
		assert_int_equal(l, LOG_LVL_DEBUG);
	}
}

static void
test_enabled(void **state)
{
	(void)state;
	log_init("test_log", LOG_LVL_WARN);
	assert_true(log_enabled(LOG_LVL_ERROR));
	assert_true(log_enabled(LOG_LVL_WARN));
	assert_false(log_enabled(LOG_LVL_INFO));
	assert_false(log_enabled(LOG_LVL_DEBUG));
	log_init("test_log", LOG_LVL_DEBUG);
	assert_true(log_enabled(LOG_LVL_DEBUG));
	log_init("test_log", LOG_LVL_ERROR);
	assert_true(log_enabled(LOG_LVL_ERROR));
	assert_false(log_enabled(LOG_LVL_WARN));
}

static void
test_line_format(void **state)
{
	struct capture *c = *state;
	char want[64];
	const char *t;

	log_info("%s: %d eggs", "prep", 3);
	t = captured(c);
	/* "YYYY-MM-DDTHH:MM:SSZ test_log[pid] info: prep: 3 eggs\n" */
	assert_true(c->len > 21);
	assert_int_equal(t[4], '-');
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], 'Z');
	assert_int_equal(t[20], ' ');
	snprintf(want, sizeof(want), "test_log[%ld] info: prep: 3 eggs\n",
	    (long)getpid());
	assert_string_equal(t + 21, want);
}

static void
test_warn_appends_strerror(void **state)
{
	struct capture *c = *state;
	char want[128];

	errno = ENOENT;
	log_warn("open %s", "/nope");
	snprintf(want, sizeof(want), " warn: open /nope: %s\n",
	    strerror(ENOENT));
	assert_non_null(strstr(captured(c), want));
	assert_int_equal(count_char(c->text, c->len, '\n'), 1);
}

static void
test_warnx_has_no_strerror(void **state)
{
	struct capture *c = *state;
	const char *t;

	errno = ENOENT;
	log_warnx("plain %d", 1);
	t = captured(c);
	assert_non_null(strstr(t, " warn: plain 1\n"));
	assert_null(strstr(t, strerror(ENOENT)));
}

static void
test_debug_suppressed_at_info(void **state)
{
	struct capture *c = *state;

	log_debug("hidden %d", 1);
	assert_int_equal(strlen(captured(c)), 0);
	log_init("test_log", LOG_LVL_DEBUG);
	log_debug("shown %d", 2);
	assert_non_null(strstr(captured(c), " debug: shown 2\n"));
}

static void
test_warn_suppressed_at_error(void **state)
{
	struct capture *c = *state;

	log_init("test_log", LOG_LVL_ERROR);
	log_warn("w");
	log_warnx("x");
	log_info("i");
	assert_int_equal(strlen(captured(c)), 0);
}

static void
test_one_line_per_call(void **state)
{
	struct capture *c = *state;

	log_info("a");
	log_warnx("b");
	log_info("c");
	captured(c);
	assert_int_equal(count_char(c->text, c->len, '\n'), 3);
	assert_non_null(strstr(c->text, " info: a\n"));
	assert_non_null(strstr(c->text, " warn: b\n"));
	assert_non_null(strstr(c->text, " info: c\n"));
}

static void
long_line(struct capture *c, int with_errno)
{
	char *msg = malloc(5001);

	assert_non_null(msg);
	memset(msg, 'm', 5000);
	msg[5000] = '\0';
	errno = EACCES;
	if (with_errno)
		log_warn("%s", msg);
	else
		log_info("%s", msg);
	free(msg);
	captured(c);
	assert_true(c->len > 1000);
	assert_true(c->len <= 2048);
	assert_int_equal(c->text[c->len - 1], '\n');
	assert_int_equal(count_char(c->text, c->len, '\n'), 1);
	assert_int_equal(c->text[c->len - 2], 'm');
}

static void
test_long_message_cut(void **state)
{
	long_line(*state, 0);
}

static void
test_long_warn_cut(void **state)
{
	long_line(*state, 1);
}

static void
test_fatalx_exits_1(void **state)
{
	struct capture *c = *state;
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		fatalx("cannot go on: %s", "config");
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(captured(c), " error: cannot go on: config\n"));
}

static void
test_fatal_appends_strerror(void **state)
{
	struct capture *c = *state;
	char want[128];
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		errno = EPERM;
		fatal("bind");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	snprintf(want, sizeof(want), " error: bind: %s\n", strerror(EPERM));
	assert_non_null(strstr(captured(c), want));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_level),
		T(test_enabled),
		T(test_line_format),
		T(test_warn_appends_strerror),
		T(test_warnx_has_no_strerror),
		T(test_debug_suppressed_at_info),
		T(test_warn_suppressed_at_error),
		T(test_one_line_per_call),
		T(test_long_message_cut),
		T(test_long_warn_cut),
		T(test_fatalx_exits_1),
		T(test_fatal_appends_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
