// SPDX-License-Identifier: GPL-2.0
/*
 * User-space checks of the FPGA Image Load ABI, written against
 * include/uapi/linux/fpga-image-load.h as any C program would be.
 *
 *   fpga_image_load_errno check DEV CASE   exit 0 if CASE behaves as documented
 *   fpga_image_load_errno hold DEV SECS    open DEV, keep it SECS, exit 0 if opened
 *   fpga_image_load_errno gone DEV         open, wait for a line on stdin (the
 *                                          card is unregistered meanwhile), then
 *                                          expect ENODEV and POLLHUP
 *
 * Cases: write-flags write-size-zero write-size-unaligned write-efbig SIZE
 * write-efault write-busy open-busy cancel-idle enotty status-every-byte
 * eventfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fpga-image-load.h>

static const char *dev;

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

static int open_dev(void)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "# open %s: %s\n", dev, strerror(errno));
	return fd;
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

/* Waits up to 30 s for the end of the load. */
static int wait_idle(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 30000) == 1 && (p.revents & POLLIN) ? 0 : -1;
}

static int check(const char *c, const char *arg)
{
	static uint32_t image[1024];
	struct fpga_image_status st;
	int fd, efd, r = 0;
	uint64_t count;

	/* Another process holds the device open (the caller arranges it). */
	if (!strcmp(c, "open-busy"))
		return expect("open while another process has it open",
			      open(dev, O_RDWR | O_CLOEXEC), EBUSY);

	fd = open_dev();
	if (fd < 0)
		return 1;

	if (!strcmp(c, "write-flags")) {
		r = expect("WRITE flags=1", write_image(fd, 1, 4096, image), EINVAL);
	} else if (!strcmp(c, "write-size-zero")) {
		r = expect("WRITE size=0", write_image(fd, 0, 0, image), EINVAL);
	} else if (!strcmp(c, "write-size-unaligned")) {
		r = expect("WRITE size=6", write_image(fd, 0, 6, image), EINVAL);
	} else if (!strcmp(c, "write-efbig")) {
		uint32_t size = arg ? strtoul(arg, NULL, 0) : 0;

		r = expect("WRITE size above max_image_size",
			   write_image(fd, 0, size, image), EFBIG);
	} else if (!strcmp(c, "write-efault")) {
		r = expect("WRITE unreadable buffer",
			   write_image(fd, 0, 4096, (void *)16), EFAULT);
		r |= expect("WRITE unreadable request",
			    ioctl(fd, FPGA_IMAGE_LOAD_WRITE, (void *)16), EFAULT);
	} else if (!strcmp(c, "write-busy")) {
		/* The card is set to program slowly: the first load runs on. */
		if (write_image(fd, 0, sizeof(image), image))
			return fail("first WRITE failed");
		r = expect("WRITE while a load runs",
			   write_image(fd, 0, sizeof(image), image), EBUSY);
		if (ioctl(fd, FPGA_IMAGE_LOAD_CANCEL) || wait_idle(fd))
			r |= fail("cancel of the first load failed");
	} else if (!strcmp(c, "cancel-idle")) {
		r = expect("CANCEL with no load", ioctl(fd, FPGA_IMAGE_LOAD_CANCEL), ENODEV);
	} else if (!strcmp(c, "enotty")) {
		r = expect("unknown ioctl", ioctl(fd, _IO(FPGA_IMAGE_LOAD_MAGIC, 9)), ENOTTY);
		r |= expect("foreign ioctl", ioctl(fd, _IO('T', 1)), ENOTTY);
	} else if (!strcmp(c, "status-every-byte")) {
		memset(&st, 0xaa, sizeof(st));
		if (ioctl(fd, FPGA_IMAGE_LOAD_STATUS, &st))
			return fail("STATUS failed");
		/* An idle card after a good load: every field is 0. */
		if (st.remaining_size || st.progress || st.err_progress || st.err_code)
			r = fail("STATUS left bytes unwritten or wrong");
		r |= expect("STATUS to a bad address",
			    ioctl(fd, FPGA_IMAGE_LOAD_STATUS, (void *)16), EFAULT);
	} else if (!strcmp(c, "eventfd")) {
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
		struct pollfd p = { .fd = efd, .events = POLLIN };
		if (poll(&p, 1, 30000) != 1 || read(efd, &count, 8) != 8 || count != 1)
			r |= fail("the eventfd was not signalled once");
		if (wait_idle(fd))
			r |= fail("poll did not report POLLIN after the load");
		n = -1;
		if (ioctl(fd, FPGA_IMAGE_LOAD_SET_EVENTFD, &n))
			r |= fail("SET_EVENTFD -1 failed");
	} else {
		return fail("unknown case");
	}
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
	if (!strcmp(argv[1], "check") && argc >= 4)
		return check(argv[3], argc > 4 ? argv[4] : NULL);
	if (!strcmp(argv[1], "hold") && argc >= 4) {
		int fd = open(dev, O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			printf("# hold: %s\n", strerror(errno));
			return 1;
		}
		sleep(atoi(argv[3]));
		close(fd);
		return 0;
	}
	if (!strcmp(argv[1], "gone"))
		return gone();
	fprintf(stderr, "bad arguments\n");
	return 2;
}
