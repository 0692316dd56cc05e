// SPDX-License-Identifier: GPL-2.0
/*
 * A structured fuzzer of an FPGA Image Load card and of sysfs/debugfs files:
 *
 *   fpga_fuzz DEV CALLS THREADS [SEED] [-- FILE...]
 *
 * THREADS threads make CALLS system calls in all (about), at random:
 *   - ioctl() on DEV: our four commands with structured arguments (sizes
 *     from 0 to past the limit, flags and padding, eventfds valid, closed,
 *     not eventfds), the same numbers with other sizes and directions,
 *     other numbers of our magic, and any number at all; the argument is a
 *     valid buffer, NULL, an unmapped page, an unaligned pointer, a kernel
 *     address or random bits;
 *   - read(), write() and poll() on DEV, and open() of a second file of it;
 *   - write() of a random value to one of the FILEs (knobs of debugfs and
 *     sysfs): numbers, hex, words, junk. A FILE whose name ends in "_us" or
 *     "_ms" gets only numbers below 1000, so that no load takes minutes.
 * DEV is shared by the threads. When it goes away (ENODEV: its driver was
 * unloaded) it is opened again once it is back; until then calls on it are
 * skipped, not counted.
 *
 * Prints "<calls> calls, <n> succeeded" and then "<count> <call> <ERRNO>"
 * for each error seen, so that a new errno stands out. Exits 0 unless it
 * could not start. The caller judges the errnos.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <unistd.h>
#include <linux/fpga-image-load.h>

#define MAX_ERRNO 134

/*
 * C_IOCTL: one of our five commands; C_IOCTL_OTHER: any other number of our
 * magic, which only the driver answers; C_IOCTL_FOREIGN: a number of
 * another magic, which the VFS's generic commands may answer before the
 * driver.
 */
enum call { C_IOCTL, C_IOCTL_OTHER, C_IOCTL_FOREIGN, C_READ, C_WRITE, C_POLL, C_OPEN,
	    C_KNOB, C_MAX };
static const char *const call_names[C_MAX] = {
	"ioctl", "ioctl-other", "ioctl-foreign", "read", "write", "poll", "open",
	"knob-write",
};

/* The first other command of our magic that did not get ENOTTY, for the report. */
static unsigned long odd_cmd;
static int odd_errno;

/*
 * Whether @cmd is one of the commands of the uapi header. The kernel takes
 * the low 32 bits (an _IOC() with bit 31 set is sign-extended here).
 */
static int known_command(unsigned long lcmd)
{
	unsigned int cmd = lcmd;

	return cmd == FPGA_IMAGE_LOAD_WRITE || cmd == FPGA_IMAGE_LOAD_WRITE_EVTFD ||
	       cmd == FPGA_IMAGE_LOAD_STATUS || cmd == FPGA_IMAGE_LOAD_CANCEL ||
	       cmd == FPGA_IMAGE_LOAD_SET_EVENTFD;
}

static const char *dev;
static char **files;
static int nfiles;
static long calls_per_thread;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int dev_fd = -1;
static long total, succeeded;
static long errs[C_MAX][MAX_ERRNO + 1];

static unsigned char *valid;	/* a mapped buffer of 1 MiB + 4 KiB */
/* A page of no access, mapped so that nothing else is ever mapped there. */
static unsigned char *unmapped;
static int efd;			/* an eventfd */
static const int closed_fd = 1000; /* a descriptor number that is not open */

/* Each thread's call in progress, for the report of a crash. */
static __thread struct {
	enum call call;
	int fd;
	unsigned long cmd;
	void *arg;
} doing;

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int pick(uint64_t *s, int n)
{
	return rnd(s) % n;
}

static void *pointer(uint64_t *s)
{
	switch (pick(s, 8)) {
	case 0: return NULL;
	case 1: return unmapped;
	case 2: return valid + 1 + pick(s, 3);	/* unaligned */
	case 3: return (void *)0xffffffff81000000UL;	/* kernel text */
	case 4: return (void *)(uintptr_t)rnd(s);
	default: return valid;
	}
}

