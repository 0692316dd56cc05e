// SPDX-License-Identifier: GPL-2.0
/*
 * User-space checks of the FPGA Image Load ABI, written against
 * include/uapi/linux/fpga-image-load.h as any C program would be. It is
 * built twice, as a 64-bit and as a 32-bit (-m32) static program, so that
 * every check also goes through the kernel's compat ioctl path.
 *
 *   fpga_image_load_errno check DEV CASE [ARG]  exit 0 if CASE behaves as
 *                                          documented
 *   fpga_image_load_errno hold DEV SECS    open DEV, keep it SECS, exit 0 if opened
 *   fpga_image_load_errno gone DEV         open, wait for a line on stdin (the
 *                                          card is unregistered meanwhile), then
 *                                          expect ENODEV and POLLHUP
 *
 * Cases of FPGA_IMAGE_LOAD_WRITE (both layouts where it applies):
 * write-flags write-size-zero write-size-unaligned write-efbig SIZE
 * write-efault write-busy (card set to program slowly) open-busy (another
 * process holds DEV) cancel-idle enotty status-every-byte eventfd.
 *
 * Cases of FPGA_IMAGE_LOAD_WRITE_EVTFD and of the other new rules:
 *   write-evtfd          the request's eventfd is signalled once at the end
 *   write-evtfd-none     evtfd -1: a load without an eventfd
 *   write-evtfd-cancel   signalled for a canceled load (card programs slowly)
 *   write-evtfd-failed   signalled for a failed load (the caller injects
 *                        writing:hw-error)
 *   write-evtfd-both     SET_EVENTFD's and the request's eventfds both
 *                        signalled
 *   write-evtfd-close    signalled at the end of a load whose file was closed
 *                        (card programs for about a second)
 *   write-evtfd-ebadf    evtfd not an open file: EBADF
 *   write-evtfd-einval   evtfd an open file but not an eventfd: EINVAL
 *   write-evtfd-pad      __pad not zero: EINVAL
 *   opae-raw FILE        load FILE with the raw number 0x4018b900 as OPAE's
 *                        fpgasupdate sends it (the caller compares the card)
 *   opae-native FILE     load FILE with the number and the layout a program
 *                        built against OPAE's own declaration has: 0x4018b900
 *                        and 24 bytes on x86_64, 0x4014b900 and 20 bytes on
 *                        i386 (the caller compares the card)
 *   readonly             an O_RDONLY file: WRITE and CANCEL EBADF, STATUS and
 *                        poll work (card programs for about a second)
 *   readers-share        files open read-only do not keep a writer out, nor
 *                        count against the one writer; SET_EVENTFD needs the
 *                        writer's file (EBADF on a read-only one)
 *   eventfd-dropped      SET_EVENTFD's eventfd is dropped when its file is
 *                        closed (card programs for about half a second)
 *   eventfd-later-opener SET_EVENTFD's eventfd is signalled for a load that an
 *                        earlier file started (card programs as above)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/fpga-image-load.h>

/*
 * The numbers OPAE and the documentation quote; the same for 32-bit and
 * 64-bit programs since struct fpga_image_write_evtfd has explicit padding.
 */
#define OPAE_WRITE_EVTFD	0x4018b900UL

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

_Static_assert(FPGA_IMAGE_LOAD_WRITE == 0x4010b900UL, "FPGA_IMAGE_LOAD_WRITE");
_Static_assert(FPGA_IMAGE_LOAD_WRITE_EVTFD == OPAE_WRITE_EVTFD,
	       "FPGA_IMAGE_LOAD_WRITE_EVTFD");
_Static_assert(sizeof(struct fpga_image_write) == 16, "struct fpga_image_write");
_Static_assert(sizeof(struct fpga_image_write_evtfd) == 24,
	       "struct fpga_image_write_evtfd");
_Static_assert(offsetof(struct fpga_image_write_evtfd, evtfd) == 8, "evtfd");
_Static_assert(offsetof(struct fpga_image_write_evtfd, __pad) == 12, "__pad");
_Static_assert(offsetof(struct fpga_image_write_evtfd, buf) == 16, "buf");

/*
 * The request as Intel's OPAE tools declare it: no explicit padding
 * (fpgasupdate packs these fields with native alignment into a zeroed buffer
 * and passes the number 0x4018b900). On x86_64 a u64 is 8-byte aligned, so 4
 * bytes of padding follow evtfd: 24 bytes, the header's layout. On i386 a
 * u64 inside a struct is only 4-byte aligned: the same declaration is 20
 * bytes with buf at offset 12, and its own ioctl number is 0x4014b900, which a
 * 64-bit kernel takes from 32-bit callers (case opae-native). With the raw
 * number 0x4018b900 (case opae-raw) a 32-bit build sends the header's struct:
 * the bytes a 64-bit OPAE sends.
 */
