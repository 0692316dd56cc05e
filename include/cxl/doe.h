/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DOE mailboxes of CXL memory devices as auxiliary devices,
 * cxl_pci.doe.N, and their guard.
 *
 * See Documentation/driver-api/cxl/doe-mailboxes.rst.
 */
#ifndef __CXL_DOE_H__
#define __CXL_DOE_H__

#include <linux/kconfig.h>
#include <linux/types.h>

struct auxiliary_device;
struct pci_dev;
struct pci_doe_mb;

/**
 * cxl_doe_get_mb() - borrow the mailbox of a cxl_pci.doe.N for the kernel
 * @adev: the mailbox's auxiliary device.
 *
 * Holds the device's guard shared until cxl_doe_put_mb(), which the same
 * task calls; while any user holds it, unbinding the driver waits.
 *
 * Return: the mailbox; ERR_PTR(-ENXIO) when no driver lends it to the
 * kernel (it is unbound: user space may own it); ERR_PTR(-EINVAL) when
 * @adev is not a cxl_pci.doe.N.
 */
struct pci_doe_mb *cxl_doe_get_mb(struct auxiliary_device *adev);

/**
 * cxl_doe_put_mb() - give back a mailbox cxl_doe_get_mb() lent
 * @adev: the mailbox's auxiliary device.
 */
void cxl_doe_put_mb(struct auxiliary_device *adev);

/**
 * cxl_doe_lend() - lend a mailbox to the kernel; the cxl_doe driver's bind
 * @adev: the mailbox's auxiliary device.
 *
 * Waits for a process that holds the mailbox, gives the mailbox back to
 * the kernel (pci_doe_release(), aborting what user space left in it),
 * reads its protocols and CDAT table, and lends it to kernel users.
 *
 * Return: 0; -EBUSY if a process that holds the mailbox kept it for 10 s;
 * -EINTR on a signal meanwhile; the abort's error if the mailbox came back
 * from user space dead.
 */
int cxl_doe_lend(struct auxiliary_device *adev);

/**
 * cxl_doe_take_back() - the driver's unbind
 * @adev: the mailbox's auxiliary device.
 * @hand_over: leave the mailbox to user space (an unbind through sysfs), or
 *	to the kernel (the driver unloads).
 *
 * Waits for the kernel's users, drops what cxl_doe_lend() read and, if
 * @hand_over, claims the mailbox for user space (pci_doe_claim()), unless
 * cxl_pci is removing the device or PCI TSM uses it.
 */
void cxl_doe_take_back(struct auxiliary_device *adev, bool hand_over);

struct cxl_doe_hold;

/**
 * cxl_doe_hold() - hold a mailbox that user space owns, for a process
 * @id: the N of cxl_pci.doe.N.
 * @pid: the process, for the log.
 *
 * Until cxl_doe_let_go(), nothing takes the mailbox back: a bind waits for
 * the holder, for a while, and then fails with -EBUSY.
 *
 * Return: the hold; ERR_PTR(-ENODEV) if there is no such device;
 * ERR_PTR(-EBUSY) while the kernel owns the mailbox or is taking it back;
 * ERR_PTR(-EAGAIN) while another process holds it.
 */
struct cxl_doe_hold *cxl_doe_hold(u32 id, pid_t pid);

/**
 * cxl_doe_let_go() - end a hold
 * @hold: what cxl_doe_hold() returned.
 */
void cxl_doe_let_go(struct cxl_doe_hold *hold);

/**
 * cxl_doe_reclaim_all() - give every handed-over mailbox back to the kernel
 *
 * The driver that hands mailboxes over unloads: each one that user space
 * owns goes back to the kernel, its registers aborted.
 */
void cxl_doe_reclaim_all(void);

/**
 * cxl_pci_doe_create_devices() - make each DOE mailbox a cxl_pci.doe.N
 * @pdev: a CXL memory device cxl_pci has just probed.
 *
 * Called at the end of a successful probe; the devices are removed when
 * cxl_pci unbinds.
 */
#if IS_ENABLED(CONFIG_CXL_DOE)
void cxl_pci_doe_create_devices(struct pci_dev *pdev);
#else
static inline void cxl_pci_doe_create_devices(struct pci_dev *pdev) { }
#endif

#endif /* __CXL_DOE_H__ */
