/* test_exporter.c - exporter settings, header lists (tests/data), retry
 * timing, and exporter_send against the scripted HTTP server of
 * tests/testsrv.h on 127.0.0.1. */
#define _GNU_SOURCE	/* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <zlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"
#include "httpc.h"
#include "testsrv.h"
#include "testutil.h"

#define TEST_LINE_MAX	4096
#define TEST_KEY	"sekrit-KEY-0123456789"

static const char *const env_vars[] = {
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"PHOENIX_COLLECTOR_ENDPOINT", "PHOENIX_API_KEY",
	"OTEL_EXPORTER_OTLP_HEADERS", "PHOENIX_CLIENT_HEADERS",
	"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TIMEOUT",
	"PHOENIX_ENDPOINT",
};

static int
env_clear(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

/* Load the config, expecting success. */
static void
load_ok(struct exporter_config *cfg)
{
	char err[256] = "";

	if (exporter_config_from_env(cfg, err, sizeof(err)) != 0)
		fail_msg("config rejected: %s", err);
}

/* Load the config, expecting an error that names var and keeps secret out. */
static void
load_bad(const char *var, const char *secret)
{
	struct exporter_config cfg;
	char err[256] = "";

	assert_int_equal(exporter_config_from_env(&cfg, err, sizeof(err)), -1);
	if (strncmp(err, var, strlen(var)) != 0 || err[strlen(var)] != ':')
		fail_msg("error \"%s\" does not start with %s:", err, var);
	if (secret != NULL && strstr(err, secret) != NULL)
		fail_msg("error \"%s\" shows \"%s\"", err, secret);
	exporter_config_cleanup(&cfg);
}

static const char *
header_value(const struct exporter_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->headers.n; i++)
		if (strcmp(cfg->headers.v[i].name, name) == 0)
			return cfg->headers.v[i].value;
	return NULL;
}

/* Endpoints. */

static void
test_default_config(void **state)
{
	struct exporter_config cfg;

	(void)state;
	load_ok(&cfg);
	assert_string_equal(cfg.url, "http://127.0.0.1:6006/v1/traces");
	assert_string_equal(cfg.url_from, "default");
	assert_int_equal(cfg.gzip, 1);
	assert_int_equal(cfg.timeout_ms, 10000);
	assert_int_equal(cfg.headers.n, 0);
	exporter_config_cleanup(&cfg);
}

static void
expect_url(const char *var, const char *val, const char *url,
    const char *from)
{
	struct exporter_config cfg;

	setenv(var, val, 1);
	load_ok(&cfg);
	if (strcmp(cfg.url, url) != 0)
		fail_msg("%s=%s: got %s, want %s", var, val, cfg.url, url);
	assert_string_equal(cfg.url_from, from);
	exporter_config_cleanup(&cfg);
}

static void
test_base_url_building(void **state)
{
	const char *p = "PHOENIX_COLLECTOR_ENDPOINT";

	(void)state;
	expect_url(p, "http://phx:6006", "http://phx:6006/v1/traces", p);
	expect_url(p, "http://phx:6006/", "http://phx:6006/v1/traces", p);
	expect_url(p, "https://phx/base//", "https://phx/base/v1/traces", p);
	expect_url(p, "http://phx/base", "http://phx/base/v1/traces", p);
	/* Empty counts as unset. */
	expect_url(p, "", "http://127.0.0.1:6006/v1/traces", "default");
}

static void
test_endpoint_precedence(void **state)
{
	const char *o = "OTEL_EXPORTER_OTLP_ENDPOINT",
	    *t = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

	(void)state;
	setenv("PHOENIX_COLLECTOR_ENDPOINT", "http://phx:6006", 1);
	expect_url(o, "http://otel:4318/", "http://otel:4318/v1/traces", o);
	/* Used as-is: no path added, trailing slash kept. */
	expect_url(t, "http://col:4318/custom/", "http://col:4318/custom/", t);
	expect_url(t, "http://col:4318/x?tenant=1", "http://col:4318/x?tenant=1",
	    t);
	/* Empty traces endpoint falls through to the base URL. */
	expect_url(t, "", "http://otel:4318/v1/traces", o);
	/* Only the winner is checked. */
	setenv("PHOENIX_COLLECTOR_ENDPOINT", "not a url", 1);
	expect_url(o, "http://otel:4318", "http://otel:4318/v1/traces", o);
}

/* The REST base URL, as Phoenix's client finds it: PHOENIX_ENDPOINT,
 * else the collector URL without /v1/traces, and none for a plain OTLP
 * collector. */
