// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, one injection point at a time, through
 * /proc/thread-self/fail-nth (Documentation/fault-injection/
 * fault-injection.rst): for N = 1, 2, 3, ... the N-th fault-injection point
 * the kernel reaches in this task during the operation fails, and after each
 * attempt the system must be as the operation's result says.
 *
 *   fail_nth [OPTIONS] insmod MODULE.ko [PARAMS]
 *	finit_module(2) of the file; a module that got loaded is removed again
 *	with delete_module(2). Its dependencies must be loaded, it must not be;
 *	their reference counts must be the same after every attempt.
 *   fail_nth [OPTIONS] write PATH STRING
 *	open(2) of PATH (a sysfs or debugfs file) and write(2) of STRING.
 *   fail_nth [OPTIONS] open-write DEV SIZE
 *	open(2) of DEV (/dev/fpga_imageN) and FPGA_IMAGE_LOAD_WRITE of a
 *	SIZE-byte image; a load that started is waited for and must succeed.
 *
 * Each attempt: N is written to fail-nth, the operation's system calls run,
 * fail-nth is read back (0: the N-th point was reached and failed; a positive
 * value: the operation has fewer than N points) and set to 0. The sweep ends
 * at the first N that was not injected, and that attempt must succeed.
 * An injected attempt is clean when it fails with an errno of --allow and
 * leaves nothing behind, or when it succeeds (the failure was absorbed:
 * kmemleak's and debugobjects' fallback pools, best-effort debugfs files, a
 * vmalloc() that retries page by page...) and is undone like any success.
 * Before the sweep, one attempt with fail-nth at 1000000 counts the points
 * without failing any.
 *
 * Nothing else may reach an injection point in this task between the write
 * to fail-nth and the operation: no exec, no output, and no page fault (all
 * memory is locked in with mlockall() first).
 *
 * Options:
 *   --allow E1,E2,...	errnos an injected failure may report (default ENOMEM)
 *   --present PATH	must exist after a successful attempt, before it is
 *			undone (repeatable)
 *   --gone PATH	must not exist once an attempt is over and undone
 *			(repeatable)
 *   --state PATH	write: exists exactly when the write succeeded
 *   --undo PATH	write: STRING is written to PATH after a success
 *   --readback PATH	open-write: holds the image after a successful load
 *   --from N		first N (default 1)
 *   --max N		fail if the operation has this many points or more
 *			(default 5000)
 *   --min N		fail if it has fewer (default 1): a sweep that finds
 *			fewer points than the path is known to have misses some
 *   --deadline SECS	stop after SECS seconds, and fail: the sweep is
 *			incomplete
 *   --descending	N from the count down to --from (after the first N
 *			not injected, up from the count): when time runs out,
 *			the points tried are the last the operation reaches
 *   --last K		with --descending: only the last K points (--from is
 *			the count minus K plus one); for a module, its init
 *			and what follows it, not the loader's first steps
 *
 * Prints "fail_nth: OP TARGET: K injection points, errnos: ENOMEM=A ..."
 * and exits 0 when every attempt was clean, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/fpga-image-load.h>

#ifndef FAIL_NTH
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#endif
/* More injection points than any operation has: counts them, fails none. */
#define COUNT_NTH	1000000u
#define MAX_PATHS	16
#define MAX_DEPS	8
#define MAX_ERRNOS	32
#define MAX_REPORTS	20
#define NAME_LEN	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* One attempt of the operation. */
struct attempt {
	unsigned int nth;	/* written to fail-nth before the operation */
	unsigned long left;	/* read back after it */
	const char *call;	/* the system call that failed; NULL: success */
	int err;		/* its errno; 0 for a short write */
	int fd;			/* open-write: the device file, or -1 */
	bool started;		/* open-write: FPGA_IMAGE_LOAD_WRITE succeeded */
};

struct op {
	const char *name;
	/* Arms fail-nth, runs the operation, disarms: -1 if fail-nth failed. */
	int (*attempt)(struct attempt *a);
	/*
	 * Checks the state against the result and undoes a success: 0 when
	 * clean, 1 when not but the sweep can go on, -1 when it cannot.
	 */
	int (*settle)(struct attempt *a);
};

