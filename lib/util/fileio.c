/* fileio.c - file-descriptor helpers (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <unistd.h>

int
fileio_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Never spin on a descriptor that takes nothing. */
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
