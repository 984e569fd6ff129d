/*
 * testutil.c - helpers shared by the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

void
tu_mkdtemp(char *out, const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, PATH_MAX, "%s/modelreg-%s-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", tag);
	if (mkdtemp(out) == NULL)
		fail_msg("mkdtemp %s: %s", out, strerror(errno));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mkdirs_for(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
}

void
tu_write_file(const char *path, const void *data, size_t len)
{
	const char *p = data;
	int fd;

	mkdirs_for(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

void *
tu_read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}


/* sh script DIR: the certificates of tu_make_certs. */
static const char make_certs_sh[] =
    "set -e\n"
    "cd \"$1\"\n"
    "ca() { # NAME CN\n"
    "  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
    "-nodes -days 2 -subj \"/CN=$2\" -keyout $1.key -out $1.pem "
    "-addext basicConstraints=critical,CA:TRUE "
    "-addext keyUsage=critical,keyCertSign,cRLSign\n"
    "}\n"
    "leaf() { # NAME CA CN SERIAL EXTENSION\n"
    "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
    "-subj \"/CN=$3\" -keyout $1.key -out $1.csr\n"
    "  echo \"$5\" > $1.ext\n"
    "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key "
    "-set_serial $4 -days 2 -extfile $1.ext -out $1.pem\n"
    "}\n"
    "ca ca 'modelreg test CA'\n"
    "ca other-ca 'another CA'\n"
    "leaf server ca localhost 1 "
    "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
    "leaf elsewhere ca elsewhere.example 2 "
    "subjectAltName=DNS:elsewhere.example\n"
    "leaf client ca tester 3 extendedKeyUsage=clientAuth\n"
    "leaf stranger other-ca stranger 4 extendedKeyUsage=clientAuth\n";

void
tu_make_certs(const char *dir)
{
	char script[PATH_MAX + 32], cmd[3 * PATH_MAX + 64];

	snprintf(script, sizeof(script), "%s/make-certs.sh", dir);
	tu_write_file(script, make_certs_sh, strlen(make_certs_sh));
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' > '%s/openssl.log' 2>&1",
	    script, dir, dir);
	if (system(cmd) != 0)
		fail_msg("making certificates with openssl failed; see "
		    "%s/openssl.log", dir);
}
