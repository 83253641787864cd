/* fileio.h - small file-descriptor helpers shared by the modules that write
 * files: writing a whole buffer through short writes and signals. */
#ifndef RC_FILEIO_H
#define RC_FILEIO_H

#include <stddef.h>

/* Write all n bytes of p to fd, going on after short writes and EINTR
 * (n == 0 writes nothing and succeeds). Returns 0, or -1 with errno (EIO
 * if write(2) makes no progress); after a failure an unknown prefix of p
 * may have been written. */
int fileio_write_all(int fd, const void *p, size_t n)
	__attribute__((warn_unused_result));

#endif
