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
 * @owner: the module of the ops; pinned while a load runs, so that its
 *	module exit never finds a load running.
 * @prepare: Required. Prepare the device for an image of @size bytes at
 *	@data (valid until the end of the load, after @cleanup). @size is
 *	never zero and is a multiple of 4.
 * @write_blk: Required. Write a block of the image: @blk points at byte
 *	@offset of the image, @size is the most the driver may take (the rest
 *	of the image, never zero). The driver writes 1 to @size bytes, stores
 *	how many in *@written and returns FPGA_IMAGE_ERR_NONE; the core calls
 *	again for what is left. It keeps no state about the offset of its own.
 *	Storing 0, or more than @size, ends the load with
 *	FPGA_IMAGE_ERR_RW_ERROR; *@written is not read when an error is
 *	returned.
 * @poll_complete: Required. Wait for the device to program and
 *	authenticate the image. May take many minutes; must return
 *	FPGA_IMAGE_ERR_CANCELED soon after @cancel is called.
 * @cancel: Required. Ask the device to stop. Called on behalf of user
 *	space or of fpga_image_load_unregister() from another thread than the
 *	other ops, possibly while one of them runs, under a mutex of the
 *	class; and by the core itself, from the thread of the other ops,
 *	after a stage failed (before @cleanup, and even when @prepare failed).
 *	It may come more than once per load, before @prepare of the load it
 *	is meant for and after its @cleanup: a driver that keeps a cancel
 *	flag clears it in @prepare, not in @cleanup, and @cancel must not
 *	touch what @prepare sets up. Must not sleep for long. Never called
 *	after fpga_image_load_unregister() has returned, and never during a
 *	later load.
 * @cleanup: Optional. Undo @prepare; called at the end of every load
 *	whose @prepare succeeded, whether the load succeeded or not.
 *
 * The core calls @prepare, @write_blk, @poll_complete and @cleanup one at a
 * time, from one worker. The ops return FPGA_IMAGE_ERR_NONE or the error
 * the load ends with, which the class reports with the stage it happened
 * at; FPGA_IMAGE_ERR_CANCELED ends it as a cancel would, and a code that is
 * not an enum fpga_image_err is reported as FPGA_IMAGE_ERR_HW_ERROR.
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
 * @parent: the card's device, bound to the calling driver; not NULL.
 * @ops: the card's operations; must stay valid until unregister returns.
 * @priv: the driver's data, returned by fpga_image_load_priv().
 *
 * User space may open the card and start a load as soon as its device
 * exists, so the ops may be called before this function has returned:
 * @priv must be ready for them.
 *
 * Context: process context; sleeps.
 * Return: the card, or an ERR_PTR(): -EINVAL if @parent is NULL or a
 * required op is missing, -ENOSPC if the class has no free device number,
 * -ENOMEM, or the error of creating the device.
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
 * be called with a lock held that @ops->cancel takes. A running load pins
 * @ops->owner: called from that module's exit, this finds no load running.
 * The wait is in TASK_IDLE, which hides this task from the hung-task
 * detector, but not others waiting for a lock the caller holds (an unbind
 * holds the parent's device lock), and it is not freezable.
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