struct opae_image_write {
	uint32_t flags;
	uint32_t size;
	int32_t evtfd;
	uint64_t buf;
};

static const char *dev;
static const char *arg;
static uint32_t image[1024];

static int fail(const char *what)
{
	fprintf(stderr, "# %s: %s\n", dev, what);
	return 1;
}

/* Expects @ret to be -1 with @err; says what happened otherwise. */
static int expect(const char *what, int ret, int err)
{
	int e = errno;

	if (ret == -1 && e == err) {
		printf("# %s: %s (as expected)\n", what, strerror(e));
		return 0;
	}
	fprintf(stderr, "# %s: got %d/%s, expected %s\n", what, ret,
		ret == -1 ? strerror(e) : "success", strerror(err));
	return 1;
}

/* Expects @ret to be 0. */
static int expect_ok(const char *what, int ret)
{
	int e = errno;

	if (ret == 0)
		return 0;
	fprintf(stderr, "# %s: got %d/%s, expected success\n", what, ret,
		ret == -1 ? strerror(e) : "?");
	return 1;
}

static int open_mode(int mode)
{
	int fd = open(dev, mode | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "# open %s: %s\n", dev, strerror(errno));
	return fd;
}

static int open_dev(void)
{
	return open_mode(O_RDWR);
}

static int write_image(int fd, uint32_t flags, uint32_t size, const void *buf)
{
	struct fpga_image_write w = {
		.flags = flags,
		.size = size,
		.buf = (uintptr_t)buf,
	};

	return ioctl(fd, FPGA_IMAGE_LOAD_WRITE, &w);
}

/* Starts a load of the image from a new read-write file, then closes it. */
static int start_load_and_close(const char *what)
{
	int fd = open_dev(), r;

	if (fd < 0)
		return 1;
	r = expect_ok(what, write_image(fd, 0, sizeof(image), image));
	close(fd);
	return r;
}

static int write_evtfd(int fd, uint32_t flags, uint32_t size, const void *buf,
		       int32_t evtfd)
{
	struct fpga_image_write_evtfd w = {
		.flags = flags,
		.size = size,
		.evtfd = evtfd,
		.buf = (uintptr_t)buf,
	};

	return ioctl(fd, FPGA_IMAGE_LOAD_WRITE_EVTFD, &w);
}

static int set_eventfd(int fd, int32_t efd)
{
	return ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &efd);
}

/* Waits up to 30 s for the end of the load. */
static int wait_idle(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 30000) == 1 && (p.revents & POLLIN) ? 0 : -1;
}

/* Whether a load runs: STATUS succeeds and progress is not IDLE. */
static int load_runs(int fd)
{
	struct fpga_image_status st;

	return !ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st) &&
	       st.progress != FPGA_IMAGE_PROG_IDLE;
}

/* Expects STATUS to report no load running and @err_code for the last one. */
static int expect_idle_with(int fd, const char *what, uint32_t err_code)
{
	struct fpga_image_status st;

	if (ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st)) {
		fprintf(stderr, "# %s: STATUS: %s\n", what, strerror(errno));
		return 1;
	}
	if (st.progress != FPGA_IMAGE_PROG_IDLE || st.err_code != err_code) {
		fprintf(stderr, "# %s: STATUS progress %u err_code %u, expected %u %u\n",
			what, st.progress, st.err_code, FPGA_IMAGE_PROG_IDLE, err_code);
		return 1;
	}
	printf("# %s: idle, err_code %u (as expected)\n", what, err_code);
	return 0;
}

/* Expects STATUS to report no load running, whatever the last one did. */
static int expect_no_load(int fd, const char *what)
{
	struct fpga_image_status st;

	if (ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st)) {
		fprintf(stderr, "# %s: STATUS: %s\n", what, strerror(errno));
		return 1;
	}
	if (st.progress != FPGA_IMAGE_PROG_IDLE) {
		fprintf(stderr, "# %s: a load runs (progress %u)\n", what, st.progress);
		return 1;
	}
	return 0;
}

static int new_eventfd(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		fprintf(stderr, "# eventfd: %s\n", strerror(errno));
	return efd;
}

