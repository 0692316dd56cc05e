/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cxl_pci's hook for the DOE auxiliary devices (cxl_pci_doe.rs).
 */
#ifndef __CXL_PCI_DOE_H__
#define __CXL_PCI_DOE_H__

#include <linux/kconfig.h>

struct pci_dev;

#if IS_ENABLED(CONFIG_CXL_DOE)
/*
 * Creates cxl_pci.doe.N for each DOE capability of @pdev, removed when
 * cxl_pci unbinds. A failure is reported and leaves the memory device
 * working without that mailbox device.
 */
void cxl_pci_doe_create_devices(struct pci_dev *pdev);
#else
static inline void cxl_pci_doe_create_devices(struct pci_dev *pdev) { }
#endif

#endif /* __CXL_PCI_DOE_H__ */
