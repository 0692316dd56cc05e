// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated FPGA card written in C, for the FPGA Image Load class: the
 * example of the class's C API (include/linux/fpga/fpga-image-load.h), and a
 * smaller sibling of the Rust fpga_image_load_sim.
 *
 * Loading the module registers one card on the faux device
 * fpga_image_load_csim. Its debugfs directory,
 * /sys/kernel/debug/fpga_image_load_csim/fpga_imageN/, is named after the
 * class device and holds:
 *
 * - block_size: the most bytes one write_blk() takes (default 0x1000; a
 *   load takes anything below 4 as 4);
 * - block_delay_us: the time each block takes;
 * - program_ms: the time poll_complete() takes;
 * - inject_error: "<stage>:<error>", stage "preparing", "writing" or
 *   "programming" and error as the sysfs "error" attribute names it, makes
 *   the next loads fail there; "none" clears it. An error injected at
 *   "writing" strikes at the block that crosses the middle of the image;
 * - image: the bytes of the last completed load. An open file keeps the
 *   image it was opened on, so a new load never tears a read.
 *
 * Like hardware, the card takes its settings when a load is prepared. A
 * cancel is honoured within one block, or at once in a long block delay and
 * in poll_complete().
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/device/faux.h>
#include <linux/err.h>
#include <linux/fpga/fpga-image-load.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define CSIM_NAME		"fpga_image_load_csim"
#define CSIM_BLOCK_SIZE		0x1000
#define CSIM_MIN_BLOCK_SIZE	4U
/* Longest time a load sleeps without looking for a cancel. */
#define CSIM_POLL_MS		10U
/* Longest valid inject_error line, "programming:invalid-size\n", and a NUL. */
#define CSIM_INJECT_LEN		32

/* The stages an error can be injected at, as sysfs "error" names them. */
static const char * const csim_stage_names[FPGA_IMAGE_PROG_MAX] = {
	[FPGA_IMAGE_PROG_PREPARING]	= "preparing",
	[FPGA_IMAGE_PROG_WRITING]	= "writing",
	[FPGA_IMAGE_PROG_PROGRAMMING]	= "programming",
};

/* The errors, as sysfs "error" names them. */
static const char * const csim_err_names[FPGA_IMAGE_ERR_MAX] = {
	[FPGA_IMAGE_ERR_HW_ERROR]	= "hw-error",
	[FPGA_IMAGE_ERR_TIMEOUT]	= "timeout",
	[FPGA_IMAGE_ERR_CANCELED]	= "canceled",
	[FPGA_IMAGE_ERR_BUSY]		= "busy",
	[FPGA_IMAGE_ERR_INVALID_SIZE]	= "invalid-size",
	[FPGA_IMAGE_ERR_RW_ERROR]	= "rw-error",
	[FPGA_IMAGE_ERR_WEAROUT]	= "wearout",
};

/**
 * struct csim_inject - the inject_error setting
 * @stage: the stage that fails, FPGA_IMAGE_PROG_IDLE for none.
 * @err: the error it fails with.
 */
struct csim_inject {
	enum fpga_image_prog stage;
	enum fpga_image_err err;
};

/**
 * struct csim_image - an image the card receives
 * @ref: held by the card while it is the last completed image, and by each
 *	open file of debugfs "image".
 * @size: the size of @data in bytes.
 * @data: the bytes.
 */
struct csim_image {
	struct kref ref;
	u32 size;
	u8 data[] __counted_by(size);
};

/**
 * struct csim_card - the simulated card
 * @fdev: the parent device of the card.
 * @imgld: the card as the class knows it.
 * @root: the module's debugfs directory, holding the card's.
 * @block_size: debugfs knob, read at prepare.
 * @block_delay_us: debugfs knob, read at prepare.
 * @program_ms: debugfs knob, read at prepare.
 * @lock: protects @inject and @image.
 * @inject: the inject_error setting.
 * @image: the last completed image, NULL if none.
 * @loading: the image of the running load, from prepare to its end.
 * @received: bytes of @loading written so far.
 * @cur_block_size: @block_size as the running load took it.
 * @cur_block_delay_us: @block_delay_us as the running load took it.
 * @cur_program_ms: @program_ms as the running load took it.
 * @cur_inject: @inject as the running load took it.
 * @canceled: set by the cancel op, cleared by prepare.
 * @cancel_wq: woken by the cancel op.
 *
 * The class calls prepare, write_blk, poll_complete and cleanup one at a
 * time, so the state of the running load (@loading to @cur_inject) needs no
 * lock. The cancel op may run at any time, under a lock of the class: it
 * only sets @canceled and wakes @cancel_wq.
 */
struct csim_card {
	struct faux_device *fdev;
	struct fpga_image_load *imgld;
	struct dentry *root;

	u32 block_size;
	u32 block_delay_us;
	u32 program_ms;

