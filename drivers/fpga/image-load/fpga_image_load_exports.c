// SPDX-License-Identifier: GPL-2.0
/*
 * Exports the C ABI of the FPGA Image Load class, implemented in Rust in
 * fpga_image_load_core.rs, to lower-level drivers.
 */

#include <linux/export.h>
#include <linux/fpga/fpga-image-load.h>

EXPORT_SYMBOL_GPL(fpga_image_load_register);
EXPORT_SYMBOL_GPL(fpga_image_load_unregister);
EXPORT_SYMBOL_GPL(fpga_image_load_priv);
EXPORT_SYMBOL_GPL(fpga_image_load_dev);