static void
expect_rest(const char *want, const char *from)
{
	struct exporter_config cfg;

	load_ok(&cfg);
	if (want == NULL)
		assert_null(cfg.rest_base);
	else {
		assert_non_null(cfg.rest_base);
		assert_string_equal(cfg.rest_base, want);
		assert_string_equal(cfg.rest_from, from);
	}
	exporter_config_cleanup(&cfg);
}

static void
test_rest_base(void **state)
{
	const char *p = "PHOENIX_COLLECTOR_ENDPOINT";
	char err[256];
	struct exporter_config cfg;

	(void)state;
	expect_rest("http://127.0.0.1:6006", "default");
	setenv(p, "http://phx:6006/", 1);
	expect_rest("http://phx:6006", p);
	setenv(p, "http://phx:6006/prefix/v1/traces", 1);
	expect_rest("http://phx:6006/prefix", p);
	setenv(p, "http://phx:6006//v1/traces/", 1);
	expect_rest("http://phx:6006", p);
	/* A route under /v1/traces is left alone, as Phoenix's client does. */
	setenv(p, "http://gw/v1/traces/x", 1);
	expect_rest("http://gw/v1/traces/x", p);
	/* Empty counts as unset. */
	setenv("PHOENIX_ENDPOINT", "", 1);
	expect_rest("http://gw/v1/traces/x", p);
	unsetenv("PHOENIX_ENDPOINT");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", 1);
	expect_rest(NULL, NULL);
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://otel:4318/v1/t", 1);
	expect_rest(NULL, NULL);
	setenv("PHOENIX_ENDPOINT", "https://phx.example/base/", 1);
	expect_rest("https://phx.example/base", "PHOENIX_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	expect_rest("https://phx.example/base", "PHOENIX_ENDPOINT");
	setenv("PHOENIX_ENDPOINT", "phx:6006", 1);
	assert_int_equal(exporter_config_from_env(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "PHOENIX_ENDPOINT"));
	exporter_config_cleanup(&cfg);
}

static void
test_endpoint_errors(void **state)
{
	(void)state;
	setenv("PHOENIX_COLLECTOR_ENDPOINT", "phx:6006", 1);
	load_bad("PHOENIX_COLLECTOR_ENDPOINT", NULL);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://otel", 1);
	load_bad("OTEL_EXPORTER_OTLP_ENDPOINT", NULL);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel/?a=b", 1);
	load_bad("OTEL_EXPORTER_OTLP_ENDPOINT", NULL);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://", 1);
	load_bad("OTEL_EXPORTER_OTLP_ENDPOINT", NULL);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://a b/", 1);
	load_bad("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c/v1#frag", 1);
	load_bad("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL);
}

/* Compression and timeout. */

static void
test_compression_and_timeout(void **state)
{
	const char *c = "OTEL_EXPORTER_OTLP_COMPRESSION",
	    *t = "OTEL_EXPORTER_OTLP_TIMEOUT";
	const char *bad_c[] = { "deflate", "br", "gzip ", "yes" };
	const char *bad_t[] = { "0", "-5", "600001", "1.5", "10s", "abc" };
	struct exporter_config cfg;

	(void)state;
	setenv(c, "none", 1);
	setenv(t, "1", 1);
	load_ok(&cfg);
	assert_int_equal(cfg.gzip, 0);
	assert_int_equal(cfg.timeout_ms, 1);
	exporter_config_cleanup(&cfg);
	setenv(c, "GZIP", 1);
	setenv(t, "600000", 1);
	load_ok(&cfg);
	assert_int_equal(cfg.gzip, 1);
	assert_int_equal(cfg.timeout_ms, 600000);
	exporter_config_cleanup(&cfg);
	for (size_t i = 0; i < sizeof(bad_c) / sizeof(bad_c[0]); i++) {
		setenv(c, bad_c[i], 1);
		load_bad(c, NULL);
	}
	setenv(c, "gzip", 1);
	for (size_t i = 0; i < sizeof(bad_t) / sizeof(bad_t[0]); i++) {
		setenv(t, bad_t[i], 1);
		load_bad(t, NULL);
	}
}

/* Headers from the environment. */

static void
test_header_merge(void **state)
{
	struct exporter_config cfg;

	(void)state;
	setenv("OTEL_EXPORTER_OTLP_HEADERS",
	    "a=1,X-Project-Name=otel,authorization=Basic%20b3RlbA==", 1);
	setenv("PHOENIX_CLIENT_HEADERS", "x-project-name=phx,b=2", 1);
	load_ok(&cfg);
	assert_int_equal(cfg.headers.n, 4);
	assert_string_equal(header_value(&cfg, "a"), "1");
	assert_string_equal(header_value(&cfg, "x-project-name"), "phx");
	assert_string_equal(header_value(&cfg, "b"), "2");
	/* Without a key, an authorization header from a list is kept. */
	assert_string_equal(header_value(&cfg, "authorization"),
	    "Basic b3RlbA==");
	exporter_config_cleanup(&cfg);
}

static void
test_api_key_override(void **state)
{
	struct exporter_config cfg;

	(void)state;
	setenv("PHOENIX_CLIENT_HEADERS", "Authorization=Bearer%20old,c=3", 1);
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "AUTHORIZATION=Basic%20x", 1);
	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	load_ok(&cfg);
	assert_int_equal(cfg.headers.n, 2);
	assert_string_equal(header_value(&cfg, "authorization"),
	    "Bearer " TEST_KEY);
	assert_string_equal(header_value(&cfg, "c"), "3");
	exporter_config_cleanup(&cfg);
	/* A key that could split a header is refused, and not shown. */
	setenv("PHOENIX_API_KEY", "sekrit key", 1);
	load_bad("PHOENIX_API_KEY", "sekrit");
	setenv("PHOENIX_API_KEY", "sekrit\r\nX-Evil: 1", 1);
	load_bad("PHOENIX_API_KEY", "sekrit");
	setenv("PHOENIX_API_KEY", "sekrit-caf\xc3\xa9", 1);
	load_bad("PHOENIX_API_KEY", "sekrit");
}

static void
test_header_env_errors(void **state)
{
	(void)state;
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "topsecretvalue", 1);
	load_bad("OTEL_EXPORTER_OTLP_HEADERS", "topsecret");
	unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
	setenv("PHOENIX_CLIENT_HEADERS", "a=topsecret%0d%0aX: 1", 1);
	load_bad("PHOENIX_CLIENT_HEADERS", "topsecret");
	setenv("PHOENIX_CLIENT_HEADERS", "a=topsecret%zz", 1);
	load_bad("PHOENIX_CLIENT_HEADERS", "topsecret");
	setenv("PHOENIX_CLIENT_HEADERS", "content-type=application/json", 1);
	load_bad("PHOENIX_CLIENT_HEADERS", "application/json");
}

