// SPDX-License-Identifier: GPL-2.0
/*
 * What the guard of a CXL DOE mailbox costs a kernel user: DOE discovery
 * exchanges on one mailbox, timed in the kernel, either through the guard
 * (cxl_doe_get_mb(), pci_doe(), cxl_doe_put_mb() for each exchange) or
 * straight through the PCI core (pci_doe() on the same mailbox, as the CXL
 * core calls it). `make bench` compares the two.
 *
 * /sys/kernel/debug/cxl_doe_bench/ holds:
 *
 * - mailbox: the auxiliary device to use, cxl_pci.doe.N (write the name);
 * - guarded, direct: writing N (1 to 100000) runs N exchanges that way and
 *   fails with the first error; reading gives "<exchanges> <nanoseconds>"
 *   of the last batch that completed.
 *
 * A batch holds the device lock of the mailbox's PCI device, so that
 * cxl_pci can neither unbind nor remove the mailbox under it; the guarded
 * batch also needs cxl_doe bound to the mailbox (ENXIO otherwise), and so
 * does the direct one, which looks the mailbox up through the guard once.
 */

#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <cxl/doe.h>

#define BENCH_NAME		"cxl_doe_bench"
#define BENCH_MAX_EXCHANGES	100000U
/* "cxl_pci.doe." and a u32 */
#define BENCH_NAME_LEN		32

enum bench_way { BENCH_GUARDED, BENCH_DIRECT, BENCH_WAYS };

/**
 * struct bench_result - the last completed batch of one way
 * @exchanges: how many exchanges it ran, 0 before the first batch.
 * @ns: how long they took, in nanoseconds.
 */
struct bench_result {
	unsigned int exchanges;
	u64 ns;
};

static struct dentry *bench_root;
/* Serialises batches and guards @bench_mailbox and @bench_results. */
static DEFINE_MUTEX(bench_lock);
static char bench_mailbox[BENCH_NAME_LEN];
static struct bench_result bench_results[BENCH_WAYS];

static int bench_has_child(struct device *dev, const void *name)
{
	struct device *child = device_find_child_by_name(dev, name);

	put_device(child);
	return child != NULL;
}

/* One discovery exchange, index 0: the reply is one DW. */
static int bench_exchange(struct pci_doe_mb *mb)
{
	__le32 request = 0, response;
	int rc;

	rc = pci_doe(mb, PCI_VENDOR_ID_PCI_SIG, PCI_DOE_FEATURE_DISCOVERY,
		     &request, sizeof(request), &response, sizeof(response));
	if (rc < 0)
		return rc;
	return rc == sizeof(response) ? 0 : -EIO;
}

static int bench_batch(struct device *adev, enum bench_way way,
		       unsigned int exchanges, u64 *ns)
{
	struct auxiliary_device *aux = to_auxiliary_dev(adev);
	struct pci_doe_mb *mb = NULL;
	unsigned int i;
	u64 start;
	int rc = 0;

	if (way == BENCH_DIRECT) {
		mb = cxl_doe_get_mb(aux);
		if (IS_ERR(mb))
			return PTR_ERR(mb);
		cxl_doe_put_mb(aux);
	}

	start = ktime_get_ns();
	for (i = 0; i < exchanges && !rc; i++) {
		if (way == BENCH_GUARDED) {
			mb = cxl_doe_get_mb(aux);
			if (IS_ERR(mb))
				return PTR_ERR(mb);
			rc = bench_exchange(mb);
			cxl_doe_put_mb(aux);
		} else {
			rc = bench_exchange(mb);
		}
		cond_resched();
	}
	*ns = ktime_get_ns() - start;
	return rc;
}

static int bench_run(enum bench_way way, unsigned int exchanges)
{
	struct device *pdev, *adev;
	u64 ns;
	int rc;

	guard(mutex)(&bench_lock);
	if (!bench_mailbox[0])
		return -EDESTADDRREQ;
	pdev = bus_find_device(&pci_bus_type, NULL, bench_mailbox, bench_has_child);
	if (!pdev)
		return -ENODEV;
	device_lock(pdev);
	adev = device_find_child_by_name(pdev, bench_mailbox);
	if (adev) {
		rc = bench_batch(adev, way, exchanges, &ns);
		put_device(adev);
	} else {
		rc = -ENODEV;
	}
	device_unlock(pdev);
	put_device(pdev);
	if (rc) {
		pr_warn("%s: %s exchange on %s failed: %d\n", BENCH_NAME,
			way == BENCH_GUARDED ? "guarded" : "direct", bench_mailbox, rc);
		return rc;
	}
	bench_results[way] = (struct bench_result){ .exchanges = exchanges, .ns = ns };
	return 0;
}

static ssize_t bench_way_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	enum bench_way way = (uintptr_t)file->private_data;
	unsigned int exchanges;
	int rc;

	rc = kstrtouint_from_user(buf, count, 0, &exchanges);
	if (rc)
		return rc;
	if (!exchanges || exchanges > BENCH_MAX_EXCHANGES)
		return -EINVAL;
	rc = bench_run(way, exchanges);
	return rc ? rc : count;
}

static ssize_t bench_way_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	enum bench_way way = (uintptr_t)file->private_data;
	struct bench_result r;
	char text[48];
	int len;

	scoped_guard(mutex, &bench_lock)
		r = bench_results[way];
	len = scnprintf(text, sizeof(text), "%u %llu\n", r.exchanges, r.ns);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations bench_way_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = bench_way_read,
	.write = bench_way_write,
	.llseek = default_llseek,
};

static ssize_t bench_mailbox_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	char name[BENCH_NAME_LEN];

	if (!count || count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, buf, count))
		return -EFAULT;
	name[count] = '\0';
	strim(name);
	if (!str_has_prefix(name, "cxl_pci.doe."))
		return -EINVAL;
	scoped_guard(mutex, &bench_lock) {
		strscpy(bench_mailbox, name);
		memset(bench_results, 0, sizeof(bench_results));
	}
	return count;
}

static ssize_t bench_mailbox_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	char text[BENCH_NAME_LEN + 1];
	int len;

	scoped_guard(mutex, &bench_lock)
		len = scnprintf(text, sizeof(text), "%s\n", bench_mailbox);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations bench_mailbox_fops = {
	.owner = THIS_MODULE,
	.read = bench_mailbox_read,
	.write = bench_mailbox_write,
	.llseek = default_llseek,
};

static int __init cxl_doe_bench_init(void)
{
	bench_root = debugfs_create_dir(BENCH_NAME, NULL);
	debugfs_create_file("mailbox", 0600, bench_root, NULL, &bench_mailbox_fops);
	debugfs_create_file("guarded", 0600, bench_root,
			    (void *)(uintptr_t)BENCH_GUARDED, &bench_way_fops);
	debugfs_create_file("direct", 0600, bench_root,
			    (void *)(uintptr_t)BENCH_DIRECT, &bench_way_fops);
	return 0;
}
module_init(cxl_doe_bench_init);

static void __exit cxl_doe_bench_exit(void)
{
	debugfs_remove(bench_root);
}
module_exit(cxl_doe_bench_exit);

MODULE_DESCRIPTION("Benchmark of the CXL DOE mailbox guard against direct pci_doe()");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
