/* test_shipper.c - span-flusher's loop: turns between the span flusher
 * and the feedback shipper, when --once stops and with which status, and
 * the totals lines. flusher_step, feedship_step and feedship_waiting are
 * replaced at link time (tests/unit.cmake) by scripts queued with
 * will_return: cmocka fails a test that leaves a step unused or asks for
 * one more, so each test also checks how many steps were taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <time.h>
#include <string.h>

#include "feedship.h"
#include "flusher.h"
#include "shipper.h"

enum flusher_step __wrap_flusher_step(struct flusher *f, long *delay_ms);
enum flusher_step __wrap_feedship_step(struct feedship *fs, long *delay_ms);
int __wrap_feedship_waiting(const struct feedship *fs);

/* Stand-ins: only their addresses matter. */
static char fake_f, fake_fs;
#define F	((struct flusher *)(void *)&fake_f)
#define FS	((struct feedship *)(void *)&fake_fs)

static volatile sig_atomic_t stop;
static int stop_after;	/* > 0: set stop at this span step */
static int span_steps;
static long span_nap_ms;	/* each span step takes this long */

enum flusher_step
__wrap_flusher_step(struct flusher *f, long *delay_ms)
{
	assert_ptr_equal(f, F);
	if (++span_steps == stop_after)
		stop = 1;
	if (span_nap_ms > 0) {
		struct timespec ts = { 0, span_nap_ms * 1000000L };

		nanosleep(&ts, NULL);
	}
	*delay_ms = mock_type(long);
	return mock_type(enum flusher_step);
}

enum flusher_step
__wrap_feedship_step(struct feedship *fs, long *delay_ms)
{
	assert_ptr_equal(fs, FS);
	*delay_ms = mock_type(long);
	return mock_type(enum flusher_step);
}

int
__wrap_feedship_waiting(const struct feedship *fs)
{
	assert_ptr_equal(fs, FS);
	return mock_type(int);
}

static void
spans(enum flusher_step r, long delay)
{
	will_return(__wrap_flusher_step, delay);
	will_return(__wrap_flusher_step, r);
}

static void
votes(enum flusher_step r, long delay)
{
	will_return(__wrap_feedship_step, delay);
	will_return(__wrap_feedship_step, r);
}

static int
run_once(int waits)
{
	struct shipper_config sc = { .once = 1, .interval_ms = 10,
	    .once_waits = waits, .stop = &stop };

	return shipper_run(F, FS, &sc);
}

static int
setup(void **state)
{
	(void)state;
	stop = 0;
	stop_after = 0;
	span_steps = 0;
	span_nap_ms = 0;
	return 0;
}

static void
test_once_status(void **state)
{
	(void)state;
	assert_int_equal(shipper_once_status(FLUSHER_IDLE), 0);
	assert_int_equal(shipper_once_status(FLUSHER_CONFIG),
	    SHIPPER_EXIT_SETTINGS);
	assert_int_equal(shipper_once_status(FLUSHER_ERROR),
	    SHIPPER_EXIT_LOCAL);
	assert_int_equal(shipper_once_status(FLUSHER_RETRY),
	    SHIPPER_EXIT_UNAVAILABLE);
	assert_int_equal(shipper_once_status(FLUSHER_SENT),
	    SHIPPER_EXIT_UNAVAILABLE);
}

/* Both ship until both are idle, and nothing waits: 0. */
static void
test_once_all_shipped(void **state)
{
	(void)state;
	spans(FLUSHER_SENT, 0);
	votes(FLUSHER_IDLE, 0);
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_SENT, 0);
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_IDLE, 0);
	will_return(__wrap_feedship_waiting, 0);
	assert_int_equal(run_once(0), 0);
}

/* The spans' step decides first: settings, disk, collector down. */
static void
test_once_span_failures(void **state)
{
	(void)state;
	spans(FLUSHER_CONFIG, 0);
	votes(FLUSHER_IDLE, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_SETTINGS);
	spans(FLUSHER_ERROR, 0);
	votes(FLUSHER_IDLE, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_LOCAL);
	spans(FLUSHER_RETRY, 0);
	votes(FLUSHER_IDLE, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_UNAVAILABLE);
}

/* Spans done, feedback with no base URL: settings (4). */
static void
test_once_feedback_config(void **state)
{
	(void)state;
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_CONFIG, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_SETTINGS);
}

/* Feedback waits for a span line written after the flusher's last look:
 * the next look ships it, then the vote goes. */
