/* log.h - diagnostics to stderr, one line per call, level checked first.
 * Logs are diagnostics; spans are data and go to the spool, never here. */
#ifndef RC_LOG_H
#define RC_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the program name shown on each line (kept, not copied: a string
 * that lives as long as the program) and the most verbose level kept.
 * Cannot fail. */
void log_init(const char *progname, enum log_level level);
/* Parse "error|warn|info|debug" into *out; returns 0, or -1 (*out
 * unchanged) for anything else. */
int log_parse_level(const char *s, enum log_level *out)
	__attribute__((warn_unused_result));
/* 1 when a line at level would be written, else 0: lets a caller skip
 * work done only for a log line. Cannot fail. */
int log_enabled(enum log_level level);

/* Each writes one line to stderr with one write(2) when its level is
 * kept; a failed write is ignored (there is nowhere left to report it).
 * log_warn appends ": strerror(errno)"; the x variants do not. */

/* A warning with ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An informational line. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A debugging line. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level with ": strerror(errno)" and exit(1). */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Log at error level and exit(1). */
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
