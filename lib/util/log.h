/* log.h - diagnostics to stderr, one line per call, level checked first.
 * Logs are diagnostics; spans are data and go to the spool, never here. */
#ifndef RC_LOG_H
#define RC_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the program name shown on each line and the most verbose level kept. */
void log_init(const char *progname, enum log_level level);
/* Parse "error|warn|info|debug"; returns 0, or -1 for anything else. */
int log_parse_level(const char *s, enum log_level *out)
	__attribute__((warn_unused_result));
int log_enabled(enum log_level level);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(1). */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
