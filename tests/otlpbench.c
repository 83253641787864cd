/* otlpbench.c - microbenchmark of the flusher's line conversion
 * (otlp_batch_add_line), fed real spool lines the way flusher.c feeds
 * them: each line into a probe batch, moved into the batch, the batch
 * packed and reset at FLUSHER_BATCH_SPANS spans. Prints MB of lines per
 * CPU-second and microseconds per span. Not a ctest: make bench's kind.
 * Usage: otlpbench [-p PASSES] SEGMENT...  (segments: tests/spoolgen) */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flusher.h"
#include "otlp.h"
#include "spoolfmt.h"

struct bench_lines {
	char	**line;
	size_t	 *len;
	size_t	  n, cap, bytes;
};

static void
bench_load(struct bench_lines *l, const char *path)
{
	char *data, *p, *nl, *end;
	FILE *fp;
	long sz;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(fp, 0, SEEK_END) == -1 || (sz = ftell(fp)) < 0)
		err(1, "%s", path);
	rewind(fp);
	if ((data = malloc((size_t)sz + 1)) == NULL ||
	    fread(data, 1, (size_t)sz, fp) != (size_t)sz)
		err(1, "%s", path);
	fclose(fp);
	end = data + sz;
	for (p = data; p < end && (nl = memchr(p, '\n', (size_t)(end - p)));
	    p = nl + 1) {
		if (spoolfmt_line_kind(p, (size_t)(nl - p)) !=
		    SPOOLFMT_KIND_SPANS)
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 1024;
			l->line = realloc(l->line, l->cap * sizeof(*l->line));
			l->len = realloc(l->len, l->cap * sizeof(*l->len));
			if (l->line == NULL || l->len == NULL)
				err(1, "realloc");
		}
		l->line[l->n] = p;
		l->len[l->n++] = (size_t)(nl - p);
		l->bytes += (size_t)(nl - p) + 1;
	}
}

static double
bench_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over every line as the flusher takes them. Returns spans. */
static size_t
bench_pass(const struct bench_lines *l, struct otlp_batch *batch,
    struct otlp_batch *probe, size_t *packed)
{
	char errbuf[OTLP_ERR_MAX];
	size_t i, n, spans = 0, pending = 0, len;
	uint8_t *pb;

	for (i = 0; i < l->n; i++) {
		n = 0;
		otlp_batch_reset(probe);
		if (otlp_batch_add_line(probe, l->line[i], l->len[i], &n,
		    errbuf, sizeof(errbuf)) == -1)
			errx(1, "line %zu: %s", i, errbuf);
		if (pending > 0 && pending + n > FLUSHER_BATCH_SPANS) {
			pb = otlp_batch_pack(batch, &len);
			*packed += len;
			free(pb);
			otlp_batch_reset(batch);
			pending = 0;
		}
		otlp_batch_move(batch, probe);
		pending += n;
		spans += n;
	}
	pb = otlp_batch_pack(batch, &len);
	*packed += len;
	free(pb);
	otlp_batch_reset(batch);
	return spans;
}

int
main(int argc, char *argv[])
{
	struct bench_lines l = { 0 };
	struct otlp_batch *batch = otlp_batch_new(), *probe = otlp_batch_new();
	size_t spans = 0, packed = 0;
	int ch, passes = 3;
	double t0, cpu;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p' || (passes = atoi(optarg)) < 1) {
			fprintf(stderr,
			    "usage: otlpbench [-p PASSES] SEGMENT...\n");
			return 2;
		}
	}
	if (optind == argc)
		errx(2, "usage: otlpbench [-p PASSES] SEGMENT...");
	for (; optind < argc; optind++)
		bench_load(&l, argv[optind]);
	if (l.n == 0)
		errx(1, "no spans lines");
	t0 = bench_cpu();
	for (int p = 0; p < passes; p++)
		spans += bench_pass(&l, batch, probe, &packed);
	cpu = bench_cpu() - t0;
	printf("%zu lines (%.1f MB) x %d passes, %zu spans, %.1f MB packed\n",
	    l.n, (double)l.bytes / 1e6, passes, spans, (double)packed / 1e6);
	printf("%.3f CPU s: %.1f MB/s of lines, %.2f us/span, %.2f us/line\n",
	    cpu, (double)l.bytes * passes / 1e6 / cpu, cpu * 1e6 / (double)spans,
	    cpu * 1e6 / (double)(l.n * (size_t)passes));
	otlp_batch_free(batch);
	otlp_batch_free(probe);
	return 0;
}