static int nth_fd = -1;
static char label[256];
static unsigned int problems, reports;

/* The sweep so far. */
static unsigned int tried, top, succeeded, counted;
static double t0, last_note;

/* --allow, and what the injected attempts reported. */
static int allowed[MAX_ERRNOS];
static unsigned int nr_allowed;
static struct {
	const char *call;
	int err;
	unsigned int count;
} seen[MAX_ERRNOS];
static unsigned int nr_seen;

static const char *present[MAX_PATHS], *gone[MAX_PATHS];
static unsigned int nr_present, nr_gone;

/* insmod */
static int mod_fd = -1;
static const char *mod_params = "";
static char mod_name[NAME_LEN];
static struct {
	char name[NAME_LEN];
	long refcnt;
} deps[MAX_DEPS];
static unsigned int nr_deps;

/* write */
static const char *w_path, *w_str, *w_state, *w_undo;
static size_t w_len;

/* open-write */
static const char *ow_dev, *ow_readback;
static uint32_t ow_size;
static unsigned char *ow_image, *ow_check;

static const char *errname(int err)
{
	static char buf[16];
	const char *s = err ? strerrorname_np(err) : "short write";

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* A problem at attempt @a (NULL: outside the sweep); the first few are told. */
static void __printf(2, 3)
report(const struct attempt *a, const char *fmt, ...)
{
	va_list ap;

	problems++;
	if (++reports > MAX_REPORTS) {
		if (reports == MAX_REPORTS + 1)
			printf("# fail_nth: %s: more problems, not shown\n", label);
		return;
	}
	if (!a)
		printf("# fail_nth: %s: ", label);
	else if (a->nth == COUNT_NTH)
		printf("# fail_nth: %s: counting attempt: ", label);
	else
		printf("# fail_nth: %s: N=%u: ", label, a->nth);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Writes @len bytes of @s to the file @path; 0 or -1 with errno. */
static int write_file(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = write(fd, s, len);
	e = errno;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	errno = n < 0 ? e : EIO;
	return -1;
}

/* The number in the file @path, or -1. */
static long read_number(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* fail-nth ------------------------------------------------------------- */

/* From the next system call on, the @nth-th injection point fails; 0: none. */
static int set_nth(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -1;
}

/* Reads fail-nth back into @a->left and disarms it. */
static int finish(struct attempt *a)
{
	char buf[16];
	ssize_t n;

	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (set_nth(0) || n <= 0)
		return -1;
	buf[n] = '\0';
	a->left = strtoul(buf, NULL, 10);
	return 0;
}

/* insmod ------------------------------------------------------------------ */

static bool module_loaded(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", mod_name);
	return exists(path);
}

static long dep_refcnt(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return read_number(path);
}

/* Removes the module; a reference held for a moment is waited for (2 s). */
static int unload(void)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!syscall(SYS_delete_module, mod_name, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -1;
		usleep(10000);
	}
	return -1;
}

/* The module's name and dependencies, from its .modinfo section. */
static void read_modinfo(const char *path)
{
	const char *base = strrchr(path, '/');
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strs;
	char *buf = NULL, *p, *end, *s;
	struct stat st;
	size_t size, i;
	int fd;

	/* Fallback: the file name, as kbuild names modules. */
	snprintf(mod_name, sizeof(mod_name), "%s", base ? base + 1 : path);
	s = strstr(mod_name, ".ko");
	if (s)
		*s = '\0';
	for (s = mod_name; *s; s++)
		if (*s == '-')
			*s = '_';

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)sizeof(eh))
		goto out;
	size = st.st_size;
	buf = malloc(size);
	if (!buf || pread(fd, buf, size, 0) != (ssize_t)size)
		goto out;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(sh) || eh.e_shoff > size ||
	    eh.e_shnum > (size - eh.e_shoff) / sizeof(sh) || eh.e_shstrndx >= eh.e_shnum)
		goto out;
	memcpy(&strs, buf + eh.e_shoff + eh.e_shstrndx * sizeof(sh), sizeof(sh));
	if (strs.sh_offset > size || strs.sh_size > size - strs.sh_offset)
		goto out;
	for (i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, buf + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_name >= strs.sh_size ||
		    strnlen(buf + strs.sh_offset + sh.sh_name, strs.sh_size - sh.sh_name) ==
		    strs.sh_size - sh.sh_name ||
		    strcmp(buf + strs.sh_offset + sh.sh_name, ".modinfo") ||
		    sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
			continue;
		p = buf + sh.sh_offset;
		end = p + sh.sh_size;
		while (p < end) {
			size_t len = strnlen(p, end - p);

			if (len == (size_t)(end - p))
				break;
			if (!strncmp(p, "name=", 5) && len > 5) {
				snprintf(mod_name, sizeof(mod_name), "%s", p + 5);
			} else if (!strncmp(p, "depends=", 8)) {
				for (s = strtok(p + 8, ","); s && nr_deps < MAX_DEPS;
				     s = strtok(NULL, ","))
					snprintf(deps[nr_deps++].name, NAME_LEN, "%s", s);
			}
			p += len + 1;
		}
		break;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
}

