// SPDX-License-Identifier: GPL-2.0
/*
 * The upstream peer of the simulated FPGA cards: a card like
 * fpga_image_load_csim that user space loads through the firmware loader's
 * fw_upload interface (drivers/base/firmware_loader/sysfs_upload.c) instead
 * of the FPGA Image Load class, so that a benchmark can compare the two on
 * the same simulated work.
 *
 * Loading the module registers one fw_upload, fpga_image_load_fwpeer, on the
 * faux device of the same name: user space drives it through
 * /sys/class/firmware/fpga_image_load_fwpeer/. Its debugfs directory,
 * /sys/kernel/debug/fpga_image_load_fwpeer/, holds:
 *
 * - block_size: the most bytes one write() takes (default 0x1000; a load
 *   takes anything below 4 as 4);
 * - block_delay_us: the time each block takes;
 * - program_ms: the time poll_complete() takes;
 * - store: Y (the default) copies each block into an image buffer allocated
 *   at prepare, N only counts the bytes;
 * - received: the bytes the last load's write() calls took, in either mode;
 * - image: the bytes of the last completed load, empty if it ran with store
 *   N. An open file keeps the image it was opened on, so a new load never
 *   tears a read.
 *
 * Like hardware, the card takes its settings when a load is prepared. A
 * cancel is honoured within one block, or at once in a long block delay and
 * in poll_complete().
 *
 * Like every fw_upload user, the registration holds a reference to this
 * module: it cannot be removed while registered, so in practice the module
 * stays until reboot (or a forced removal).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/device/faux.h>
#include <linux/err.h>
#include <linux/firmware.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#define FWPEER_NAME		"fpga_image_load_fwpeer"
#define FWPEER_BLOCK_SIZE	0x1000
#define FWPEER_MIN_BLOCK_SIZE	4U
/* Longest time a load sleeps without looking for a cancel. */
#define FWPEER_POLL_MS		10U

/**
 * struct fwpeer_image - an image the card receives in store mode
 * @ref: held by the card while it is the last completed image, and by each
 *	open file of debugfs "image".
 * @size: the size of @data in bytes.
 * @data: the bytes.
 *
 * One vmalloc() allocation, header and bytes.
 */
struct fwpeer_image {
	struct kref ref;
	u32 size;
	u8 data[] __counted_by(size);
};

/**
 * struct fwpeer_card - the simulated card
 * @fdev: the parent device of the card.
 * @fwl: the card as fw_upload knows it.
 * @root: the module's debugfs directory.
 * @block_size: debugfs knob, read at prepare.
 * @block_delay_us: debugfs knob, read at prepare.
 * @program_ms: debugfs knob, read at prepare.
 * @store: debugfs knob, read at prepare.
 * @lock: protects @image.
 * @image: the last completed image, NULL if none or if the last completed
 *	load ran in count mode.
 * @loading: the image of the running load in store mode, from prepare to
 *	its end; NULL in count mode.
 * @size: the size of the running load's image in bytes.
 * @received: bytes written by the running or last load; debugfs "received"
 *	reads it.
 * @cur_block_size: @block_size as the running load took it.
 * @cur_block_delay_us: @block_delay_us as the running load took it.
 * @cur_program_ms: @program_ms as the running load took it.
 * @cur_store: @store as the running load took it.
 * @canceled: set by the cancel op, cleared by prepare.
 * @cancel_wq: woken by the cancel op.
 *
 * fw_upload calls prepare, write, poll_complete and cleanup one at a time,
 * from one work item, so the state of the running load (@loading to
 * @cur_store) needs no lock; only @received is also read by debugfs. The
 * cancel op may run at any time, under a mutex of fw_upload: it only sets
 * @canceled and wakes @cancel_wq.
 */
struct fwpeer_card {
	struct faux_device *fdev;
	struct fw_upload *fwl;
	struct dentry *root;

	u32 block_size;
	u32 block_delay_us;
	u32 program_ms;
	bool store;

	struct mutex lock;	/* protects image */
	struct fwpeer_image *image;

