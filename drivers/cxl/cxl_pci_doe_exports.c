// SPDX-License-Identifier: GPL-2.0
/*
 * Exports the C API of the DOE auxiliary devices (cxl_pci_doe.rs) to the
 * cxl_doe driver and other kernel users, in the CXL namespace.
 */
#include <linux/export.h>
#include <cxl/doe.h>

EXPORT_SYMBOL_NS_GPL(cxl_doe_get_mb, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_put_mb, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_lend, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_take_back, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_hold, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_let_go, "CXL");
EXPORT_SYMBOL_NS_GPL(cxl_doe_reclaim_all, "CXL");