/* Expects @efd to become readable within @ms milliseconds, with a count of 1. */
static int expect_signalled(const char *what, int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;
	ssize_t n;

	if (poll(&p, 1, ms) != 1) {
		fprintf(stderr, "# %s: the eventfd was not signalled within %d ms\n",
			what, ms);
		return 1;
	}
	n = read(efd, &count, sizeof(count));
	if (n != sizeof(count)) {
		fprintf(stderr, "# %s: read of the eventfd: %zd/%s\n", what, n,
			n < 0 ? strerror(errno) : "short");
		return 1;
	}
	if (count != 1) {
		fprintf(stderr, "# %s: the eventfd was signalled %llu times, expected once\n",
			what, (unsigned long long)count);
		return 1;
	}
	printf("# %s: eventfd signalled once (as expected)\n", what);
	return 0;
}

/*
 * Expects @efd not to be signalled within @ms milliseconds: poll() times
 * out and a non-blocking read then fails with EAGAIN.
 */
static int expect_unsignalled(const char *what, int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;
	ssize_t n;

	if (poll(&p, 1, ms) < 0) {
		fprintf(stderr, "# %s: poll of the eventfd: %s\n", what, strerror(errno));
		return 1;
	}
	n = read(efd, &count, sizeof(count));
	if (n == -1 && errno == EAGAIN) {
		printf("# %s: eventfd not signalled (as expected)\n", what);
		return 0;
	}
	if (n == sizeof(count))
		fprintf(stderr, "# %s: the eventfd was signalled (count %llu), expected not\n",
			what, (unsigned long long)count);
	else
		fprintf(stderr, "# %s: read of the eventfd: %zd/%s, expected EAGAIN\n",
			what, n, n < 0 ? strerror(errno) : "short");
	return 1;
}

/* Another process holds the device open (the caller arranges it). */
static int case_open_busy(int fd)
{
	(void)fd;
	return expect("open while another process has it open",
		      open(dev, O_RDWR | O_CLOEXEC), EBUSY);
}

static int case_write_flags(int fd)
{
	int r;

	r = expect("WRITE flags=1", write_image(fd, 1, 4096, image), EINVAL);
	r |= expect("WRITE_EVTFD flags=1", write_evtfd(fd, 1, 4096, image, -1), EINVAL);
	return r;
}

static int case_write_size_zero(int fd)
{
	int r;

	r = expect("WRITE size=0", write_image(fd, 0, 0, image), EINVAL);
	r |= expect("WRITE_EVTFD size=0", write_evtfd(fd, 0, 0, image, -1), EINVAL);
	return r;
}

static int case_write_size_unaligned(int fd)
{
	int r;

	r = expect("WRITE size=6", write_image(fd, 0, 6, image), EINVAL);
	r |= expect("WRITE_EVTFD size=6", write_evtfd(fd, 0, 6, image, -1), EINVAL);
	return r;
}

static int case_write_efbig(int fd)
{
	uint32_t size = arg ? strtoul(arg, NULL, 0) : 0;
	int r;

	r = expect("WRITE size above max_image_size",
		   write_image(fd, 0, size, image), EFBIG);
	r |= expect("WRITE_EVTFD size above max_image_size",
		    write_evtfd(fd, 0, size, image, -1), EFBIG);
	return r;
}

static int case_write_efault(int fd)
{
	int r;

	r = expect("WRITE unreadable buffer",
		   write_image(fd, 0, 4096, (void *)16), EFAULT);
	r |= expect("WRITE unreadable request",
		    ioctl(fd, FPGA_IMAGE_LOAD_WRITE, (void *)16), EFAULT);
	r |= expect("WRITE_EVTFD unreadable buffer",
		    write_evtfd(fd, 0, 4096, (void *)16, -1), EFAULT);
	r |= expect("WRITE_EVTFD unreadable request",
		    ioctl(fd, FPGA_IMAGE_LOAD_WRITE_EVTFD, (void *)16), EFAULT);
	return r;
}

/* The card is set to program slowly: the first load runs on. */
static int case_write_busy(int fd)
{
	int efd, r;

	efd = new_eventfd();
	if (efd < 0)
		return 1;
	if (write_image(fd, 0, sizeof(image), image))
		return fail("first WRITE failed");
	r = expect("WRITE while a load runs",
		   write_image(fd, 0, sizeof(image), image), EBUSY);
	r |= expect("WRITE_EVTFD while a load runs",
		    write_evtfd(fd, 0, sizeof(image), image, efd), EBUSY);
	if (ioctl(fd, FPGA_IMAGE_LOAD_CANCEL) || wait_idle(fd))
		r |= fail("cancel of the first load failed");
	/* The refused request started no load: its eventfd is not signalled. */
	r |= expect_unsignalled("eventfd of the refused WRITE_EVTFD", efd, 200);
	close(efd);
	return r;
}

static int case_cancel_idle(int fd)
{
	return expect("CANCEL with no load", ioctl(fd, FPGA_IMAGE_LOAD_CANCEL), ENODEV);
}