static int insmod_attempt(struct attempt *a)
{
	long r;
	int e;

	if (set_nth(a->nth))
		return -1;
	r = syscall(SYS_finit_module, mod_fd, mod_params, 0);
	e = errno;
	if (finish(a))
		return -1;
	if (r) {
		a->call = "finit_module";
		a->err = e;
	}
	return 0;
}

static int insmod_settle(struct attempt *a)
{
	bool loaded = module_loaded();
	int bad = 0;

	if (!a->call && !loaded) {
		report(a, "finit_module succeeded, yet /sys/module/%s is missing", mod_name);
		return -1;
	}
	if (a->call && loaded) {
		report(a, "finit_module failed with %s, yet %s is loaded",
		       errname(a->err), mod_name);
		bad = 1;
	}
	if (loaded && unload()) {
		report(a, "delete_module(%s): %s", mod_name, errname(errno));
		return -1;
	}
	return bad;
}

/* write ------------------------------------------------------------------- */

static int write_attempt(struct attempt *a)
{
	ssize_t n = 0;
	int fd, e = 0;

	if (set_nth(a->nth))
		return -1;
	fd = open(w_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		n = write(fd, w_str, w_len);
		e = errno;
	}
	if (finish(a)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0) {
		a->call = "open";
		a->err = e;
		return 0;
	}
	close(fd);
	if (n != (ssize_t)w_len) {
		a->call = "write";
		a->err = n < 0 ? e : 0;
	}
	return 0;
}

static int write_settle(struct attempt *a)
{
	bool done = !a->call;
	int bad = 0;

	if (w_state) {
		bool on = exists(w_state);

		if (on != done) {
			report(a, "%s %s, yet %s %s", a->call ? a->call : "write",
			       a->call ? errname(a->err) : "succeeded", w_state,
			       on ? "exists" : "is missing");
			bad = 1;
		}
		done = on;
	}
	if (done && w_undo) {
		if (write_file(w_undo, w_str, w_len)) {
			report(a, "undo: write to %s: %s", w_undo, errname(errno));
			return -1;
		}
		if (w_state && exists(w_state)) {
			report(a, "%s still exists after the undo", w_state);
			return -1;
		}
	}
	return bad;
}

/* open-write -------------------------------------------------------------- */

