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

struct auxiliary_device;
struct pci_dev;
struct pci_doe_mb;

/*
 * Kernel users of a mailbox. cxl_doe_get_mb() returns the mailbox with the
 * device's guard held shared, ERR_PTR(-ENXIO) when no driver lends the
 * mailbox to the kernel (it is unbound: user space may own it), or
 * ERR_PTR(-EINVAL) when @adev is not a cxl_pci.doe.N. Every successful get
 * is paired with cxl_doe_put_mb() from the same task; while any user holds
 * it, unbinding the driver waits.
 */
struct pci_doe_mb *cxl_doe_get_mb(struct auxiliary_device *adev);
void cxl_doe_put_mb(struct auxiliary_device *adev);

/*
 * The cxl_doe driver. cxl_doe_lend() gives the mailbox back to the kernel
 * (pci_doe_release(), aborting what user space left in it), reads its
 * protocols and CDAT table, and lends it to kernel users; it fails if the
 * mailbox does not come back clean. cxl_doe_take_back() waits for those
 * users, drops what was read and claims the mailbox for user space
 * (pci_doe_claim()), unless cxl_pci is removing the device.
 */
int cxl_doe_lend(struct auxiliary_device *adev);
void cxl_doe_take_back(struct auxiliary_device *adev);

/*
 * cxl_pci: creates cxl_pci.doe.N for each DOE capability of @pdev at the
 * end of a successful probe; they are removed when cxl_pci unbinds.
 */
#if IS_ENABLED(CONFIG_CXL_DOE)
void cxl_pci_doe_create_devices(struct pci_dev *pdev);
#else
static inline void cxl_pci_doe_create_devices(struct pci_dev *pdev) { }
#endif

#endif /* __CXL_DOE_H__ */
