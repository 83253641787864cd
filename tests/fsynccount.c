/* fsynccount.c - the fsync wrapper of fsynccount.h. */
#include "fsynccount.h"

int fsynccount_calls;

int __real_fsync(int fd);
int __wrap_fsync(int fd);

int
__wrap_fsync(int fd)
{
	fsynccount_calls++;
	return __real_fsync(fd);
}