static int case_enotty(int fd)
{
	int r;

	r = expect("unknown ioctl", ioctl(fd, _IO(FPGA_IMAGE_LOAD_MAGIC, 9)), ENOTTY);
	r |= expect("foreign ioctl", ioctl(fd, _IO('T', 1)), ENOTTY);
	/*
	 * Command 0 with a size that is neither layout. 20 bytes is OPAE's
	 * declaration compiled for i386, which a 64-bit kernel takes from a
	 * 32-bit caller (case opae-native), and only from one.
	 */
	if (sizeof(void *) == 8)
		r |= expect("WRITE with a 20-byte request from a 64-bit caller",
			    ioctl(fd, _IOC(_IOC_WRITE, FPGA_IMAGE_LOAD_MAGIC, 0, 20), image),
			    ENOTTY);
	r |= expect("WRITE with an 8-byte request",
		    ioctl(fd, _IOC(_IOC_WRITE, FPGA_IMAGE_LOAD_MAGIC, 0, 8), image), ENOTTY);
	return r;
}

static int case_status_every_byte(int fd)
{
	struct fpga_image_status st;
	int r = 0;

	memset(&st, 0xaa, sizeof(st));
	if (ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st))
		return fail("STATUS failed");
	/* An idle card after a good load: every field is 0. */
	if (st.remaining_size || st.progress || st.err_progress || st.err_code)
		r = fail("STATUS left bytes unwritten or wrong");
	r |= expect("STATUS to a bad address",
		    ioctl(fd, FPGA_IMAGE_LOAD_STATUS, (void *)16), EFAULT);
	return r;
}

static int case_eventfd(int fd)
{
	struct pollfd p = { .events = POLLIN };
	uint64_t count;
	int efd, r = 0;
	int32_t n = -5;

	r |= expect("SET_EVENTFD -5", ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n), EBADF);
	n = fd;
	r |= expect("SET_EVENTFD not an eventfd",
		    ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n), EINVAL);
	efd = eventfd(0, EFD_CLOEXEC);
	n = efd;
	if (ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n))
		return fail("SET_EVENTFD failed");
	if (write_image(fd, 0, sizeof(image), image))
		return fail("WRITE failed");
	p.fd = efd;
	if (poll(&p, 1, 30000) != 1 || read(efd, &count, 8) != 8 || count != 1)
		r |= fail("the eventfd was not signalled once");
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after the load");
	n = -1;
	if (ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n))
		r |= fail("SET_EVENTFD -1 failed");
	close(efd);
	return r;
}

/*
 * Runs one load with WRITE_EVTFD, cancelled right away if @cancel; expects
 * its eventfd signalled once and the load to end with @err_code.
 */
static int write_evtfd_load(int fd, int cancel, uint32_t err_code)
{
	int efd, r = 0;

	efd = new_eventfd();
	if (efd < 0)
		return 1;
	if (expect_ok("WRITE_EVTFD", write_evtfd(fd, 0, sizeof(image), image, efd)))
		return 1;
	if (cancel)
		r |= expect_ok("CANCEL", ioctl(fd, FPGA_IMAGE_LOAD_CANCEL));
	r |= expect_signalled("end of the load", efd, 30000);
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after the load");
	r |= expect_idle_with(fd, "after the load", err_code);
	r |= expect_unsignalled("no second signal", efd, 200);
	close(efd);
	return r;
}

static int case_write_evtfd(int fd)
{
	return write_evtfd_load(fd, 0, FPGA_IMAGE_ERR_NONE);
}

static int case_write_evtfd_cancel(int fd)
{
	return write_evtfd_load(fd, 1, FPGA_IMAGE_ERR_CANCELED);
}

/* The caller injected writing:hw-error. */
static int case_write_evtfd_failed(int fd)
{
	return write_evtfd_load(fd, 0, FPGA_IMAGE_ERR_HW_ERROR);
}

static int case_write_evtfd_none(int fd)
{
	int r;

	if (expect_ok("WRITE_EVTFD evtfd=-1", write_evtfd(fd, 0, sizeof(image), image, -1)))
		return 1;
	r = wait_idle(fd) ? fail("poll did not report POLLIN after the load") : 0;
	r |= expect_idle_with(fd, "after the load", FPGA_IMAGE_ERR_NONE);
	return r;
}

