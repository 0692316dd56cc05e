/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User API of the FPGA Image Load class: /dev/fpga_imageN.
 *
 * One file at a time may be open for writing (a second open for writing
 * fails with EBUSY); files open only for reading are not limited.
 *
 * See Documentation/fpga/fpga-image-load.rst.
 */

#ifndef _UAPI_LINUX_FPGA_IMAGE_LOAD_H
#define _UAPI_LINUX_FPGA_IMAGE_LOAD_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define FPGA_IMAGE_LOAD_MAGIC 0xB9

/* Image load progress codes */
enum fpga_image_prog {
	FPGA_IMAGE_PROG_IDLE,
	FPGA_IMAGE_PROG_STARTING,
	FPGA_IMAGE_PROG_PREPARING,
	FPGA_IMAGE_PROG_WRITING,
	FPGA_IMAGE_PROG_PROGRAMMING,
	FPGA_IMAGE_PROG_MAX
};

/* Image load error codes */
enum fpga_image_err {
	FPGA_IMAGE_ERR_NONE,
	FPGA_IMAGE_ERR_HW_ERROR,
	FPGA_IMAGE_ERR_TIMEOUT,
	FPGA_IMAGE_ERR_CANCELED,
	FPGA_IMAGE_ERR_BUSY,
	FPGA_IMAGE_ERR_INVALID_SIZE,
	FPGA_IMAGE_ERR_RW_ERROR,
	FPGA_IMAGE_ERR_WEAROUT,
	FPGA_IMAGE_ERR_MAX
};

/**
 * struct fpga_image_write - argument of FPGA_IMAGE_LOAD_WRITE (16 bytes)
 * @flags: zero; no flag is defined.
 * @size: size of the image in bytes: not zero, a multiple of 4, at most
 *	the fpga_image_load module's max_image_size parameter.
 * @buf: user address of the image.
 */
struct fpga_image_write {
	__u32 flags;
	__u32 size;
	__u64 buf;
};

/**
 * struct fpga_image_write_evtfd - argument of FPGA_IMAGE_LOAD_WRITE_EVTFD
 *	(24 bytes)
 * @flags: as in struct fpga_image_write.
 * @size: as in struct fpga_image_write.
 * @evtfd: an eventfd to signal once, when this load ends; -1 for none.
 * @__pad: zero. The padding is explicit so that the layout, and with it the
 *	ioctl number, is the same for 32-bit and 64-bit callers.
 * @buf: as in struct fpga_image_write.
 *
 * This is the layout of the later revision of the ABI that Intel's OPAE
 * tools (fpgasupdate) use.
 */
struct fpga_image_write_evtfd {
	__u32 flags;
	__u32 size;
	__s32 evtfd;
	__u32 __pad;
	__u64 buf;
};

/**
 * FPGA_IMAGE_LOAD_WRITE - start a load of the image at @buf.
 *
 * The image is copied into the kernel and the load is queued; the call
 * returns without waiting for it. Completion is reported by poll() (EPOLLIN
 * once no load runs), by the eventfd of FPGA_IMAGE_LOAD_SET_EVENTFD and, with
 * FPGA_IMAGE_LOAD_WRITE_EVTFD, by the eventfd passed in the request.
 *
 * The file must be open for writing.
 *
 * Return: 0, or -1 with errno EBADF (file not open for writing, or @evtfd
 * neither -1 nor an open file), EINVAL (flags or padding not zero, size zero
 * or not a multiple of 4, @evtfd not an eventfd), EFBIG (size above
 * max_image_size), EBUSY (a load runs or the device is going away), EFAULT
 * (unreadable buffer), ENOMEM, ENODEV (the device is gone).
 */
#define FPGA_IMAGE_LOAD_WRITE	_IOW(FPGA_IMAGE_LOAD_MAGIC, 0, struct fpga_image_write)

/**
 * FPGA_IMAGE_LOAD_WRITE_EVTFD - FPGA_IMAGE_LOAD_WRITE with an eventfd.
 *
 * The same command number 0 with the 24-byte struct fpga_image_write_evtfd;
 * the size field of the ioctl number tells the two layouts apart. @evtfd is
 * signalled when this load ends, however it ends, even if the file that
 * started it was closed in the meantime.
 *
 * A 32-bit x86 program built against OPAE's own declaration of the struct,
 * which has no explicit padding, sends 20 bytes with @buf at offset 12, and
 * so command 0x4014b900; a 64-bit x86 kernel takes that layout from 32-bit
 * callers too. A 32-bit kernel does not, and a 32-bit program that sends
 * 0x4018b900 must send this header's 24-byte layout.
 */
#define FPGA_IMAGE_LOAD_WRITE_EVTFD \
	_IOW(FPGA_IMAGE_LOAD_MAGIC, 0, struct fpga_image_write_evtfd)

/**
 * struct fpga_image_status - result of FPGA_IMAGE_LOAD_STATUS
 * @remaining_size: bytes of the image not yet written to the device; kept
 *	as it was when a load fails.
 * @progress: enum fpga_image_prog of the running load, IDLE if none.
 * @err_progress: enum fpga_image_prog: the stage at which the last load
 *	failed.
 * @err_code: enum fpga_image_err of the last load, NONE if it succeeded.
 */
struct fpga_image_status {
	__u32 remaining_size;
	__u32 progress;
	__u32 err_progress;
	__u32 err_code;
};

/**
 * FPGA_IMAGE_LOAD_STATUS - read the state of the device's load.
 *
 * Works on a file open read-only, as poll() does.
 *
 * Return: 0, or -1 with errno EFAULT or ENODEV (the device is gone).
 */
#define FPGA_IMAGE_LOAD_STATUS	_IOR(FPGA_IMAGE_LOAD_MAGIC, 1, struct fpga_image_status)

/**
 * FPGA_IMAGE_LOAD_CANCEL - end the running load as CANCELED.
 *
 * The load stops at its current stage, which err_progress then reports.
 * The file must be open for writing.
 *
 * Return: 0, or -1 with errno EBADF (file not open for writing), ENODEV
 * when no load runs or the device is gone.
 */
#define FPGA_IMAGE_LOAD_CANCEL	_IO(FPGA_IMAGE_LOAD_MAGIC, 2)

/**
 * FPGA_IMAGE_LOAD_SET_EVENTFD - signal an eventfd when a load ends.
 *
 * The argument points to a __s32: an eventfd file descriptor, or -1 to
 * stop signalling. The eventfd belongs to the open file that set it: it is
 * signalled at the end of every load while that file is open, and it is
 * dropped when the file is closed (a load that goes on after the close no
 * longer signals it) or the device goes away. A later opener never signals
 * an earlier opener's eventfd.
 *
 * The file must be open for writing.
 *
 * Return: 0, or -1 with errno EBADF (file not open for writing, or not an
 * open file) or EINVAL (not an eventfd), EFAULT, ENODEV (the device is
 * gone).
 */
#define FPGA_IMAGE_LOAD_SET_EVENTFD	_IOW(FPGA_IMAGE_LOAD_MAGIC, 3, __s32)

#endif /* _UAPI_LINUX_FPGA_IMAGE_LOAD_H */