	struct mutex lock;	/* protects inject and image */
	struct csim_inject inject;
	struct csim_image *image;

	struct csim_image *loading;
	u32 received;
	u32 cur_block_size;
	u32 cur_block_delay_us;
	u32 cur_program_ms;
	struct csim_inject cur_inject;

	atomic_t canceled;
	wait_queue_head_t cancel_wq;
};

/* The module's one card. */
static struct csim_card *csim;

static void csim_image_free(struct kref *ref)
{
	kvfree(container_of(ref, struct csim_image, ref));
}

static void csim_image_put(struct csim_image *img)
{
	if (img)
		kref_put(&img->ref, csim_image_free);
}

static bool csim_canceled(struct csim_card *card)
{
	return atomic_read(&card->canceled);
}

/*
 * The error injected at @stage for the running load, FPGA_IMAGE_ERR_NONE if
 * none.
 */
static enum fpga_image_err csim_injected(struct csim_card *card,
					 enum fpga_image_prog stage)
{
	if (card->cur_inject.stage != stage)
		return FPGA_IMAGE_ERR_NONE;
	return card->cur_inject.err;
}

/**
 * csim_prepare() - the prepare op: take the settings, allocate the image
 * @imgld: the card.
 * @data: the image; unused, write_blk() passes it block by block.
 * @size: the size of the image in bytes.
 *
 * Clears the cancel flag, which a late cancel of the previous load may have
 * set (the class may call cancel after cleanup). A cancel of this load that
 * came before is not lost: the class checks its own request again before
 * WRITING.
 *
 * Return: FPGA_IMAGE_ERR_NONE, the error injected at "preparing",
 * FPGA_IMAGE_ERR_INVALID_SIZE for an empty image, or FPGA_IMAGE_ERR_BUSY
 * when the card has no memory for the image.
 */
static enum fpga_image_err csim_prepare(struct fpga_image_load *imgld,
					const u8 *data, u32 size)
{
	struct csim_card *card = fpga_image_load_priv(imgld);
	struct csim_image *img;
	enum fpga_image_err err;

	atomic_set(&card->canceled, 0);

	card->cur_block_size = max(READ_ONCE(card->block_size),
				   CSIM_MIN_BLOCK_SIZE);
	card->cur_block_delay_us = READ_ONCE(card->block_delay_us);
	card->cur_program_ms = READ_ONCE(card->program_ms);
	mutex_lock(&card->lock);
	card->cur_inject = card->inject;
	mutex_unlock(&card->lock);

	err = csim_injected(card, FPGA_IMAGE_PROG_PREPARING);
	if (err != FPGA_IMAGE_ERR_NONE)
		return err;
	if (!size)
		return FPGA_IMAGE_ERR_INVALID_SIZE;

	/* The size is root's choice: a failure is an error code, not a splat. */
	img = kvmalloc_flex(*img, data, size, GFP_KERNEL | __GFP_NOWARN);
	if (!img)
		return FPGA_IMAGE_ERR_BUSY;
	kref_init(&img->ref);
	img->size = size;
	card->loading = img;
	card->received = 0;

	return FPGA_IMAGE_ERR_NONE;
}

/*
 * The time a block takes. A long one ends early on a cancel; after a short
 * one, the class looks for a cancel before the next block.
 */
static void csim_block_delay(struct csim_card *card, u32 us)
{
	if (!us)
		return;
	if (us < CSIM_POLL_MS * USEC_PER_MSEC) {
		fsleep(us);
		return;
	}
	wait_event_idle_timeout(card->cancel_wq, csim_canceled(card),
				usecs_to_jiffies(us));
}

/**
 * csim_write_blk() - the write_blk op: copy one block into the card
 * @imgld: the card.
 * @blk: the image from byte @offset on.
 * @offset: where the block starts in the image.
 * @size: the bytes left in the image, the most this call may take.
 * @written: where to store how many bytes this call took.
 *
 * Takes at most the block size of the load. The blocks must come in order,
 * each right after the one before, as the class passes them.
 *
 * Return: FPGA_IMAGE_ERR_NONE, FPGA_IMAGE_ERR_CANCELED after a cancel, the
 * error injected at "writing" for the block that crosses the middle of the
 * image, or FPGA_IMAGE_ERR_HW_ERROR for a block out of order.
 */