/* The file's SET_EVENTFD eventfd and the request's are both signalled. */
static int case_write_evtfd_both(int fd)
{
	int efile, ereq, r = 0;

	efile = new_eventfd();
	ereq = new_eventfd();
	if (efile < 0 || ereq < 0)
		return 1;
	if (expect_ok("SET_EVENTFD", set_eventfd(fd, efile)) ||
	    expect_ok("WRITE_EVTFD", write_evtfd(fd, 0, sizeof(image), image, ereq)))
		return 1;
	r |= expect_signalled("the request's eventfd", ereq, 30000);
	r |= expect_signalled("the file's eventfd", efile, 30000);
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after the load");
	r |= expect_idle_with(fd, "after the load", FPGA_IMAGE_ERR_NONE);
	r |= expect_unsignalled("no second signal, request", ereq, 200);
	r |= expect_unsignalled("no second signal, file", efile, 0);
	close(efile);
	close(ereq);
	return r;
}

/*
 * The request's eventfd outlives the file: closed right after WRITE_EVTFD,
 * while the card programs for about a second.
 */
static int case_write_evtfd_close(int fd)
{
	int efd, r = 0;

	(void)fd;
	efd = new_eventfd();
	if (efd < 0)
		return 1;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (expect_ok("WRITE_EVTFD", write_evtfd(fd, 0, sizeof(image), image, efd)))
		return 1;
	close(fd);
	/* The close neither ends the load nor signals: the load runs on. */
	r |= expect_unsignalled("right after the close", efd, 0);
	r |= expect_signalled("end of the load, the file closed", efd, 10000);
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after the load");
	/* Not canceled by the close. */
	r |= expect_idle_with(fd, "after the load", FPGA_IMAGE_ERR_NONE);
	close(fd);
	r |= expect_unsignalled("no second signal", efd, 200);
	close(efd);
	return r;
}

static int case_write_evtfd_ebadf(int fd)
{
	int spare, r;

	/* A descriptor number that was open a moment ago and is free now. */
	spare = dup(fd);
	if (spare < 0)
		return fail("dup failed");
	close(spare);
	r = expect("WRITE_EVTFD evtfd=-5", write_evtfd(fd, 0, sizeof(image), image, -5), EBADF);
	r |= expect("WRITE_EVTFD evtfd closed",
		    write_evtfd(fd, 0, sizeof(image), image, spare), EBADF);
	r |= expect("WRITE_EVTFD evtfd=INT32_MAX",
		    write_evtfd(fd, 0, sizeof(image), image, INT32_MAX), EBADF);
	r |= expect_no_load(fd, "after the refused requests");
	return r;
}

static int case_write_evtfd_einval(int fd)
{
	int p[2], r;

	if (pipe(p))
		return fail("pipe failed");
	r = expect("WRITE_EVTFD evtfd the device file",
		   write_evtfd(fd, 0, sizeof(image), image, fd), EINVAL);
	r |= expect("WRITE_EVTFD evtfd a pipe",
		    write_evtfd(fd, 0, sizeof(image), image, p[0]), EINVAL);
	r |= expect_no_load(fd, "after the refused requests");
	close(p[0]);
	close(p[1]);
	return r;
}

static int case_write_evtfd_pad(int fd)
{
	struct fpga_image_write_evtfd w = {
		.size = sizeof(image),
		.evtfd = -1,
		.buf = (uintptr_t)image,
	};
	int efd, r;

	efd = new_eventfd();
	if (efd < 0)
		return 1;
	w.__pad = 1;
	r = expect("WRITE_EVTFD __pad=1", ioctl(fd, FPGA_IMAGE_LOAD_WRITE_EVTFD, &w), EINVAL);
	w.__pad = 0x80000000;
	r |= expect("WRITE_EVTFD __pad=0x80000000",
		    ioctl(fd, FPGA_IMAGE_LOAD_WRITE_EVTFD, &w), EINVAL);
	w.__pad = 1;
	w.evtfd = efd;
	r |= expect("WRITE_EVTFD __pad=1 with an eventfd",
		    ioctl(fd, FPGA_IMAGE_LOAD_WRITE_EVTFD, &w), EINVAL);
	r |= expect_no_load(fd, "after the refused requests");
	r |= expect_unsignalled("eventfd of the refused request", efd, 0);
	close(efd);
	return r;
}

/* Reads the file @path into a new buffer; its size into @size. */
static void *read_file(const char *path, uint32_t *size)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	if (n != 0 || len > UINT32_MAX) {
		fprintf(stderr, "# %s: read failed\n", path);
		free(buf);
		return NULL;
	}
	*size = len;
	return buf;
}

static struct opae_image_write opae_req;
static struct fpga_image_write_evtfd hdr_req;

/*
 * Loads the image file ARG with the command @cmd and the request @fill lays
 * out for its size, buffer and eventfd; expects the load to end well and its
 * eventfd to be signalled. The caller compares the card's image with the file.
 */
