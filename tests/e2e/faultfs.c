/*
 * faultfs.c - an LD_PRELOAD shim for test_faults.c: I/O errors from the
 * system calls themselves, in the spirit of SQLite's fault-injecting VFS
 * but under RocksDB, which only sees the return values.
 *
 * While the file named by MODELREG_FAULT_SYNC exists, every fsync(2) and
 * fdatasync(2) of a write-ahead log file ("*.log" in the data directory)
 * fails with EIO, as it does when a disk reports a lost write. Everything
 * else passes through to libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
failing(int fd)
{
	const char *trigger = getenv("MODELREG_FAULT_SYNC");
	char link[64], path[4096];
	ssize_t n;

	if (trigger == NULL || access(trigger, F_OK) != 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 4)
		return false;
	path[n] = '\0';
	return strcmp(path + n - 4, ".log") == 0;
}

int
fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int
fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