static enum fpga_image_err csim_write_blk(struct fpga_image_load *imgld,
					  const u8 *blk, u32 offset, u32 size,
					  u32 *written)
{
	struct csim_card *card = fpga_image_load_priv(imgld);
	struct csim_image *img = card->loading;
	enum fpga_image_err err;
	u32 n;

	if (csim_canceled(card))
		return FPGA_IMAGE_ERR_CANCELED;
	if (!img || offset != card->received || offset >= img->size)
		return FPGA_IMAGE_ERR_HW_ERROR;

	n = min3(size, card->cur_block_size, img->size - offset);
	if (offset + n > img->size / 2) {
		err = csim_injected(card, FPGA_IMAGE_PROG_WRITING);
		if (err != FPGA_IMAGE_ERR_NONE)
			return err;
	}

	memcpy(img->data + offset, blk, n);
	card->received += n;
	csim_block_delay(card, card->cur_block_delay_us);

	*written = n;
	return FPGA_IMAGE_ERR_NONE;
}

/**
 * csim_poll_complete() - the poll_complete op: "program" the image
 * @imgld: the card.
 *
 * Sleeps program_ms, in steps of at most CSIM_POLL_MS, and ends early on a
 * cancel. On success the image becomes the one debugfs "image" shows.
 *
 * Return: FPGA_IMAGE_ERR_NONE, FPGA_IMAGE_ERR_CANCELED after a cancel, the
 * error injected at "programming", or FPGA_IMAGE_ERR_HW_ERROR when the image
 * was not written in full.
 */
static enum fpga_image_err csim_poll_complete(struct fpga_image_load *imgld)
{
	struct csim_card *card = fpga_image_load_priv(imgld);
	unsigned long end = jiffies + msecs_to_jiffies(card->cur_program_ms);
	struct csim_image *img = card->loading, *old;
	enum fpga_image_err err;
	long left;

	for (;;) {
		if (csim_canceled(card))
			return FPGA_IMAGE_ERR_CANCELED;
		left = (long)(end - jiffies);
		if (left <= 0)
			break;
		wait_event_idle_timeout(card->cancel_wq, csim_canceled(card),
					min(left, (long)msecs_to_jiffies(CSIM_POLL_MS)));
	}

	err = csim_injected(card, FPGA_IMAGE_PROG_PROGRAMMING);
	if (err != FPGA_IMAGE_ERR_NONE)
		return err;
	if (!img || card->received != img->size)
		return FPGA_IMAGE_ERR_HW_ERROR;

	/* The new image replaces the old one, which open files may still hold. */
	mutex_lock(&card->lock);
	old = card->image;
	card->image = img;
	mutex_unlock(&card->lock);
	card->loading = NULL;
	csim_image_put(old);

	return FPGA_IMAGE_ERR_NONE;
}

/**
 * csim_cancel() - the cancel op: ask the running load to stop
 * @imgld: the card.
 *
 * Does not sleep and takes no lock of the card: the class may call it under
 * its own lock, from any thread, several times, and also before prepare or
 * after cleanup of the load it meant. The flag stays set until the next
 * prepare.
 */
static void csim_cancel(struct fpga_image_load *imgld)
{
	struct csim_card *card = fpga_image_load_priv(imgld);

	atomic_set(&card->canceled, 1);
	wake_up_all(&card->cancel_wq);
}

/**
 * csim_cleanup() - the cleanup op: drop the image of an unfinished load
 * @imgld: the card.
 *
 * A completed load has already handed its image over to debugfs "image".
 */
static void csim_cleanup(struct fpga_image_load *imgld)
{
	struct csim_card *card = fpga_image_load_priv(imgld);

	csim_image_put(card->loading);
	card->loading = NULL;
}

static const struct fpga_image_load_ops csim_ops = {
	.owner		= THIS_MODULE,
	.prepare	= csim_prepare,
	.write_blk	= csim_write_blk,
	.poll_complete	= csim_poll_complete,
	.cancel		= csim_cancel,
	.cleanup	= csim_cleanup,
};

/* The index of @s in @names, which may have holes, or -EINVAL. */
static int csim_lookup(const char * const *names, unsigned int n,
		       const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -EINVAL;
}

/**
 * csim_parse_inject() - parse an inject_error line
 * @s: "none" or "<stage>:<error>", without surrounding white space;
 *	modified.
 * @inject: the setting, filled in on success.
 *
 * Return: 0, or -EINVAL for anything else.
 */
static int csim_parse_inject(char *s, struct csim_inject *inject)
{
	const char *stage;
	int st, err;

	if (!strcmp(s, "none")) {
		inject->stage = FPGA_IMAGE_PROG_IDLE;
		inject->err = FPGA_IMAGE_ERR_NONE;
		return 0;
	}

	stage = strsep(&s, ":");
	if (!s)
		return -EINVAL;
	st = csim_lookup(csim_stage_names, ARRAY_SIZE(csim_stage_names), stage);
	err = csim_lookup(csim_err_names, ARRAY_SIZE(csim_err_names), s);
	if (st < 0 || err < 0)
		return -EINVAL;

	inject->stage = st;
	inject->err = err;
	return 0;
}