static int load_file_with(const char *what, int fd, unsigned long cmd,
			  void *(*fill)(uint32_t size, void *buf, int efd))
{
	uint32_t size;
	void *buf;
	int efd, r = 0;

	if (!arg)
		return fail("this case needs an image file");
	buf = read_file(arg, &size);
	if (!buf)
		return 1;
	efd = new_eventfd();
	if (efd < 0) {
		free(buf);
		return 1;
	}
	if (expect_ok(what, ioctl(fd, cmd, fill(size, buf, efd)))) {
		r = 1;
		goto out;
	}
	r |= expect_signalled("end of the load", efd, 30000);
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after the load");
	r |= expect_idle_with(fd, "after the load", FPGA_IMAGE_ERR_NONE);
out:
	close(efd);
	free(buf);
	return r;
}

/* OPAE's struct as the compiler lays it out; the padding as memset leaves it. */
static void *fill_opae(uint32_t size, void *buf, int efd)
{
	memset(&opae_req, 0, sizeof(opae_req));
	opae_req.size = size;
	opae_req.evtfd = efd;
	opae_req.buf = (uintptr_t)buf;
	printf("# OPAE's declaration: %zu bytes, buf at %zu\n",
	       sizeof(opae_req), offsetof(struct opae_image_write, buf));
	return &opae_req;
}

/* With the raw number 0x4018b900: OPAE's struct where it is 24 bytes. */
static void *fill_opae_raw(uint32_t size, void *buf, int efd)
{
	if (sizeof(opae_req) == 24)
		return fill_opae(size, buf, efd);
	memset(&hdr_req, 0, sizeof(hdr_req));
	hdr_req.size = size;
	hdr_req.evtfd = efd;
	hdr_req.buf = (uintptr_t)buf;
	printf("# OPAE's declaration is %zu bytes here: the header's 24-byte layout\n",
	       sizeof(opae_req));
	return &hdr_req;
}

/*
 * The raw number 0x4018b900 with the request laid out as OPAE's fpgasupdate
 * sends it.
 */
static int case_opae_raw(int fd)
{
	return load_file_with("ioctl 0x4018b900", fd, OPAE_WRITE_EVTFD, fill_opae_raw);
}

/*
 * _IOW(0xB9, 0, struct opae_image_write) with that struct as the compiler
 * lays it out: what a program built against OPAE's header sends. On i386 it
 * is 20 bytes with buf at offset 12 (0x4014b900), and the kernel's compat
 * path must take it.
 */
static int case_opae_native(int fd)
{
	return load_file_with("ioctl with OPAE's own number", fd,
			      _IOW(FPGA_IMAGE_LOAD_MAGIC, 0, struct opae_image_write),
			      fill_opae);
}

/*
 * A file opened O_RDONLY: WRITE in both layouts and CANCEL fail with EBADF,
 * STATUS and poll() work. The card programs for about a second, so that the
 * load started from a read-write file runs while the read-only one is checked.
 */
static int case_readonly(int fd)
{
	int efd, r = 0;

	(void)fd;
	efd = new_eventfd();
	if (efd < 0)
		return 1;
	if (start_load_and_close("WRITE on a read-write file"))
		return 1;

	fd = open_mode(O_RDONLY);
	if (fd < 0)
		return 1;
	if (!load_runs(fd))
		return fail("STATUS on the read-only file: no load runs (it ended too soon?)");
	r |= expect("CANCEL on a read-only file, a load running",
		    ioctl(fd, FPGA_IMAGE_LOAD_CANCEL), EBADF);
	r |= expect("WRITE on a read-only file, a load running",
		    write_image(fd, 0, sizeof(image), image), EBADF);
	r |= expect("WRITE_EVTFD on a read-only file, a load running",
		    write_evtfd(fd, 0, sizeof(image), image, efd), EBADF);
	if (wait_idle(fd))
		r |= fail("poll on the read-only file did not report POLLIN after the load");
	/* The refused CANCEL did not cancel it. */
	r |= expect_idle_with(fd, "STATUS on the read-only file after the load",
			      FPGA_IMAGE_ERR_NONE);

	r |= expect("CANCEL on a read-only file, idle",
		    ioctl(fd, FPGA_IMAGE_LOAD_CANCEL), EBADF);
	r |= expect("WRITE on a read-only file, idle",
		    write_image(fd, 0, sizeof(image), image), EBADF);
	r |= expect("WRITE_EVTFD on a read-only file, idle",
		    write_evtfd(fd, 0, sizeof(image), image, -1), EBADF);
	r |= expect("WRITE_EVTFD on a read-only file, idle, an eventfd",
		    write_evtfd(fd, 0, sizeof(image), image, efd), EBADF);
	r |= expect_no_load(fd, "after the refused requests");
	r |= wait_idle(fd) ? fail("poll on the read-only file, idle: no POLLIN") : 0;
	r |= expect_unsignalled("eventfd of the refused requests", efd, 200);
	close(fd);
	close(efd);
	return r;
}

