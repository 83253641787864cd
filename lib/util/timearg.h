/* timearg.h - points in time given on a command line: a duration back from
 * now ("10m", "2h") or an ISO-8601 date and time. spool-tail's --since. */
#ifndef RC_TIMEARG_H
#define RC_TIMEARG_H

#include <stdint.h>

/* Parse arg into ns since the epoch: a duration back from now_ns ("30s",
 * "10m", "2h", "1d"), or a time "YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]]
 * [Z|(+|-)HH[:]MM]" (local time without a zone). A duration reaching before
 * the epoch gives 0. Returns 0, or -1 (*out_ns untouched) on anything else,
 * NULL and "" included. Nothing is allocated. */
int timearg_parse(const char *arg, uint64_t now_ns, uint64_t *out_ns)
	__attribute__((warn_unused_result));

#endif
