/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FPGA Image Load class: the interface of lower-level drivers.
 *
 * See Documentation/fpga/fpga-image-load.rst.
 */

#ifndef _LINUX_FPGA_IMAGE_LOAD_H
#define _LINUX_FPGA_IMAGE_LOAD_H

#include <linux/types.h>
#include <uapi/linux/fpga-image-load.h>

struct device;
struct module;
struct fpga_image_load;

/**
 * struct fpga_image_load_ops - operations of a lower-level driver
 * @owner: the module of the ops; pinned while a load runs.
 * @prepare: Required. Prepare the device for an image of @size bytes at
 *	@data (valid until @cleanup or the end of the load).
 * @write_blk: Required. Write a block of the image: @blk points at byte
 *	@offset of the image, @size is the most the driver may take (the rest
 *	of the image). The driver writes 1 to @size bytes, stores how many in
 *	*@written and returns FPGA_IMAGE_ERR_NONE; the core calls again for
 *	what is left. It keeps no state about the offset of its own.
 * @poll_complete: Required. Wait for the device to program and
 *	authenticate the image. May take many minutes; must return
 *	FPGA_IMAGE_ERR_CANCELED soon after @cancel is called.
 * @cancel: Required. Ask the device to stop. Called from another thread
 *	than the other ops, possibly while one of them runs, possibly more
 *	than once, possibly under a mutex of the class; must not sleep for
 *	long. Never called after fpga_image_load_unregister() has returned.
 * @cleanup: Optional. Undo @prepare; called at the end of every load
 *	whose @prepare succeeded, whether the load succeeded or not.
 *
 * The ops return FPGA_IMAGE_ERR_NONE or the error the load ends with.
 */
struct fpga_image_load_ops {
	struct module *owner;
	enum fpga_image_err (*prepare)(struct fpga_image_load *imgld,
				       const u8 *data, u32 size);
	enum fpga_image_err (*write_blk)(struct fpga_image_load *imgld,
					 const u8 *blk, u32 offset, u32 size,
					 u32 *written);
	enum fpga_image_err (*poll_complete)(struct fpga_image_load *imgld);
	void (*cancel)(struct fpga_image_load *imgld);
	void (*cleanup)(struct fpga_image_load *imgld);
};

/**
 * fpga_image_load_register() - register a card with the class
 * @parent: the card's device, bound to the calling driver.
 * @ops: the card's operations; must stay valid until unregister returns.
 * @priv: the driver's data, returned by fpga_image_load_priv().
 *
 * Context: process context; sleeps.
 * Return: the card, or an ERR_PTR(): -EINVAL if a required op is missing,
 * -ENOSPC if the class has no free device number, -ENOMEM.
 */
struct fpga_image_load *
fpga_image_load_register(struct device *parent,
			 const struct fpga_image_load_ops *ops, void *priv);

/**
 * fpga_image_load_unregister() - unregister a card
 * @imgld: a card returned by fpga_image_load_register().
 *
 * Refuses new loads, cancels the running one and waits for it to end (for
 * as long as a card that cannot cancel takes), then removes the device.
 * Afterwards no op of the card is called; open files get -ENODEV. Must not
 * be called with a lock held that @ops->cancel takes.
 *
 * Context: process context; sleeps.
 */
void fpga_image_load_unregister(struct fpga_image_load *imgld);

/**
 * fpga_image_load_priv() - the driver data of a card
 * @imgld: a registered card.
 *
 * Context: any; takes no lock.
 * Return: the @priv given to fpga_image_load_register().
 */
void *fpga_image_load_priv(struct fpga_image_load *imgld);

/**
 * fpga_image_load_dev() - the class device of a card, fpga_imageN
 * @imgld: a registered card.
 *
 * Context: any; takes no lock.
 * Return: the device, valid until the card is unregistered.
 */
struct device *fpga_image_load_dev(struct fpga_image_load *imgld);

#endif /* _LINUX_FPGA_IMAGE_LOAD_H */