/* Expects open(@mode) to fail with EBUSY; closes what opened all the same. */
static int expect_refused_open(const char *what, int mode)
{
	int fd = open(dev, mode | O_CLOEXEC);
	int r = expect(what, fd, EBUSY);

	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * A status monitor (a read-only file) does not lock an updater out: writers
 * are exclusive among themselves only.
 */
static int case_readers_share(int fd)
{
	int ro, ro2, rw, efd, r = 0;

	(void)fd;
	ro = open_mode(O_RDONLY);
	if (ro < 0)
		return 1;
	rw = open(dev, O_RDWR | O_CLOEXEC);
	if (rw < 0) {
		r |= expect_ok("open for writing next to a read-only file", rw);
		close(ro);
		return r;
	}
	r |= expect_refused_open("a second open for writing", O_RDWR);
	r |= expect_refused_open("a second open write-only", O_WRONLY);
	ro2 = open_mode(O_RDONLY);
	if (ro2 < 0)
		r |= 1;
	else
		close(ro2);
	efd = new_eventfd();
	if (efd < 0) {
		close(rw);
		close(ro);
		return 1;
	}
	r |= expect("SET_EVENTFD on a read-only file",
		    ioctl(ro, FPGA_IMAGE_LOAD_SET_EVENTFD, &efd), EBADF);
	r |= expect_ok("SET_EVENTFD on the writer's file",
		       ioctl(rw, FPGA_IMAGE_LOAD_SET_EVENTFD, &efd));
	close(rw);
	/* The writer gone, the read-only file still there: a new writer opens. */
	rw = open(dev, O_RDWR | O_CLOEXEC);
	r |= expect_ok("open for writing after the writer closed", rw < 0 ? -1 : 0);
	if (rw >= 0)
		close(rw);
	close(ro);
	close(efd);
	return r;
}

/*
 * SET_EVENTFD's eventfd belongs to the file that set it and is dropped when
 * that file is closed: the loads of a later opener never signal it, even a
 * load that the closed file started. The later opener sets no eventfd of its
 * own (that would replace a wrongly kept one and hide it); the end of its
 * load shows in WRITE_EVTFD's eventfd and in poll(). The card programs for
 * about half a second so that a load outlives the file that started it.
 */
static int case_eventfd_dropped(int fd)
{
	int ea, ec, r = 0;

	(void)fd;

	/* A sets ea and closes; B runs a load to its end. */
	ea = new_eventfd();
	ec = new_eventfd();
	if (ea < 0 || ec < 0)
		return 1;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (expect_ok("SET_EVENTFD on file A", set_eventfd(fd, ea)))
		return 1;
	close(fd);
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (expect_ok("WRITE_EVTFD on file B", write_evtfd(fd, 0, sizeof(image), image, ec)))
		return 1;
	r |= expect_signalled("B's request eventfd, end of B's load", ec, 30000);
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after B's load");
	r |= expect_idle_with(fd, "after B's load", FPGA_IMAGE_ERR_NONE);
	r |= expect_unsignalled("A's eventfd, A closed before B's load", ea, 200);
	close(fd);
	close(ea);
	close(ec);

	/* A sets ea, starts a load and closes; B opens during the load. */
	ea = new_eventfd();
	if (ea < 0)
		return 1;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (expect_ok("SET_EVENTFD on file A", set_eventfd(fd, ea)) ||
	    expect_ok("WRITE on file A", write_image(fd, 0, sizeof(image), image)))
		return 1;
	close(fd);
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!load_runs(fd))
		return fail("A's load ended before B opened (too soon?)");
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after A's load");
	r |= expect_idle_with(fd, "after A's load", FPGA_IMAGE_ERR_NONE);
	r |= expect_unsignalled("A's eventfd, A closed during its load", ea, 200);
	close(fd);
	close(ea);
	return r;
}

/*
 * The eventfd of a file is signalled at the end of every load that ends
 * while the file is open, also one that an earlier, closed file started.
 * The card programs for about half a second.
 */
static int case_eventfd_later_opener(int fd)
{
	int eb, r = 0;

	(void)fd;
	eb = new_eventfd();
	if (eb < 0)
		return 1;
	if (start_load_and_close("WRITE on file A"))
		return 1;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (expect_ok("SET_EVENTFD on file B", set_eventfd(fd, eb)))
		return 1;
	if (!load_runs(fd))
		return fail("A's load ended before B set its eventfd (too soon?)");
	r |= expect_signalled("B's eventfd, end of A's load", eb, 30000);
	if (wait_idle(fd))
		r |= fail("poll did not report POLLIN after A's load");
	r |= expect_idle_with(fd, "after A's load", FPGA_IMAGE_ERR_NONE);
	r |= expect_unsignalled("no second signal", eb, 200);
	close(fd);
	close(eb);
	return r;
}

