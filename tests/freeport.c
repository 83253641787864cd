/* freeport.c - print N (default 1) distinct free TCP ports on 127.0.0.1,
 * one per line, for the shell tests. All N stay bound until printed so that
 * the kernel cannot hand out the same port twice. With --hold they stay
 * bound, never listening, until the process is killed: a connection to
 * one is refused, and no other process can take it meanwhile. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FREEPORT_MAX	64

static int
bind_any(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

int
main(int argc, char **argv)
{
	int fds[FREEPORT_MAX], ports[FREEPORT_MAX];
	long n = 1;
	char *end;
	int hold = 0;

	if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
		hold = 1;
		argc--, argv++;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--help") == 0)) {
		fprintf(argc > 2 ? stderr : stdout,
		    "usage: freeport [--hold] [N]  (N from 1 to %d)\n",
		    FREEPORT_MAX);
		return argc > 2 ? 2 : 0;
	}
	if (argc == 2) {
		n = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || n < 1 ||
		    n > FREEPORT_MAX) {
			fprintf(stderr, "freeport: N must be 1 to %d\n",
			    FREEPORT_MAX);
			return 2;
		}
	}
	for (long i = 0; i < n; i++)
		if ((fds[i] = bind_any(&ports[i])) == -1) {
			perror("freeport");
			return 1;
		}
	for (long i = 0; i < n; i++)
		printf("%d\n", ports[i]);
	if (fflush(stdout) != 0)
		return 1;
	if (hold) {
		/* SIGTERM's default action ends us; the kernel frees the ports. */
		fclose(stdout);
		for (;;)
			pause();
	}
	return 0;
}
