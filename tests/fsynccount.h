/* fsynccount.h - fsync calls counted, for unit tests linked with
 * fsynccount.c and -Wl,--wrap=fsync (tests/unit.cmake): each call is
 * counted and then made. */
#ifndef RC_FSYNCCOUNT_H
#define RC_FSYNCCOUNT_H

extern int fsynccount_calls;

#endif