struct check_case {
	const char *name;
	int (*run)(int fd);
	/* Open the device read-write and hand the file to run(); else -1. */
	int open;
};

static const struct check_case cases[] = {
	{ "open-busy", case_open_busy, 0 },
	{ "readers-share", case_readers_share, 0 },
	{ "write-flags", case_write_flags, 1 },
	{ "write-size-zero", case_write_size_zero, 1 },
	{ "write-size-unaligned", case_write_size_unaligned, 1 },
	{ "write-efbig", case_write_efbig, 1 },
	{ "write-efault", case_write_efault, 1 },
	{ "write-busy", case_write_busy, 1 },
	{ "cancel-idle", case_cancel_idle, 1 },
	{ "enotty", case_enotty, 1 },
	{ "status-every-byte", case_status_every_byte, 1 },
	{ "eventfd", case_eventfd, 1 },
	{ "write-evtfd", case_write_evtfd, 1 },
	{ "write-evtfd-none", case_write_evtfd_none, 1 },
	{ "write-evtfd-cancel", case_write_evtfd_cancel, 1 },
	{ "write-evtfd-failed", case_write_evtfd_failed, 1 },
	{ "write-evtfd-both", case_write_evtfd_both, 1 },
	{ "write-evtfd-close", case_write_evtfd_close, 0 },
	{ "write-evtfd-ebadf", case_write_evtfd_ebadf, 1 },
	{ "write-evtfd-einval", case_write_evtfd_einval, 1 },
	{ "write-evtfd-pad", case_write_evtfd_pad, 1 },
	{ "opae-raw", case_opae_raw, 1 },
	{ "opae-native", case_opae_native, 1 },
	{ "readonly", case_readonly, 0 },
	{ "eventfd-dropped", case_eventfd_dropped, 0 },
	{ "eventfd-later-opener", case_eventfd_later_opener, 0 },
};

static int check(const char *c)
{
	const struct check_case *k;
	int fd = -1, r;

	for (k = cases; k < cases + ARRAY_SIZE(cases); k++)
		if (!strcmp(c, k->name))
			break;
	if (k == cases + ARRAY_SIZE(cases))
		return fail("unknown case");
	printf("# %s: %s, %zu-bit\n", dev, c, sizeof(void *) * 8);
	if (k->open) {
		fd = open_dev();
		if (fd < 0)
			return 1;
	}
	r = k->run(fd);
	if (fd >= 0)
		close(fd);
	return r;
}

static int gone(void)
{
	struct fpga_image_status st;
	struct pollfd p;
	char line[16];
	int32_t n = -1;
	int fd, r = 0;

	fd = open_dev();
	if (fd < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return fail("no go-ahead on stdin");
	r |= expect("STATUS after unregister", ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st), ENODEV);
	r |= expect("CANCEL after unregister", ioctl(fd, FPGA_IMAGE_LOAD_CANCEL), ENODEV);
	r |= expect("WRITE after unregister", write_image(fd, 0, 4, &n), ENODEV);
	r |= expect("WRITE_EVTFD after unregister", write_evtfd(fd, 0, 4, &n, -1), ENODEV);
	r |= expect("SET_EVENTFD after unregister",
		    ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n), ENODEV);
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 1000) != 1 || !(p.revents & POLLHUP))
		r |= fail("poll did not report POLLHUP");
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s check|hold|gone DEV [CASE|SECS] [ARG]\n", argv[0]);
		return 2;
	}
	dev = argv[2];
	if (!strcmp(argv[1], "check") && argc >= 4) {
		arg = argc > 4 ? argv[4] : NULL;
		return check(argv[3]);
	}
	if (!strcmp(argv[1], "hold") && argc >= 4) {
		int fd = open(dev, O_RDWR | O_CLOEXEC);
		time_t end = time(NULL) + atoi(argv[3]);

		if (fd < 0) {
			printf("# hold: %s\n", strerror(errno));
			return 1;
		}
		printf("# hold: opened\n");
		fflush(stdout);
		/* The whole time, even if a sleep is cut short. */
		while (time(NULL) < end)
			sleep(end - time(NULL));
		close(fd);
		return 0;
	}
	if (!strcmp(argv[1], "gone"))
		return gone();
	fprintf(stderr, "bad arguments\n");
	return 2;
}
