/* timearg.c - a duration back from now, or an ISO-8601 time, into ns since
 * the epoch (see timearg.h). */
#define _GNU_SOURCE	/* timegm */
#include "timearg.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#define TIMEARG_NS_PER_SEC	1000000000ULL
#define TIMEARG_DIGITS_MAX	12	/* of a relative amount */

static int
timearg_relative(const char *arg, uint64_t now_ns, uint64_t *out_ns)
{
	static const struct { char unit; uint64_t ns; } units[] = {
		{ 's', TIMEARG_NS_PER_SEC }, { 'm', 60 * TIMEARG_NS_PER_SEC },
		{ 'h', 3600 * TIMEARG_NS_PER_SEC },
		{ 'd', 86400 * TIMEARG_NS_PER_SEC },
	};
	uint64_t n = 0;
	size_t i;

	for (i = 0; isdigit((unsigned char)arg[i]); i++) {
		if (i == TIMEARG_DIGITS_MAX)
			return -1;
		n = n * 10 + (uint64_t)(arg[i] - '0');
	}
	if (i == 0 || arg[i] == '\0' || arg[i + 1] != '\0')
		return -1;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (arg[i] != units[u].unit)
			continue;
		if (n > now_ns / units[u].ns)
			*out_ns = 0;	/* before the epoch: everything */
		else
			*out_ns = now_ns - n * units[u].ns;
		return 0;
	}
	return -1;
}

/* Exactly n digits at *p into *v, advancing *p. */
static int
timearg_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
timearg_days_in_month(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

/* YYYY-MM-DD into tm. */
static int
timearg_date(const char **p, struct tm *tm)
{
	int y, m, d;

	if (timearg_digits(p, 4, &y) == -1 || *(*p)++ != '-' ||
	    timearg_digits(p, 2, &m) == -1 || *(*p)++ != '-' ||
	    timearg_digits(p, 2, &d) == -1)
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > timearg_days_in_month(y, m))
		return -1;
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	return 0;
}

/* (T| )HH:MM[:SS[.frac]] into tm and *frac_ns; nothing is fine too. */
static int
timearg_clock(const char **p, struct tm *tm, uint64_t *frac_ns)
{
	uint64_t scale = TIMEARG_NS_PER_SEC / 10;

	if (**p != 'T' && **p != ' ')
		return 0;
	(*p)++;
	if (timearg_digits(p, 2, &tm->tm_hour) == -1 || *(*p)++ != ':' ||
	    timearg_digits(p, 2, &tm->tm_min) == -1 || tm->tm_hour > 23 ||
	    tm->tm_min > 59)
		return -1;
	if (**p != ':')
		return 0;
	(*p)++;
	if (timearg_digits(p, 2, &tm->tm_sec) == -1 || tm->tm_sec > 60)
		return -1;
	if (**p != '.' && **p != ',')
		return 0;
	if (!isdigit((unsigned char)*++(*p)))
		return -1;
	for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
		*frac_ns += (uint64_t)(**p - '0') * scale;
	return 0;
}

/* The zone of a time, "Z" or (+|-)HH[:]MM, or none. */
enum timearg_zone {
	TIMEARG_ZONE_BAD = -1,	/* garbage */
	TIMEARG_ZONE_LOCAL = 0,	/* none: the time is local */
	TIMEARG_ZONE_GIVEN = 1,	/* *off holds seconds east of UTC */
};

static enum timearg_zone
timearg_zone(const char *p, long *off)
{
	int sign, h, m;

	*off = 0;
	if (*p == '\0')
		return TIMEARG_ZONE_LOCAL;
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0)
		return TIMEARG_ZONE_GIVEN;
	if (*p != '+' && *p != '-')
		return TIMEARG_ZONE_BAD;
	sign = *p++ == '-' ? -1 : 1;
	if (timearg_digits(&p, 2, &h) == -1 || (*p == ':' && *++p == '\0') ||
	    timearg_digits(&p, 2, &m) == -1 || *p != '\0' || h > 23 || m > 59)
		return TIMEARG_ZONE_BAD;
	*off = sign * (h * 3600L + m * 60L);
	return TIMEARG_ZONE_GIVEN;
}

static int
timearg_absolute(const char *arg, uint64_t *out_ns)
{
	struct tm tm = { 0 };
	uint64_t frac = 0;
	const char *p = arg;
	enum timearg_zone zone;
	long off;
	time_t t;

	if (timearg_date(&p, &tm) == -1 ||
	    timearg_clock(&p, &tm, &frac) == -1 ||
	    (zone = timearg_zone(p, &off)) == TIMEARG_ZONE_BAD)
		return -1;
	if (zone == TIMEARG_ZONE_GIVEN)
		t = timegm(&tm) - off;
	else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t < 0)
		return -1;
	*out_ns = (uint64_t)t * TIMEARG_NS_PER_SEC + frac;
	return 0;
}

int
timearg_parse(const char *arg, uint64_t now_ns, uint64_t *out_ns)
{
	if (arg == NULL || *arg == '\0')
		return -1;
	if (timearg_relative(arg, now_ns, out_ns) == 0)
		return 0;
	return timearg_absolute(arg, out_ns);
}