static uint32_t size(uint64_t *s)
{
	/*
	 * Nothing between 1 MiB and the class's limit (max_image_size,
	 * 256 MiB by default): each such call allocates that much, under
	 * KASAN, for seconds under TCG, and proves nothing that 1 MiB does
	 * not. Past the limit a size is refused before anything is allocated.
	 */
	static const uint32_t sizes[] = {
		0, 1, 3, 4, 8, 4096, 4100, 65536, 1 << 20,
		(256 << 20) + 4, 0x7ffffffc, 0xfffffffc, 0xffffffff,
	};
	if (pick(s, 4) == 0)
		return rnd(s) | 1U << 29;	/* random, and above the limit */
	return sizes[pick(s, sizeof(sizes) / sizeof(sizes[0]))];
}

static int32_t some_fd(uint64_t *s, int devfd)
{
	switch (pick(s, 6)) {
	case 0: return -1;
	case 1: return 0;		/* not an eventfd */
	case 2: return closed_fd;	/* not open */
	case 3: return devfd;
	case 4: return (int32_t)rnd(s);
	default: return efd;
	}
}

/* A structured argument for one of our commands, in valid. */
static void *argument(uint64_t *s, unsigned long cmd, int devfd)
{
	struct fpga_image_write_evtfd *we = (void *)valid;
	struct fpga_image_write *w = (void *)valid;
	int32_t *fd = (void *)valid;

	if (pick(s, 5) == 0)
		return pointer(s);
	switch (cmd) {
	case FPGA_IMAGE_LOAD_WRITE:
		memset(w, 0, sizeof(*w));
		w->flags = pick(s, 8) ? 0 : rnd(s);
		w->size = size(s);
		w->buf = (uintptr_t)(pick(s, 3) ? valid + 4096 : pointer(s));
		return w;
	case FPGA_IMAGE_LOAD_WRITE_EVTFD:
		memset(we, 0, sizeof(*we));
		we->flags = pick(s, 8) ? 0 : rnd(s);
		we->size = size(s);
		we->buf = (uintptr_t)(pick(s, 3) ? valid + 4096 : pointer(s));
		we->evtfd = some_fd(s, devfd);
		we->__pad = pick(s, 8) ? 0 : rnd(s);
		return we;
	case FPGA_IMAGE_LOAD_SET_EVENTFD:
		*fd = some_fd(s, devfd);
		return fd;
	default:
		return pointer(s);
	}
}

static unsigned long command(uint64_t *s)
{
	static const unsigned long ours[] = {
		FPGA_IMAGE_LOAD_WRITE, FPGA_IMAGE_LOAD_WRITE_EVTFD,
		FPGA_IMAGE_LOAD_STATUS, FPGA_IMAGE_LOAD_CANCEL,
		FPGA_IMAGE_LOAD_SET_EVENTFD,
	};
	unsigned long cmd = ours[pick(s, 5)];

	switch (pick(s, 10)) {
	case 0:	/* another size or direction */
		return _IOC(pick(s, 4), FPGA_IMAGE_LOAD_MAGIC, _IOC_NR(cmd), pick(s, 64));
	case 1:	/* another number of our magic */
		return _IOC(pick(s, 4), FPGA_IMAGE_LOAD_MAGIC, pick(s, 256), pick(s, 64));
	case 2:	/* anything */
		return (uint32_t)rnd(s);
	default:
		return cmd;
	}
}

static void count(enum call c, long ret)
{
	int e = errno;

	pthread_mutex_lock(&lock);
	total++;
	if (ret >= 0)
		succeeded++;
	else
		errs[c][e > 0 && e <= MAX_ERRNO ? e : 0]++;
	pthread_mutex_unlock(&lock);
}

/* Which opening of DEV dev_fd is. */
static unsigned long dev_gen;

/*
 * A descriptor of its own of the shared open DEV, opened again once DEV is
 * back, and which opening it is in *@gen; -1 if DEV is not there. The
 * caller closes it: another thread closing the shared one cannot make the
 * number another file's in the middle of a call.
 */
