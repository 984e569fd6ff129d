/*
 * fake_main.c - fake_server.c as a program, so that the CLI can be tested
 * as users run it: `fake_modelregd URL` serves until SIGTERM or SIGINT.
 * FAKE_CORRUPT_CHUNKS=1 in the environment corrupts every chunk served.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_server.h"

int
main(int argc, char **argv)
{
	fake_server *f;
	sigset_t set;
	int sig;

	if (argc != 2) {
		fprintf(stderr, "usage: fake_modelregd URL\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so that sigwait gets them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((f = fake_start(argv[1])) == NULL) {
		fprintf(stderr, "fake_modelregd: cannot listen at %s\n",
		    argv[1]);
		return 1;
	}
	if (getenv("FAKE_CORRUPT_CHUNKS") != NULL)
		fake_knobs_of(f)->corrupt_chunks = true;
	sigwait(&set, &sig);
	fake_stop(f);
	return 0;
}
