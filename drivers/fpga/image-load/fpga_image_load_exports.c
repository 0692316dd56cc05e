// SPDX-License-Identifier: GPL-2.0
/*
 * Exports the C ABI of the FPGA Image Load class, implemented in Rust in
 * fpga_image_load_core.rs, to lower-level drivers, and holds the module's
 * parameter.
 */

#include <linux/export.h>
#include <linux/fpga/fpga-image-load.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

/* Read by max_image_size() in fpga_image_load_core.rs. */
extern unsigned int fpga_image_load_max_image_size;
unsigned int fpga_image_load_max_image_size = SZ_256M;
module_param_named(max_image_size, fpga_image_load_max_image_size, uint, 0444);
MODULE_PARM_DESC(max_image_size,
		 "Largest image FPGA_IMAGE_LOAD_WRITE accepts, in bytes (default 256 MiB)");

EXPORT_SYMBOL_GPL(fpga_image_load_register);
EXPORT_SYMBOL_GPL(fpga_image_load_unregister);
EXPORT_SYMBOL_GPL(fpga_image_load_priv);
EXPORT_SYMBOL_GPL(fpga_image_load_dev);