static int device(unsigned long *gen)
{
	int fd = -1;

	pthread_mutex_lock(&lock);
	if (dev_fd < 0) {
		dev_fd = open(dev, O_RDWR | O_CLOEXEC);
		dev_gen++;
	}
	if (dev_fd >= 0)
		fd = fcntl(dev_fd, F_DUPFD_CLOEXEC, 0);
	*gen = dev_gen;
	pthread_mutex_unlock(&lock);
	return fd;
}

/* DEV was gone for opening @gen: open it again at the next call. */
static void device_gone(unsigned long gen)
{
	pthread_mutex_lock(&lock);
	if (gen == dev_gen && dev_fd >= 0) {
		close(dev_fd);
		dev_fd = -1;
	}
	pthread_mutex_unlock(&lock);
}

static void knob(uint64_t *s)
{
	static const char *const words[] = {
		"none", "0", "1", "-1", "0x4000", "4", "3", "4294967296",
		"preparing:hw-error", "writing:timeout", "programming:wearout",
		"writing:canceled", "writing:", ":", "programming:nope", "",
		"\n", "0x", "99999999999999999999",
	};
	const char *f = files[pick(s, nfiles)];
	size_t len = strlen(f);
	char buf[40];
	long ret;
	int fd, n, i;

	if (len > 3 && (!strcmp(f + len - 3, "_us") || !strcmp(f + len - 3, "_ms"))) {
		n = snprintf(buf, sizeof(buf), "%d\n", pick(s, 1000));
	} else if (pick(s, 4) == 0) {
		n = pick(s, sizeof(buf));
		for (i = 0; i < n; i++)
			buf[i] = rnd(s);
	} else {
		n = snprintf(buf, sizeof(buf), "%s\n",
			     words[pick(s, sizeof(words) / sizeof(words[0]))]);
	}
	fd = open(f, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		count(C_KNOB, -1);
		return;
	}
	ret = write(fd, buf, n);
	count(C_KNOB, ret);
	close(fd);
}

/*
 * A fatal signal: says what it was and what the thread was doing, then dies
 * of it (the handler is reset, the signal pends until it returns). The
 * fuzzer dereferences nothing the kernel wrote, so a SIGSEGV means the
 * kernel wrote where the call did not say or forced the signal, or the
 * fuzzer handed the kernel memory it uses (as its "unmapped" page once was,
 * after thread stacks took its place).
 */
static void crashed(int sig, siginfo_t *si, void *ctx)
{
	unsigned long ip = 0;
	char buf[256];
	int n;

#if defined(__x86_64__)
	ip = ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
	ip = ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EIP];
#endif
	n = snprintf(buf, sizeof(buf),
		     "fpga_fuzz: signal %d, si_code %d, address %p, sender %d, ip %#lx; "
		     "the thread's last call: %s on fd %d, cmd %#lx, argument %p\n",
		     sig, si->si_code, si->si_addr, (int)si->si_pid, ip,
		     call_names[doing.call], doing.fd, doing.cmd, doing.arg);
	if (n > 0)
		(void)!write(2, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
	raise(sig);
}