	struct fwpeer_image *loading;
	u32 size;
	u64 received;
	u32 cur_block_size;
	u32 cur_block_delay_us;
	u32 cur_program_ms;
	bool cur_store;

	atomic_t canceled;
	wait_queue_head_t cancel_wq;
};

/* The module's one card. */
static struct fwpeer_card *fwpeer;

static void fwpeer_image_free(struct kref *ref)
{
	vfree(container_of(ref, struct fwpeer_image, ref));
}

static void fwpeer_image_put(struct fwpeer_image *img)
{
	if (img)
		kref_put(&img->ref, fwpeer_image_free);
}

static bool fwpeer_canceled(struct fwpeer_card *card)
{
	return atomic_read(&card->canceled);
}

/**
 * fwpeer_prepare() - the prepare op: take the settings, allocate the image
 * @fwl: the card.
 * @data: the image; unused, write() passes it block by block.
 * @size: the size of the image in bytes.
 *
 * Clears the cancel flag, which a late cancel of the previous load may have
 * set (fw_upload may call cancel after cleanup, until the load is idle).
 * As in the upstream fw_upload drivers, a cancel of this load that came
 * before prepare is lost: fw_upload does not check for one itself.
 *
 * fw_upload calls cleanup only after a successful prepare, so a failing
 * prepare leaves nothing allocated.
 *
 * Return: FW_UPLOAD_ERR_NONE, FW_UPLOAD_ERR_INVALID_SIZE for an empty
 * image, or FW_UPLOAD_ERR_BUSY when the card has no memory for the image
 * (as the simulated cards of the FPGA Image Load class answer).
 */
static enum fw_upload_err fwpeer_prepare(struct fw_upload *fwl,
					 const u8 *data, u32 size)
{
	struct fwpeer_card *card = fwl->dd_handle;
	struct fwpeer_image *img;

	atomic_set(&card->canceled, 0);

	card->cur_block_size = max(READ_ONCE(card->block_size),
				   FWPEER_MIN_BLOCK_SIZE);
	card->cur_block_delay_us = READ_ONCE(card->block_delay_us);
	card->cur_program_ms = READ_ONCE(card->program_ms);
	card->cur_store = READ_ONCE(card->store);
	card->size = size;
	WRITE_ONCE(card->received, 0);

	if (!size)
		return FW_UPLOAD_ERR_INVALID_SIZE;

	if (card->cur_store) {
		/* struct_size() saturates: no overflow, vmalloc() fails. */
		img = __vmalloc(struct_size(img, data, size),
				GFP_KERNEL | __GFP_NOWARN);
		if (!img)
			return FW_UPLOAD_ERR_BUSY;
		kref_init(&img->ref);
		img->size = size;
		card->loading = img;
	}

	return FW_UPLOAD_ERR_NONE;
}

/*
 * The time a block takes. A long one ends early on a cancel; after a short
 * one, the next write() looks for a cancel.
 */
static void fwpeer_block_delay(struct fwpeer_card *card, u32 us)
{
	if (!us)
		return;
	if (us < FWPEER_POLL_MS * USEC_PER_MSEC) {
		fsleep(us);
		return;
	}
	wait_event_idle_timeout(card->cancel_wq, fwpeer_canceled(card),
				usecs_to_jiffies(us));
}

/**
 * fwpeer_write() - the write op: take one block
 * @fwl: the card.
 * @data: the whole image; the block starts at @data + @offset.
 * @offset: where the block starts in the image.
 * @size: the bytes left in the image, the most this call may take.
 * @written: where to store how many bytes this call took.
 *
 * Takes at most the block size of the load: in store mode copies the block
 * into the image, in count mode only counts it. The blocks must come in
 * order, each right after the one before, as fw_upload passes them.
 *
 * Return: FW_UPLOAD_ERR_NONE, FW_UPLOAD_ERR_CANCELED after a cancel, or
 * FW_UPLOAD_ERR_HW_ERROR for a block out of order or beyond the image.
 */
