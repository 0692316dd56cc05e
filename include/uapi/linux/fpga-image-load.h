/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User API of the FPGA Image Load class: /dev/fpga_imageN.
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
 * struct fpga_image_write - argument of FPGA_IMAGE_LOAD_WRITE
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
 * FPGA_IMAGE_LOAD_WRITE - start a load of the image at @buf.
 *
 * The image is copied into the kernel and the load is queued; the call
 * returns without waiting for it. Completion is reported by poll() (POLLIN
 * once no load runs) and by the eventfd of FPGA_IMAGE_LOAD_SET_EVENTFD.
 *
 * Return: 0, or -1 with errno EINVAL (flags not zero, size zero or not a
 * multiple of 4), EFBIG (size above max_image_size), EBUSY (a load runs or
 * the device is going away), EFAULT (unreadable buffer), ENOMEM, ENODEV
 * (the device is gone).
 */
#define FPGA_IMAGE_LOAD_WRITE	_IOW(FPGA_IMAGE_LOAD_MAGIC, 0, struct fpga_image_write)

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
 * Return: 0, or -1 with errno EFAULT or ENODEV (the device is gone).
 */
#define FPGA_IMAGE_LOAD_STATUS	_IOR(FPGA_IMAGE_LOAD_MAGIC, 1, struct fpga_image_status)

/**
 * FPGA_IMAGE_LOAD_CANCEL - end the running load as CANCELED.
 *
 * The load stops at its current stage, which err_progress then reports.
 *
 * Return: 0, or -1 with errno ENODEV when no load runs or the device is
 * gone.
 */
#define FPGA_IMAGE_LOAD_CANCEL	_IO(FPGA_IMAGE_LOAD_MAGIC, 2)

/**
 * FPGA_IMAGE_LOAD_SET_EVENTFD - signal an eventfd when a load ends.
 *
 * The argument points to a __s32: an eventfd file descriptor, or -1 to
 * stop signalling. The eventfd stays registered until replaced, removed,
 * or the device is gone; closing the device file does not remove it.
 *
 * Return: 0, or -1 with errno EBADF or EINVAL (not an eventfd), EFAULT,
 * ENODEV (the device is gone).
 */
#define FPGA_IMAGE_LOAD_SET_EVENTFD	_IOW(FPGA_IMAGE_LOAD_MAGIC, 3, __s32)

#endif /* _UAPI_LINUX_FPGA_IMAGE_LOAD_H */