static void
test_describe(void **state)
{
	struct exporter_config cfg;
	char out[512], small[16];

	(void)state;
	load_ok(&cfg);
	exporter_config_describe(&cfg, out, sizeof(out));
	assert_string_equal(out, "endpoint http://127.0.0.1:6006/v1/traces "
	    "(default), gzip, timeout 10000 ms, headers: none");
	exporter_config_cleanup(&cfg);

	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	    "https://user:pa55word@col:4318/v1/traces", 1);
	setenv("PHOENIX_CLIENT_HEADERS", "x-project-name=recipes", 1);
	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none", 1);
	load_ok(&cfg);
	exporter_config_describe(&cfg, out, sizeof(out));
	assert_string_equal(out, "endpoint https://[redacted]@col:4318/v1/traces"
	    " (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), no compression, timeout "
	    "10000 ms, headers: x-project-name, authorization (values not "
	    "shown)");
	exporter_config_describe(&cfg, small, sizeof(small));
	assert_string_equal(small, "endpoint https:");
	exporter_config_cleanup(&cfg);
}

static void
test_usage(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	assert_non_null(fp);
	exporter_usage(fp);
	fclose(fp);
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		if (strstr(text, env_vars[i]) == NULL)
			fail_msg("usage lacks %s", env_vars[i]);
	assert_non_null(strstr(text, "http://127.0.0.1:6006"));
	free(text);
}

/* Header lists: the table, then limits and failure atomicity. */

static void
render(const struct exporter_headers *h, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < h->n; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s=%s",
		    i > 0 ? "|" : "", h->v[i].name, h->v[i].value);
}

static void
headers_case(const char *in, const char *exp, int lineno)
{
	struct exporter_headers h = { NULL, 0 };
	char got[TEST_LINE_MAX], err[256] = "";
	int rc = exporter_headers_parse(in, &h, err, sizeof(err));

	if (strcmp(exp, "invalid") == 0) {
		if (rc != -1)
			fail_msg("otlp_headers.test:%d: accepted \"%s\"", lineno,
			    in);
		if (strncmp(err, "member ", 7) != 0)
			fail_msg("otlp_headers.test:%d: error \"%s\"", lineno,
			    err);
		assert_int_equal(h.n, 0);
		return;
	}
	if (rc != 0)
		fail_msg("otlp_headers.test:%d: rejected \"%s\": %s", lineno, in,
		    err);
	render(&h, got, sizeof(got));
	if (strcmp(got, exp) != 0)
		fail_msg("otlp_headers.test:%d: got \"%s\", want \"%s\"", lineno,
		    got, exp);
	exporter_headers_cleanup(&h);
}

static void
test_headers_table(void **state)
{
	(void)state;
	assert_true(testutil_run_pairs("otlp_headers.test", headers_case) >=
	    80);
}