static void *fuzz(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	struct pollfd p;
	unsigned long cmd;
	long i, ret;
	unsigned long gen;
	int fd, k, e;

	for (i = 0; i < calls_per_thread; i++) {
		k = pick(&s, 100);
		doing.cmd = 0;
		doing.arg = NULL;
		if (k < 8 && nfiles) {
			doing.call = C_KNOB;
			doing.fd = -1;
			knob(&s);
			continue;
		}
		fd = device(&gen);
		if (fd < 0) {
			/* DEV is not there (being reloaded): not a call. */
			usleep(1000);
			i--;
			continue;
		}
		doing.fd = fd;
		if (k < 80) {
			cmd = command(&s);
			doing.call = C_IOCTL;
			doing.cmd = cmd;
			doing.arg = argument(&s, cmd, fd);
			ret = ioctl(fd, cmd, doing.arg);
			if (known_command(cmd)) {
				count(C_IOCTL, ret);
			} else if (_IOC_TYPE((unsigned int)cmd) == FPGA_IMAGE_LOAD_MAGIC) {
				e = ret < 0 ? errno : 0;
				pthread_mutex_lock(&lock);
				if (e != ENOTTY && !odd_cmd) {
					odd_errno = e;
					odd_cmd = cmd;
				}
				pthread_mutex_unlock(&lock);
				/* Not ours: a success is as wrong as any errno but ENOTTY. */
				errno = e ? e : EPROTO;
				count(C_IOCTL_OTHER, -1);
			} else {
				count(C_IOCTL_FOREIGN, ret);
			}
		} else if (k < 85) {
			doing.call = C_READ;
			doing.arg = pointer(&s);
			ret = read(fd, doing.arg, size(&s));
			count(C_READ, ret);
		} else if (k < 90) {
			doing.call = C_WRITE;
			doing.arg = pointer(&s);
			ret = write(fd, doing.arg, size(&s));
			count(C_WRITE, ret);
		} else if (k < 95) {
			doing.call = C_POLL;
			p.fd = fd;
			p.events = POLLIN | POLLOUT | POLLPRI;
			ret = poll(&p, 1, 0);
			count(C_POLL, ret);
		} else {
			/* Writers are exclusive: a second one must be refused. */
			doing.call = C_OPEN;
			ret = open(dev, pick(&s, 2) ? O_RDONLY : O_RDWR);
			count(C_OPEN, ret);
			if (ret >= 0)
				close(ret);
		}
		if (ret < 0 && errno == ENODEV)
			device_gone(gen);
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	uint64_t seed = 0x5eed;
	pthread_t *t;
	long calls;
	int threads, i, e, c, fd;
	unsigned long gen;

	if (argc < 4) {
		fprintf(stderr, "usage: fpga_fuzz DEV CALLS THREADS [SEED] [-- FILE...]\n");
		return 2;
	}
	dev = argv[1];
	calls = strtol(argv[2], NULL, 0);
	threads = strtol(argv[3], NULL, 0);
	i = 4;
	if (i < argc && strcmp(argv[i], "--"))
		seed = strtoull(argv[i++], NULL, 0);
	if (i < argc && !strcmp(argv[i], "--")) {
		files = argv + i + 1;
		nfiles = argc - i - 1;
	}
	if (calls < 1 || threads < 1) {
		fprintf(stderr, "fpga_fuzz: CALLS and THREADS must be positive\n");
		return 2;
	}
	calls_per_thread = (calls + threads - 1) / threads;

	valid = mmap(NULL, (1 << 20) + 8192, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	if (valid == MAP_FAILED || unmapped == MAP_FAILED || efd < 0 ||
	    fcntl(closed_fd, F_GETFD) != -1) {
		perror("fpga_fuzz: set-up");
		return 2;
	}
	sa.sa_sigaction = crashed;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	memset(valid, 0x5a, (1 << 20) + 8192);
	fd = device(&gen);
	if (fd < 0) {
		fprintf(stderr, "fpga_fuzz: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	close(fd);

	t = calloc(threads, sizeof(*t));
	if (!t)
		return 2;
	for (i = 0; i < threads; i++) {
		e = pthread_create(&t[i], NULL, fuzz, (void *)(uintptr_t)(seed * (i + 1) | 1));
		if (e) {
			fprintf(stderr, "fpga_fuzz: pthread_create: %s\n", strerror(e));
			return 2;
		}
	}
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);

	printf("%ld calls, %ld succeeded\n", total, succeeded);
	for (c = 0; c < C_MAX; c++)
		for (e = 0; e <= MAX_ERRNO; e++)
			if (errs[c][e])
				printf("%ld %s %s\n", errs[c][e], call_names[c],
				       e ? strerrorname_np(e) : "unknown");
	if (odd_cmd)
		printf("# ioctl %#lx of our magic, not ours, got %s\n", odd_cmd,
		       odd_errno ? strerrorname_np(odd_errno) : "success");
	return 0;
}
