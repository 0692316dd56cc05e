// SPDX-License-Identifier: GPL-2.0
/*
 * Many whole reads of one file, from several threads at once, each checked
 * against a reference copy: for a sysfs attribute whose content may vanish
 * (its driver unbound) while it is read.
 *
 *   sysfs_reads FILE REF THREADS READS [PAUSE_US]
 *
 * Each of THREADS threads opens FILE, reads it to the end in page-sized
 * read(2)s (so a table larger than a page takes several calls, between which
 * the file can change), closes it, and does so READS times, PAUSE_US
 * microseconds apart (default 0), so that the reads can be spread over the
 * changes of the file. A read is
 *   whole	every call succeeded and the bytes are those of REF;
 *   error	a call failed (open or read): the errno is counted by name;
 *   torn	every call succeeded but the bytes differ from REF: a part of
 *		the table, or parts of two.
 * Prints "<whole> <error> <torn>" on the first line, then "<count> <errno
 * name>" for each errno seen. Exits 0 unless it could not run at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
#define MAX_SIZE (1 << 20)
#define MAX_ERRNO 256

static const char *path;
static unsigned char *ref;
static size_t ref_len;
static long reads;
static long pause_us;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long whole, errors, torn;
static long errnos[MAX_ERRNO];

static void count_error(int e)
{
	pthread_mutex_lock(&lock);
	errors++;
	errnos[e > 0 && e < MAX_ERRNO ? e : 0]++;
	pthread_mutex_unlock(&lock);
}

/* One whole read of the file into buf: its length, or -errno. */
static long read_whole(unsigned char *buf)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	do {
		if (len + PAGE > MAX_SIZE) {
			close(fd);
			return -EFBIG;
		}
		n = read(fd, buf + len, PAGE);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		len += n;
	} while (n > 0);
	close(fd);
	return len;
}

static void *reader(void *arg)
{
	unsigned char *buf = malloc(MAX_SIZE);
	long i, n;

	(void)arg;
	if (!buf) {
		perror("malloc");
		exit(2);
	}
	for (i = 0; i < reads; i++) {
		n = read_whole(buf);
		if (n < 0) {
			count_error(-n);
		} else {
			pthread_mutex_lock(&lock);
			if ((size_t)n == ref_len && !memcmp(buf, ref, ref_len))
				whole++;
			else
				torn++;
			pthread_mutex_unlock(&lock);
		}
		/*
		 * After a failed read too: an unbound file fails at once, and
		 * without the pause the threads would spend every read while
		 * one unbind lasts.
		 */
		if (pause_us)
			usleep(pause_us);
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	long nthreads, i, n;
	FILE *f;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: sysfs_reads FILE REF THREADS READS [PAUSE_US]\n");
		return 2;
	}
	path = argv[1];
	nthreads = strtol(argv[3], NULL, 0);
	reads = strtol(argv[4], NULL, 0);
	pause_us = argc == 6 ? strtol(argv[5], NULL, 0) : 0;
	ref = malloc(MAX_SIZE);
	threads = calloc(nthreads > 0 ? nthreads : 1, sizeof(*threads));
	f = fopen(argv[2], "rb");
	if (!ref || !threads || !f || nthreads < 1 || reads < 1 || pause_us < 0) {
		fprintf(stderr, "sysfs_reads: cannot start: %s\n", f ? "bad arguments" : argv[2]);
		return 2;
	}
	ref_len = fread(ref, 1, MAX_SIZE, f);
	fclose(f);
	for (i = 0; i < nthreads; i++) {
		n = pthread_create(&threads[i], NULL, reader, NULL);
		if (n) {
			fprintf(stderr, "sysfs_reads: pthread_create: %s\n", strerror(n));
			return 2;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	printf("%ld %ld %ld\n", whole, errors, torn);
	for (i = 0; i < MAX_ERRNO; i++)
		if (errnos[i])
			printf("%ld %s\n", errnos[i], i ? strerrorname_np(i) : "unknown");
	return 0;
}
