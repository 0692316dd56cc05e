// SPDX-License-Identifier: GPL-2.0
/*
 * Exports the C API of the DOE auxiliary devices (cxl_pci_doe.rs) to the
 * cxl_doe driver and other kernel users.
 */
#include <linux/export.h>
#include <cxl/doe.h>

EXPORT_SYMBOL_GPL(cxl_doe_get_mb);
EXPORT_SYMBOL_GPL(cxl_doe_put_mb);
EXPORT_SYMBOL_GPL(cxl_doe_find_mb);
EXPORT_SYMBOL_GPL(cxl_doe_publish);
EXPORT_SYMBOL_GPL(cxl_doe_withdraw);