static ssize_t csim_inject_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct csim_card *card = file->private_data;
	struct csim_inject inject;
	char buf[CSIM_INJECT_LEN];
	int len;

	mutex_lock(&card->lock);
	inject = card->inject;
	mutex_unlock(&card->lock);

	if (inject.stage == FPGA_IMAGE_PROG_IDLE)
		len = scnprintf(buf, sizeof(buf), "none\n");
	else
		len = scnprintf(buf, sizeof(buf), "%s:%s\n",
				csim_stage_names[inject.stage],
				csim_err_names[inject.err]);

	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t csim_inject_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct csim_card *card = file->private_data;
	struct csim_inject inject;
	char buf[CSIM_INJECT_LEN];
	int ret;

	/* One line, written at once. */
	if (*ppos || !count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	ret = csim_parse_inject(strim(buf), &inject);
	if (ret)
		return ret;

	mutex_lock(&card->lock);
	card->inject = inject;
	mutex_unlock(&card->lock);

	return count;
}

static const struct file_operations csim_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= csim_inject_read,
	.write	= csim_inject_write,
	.llseek	= default_llseek,
};

/*
 * debugfs "image": each open file holds the image that was the last
 * completed one when it was opened (none: the file is empty).
 */
static int csim_image_open(struct inode *inode, struct file *file)
{
	struct csim_card *card = inode->i_private;
	struct csim_image *img;

	mutex_lock(&card->lock);
	img = card->image;
	if (img)
		kref_get(&img->ref);
	mutex_unlock(&card->lock);

	file->private_data = img;
	return 0;
}

static ssize_t csim_image_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct csim_image *img = file->private_data;

	if (!img)
		return 0;
	return simple_read_from_buffer(ubuf, count, ppos, img->data, img->size);
}

/* Touches only the file's image: the card may be gone by now. */
static int csim_image_release(struct inode *inode, struct file *file)
{
	csim_image_put(file->private_data);
	return 0;
}

static const struct file_operations csim_image_fops = {
	.owner		= THIS_MODULE,
	.open		= csim_image_open,
	.read		= csim_image_read,
	.release	= csim_image_release,
	.llseek		= default_llseek,
};

/*
 * The debugfs files, best effort as debugfs always is. The directory is
 * named after the class device, fpga_imageN, so that user space can find
 * the card's files from its device and back.
 */
static void csim_debugfs_init(struct csim_card *card)
{
	struct dentry *dir;

	card->root = debugfs_create_dir(CSIM_NAME, NULL);
	dir = debugfs_create_dir(dev_name(fpga_image_load_dev(card->imgld)),
				 card->root);
	debugfs_create_x32("block_size", 0600, dir, &card->block_size);
	debugfs_create_u32("block_delay_us", 0600, dir, &card->block_delay_us);
	debugfs_create_u32("program_ms", 0600, dir, &card->program_ms);
	debugfs_create_file("inject_error", 0600, dir, card, &csim_inject_fops);
	debugfs_create_file("image", 0400, dir, card, &csim_image_fops);
}

static void csim_card_free(struct csim_card *card)
{
	csim_image_put(card->loading);
	csim_image_put(card->image);
	mutex_destroy(&card->lock);
	kfree(card);
}

static int __init csim_init(void)
{
	struct csim_card *card;
	int ret;

	card = kzalloc_obj(*card);
	if (!card)
		return -ENOMEM;
	card->block_size = CSIM_BLOCK_SIZE;
	mutex_init(&card->lock);
	init_waitqueue_head(&card->cancel_wq);

	/* faux_device_create() returns NULL, not an ERR_PTR(), on failure. */
	card->fdev = faux_device_create(CSIM_NAME, NULL, NULL);
	if (!card->fdev) {
		ret = -ENODEV;
		goto err_free;
	}

	/* The ops may run from here on: the card is ready for them. */
	card->imgld = fpga_image_load_register(&card->fdev->dev, &csim_ops,
					       card);
	if (IS_ERR(card->imgld)) {
		ret = PTR_ERR(card->imgld);
		goto err_destroy;
	}

	csim_debugfs_init(card);
	csim = card;
	dev_info(&card->fdev->dev, "simulated card %s\n",
		 dev_name(fpga_image_load_dev(card->imgld)));
	return 0;

err_destroy:
	faux_device_destroy(card->fdev);
err_free:
	csim_card_free(card);
	return ret;
}

static void __exit csim_exit(void)
{
	struct csim_card *card = csim;

	/* No knob or "image" open touches the card once this returns. */
	debugfs_remove(card->root);
	/* Cancels and waits for a running load: no op is called after. */
	fpga_image_load_unregister(card->imgld);
	faux_device_destroy(card->fdev);
	csim_card_free(card);
}

module_init(csim_init);
module_exit(csim_exit);

MODULE_AUTHOR("The rfl-drivers authors");
MODULE_DESCRIPTION("Simulated FPGA card written in C");
MODULE_LICENSE("GPL");