static void
test_once_waits_for_spans(void **state)
{
	(void)state;
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_IDLE, 0);
	will_return(__wrap_feedship_waiting, 1);
	spans(FLUSHER_SENT, 0);
	votes(FLUSHER_IDLE, 0);
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_SENT, 0);
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_IDLE, 0);
	will_return(__wrap_feedship_waiting, 0);
	assert_int_equal(run_once(0), 0);
}

/* Feedback that keeps waiting for spans that never come gives up. */
static void
test_once_gives_up(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		spans(FLUSHER_IDLE, 0);
		votes(FLUSHER_IDLE, 0);
		will_return(__wrap_feedship_waiting, 1);
	}
	assert_int_equal(run_once(3), SHIPPER_EXIT_UNAVAILABLE);
	assert_int_equal(span_steps, 3);
}

/* Phoenix's retry delay does not hold the spans up: the feedback shipper
 * is not asked again before it, and its answer stands meanwhile. */
static void
test_feedback_delay_apart(void **state)
{
	(void)state;
	spans(FLUSHER_SENT, 0);
	votes(FLUSHER_RETRY, 60000);
	spans(FLUSHER_SENT, 0);
	spans(FLUSHER_SENT, 0);
	spans(FLUSHER_IDLE, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_UNAVAILABLE);
	assert_int_equal(span_steps, 4);
}

/* A daemon goes on past idle and failures until told to stop: 0. */
static void
test_daemon_stops(void **state)
{
	struct shipper_config sc = { .interval_ms = 10, .stop = &stop };

	(void)state;
	spans(FLUSHER_IDLE, 0);
	votes(FLUSHER_IDLE, 0);
	spans(FLUSHER_CONFIG, 1);
	votes(FLUSHER_CONFIG, 0);
	spans(FLUSHER_SENT, 0);
	stop_after = 3;
	assert_int_equal(shipper_run(F, FS, &sc), 0);
	assert_int_equal(span_steps, 3);
	/* Stopped before it starts: no step at all. */
	assert_int_equal(shipper_run(F, FS, &sc), 0);
	assert_int_equal(span_steps, 3);
}

static void
test_totals(void **state)
{
	struct flusher_stats st = { .spans_sent = 10, .batches_sent = 2,
	    .spans_rejected = 3, .bad_lines = 4, .torn_lines = 5,
	    .dropped_lines = 6, .retries = 7, .backlog_bytes = 8 };
	struct feedship_stats fb = { .annotations_sent = 11,
	    .batches_sent = 12, .refused = 13, .bad_lines = 14,
	    .torn_lines = 15, .retries = 16, .waits = 17, .superseded = 18,
	    .backlog_bytes = 19 };
	char out[512], small[32];

	(void)state;
	assert_true(shipper_spans_totals(&st, out, sizeof(out)) > 0);
	assert_string_equal(out, "shipped 10 spans in 2 batches; rejected 3, "
	    "not OTLP/JSON 4 lines, torn 5, dropped 6 lines; backlog 8 bytes");
	assert_true(shipper_feedback_totals(&fb, out, sizeof(out)) > 0);
	assert_string_equal(out, "feedback: shipped 11 annotations in 12 "
	    "requests; refused 13, not feedback 14 lines, torn 15, retries "
	    "16, older than a vote shipped 18, waited for spans 17 times; "
	    "backlog 19 bytes");
	assert_int_equal(shipper_spans_totals(&st, small, sizeof(small)), -1);
	assert_int_equal(shipper_feedback_totals(&fb, small, sizeof(small)),
	    -1);
}

/* --once takes a feedback failure as final even while the spans still
 * ship: a settings error (401) probed again after its delay could pass,
 * and the status would depend on how long the spans took. Here the
 * probe's delay (1 ms) passes during the next span step (2 ms), so
 * without that rule the vote would be tried a second time. */
static void
test_once_feedback_failure_final(void **state)
{
	(void)state;
	span_nap_ms = 2;
	spans(FLUSHER_SENT, 0);
	votes(FLUSHER_CONFIG, 1);
	spans(FLUSHER_SENT, 0);
	spans(FLUSHER_IDLE, 0);
	assert_int_equal(run_once(0), SHIPPER_EXIT_SETTINGS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_status),
		cmocka_unit_test_setup(test_once_all_shipped, setup),
		cmocka_unit_test_setup(test_once_span_failures, setup),
		cmocka_unit_test_setup(test_once_feedback_config, setup),
		cmocka_unit_test_setup(test_once_feedback_failure_final, setup),
		cmocka_unit_test_setup(test_once_waits_for_spans, setup),
		cmocka_unit_test_setup(test_once_gives_up, setup),
		cmocka_unit_test_setup(test_feedback_delay_apart, setup),
		cmocka_unit_test_setup(test_daemon_stops, setup),
		cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
