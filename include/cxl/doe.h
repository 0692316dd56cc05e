/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DOE mailboxes of CXL memory devices as auxiliary devices,
 * cxl_pci.doe.N, and their guard.
 *
 * See Documentation/driver-api/cxl/doe-mailboxes.rst.
 */
#ifndef __CXL_DOE_H__
#define __CXL_DOE_H__

struct auxiliary_device;
struct pci_doe_mb;

/*
 * Kernel users of a mailbox. cxl_doe_get_mb() returns the mailbox with the
 * device's guard held shared, or ERR_PTR(-ENXIO) when no driver holds the
 * mailbox for the kernel (it is unbound: user space may own it). Every
 * successful get is paired with cxl_doe_put_mb() from the same task; while
 * any user holds it, unbinding the driver waits.
 */
struct pci_doe_mb *cxl_doe_get_mb(struct auxiliary_device *adev);
void cxl_doe_put_mb(struct auxiliary_device *adev);

/*
 * The cxl_doe driver. cxl_doe_find_mb() returns the PCI core's mailbox for
 * the device's DOE capability, or ERR_PTR(-ENODEV). cxl_doe_publish() makes
 * it available to kernel users; cxl_doe_withdraw() waits for them all to
 * let go and makes it unavailable.
 */
struct pci_doe_mb *cxl_doe_find_mb(struct auxiliary_device *adev);
void cxl_doe_publish(struct auxiliary_device *adev, struct pci_doe_mb *mb);
void cxl_doe_withdraw(struct auxiliary_device *adev);

#endif /* __CXL_DOE_H__ */