static enum fw_upload_err fwpeer_write(struct fw_upload *fwl, const u8 *data,
				       u32 offset, u32 size, u32 *written)
{
	struct fwpeer_card *card = fwl->dd_handle;
	u32 n;

	if (fwpeer_canceled(card))
		return FW_UPLOAD_ERR_CANCELED;

	n = min(size, card->cur_block_size);
	/* offset < card->size, so the subtraction cannot wrap. */
	if (offset != card->received || offset >= card->size ||
	    n > card->size - offset)
		return FW_UPLOAD_ERR_HW_ERROR;

	if (card->cur_store)
		memcpy(card->loading->data + offset, data + offset, n);
	WRITE_ONCE(card->received, card->received + n);
	fwpeer_block_delay(card, card->cur_block_delay_us);

	*written = n;
	return FW_UPLOAD_ERR_NONE;
}

/**
 * fwpeer_poll_complete() - the poll_complete op: "program" the image
 * @fwl: the card.
 *
 * Sleeps program_ms, in steps of at most FWPEER_POLL_MS, and ends early on a
 * cancel. On success the image (none in count mode) becomes the one debugfs
 * "image" shows.
 *
 * Return: FW_UPLOAD_ERR_NONE, FW_UPLOAD_ERR_CANCELED after a cancel, or
 * FW_UPLOAD_ERR_HW_ERROR when the image was not written in full.
 */
static enum fw_upload_err fwpeer_poll_complete(struct fw_upload *fwl)
{
	struct fwpeer_card *card = fwl->dd_handle;
	unsigned long end = jiffies + msecs_to_jiffies(card->cur_program_ms);
	long step = msecs_to_jiffies(FWPEER_POLL_MS);
	struct fwpeer_image *old;
	long left;

	for (;;) {
		if (fwpeer_canceled(card))
			return FW_UPLOAD_ERR_CANCELED;
		left = (long)(end - jiffies);
		if (left <= 0)
			break;
		wait_event_idle_timeout(card->cancel_wq, fwpeer_canceled(card),
					min(left, step));
	}

	if (card->received != card->size)
		return FW_UPLOAD_ERR_HW_ERROR;

	/* The new image replaces the old one: open files may still hold it. */
	mutex_lock(&card->lock);
	old = card->image;
	card->image = card->loading;
	mutex_unlock(&card->lock);
	card->loading = NULL;
	fwpeer_image_put(old);

	return FW_UPLOAD_ERR_NONE;
}

/**
 * fwpeer_cancel() - the cancel op: ask the running load to stop
 * @fwl: the card.
 *
 * Does not sleep and takes no lock of the card: fw_upload calls it under
 * its own mutex, from another thread than the load's, possibly several
 * times, and also before prepare or after cleanup of the load it meant. The
 * flag stays set until the next prepare.
 */
static void fwpeer_cancel(struct fw_upload *fwl)
{
	struct fwpeer_card *card = fwl->dd_handle;

	atomic_set(&card->canceled, 1);
	wake_up_all(&card->cancel_wq);
}

/**
 * fwpeer_cleanup() - the cleanup op: drop the image of an unfinished load
 * @fwl: the card.
 *
 * A completed load has already handed its image over to debugfs "image".
 */
static void fwpeer_cleanup(struct fw_upload *fwl)
{
	struct fwpeer_card *card = fwl->dd_handle;

	fwpeer_image_put(card->loading);
	card->loading = NULL;
}

static const struct fw_upload_ops fwpeer_ops = {
	.prepare	= fwpeer_prepare,
	.write		= fwpeer_write,
	.poll_complete	= fwpeer_poll_complete,
	.cancel		= fwpeer_cancel,
	.cleanup	= fwpeer_cleanup,
};

/*
 * debugfs "received": the load's worker updates it as this reads it. It
 * never exceeds U32_MAX, so even where a u64 access is two, none tears.
 */
