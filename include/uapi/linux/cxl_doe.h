/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/cxl_doe: holding a CXL DOE mailbox that user space owns.
 *
 * See Documentation/driver-api/cxl/doe-mailboxes.rst.
 */
#ifndef _UAPI_LINUX_CXL_DOE_H
#define _UAPI_LINUX_CXL_DOE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * CXL_DOE_HOLD - hold the mailbox of cxl_pci.doe.N, N the __u32 the
 * argument points to, for the exchanges of this open file, until it is
 * closed.
 *
 * The mailbox must be user space's (its driver unbound through sysfs).
 * While it is held, a bind waits for the holder, for up to 10 seconds, and
 * then fails with EBUSY; the removal of the device waits as long and then
 * takes the mailbox back all the same.
 *
 * Errors: EFAULT, a bad pointer; ENODEV, no such mailbox; EBUSY, the
 * kernel owns the mailbox or is taking it back; EAGAIN, another open file
 * holds it; EALREADY, this file holds a mailbox already.
 */
#define CXL_DOE_HOLD _IOW(0xCE, 0x40, __u32)

#endif /* _UAPI_LINUX_CXL_DOE_H */