static int open_write_attempt(struct attempt *a)
{
	struct fpga_image_write w = {
		.size = ow_size,
		.buf = (uintptr_t)ow_image,
	};
	int fd, r = -1, e = 0;

	/* Every attempt's image differs: a stale one cannot pass for it. */
	memcpy(ow_image, &a->nth, sizeof(a->nth));
	if (set_nth(a->nth))
		return -1;
	fd = open(ow_dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		r = ioctl(fd, FPGA_IMAGE_LOAD_WRITE, &w);
		e = errno;
	}
	if (finish(a)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	a->fd = fd;
	if (fd < 0) {
		a->call = "open";
		a->err = e;
	} else if (r) {
		a->call = "ioctl";
		a->err = e;
	} else {
		a->started = true;
	}
	return 0;
}

/* Whether the --readback file differs from the image. */
static bool readback_differs(void)
{
	int fd = open(ow_readback, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return true;
	/* One byte more than the image: a longer file differs. */
	while (got <= ow_size && (n = read(fd, ow_check + got, ow_size + 1 - got)) > 0)
		got += n;
	close(fd);
	return got != ow_size || memcmp(ow_check, ow_image, ow_size);
}

static int open_write_settle(struct attempt *a)
{
	struct fpga_image_status st;
	struct pollfd p;
	int bad = 0, fd = a->fd;

	if (fd >= 0) {
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		if (a->started && (poll(&p, 1, 30000) != 1 || !(p.revents & POLLIN))) {
			report(a, "the load did not end within 30 s (revents %#x)", p.revents);
			close(fd);
			return -1;
		}
		if (ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st)) {
			report(a, "FPGA_IMAGE_LOAD_STATUS: %s", errname(errno));
			close(fd);
			return -1;
		}
		if (st.progress != FPGA_IMAGE_PROG_IDLE) {
			report(a, "%s, yet the card is not idle (progress %u)",
			       a->started ? "the load ended" : "no load started", st.progress);
			bad = 1;
		}
		if (a->started && (st.err_code || st.remaining_size)) {
			report(a, "the load failed: error %u at stage %u, %u bytes left",
			       st.err_code, st.err_progress, st.remaining_size);
			bad = 1;
		}
		close(fd);
		if (a->started && !bad && ow_readback && readback_differs()) {
			report(a, "%s does not hold the image", ow_readback);
			bad = 1;
		}
	}
	/* Nothing of the attempt stays open: the device opens again. */
	fd = open(ow_dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		report(a, "%s does not open afterwards: %s", ow_dev, errname(errno));
		return -1;
	}
	close(fd);
	return bad;
}

/* The sweep --------------------------------------------------------------- */

static const struct op ops[] = {
	{ "insmod", insmod_attempt, insmod_settle },
	{ "write", write_attempt, write_settle },
	{ "open-write", open_write_attempt, open_write_settle },
};

/* Checks that hold after every attempt, whatever the operation. */
static int check_after(const struct attempt *a)
{
	unsigned int i;
	int bad = 0;
	long r;

	for (i = 0; i < nr_gone; i++) {
		if (exists(gone[i])) {
			report(a, "%s is left behind", gone[i]);
			bad = 1;
		}
	}
	for (i = 0; i < nr_deps; i++) {
		r = dep_refcnt(deps[i].name);
		if (r != deps[i].refcnt) {
			report(a, "the reference count of %s is %ld, not %ld", deps[i].name,
			       r, deps[i].refcnt);
			bad = 1;
		}
	}
	return bad;
}

/* One attempt, checked and undone: 0 clean, 1 not, -1 cannot go on. */
static int run(const struct op *op, struct attempt *a, unsigned int nth)
{
	unsigned int i;
	int r, c;

	memset(a, 0, sizeof(*a));
	a->nth = nth;
	a->fd = -1;
	if (op->attempt(a)) {
		set_nth(0);
		report(a, "%s: %s", FAIL_NTH, strerror(errno));
		return -1;
	}
	/* An injected failure: its errno is counted, and must be allowed. */
	if (a->left == 0 && a->call) {
		bool ok = false;

		for (i = 0; i < nr_seen; i++)
			if (seen[i].err == a->err && !strcmp(seen[i].call, a->call))
				break;
		if (i == nr_seen && nr_seen < MAX_ERRNOS) {
			seen[i].call = a->call;
			seen[i].err = a->err;
			nr_seen++;
		}
		if (i < nr_seen)
			seen[i].count++;
		for (i = 0; i < nr_allowed; i++)
			ok |= allowed[i] == a->err;
		if (!ok)
			report(a, "%s failed with %s, not an allowed errno", a->call,
			       errname(a->err));
	}
	/* What a success makes must be there, however it got there. */
	c = 0;
	for (i = 0; !a->call && i < nr_present; i++) {
		if (!exists(present[i])) {
			report(a, "%s succeeded, yet %s is missing", op->name, present[i]);
			c = 1;
		}
	}
	r = op->settle(a);
	if (r < 0)
		return r;
	return r | c | check_after(a);
}

/*
 * Attempt N=@nth of the sweep: 0 if it was injected, 1 if not (the operation
 * has fewer points; it must then have succeeded), -1 if the sweep cannot go
 * on.
 */
static int step(const struct op *op, unsigned int nth)
{
	struct attempt a;

	if (now() - last_note >= 30) {
		last_note = now();
		printf("# fail_nth: %s: %u of about %u points tried, at N=%u, after %.0f s\n",
		       label, tried, counted, nth, last_note - t0);
	}
	if (run(op, &a, nth) < 0)
		return -1;
	if (a.left) {
		if (a.call)
			report(&a, "%s failed with %s, not injected", a.call, errname(a.err));
		return 1;
	}
	tried++;
	if (nth > top)
		top = nth;
	if (!a.call)
		succeeded++;
	return 0;
}

static int parse_errno(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	int i;

	if (*s && !*end && n > 0 && n < 4096)
		return n;
	for (i = 1; i < 4096; i++) {
		const char *name = strerrorname_np(i);

		if (name && !strcmp(name, s))
			return i;
	}
	return -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fail_nth [OPTIONS] insmod MODULE.ko [PARAMS]\n"
		"       fail_nth [OPTIONS] write PATH STRING\n"
		"       fail_nth [OPTIONS] open-write DEV SIZE\n"
		"options: --allow E1,E2  --present PATH  --gone PATH  --state PATH\n"
		"         --undo PATH  --readback PATH  --from N  --max N  --deadline SECS\n"
		"         --descending  --last K  --min N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "allow", required_argument, NULL, 'a' },
		{ "present", required_argument, NULL, 'p' },
		{ "gone", required_argument, NULL, 'g' },
		{ "state", required_argument, NULL, 's' },
		{ "undo", required_argument, NULL, 'u' },
		{ "readback", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ "max", required_argument, NULL, 'm' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "descending", no_argument, NULL, 'D' },
		{ "last", required_argument, NULL, 'L' },
		{ "min", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned int from = 1, max = 5000, min = 1, nth;
	const char *allow = "ENOMEM", *cmd;
	bool complete = false, descending = false;
	unsigned int last = 0;
	const struct op *op = NULL;
	double deadline = 0;
	struct attempt a;
	char *list, *s;
	unsigned int i;
	int c, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (c) {
		case 'a':
			allow = optarg;
			break;
		case 'p':
			if (nr_present == MAX_PATHS)
				usage();
			present[nr_present++] = optarg;
			break;
		case 'g':
			if (nr_gone == MAX_PATHS)
				usage();
			gone[nr_gone++] = optarg;
			break;
		case 's':
			w_state = optarg;
			break;
		case 'u':
			w_undo = optarg;
			break;
		case 'r':
			ow_readback = optarg;
			break;
		case 'f':
			from = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			max = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			deadline = strtod(optarg, NULL);
			break;
		case 'D':
			descending = true;
			break;
		case 'L':
			last = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			min = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || !from)
		usage();
	cmd = argv[optind++];
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(cmd, ops[i].name))
			op = &ops[i];
	if (!op)
		usage();

	list = strdup(allow);
	for (s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		r = parse_errno(s);
		if (r < 0 || nr_allowed == MAX_ERRNOS) {
			fprintf(stderr, "fail_nth: unknown errno %s\n", s);
			return 2;
		}
		allowed[nr_allowed++] = r;
	}
	free(list);

	if (op == &ops[0]) {
		if (optind >= argc || argc - optind > 2)
			usage();
		read_modinfo(argv[optind]);
		mod_fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
		if (mod_fd < 0) {
			fprintf(stderr, "fail_nth: %s: %s\n", argv[optind], strerror(errno));
			return 2;
		}
		if (optind + 1 < argc)
			mod_params = argv[optind + 1];
		snprintf(label, sizeof(label), "insmod %s", mod_name);
		for (i = 0; i < nr_deps; i++)
			deps[i].refcnt = dep_refcnt(deps[i].name);
	} else if (op == &ops[1]) {
		if (argc - optind != 2)
			usage();
		w_path = argv[optind];
		w_str = argv[optind + 1];
		w_len = strlen(w_str);
		snprintf(label, sizeof(label), "write %s", w_path);
	} else {
		if (argc - optind != 2)
			usage();
		ow_dev = argv[optind];
		ow_size = strtoul(argv[optind + 1], NULL, 0);
		if (!ow_size || ow_size % 4)
			usage();
		ow_image = malloc(ow_size);
		ow_check = malloc(ow_size + 1);
		if (!ow_image || !ow_check)
			return 2;
		for (i = 0; i < ow_size; i++)
			ow_image[i] = i * 167 + (i >> 8) * 13 + 7;
		snprintf(label, sizeof(label), "open-write %s", ow_dev);
	}

	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0 || set_nth(0)) {
		fprintf(stderr, "fail_nth: %s: %s (is CONFIG_FAULT_INJECTION on?)\n",
			FAIL_NTH, strerror(errno));
		return 2;
	}
	/* If the test runner kills our shell, the sweep ends with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/*
	 * A page fault between arming fail-nth and the system call would be
	 * counted (page tables, user pages): every page is mapped from now on.
	 */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		printf("# fail_nth: %s: mlockall: %s; page faults may take injections\n",
		       label, strerror(errno));

	t0 = now();
	last_note = t0;

	/* The counting attempt: nothing fails, so it must succeed. */
	r = run(op, &a, COUNT_NTH);
	counted = COUNT_NTH - a.left;
	if (r || a.call || !a.left) {
		if (a.call)
			report(&a, "%s failed with %s without any injection", a.call,
			       errname(a.err));
		else if (!a.left)
			report(&a, "more than %u injection points", COUNT_NTH);
		printf("fail_nth: %s: fails or leaves something behind without injection\n",
		       label);
		return 1;
	}

	/*
	 * Ascending, N = 1, 2, 3... up to the first N not injected. Descending,
	 * that first N is found up from the count (normally the count plus
	 * one), then N goes down from the count: when time runs out, the points
	 * tried are the last ones the operation reaches (for a module, its
	 * init), not the first (the module loader's).
	 */
	if (counted >= max) {
		report(NULL, "%u injection points counted, --max is %u", counted, max);
		r = -1;
	}
	/* Fewer than the path is known to have: the injection misses some. */
	if (counted < min) {
		report(NULL, "%u injection points counted, fewer than --min %u", counted, min);
		r = -1;
	}
	if (descending && last && counted > last)
		from = counted - last + 1;
	for (nth = descending ? counted + 1 : from; r == 0; nth++) {
		if (nth > max) {
			report(NULL, "N=%u, the --max, was still injected", max);
			break;
		}
		if (deadline > 0 && now() - t0 > deadline)
			break;
		r = step(op, nth);
		if (r < 0)
			break;
		if (r) {
			complete = !descending;
			break;
		}
	}
	for (nth = counted; descending && r > 0; nth--) {
		if (nth < from) {
			complete = true;
			break;
		}
		if (deadline > 0 && now() - t0 > deadline)
			break;
		r = step(op, nth);
		if (r < 0)
			break;
		/* Not injected: this attempt had fewer points than the count. */
		r = 1;
	}

	if (complete && from > 1)
		printf("fail_nth: %s: the last %u of %u injection points,", label,
		       top - from + 1, top);
	else if (complete)
		printf("fail_nth: %s: %u injection points,", label, top);
	else
		printf("fail_nth: %s: incomplete, %u of about %u injection points in %.0f s,",
		       label, tried, counted, now() - t0);
	printf(" errnos:");
	if (!nr_seen)
		printf(" none");
	for (i = 0; i < nr_seen; i++) {
		unsigned int j, sum = 0;

		for (j = 0; j < i; j++)
			if (seen[j].err == seen[i].err)
				break;
		if (j < i)
			continue;
		for (j = i; j < nr_seen; j++)
			if (seen[j].err == seen[i].err)
				sum += seen[j].count;
		printf(" %s=%u", errname(seen[i].err), sum);
	}
	printf("\n# fail_nth: %s: failed:", label);
	for (i = 0; i < nr_seen; i++)
		printf(" %s %s=%u%s", seen[i].call, errname(seen[i].err), seen[i].count,
		       i + 1 < nr_seen ? "," : "");
	printf("%s; succeeded while injected: %u; counted uninjected: %u; %.1f s; %u problems\n",
	       nr_seen ? "" : " none", succeeded, counted, now() - t0, problems);
	return complete && !problems ? 0 : 1;
}