static int fwpeer_received_get(void *data, u64 *val)
{
	struct fwpeer_card *card = data;

	*val = READ_ONCE(card->received);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(fwpeer_received_fops, fwpeer_received_get, NULL,
			 "%llu\n");

/*
 * debugfs "image": each open file holds the image that was the last
 * completed one when it was opened (none: the file is empty).
 */
static int fwpeer_image_open(struct inode *inode, struct file *file)
{
	struct fwpeer_card *card = inode->i_private;
	struct fwpeer_image *img;

	mutex_lock(&card->lock);
	img = card->image;
	if (img)
		kref_get(&img->ref);
	mutex_unlock(&card->lock);

	file->private_data = img;
	return 0;
}

static ssize_t fwpeer_image_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct fwpeer_image *img = file->private_data;

	if (!img)
		return 0;
	return simple_read_from_buffer(ubuf, count, ppos, img->data, img->size);
}

/* Touches only the file's image: the card may be gone by now. */
static int fwpeer_image_release(struct inode *inode, struct file *file)
{
	fwpeer_image_put(file->private_data);
	return 0;
}

static const struct file_operations fwpeer_image_fops = {
	.owner		= THIS_MODULE,
	.open		= fwpeer_image_open,
	.read		= fwpeer_image_read,
	.release	= fwpeer_image_release,
	.llseek		= default_llseek,
};

/* The debugfs files, best effort as debugfs always is. */
static void fwpeer_debugfs_init(struct fwpeer_card *card)
{
	struct dentry *dir;

	dir = debugfs_create_dir(FWPEER_NAME, NULL);
	card->root = dir;
	debugfs_create_x32("block_size", 0600, dir, &card->block_size);
	debugfs_create_u32("block_delay_us", 0600, dir, &card->block_delay_us);
	debugfs_create_u32("program_ms", 0600, dir, &card->program_ms);
	debugfs_create_bool("store", 0600, dir, &card->store);
	debugfs_create_file_unsafe("received", 0400, dir, card,
				   &fwpeer_received_fops);
	debugfs_create_file("image", 0400, dir, card, &fwpeer_image_fops);
}

static void fwpeer_card_free(struct fwpeer_card *card)
{
	fwpeer_image_put(card->loading);
	fwpeer_image_put(card->image);
	mutex_destroy(&card->lock);
	kfree(card);
}

static int __init fwpeer_init(void)
{
	struct fwpeer_card *card;
	int ret;

	card = kzalloc_obj(*card);
	if (!card)
		return -ENOMEM;
	card->block_size = FWPEER_BLOCK_SIZE;
	card->store = true;
	mutex_init(&card->lock);
	init_waitqueue_head(&card->cancel_wq);

	/* faux_device_create() returns NULL, not an ERR_PTR(), on failure. */
	card->fdev = faux_device_create(FWPEER_NAME, NULL, NULL);
	if (!card->fdev) {
		ret = -ENODEV;
		goto err_free;
	}

	/* The ops may run from here on: the card is ready for them. */
	card->fwl = firmware_upload_register(THIS_MODULE, &card->fdev->dev,
					     FWPEER_NAME, &fwpeer_ops, card);
	if (IS_ERR(card->fwl)) {
		ret = PTR_ERR(card->fwl);
		goto err_destroy;
	}

	fwpeer_debugfs_init(card);
	fwpeer = card;
	dev_info(&card->fdev->dev, "fw_upload peer /sys/class/firmware/%s\n",
		 FWPEER_NAME);
	return 0;

err_destroy:
	faux_device_destroy(card->fdev);
err_free:
	fwpeer_card_free(card);
	return ret;
}

static void __exit fwpeer_exit(void)
{
	struct fwpeer_card *card = fwpeer;

	/* No knob or "image" open touches the card once this returns. */
	debugfs_remove(card->root);
	/* Cancels and waits for a running load: no op is called after. */
	firmware_upload_unregister(card->fwl);
	faux_device_destroy(card->fdev);
	fwpeer_card_free(card);
}

module_init(fwpeer_init);
module_exit(fwpeer_exit);

MODULE_AUTHOR("The rfl-drivers authors");
MODULE_DESCRIPTION("fw_upload peer of the simulated FPGA cards");
MODULE_LICENSE("GPL");