static void
test_headers_merge_and_limits(void **state)
{
	struct exporter_headers h = { NULL, 0 };
	char list[64 * 8 + 16], err[256];
	size_t o = 0;

	(void)state;
	assert_int_equal(exporter_headers_parse("a=1,b=2", &h, err,
	    sizeof(err)), 0);
	/* A failed list leaves what was there untouched. */
	assert_int_equal(exporter_headers_parse("a=9,c=3,d", &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "member 3 has no '='");
	assert_int_equal(h.n, 2);
	assert_string_equal(h.v[0].value, "1");
	assert_int_equal(exporter_headers_parse("B=7,c=3", &h, err,
	    sizeof(err)), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.v[1].value, "7");
	exporter_headers_cleanup(&h);
	assert_null(h.v);

	for (int i = 0; i < EXPORTER_HEADERS_MAX; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "h%d=v,", i);
	assert_int_equal(exporter_headers_parse(list, &h, err, sizeof(err)),
	    0);
	assert_int_equal(h.n, EXPORTER_HEADERS_MAX);
	assert_int_equal(exporter_headers_parse("h0=again", &h, err,
	    sizeof(err)), 0);
	assert_int_equal(exporter_headers_parse("one=more", &h, err,
	    sizeof(err)), -1);
	assert_int_equal(h.n, EXPORTER_HEADERS_MAX);
	exporter_headers_cleanup(&h);
	snprintf(list + o, sizeof(list) - o, "x=1");
	assert_int_equal(exporter_headers_parse(list, &h, err, sizeof(err)),
	    -1);
	assert_int_equal(h.n, 0);
}

/* Retry timing. */

static uint32_t
fixed_rnd(void *arg)
{
	return *(const uint32_t *)arg;
}

static void
test_backoff(void **state)
{
	const long caps[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000,
	    30000 };
	uint32_t top = UINT32_MAX, zero = 0, half = 1u << 31;
	long d;

	(void)state;
	for (unsigned int a = 0; a < sizeof(caps) / sizeof(caps[0]); a++) {
		assert_int_equal(exporter_backoff_ms(a, 500, 30000, fixed_rnd,
		    &top), caps[a]);
		assert_int_equal(exporter_backoff_ms(a, 500, 30000, fixed_rnd,
		    &zero), 0);
		d = exporter_backoff_ms(a, 500, 30000, fixed_rnd, &half);
		assert_true(d >= caps[a] / 2 - 1 && d <= caps[a] / 2 + 1);
	}
	assert_int_equal(exporter_backoff_ms(100000, 500, 30000, fixed_rnd,
	    &top), 30000);
	assert_int_equal(exporter_backoff_ms(4000000000u, 500, 30000,
	    fixed_rnd, &top), 30000);
	assert_int_equal(exporter_backoff_ms(5, 0, 30000, fixed_rnd, &top), 0);
	assert_int_equal(exporter_backoff_ms(5, 500, 0, fixed_rnd, &top), 0);
	/* The real source stays in bounds and is not constant. */
	long lo = 30000, hi = 0;
	for (int i = 0; i < 2000; i++) {
		d = exporter_backoff_ms(3, 500, 30000, NULL, NULL);
		assert_in_range(d, 0, 4000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_true(lo < 1000 && hi > 3000);
}

static void
test_retry_delay(void **state)
{
	uint32_t top = UINT32_MAX;

	(void)state;
	assert_int_equal(exporter_retry_delay_ms(0, 2000, fixed_rnd, &top),
	    2000);
	assert_int_equal(exporter_retry_delay_ms(6, 0, fixed_rnd, &top), 0);
	assert_int_equal(exporter_retry_delay_ms(0, 3600000, fixed_rnd, &top),
	    EXPORTER_RETRY_AFTER_MAX_MS);
	assert_int_equal(exporter_retry_delay_ms(0, -1, fixed_rnd, &top), 500);
	assert_int_equal(exporter_retry_delay_ms(2, -1, fixed_rnd, &top),
	    2000);
	assert_int_equal(exporter_retry_delay_ms(20, -1, fixed_rnd, &top),
	    EXPORTER_BACKOFF_MAX_MS);
}

enum date_form { DATE_IMF, DATE_RFC850, DATE_ASCTIME };

/* t as an HTTP-date in one of its three forms (RFC 9110 5.6.7). */
static void
http_date(time_t t, enum date_form form, char *out, size_t outlen)
{
	static const char *const days[] = { "Sunday", "Monday", "Tuesday",
	    "Wednesday", "Thursday", "Friday", "Saturday" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	if (form == DATE_IMF)
		snprintf(out, outlen, "%.3s, %02d %s %d %02d:%02d:%02d GMT",
		    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else if (form == DATE_RFC850)
		snprintf(out, outlen, "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
		    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
		    tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, outlen, "%.3s %s %2d %02d:%02d:%02d %d",
		    days[tm.tm_wday], mons[tm.tm_mon], tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

static void
test_retry_after(void **state)
{
	const char *garbage[] = { "", " ", "-5", "+5", "1.5", "2 s", "soon",
	    "0x10", "Retry", "Wed, 99 Foo 2015 07:28:00 GMT",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAA" };
	time_t now = time(NULL);
	char date[64];

	(void)state;
	assert_int_equal(exporter_parse_retry_after("2", now), 2000);
	assert_int_equal(exporter_parse_retry_after(" 120\t", now), 120000);
	assert_int_equal(exporter_parse_retry_after("0", now), 0);
	assert_int_equal(exporter_parse_retry_after("300", now), 300000);
	assert_int_equal(exporter_parse_retry_after("301", now), 300000);
	assert_int_equal(exporter_parse_retry_after(
	    "99999999999999999999999999", now), 300000);
	http_date(now + 120, DATE_IMF, date, sizeof(date));
	assert_int_equal(exporter_parse_retry_after(date, now), 120000);
	http_date(now + 86400, DATE_IMF, date, sizeof(date));
	assert_int_equal(exporter_parse_retry_after(date, now), 300000);
	http_date(now + 30, DATE_RFC850, date, sizeof(date));
	assert_int_equal(exporter_parse_retry_after(date, now), 30000);
	http_date(now + 45, DATE_ASCTIME, date, sizeof(date));
	assert_int_equal(exporter_parse_retry_after(date, now), 45000);
	assert_int_equal(exporter_parse_retry_after(
	    "Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
	http_date(now - 10, DATE_IMF, date, sizeof(date));
	assert_int_equal(exporter_parse_retry_after(date, now), 0);
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		if (exporter_parse_retry_after(garbage[i], now) != -1)
			fail_msg("accepted Retry-After \"%s\"", garbage[i]);
}

static int
srv_setup(void **state)
{
	struct testsrv *s;

	env_clear(state);
	s = testsrv_start("");
	/* Point the exporter at the server. */
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", s->url, 1);
	setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5000", 1);
	*state = s;
	return 0;
}

static int
srv_teardown(void **state)
{
	testsrv_stop(*state);
	return env_clear(state);
}

static void
assert_header(struct testsrv *s, const char *name, const char *want)
{
	char *got = testsrv_header(s, name);

	if (want == NULL && got != NULL)
		fail_msg("header %s sent: \"%s\"", name, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("header %s: got \"%s\", want \"%s\"", name,
		    got != NULL ? got : "(none)", want);
	free(got);
}

static void
assert_no_key(const struct exporter_result *res)
{
	if (strstr(res->msg, TEST_KEY) != NULL || strstr(res->msg, "sekrit"))
		fail_msg("message shows the key: %s", res->msg);
}

/* A request body that is not all alike: a counter with some zeros. */
static uint8_t *
make_payload(size_t len)
{
	uint8_t *p = malloc(len);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = i % 7 == 0 ? 0 : (uint8_t)(x % 16);
	}
	return p;
}

static void
gunzip_equal(const uint8_t *gz, size_t gzlen, const uint8_t *want,
    size_t len)
{
	uint8_t *out = malloc(len + 16);
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = out;
	zs.avail_out = (uInt)len + 16;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_int_equal(zs.avail_in, 0);
	assert_memory_equal(out, want, len);
	inflateEnd(&zs);
	free(out);
}

struct run {
	struct exporter_config	 cfg;
	struct exporter		*ex;
	struct exporter_result	 res;
	int			 rc;
};

static void
run_send(struct run *r, const uint8_t *pb, size_t len)
{
	load_ok(&r->cfg);
	assert_non_null(r->ex = exporter_new(&r->cfg));
	r->rc = exporter_send(r->ex, pb, len, &r->res);
	assert_no_key(&r->res);
}

static void
run_done(struct run *r)
{
	exporter_free(r->ex);
	exporter_config_cleanup(&r->cfg);
}

static void
test_send_ok_gzip(void **state)
{
	struct testsrv *s = *state;
	uint8_t *pb = make_payload(5000);
	const char reply[] = { 0x0a, 0x00 };
	struct run r;

	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	setenv("PHOENIX_CLIENT_HEADERS", "x-project-name=recipes,X-Empty=", 1);
	testsrv_answer(s, 200, "Content-Type: application/x-protobuf\r\n", reply,
	    sizeof(reply));
	run_send(&r, pb, 5000);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.outcome, EXPORTER_OK);
	assert_int_equal(r.res.http_status, 200);
	assert_string_equal(r.res.msg, "");
	assert_int_equal(r.res.body_len, 2);
	assert_memory_equal(r.res.body, reply, 2);
	assert_int_equal(r.res.body_truncated, 0);
	assert_int_equal(s->nreq, 1);
	assert_int_equal(strncmp(s->head, "POST /v1/traces HTTP/1.1\r\n", 26),
	    0);
	assert_header(s, "Content-Type", "application/x-protobuf");
	assert_header(s, "Content-Encoding", "gzip");
	assert_header(s, "Authorization", "Bearer " TEST_KEY);
	assert_header(s, "x-project-name", "recipes");
	assert_header(s, "x-empty", "");
	assert_header(s, "Expect", NULL);
	gunzip_equal(s->req_body, s->req_body_len, pb, 5000);
	assert_true(s->req_body_len < 5000);
	/* The same handle again. */
	assert_int_equal(exporter_send(r.ex, pb, 100, &r.res), 0);
	assert_int_equal(s->nreq, 2);
	gunzip_equal(s->req_body, s->req_body_len, pb, 100);
	run_done(&r);
	free(pb);
}

/* The REST client: JSON, never gzip'd, the same headers; its settings
 * hint names Phoenix's base URL. */
static void
test_send_json(void **state)
{
	struct testsrv *s = *state;
	const char body[] = "{\"data\":[]}";
	struct exporter_config cfg;
	struct exporter_result res;
	struct exporter *ex;
	char url[160];

	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	load_ok(&cfg);
	snprintf(url, sizeof(url), "%s/v1/span_annotations?sync=true", s->url);
	assert_non_null(ex = exporter_new_json(&cfg, url));
	testsrv_answer(s, 200, "Content-Type: application/json\r\n", body,
	    sizeof(body) - 1);
	assert_int_equal(exporter_send(ex, (const uint8_t *)body,
	    sizeof(body) - 1, &res), 0);
	assert_int_equal(strncmp(s->head, "POST /v1/span_annotations?sync=true "
	    "HTTP/1.1\r\n", 46), 0);
	assert_header(s, "Content-Type", "application/json");
	assert_header(s, "Content-Encoding", NULL);
	assert_header(s, "Authorization", "Bearer " TEST_KEY);
	assert_int_equal(s->req_body_len, sizeof(body) - 1);
	testsrv_answer(s, 404, "", "{\"detail\":\"Not Found\"}", 22);
	assert_int_equal(exporter_send(ex, (const uint8_t *)body,
	    sizeof(body) - 1, &res), -1);
	assert_int_equal(res.outcome, EXPORTER_CONFIG);
	assert_non_null(strstr(res.check, "PHOENIX_ENDPOINT"));
	exporter_free(ex);
	exporter_config_cleanup(&cfg);
}

static void
test_send_plain_no_key(void **state)
{
	struct testsrv *s = *state;
	size_t len = 2 * 1024 * 1024;	/* past curl's Expect threshold */
	uint8_t *pb = make_payload(len);
	struct run r;

	setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none", 1);
	run_send(&r, pb, len);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.outcome, EXPORTER_OK);
	assert_null(r.res.body);
	assert_int_equal(r.res.body_len, 0);
	assert_header(s, "Content-Type", "application/x-protobuf");
	assert_header(s, "Content-Encoding", NULL);
	assert_header(s, "Authorization", NULL);
	assert_header(s, "Expect", NULL);
	assert_int_equal(s->req_body_len, len);
	assert_memory_equal(s->req_body, pb, len);
	run_done(&r);
	free(pb);
}

static void
test_send_status_classes(void **state)
{
	static const struct { int status; enum exporter_outcome want; } t[] = {
		{ 200, EXPORTER_OK }, { 202, EXPORTER_OK },
		{ 204, EXPORTER_OK },
		/* Unavailable: the same bytes again, later. */
		{ 408, EXPORTER_RETRY }, { 429, EXPORTER_RETRY },
		{ 500, EXPORTER_RETRY }, { 502, EXPORTER_RETRY },
		{ 503, EXPORTER_RETRY }, { 504, EXPORTER_RETRY },
		{ 507, EXPORTER_RETRY },
		/* The content refused: only these set lines aside. */
		{ 400, EXPORTER_REJECT }, { 413, EXPORTER_REJECT },
		{ 422, EXPORTER_REJECT },
		/* Our settings: nothing set aside, probe until fixed. */
		{ 301, EXPORTER_CONFIG }, { 401, EXPORTER_CONFIG },
		{ 403, EXPORTER_CONFIG }, { 404, EXPORTER_CONFIG },
		{ 405, EXPORTER_CONFIG }, { 415, EXPORTER_CONFIG },
		{ 501, EXPORTER_CONFIG }, { 505, EXPORTER_CONFIG },
		{ 418, EXPORTER_CONFIG },
	};
	struct testsrv *s = *state;
	const uint8_t pb[] = { 0x0a, 0x01, 0x00 };
	char want[32];
	struct run r;

	load_ok(&r.cfg);
	assert_non_null(r.ex = exporter_new(&r.cfg));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		testsrv_answer(s, t[i].status, t[i].status == 301 ?
		    "Location: http://127.0.0.1:1/\r\n" : "", "", 0);
		r.rc = exporter_send(r.ex, pb, sizeof(pb), &r.res);
		if (r.res.outcome != t[i].want)
			fail_msg("HTTP %d: outcome %d, want %d (%s)",
			    t[i].status, r.res.outcome, t[i].want, r.res.msg);
		assert_int_equal(r.rc, t[i].want == EXPORTER_OK ? 0 : -1);
		assert_int_equal(r.res.http_status, t[i].status);
		assert_int_equal(r.res.retry_after_ms, -1);
		snprintf(want, sizeof(want), "HTTP %d", t[i].status);
		if (t[i].want != EXPORTER_OK)
			assert_string_equal(r.res.msg, want);
		/* A settings answer names what to check, and only it. */
		if (t[i].want == EXPORTER_CONFIG)
			assert_non_null(r.res.check);
		else
			assert_null(r.res.check);
	}
	assert_int_equal(s->nreq, (int)(sizeof(t) / sizeof(t[0])));
	run_done(&r);
}

static void
test_send_retry_after(void **state)
{
	struct testsrv *s = *state;
	const uint8_t pb[] = { 1, 2, 3 };
	const char *q = "queue full";
	struct run r;

	testsrv_answer(s, 503, "Retry-After: 2\r\n", q, strlen(q));
	run_send(&r, pb, sizeof(pb));
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.res.outcome, EXPORTER_RETRY);
	assert_int_equal(r.res.http_status, 503);
	assert_int_equal(r.res.retry_after_ms, 2000);
	assert_string_equal(r.res.msg, "HTTP 503 (Retry-After 2000 ms): "
	    "queue full");
	assert_int_equal(exporter_retry_delay_ms(0, r.res.retry_after_ms,
	    NULL, NULL), 2000);
	/* Garbage is ignored; the next answer's header is its own. */
	testsrv_answer(s, 429, "retry-after: later\r\n", "", 0);
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_int_equal(r.res.outcome, EXPORTER_RETRY);
	assert_int_equal(r.res.retry_after_ms, -1);
	testsrv_answer(s, 429, "", "", 0);
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_int_equal(r.res.retry_after_ms, -1);
	/* Capped at five minutes. */
	testsrv_answer(s, 503, "Retry-After: 86400\r\n", "", 0);
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_int_equal(r.res.retry_after_ms, EXPORTER_RETRY_AFTER_MAX_MS);
	/* A REJECT does not carry a Retry-After. */
	testsrv_answer(s, 400, "Retry-After: 2\r\n", "", 0);
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_int_equal(r.res.outcome, EXPORTER_REJECT);
	assert_int_equal(r.res.retry_after_ms, -1);
	run_done(&r);
}

static void
test_send_reject_excerpt(void **state)
{
	struct testsrv *s = *state;
	const uint8_t pb[] = { 1, 2, 3 };
	char body[2000], want[400];
	struct run r;

	const char *bad = "bad request:\x01\tno\r\nspans\n";

	testsrv_answer(s, 400, "", bad, strlen(bad));
	run_send(&r, pb, sizeof(pb));
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.res.outcome, EXPORTER_REJECT);
	assert_int_equal(r.res.http_status, 400);
	assert_string_equal(r.res.msg, "HTTP 400: bad request:. no  spans");
	/* A long body: its first EXPORTER_EXCERPT_MAX bytes, then "...". */
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	testsrv_answer(s, 422, "", body, sizeof(body));
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	snprintf(want, sizeof(want), "HTTP 422: %.*s...", EXPORTER_EXCERPT_MAX,
	    body);
	assert_string_equal(r.res.msg, want);
	assert_int_equal(r.res.body_len, sizeof(body));
	assert_memory_equal(r.res.body, body, sizeof(body));
	testsrv_answer(s, 500, "", "Internal Server Error", 21);
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_int_equal(r.res.outcome, EXPORTER_RETRY);
	assert_string_equal(r.res.msg, "HTTP 500: Internal Server Error");
	run_done(&r);
}

static void
test_send_key_never_shown(void **state)
{
	struct testsrv *s = *state;
	const uint8_t pb[] = { 1, 2, 3 };
	char body[600];
	struct run r;
	int n;

	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	setenv("PHOENIX_CLIENT_HEADERS", "x-tenant-token=tenant-s3cret", 1);
	n = snprintf(body, sizeof(body), "invalid token 'Bearer %s' for "
	    "tenant-s3cret", TEST_KEY);
	testsrv_answer(s, 401, "", body, (size_t)n);
	run_send(&r, pb, sizeof(pb));
	assert_int_equal(r.res.outcome, EXPORTER_CONFIG);
	assert_non_null(strstr(r.res.check, "PHOENIX_API_KEY"));
	assert_string_equal(r.res.msg, "HTTP 401: invalid token '[redacted]' "
	    "for [redacted]");
	/* The key alone, straddling the excerpt's cut. */
	memset(body, 'x', sizeof(body));
	memcpy(body + EXPORTER_EXCERPT_MAX - 5, TEST_KEY, strlen(TEST_KEY));
	testsrv_answer(s, 403, "", body, sizeof(body));
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_null(strstr(r.res.msg, "sekri"));
	assert_non_null(strstr(r.res.msg, "xxx[reda"));
	testsrv_answer(s, 503, "", body, sizeof(body));
	assert_int_equal(exporter_send(r.ex, pb, sizeof(pb), &r.res), -1);
	assert_no_key(&r.res);
	run_done(&r);
}

static void
test_send_big_ok_body(void **state)
{
	struct testsrv *s = *state;
	size_t len = EXPORTER_RESPONSE_MAX + 500 * 1024;
	char *body = malloc(len);
	const uint8_t pb[] = { 1 };
	struct run r;

	memset(body, 'z', len);
	testsrv_answer(s, 200, "", body, len);
	run_send(&r, pb, sizeof(pb));
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.outcome, EXPORTER_OK);
	assert_int_equal(r.res.body_truncated, 1);
	assert_int_equal(r.res.body_len, EXPORTER_RESPONSE_MAX);
	assert_memory_equal(r.res.body, body, 64);
	run_done(&r);
	free(body);
}

static void
test_send_bad_sizes(void **state)
{
	struct testsrv *s = *state;
	const uint8_t pb[] = { 1 };
	struct run r;

	run_send(&r, pb, 0);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.res.outcome, EXPORTER_REJECT);
	assert_int_equal(exporter_send(r.ex, pb, EXPORTER_REQUEST_MAX + 1,
	    &r.res), -1);
	assert_int_equal(r.res.outcome, EXPORTER_REJECT);
	assert_int_equal(r.res.http_status, 0);
	assert_int_equal(s->nreq, 0);
	run_done(&r);
}

static void
test_send_closed_port(void **state)
{
	const uint8_t pb[] = { 1 };
	char url[64];
	struct run r;
	int port, fd = testsrv_bind_free_port(&port, 0);

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url, 1);
	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	run_send(&r, pb, sizeof(pb));
	close(fd);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.res.outcome, EXPORTER_RETRY);
	assert_int_equal(r.res.http_status, 0);
	assert_int_equal(r.res.retry_after_ms, -1);
	assert_non_null(strstr(r.res.msg, "transport failure: "));
	run_done(&r);
}

static void
test_send_timeout(void **state)
{
	struct testsrv *s = *state;
	const uint8_t pb[] = { 1, 2 };
	struct timespec t0, t1;
	struct run r;
	long ms;

	testsrv_mode(s, TESTSRV_SILENT);
	setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300", 1);
	setenv("PHOENIX_API_KEY", TEST_KEY, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_send(&r, pb, sizeof(pb));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.res.outcome, EXPORTER_RETRY);
	assert_int_equal(r.res.http_status, 0);
	assert_int_equal(s->nreq, 1);
	assert_non_null(strstr(r.res.msg, "no answer within 300 ms"));
	assert_in_range(ms, 250, 3000);
	run_done(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_config, env_clear,
		    env_clear),
		cmocka_unit_test_setup_teardown(test_base_url_building,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_endpoint_precedence,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_rest_base,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_endpoint_errors,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_compression_and_timeout,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_header_merge, env_clear,
		    env_clear),
		cmocka_unit_test_setup_teardown(test_api_key_override,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_header_env_errors,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_describe, env_clear,
		    env_clear),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_headers_table),
		cmocka_unit_test(test_headers_merge_and_limits),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test_setup_teardown(test_send_ok_gzip, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_plain_no_key,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_json,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_status_classes,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_retry_after,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_reject_excerpt,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_key_never_shown,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_big_ok_body,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_bad_sizes, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_send_closed_port,
		    env_clear, env_clear),
		cmocka_unit_test_setup_teardown(test_send_timeout, srv_setup,
		    srv_teardown),
	};
	int rc;

	testsrv_no_proxy();
	if (httpc_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	httpc_global_cleanup();
	return rc;
}
