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
 * - run: writing N (1 to 100000) runs N exchanges each way, interleaved
 *   (guarded, direct, direct, guarded, ...) so that a drift of the machine
 *   weighs on both ways alike, and fails with the first error;
 * - result: "<N> <guarded ns> <direct ns>" of the last run that completed,
 *   the time each way's exchanges took in all.
 *
 * A run holds the device lock of the mailbox's PCI device, so that cxl_pci
 * can neither unbind nor remove the mailbox under it, and needs cxl_doe
 * bound to the mailbox (ENXIO otherwise): the direct way looks the mailbox
 * up through the guard once, before the first exchange.
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

/**
 * struct bench_result - the last completed run
 * @exchanges: how many exchanges it ran each way, 0 before the first run.
 * @guarded_ns: how long the guarded exchanges took, in nanoseconds.
 * @direct_ns: how long the direct exchanges took, in nanoseconds.
 */
struct bench_result {
	unsigned int exchanges;
	u64 guarded_ns;
	u64 direct_ns;
};

static struct dentry *bench_root;
/* Serialises runs and guards @bench_mailbox and @bench_last. */
static DEFINE_MUTEX(bench_lock);
static char bench_mailbox[BENCH_NAME_LEN];
static struct bench_result bench_last;

static int bench_has_child(struct device *dev, const void *name)
{
	struct device *child = device_find_child_by_name(dev, name);

	put_device(child);
	return !!child;
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

/* One exchange as a kernel user of the guard makes it; adds its time to @ns. */
static int bench_guarded(struct auxiliary_device *aux, u64 *ns)
{
	u64 start = ktime_get_ns();
	struct pci_doe_mb *mb;
	int rc;

	mb = cxl_doe_get_mb(aux);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	rc = bench_exchange(mb);
	cxl_doe_put_mb(aux);
	*ns += ktime_get_ns() - start;
	return rc;
}

/* One exchange straight through the PCI core; adds its time to @ns. */
static int bench_direct(struct pci_doe_mb *mb, u64 *ns)
{
	u64 start = ktime_get_ns();
	int rc;

	rc = bench_exchange(mb);
	*ns += ktime_get_ns() - start;
	return rc;
}

static int bench_exchanges(struct device *adev, struct bench_result *r)
{
	struct auxiliary_device *aux = to_auxiliary_dev(adev);
	struct pci_doe_mb *mb;
	unsigned int i;
	int rc = 0;

	mb = cxl_doe_get_mb(aux);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	cxl_doe_put_mb(aux);

	for (i = 0; i < r->exchanges && !rc; i++) {
		if (i % 2 == 0) {
			rc = bench_guarded(aux, &r->guarded_ns);
			if (!rc)
				rc = bench_direct(mb, &r->direct_ns);
		} else {
			rc = bench_direct(mb, &r->direct_ns);
			if (!rc)
				rc = bench_guarded(aux, &r->guarded_ns);
		}
		cond_resched();
	}
	return rc;
}

static int bench_run(unsigned int exchanges)
{
	struct bench_result r = { .exchanges = exchanges };
	struct device *pdev, *adev;
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
		rc = bench_exchanges(adev, &r);
		put_device(adev);
	} else {
		rc = -ENODEV;
	}
	device_unlock(pdev);
	put_device(pdev);
	if (rc) {
		pr_warn("%s: exchange on %s failed: %d\n", BENCH_NAME, bench_mailbox, rc);
		return rc;
	}
	bench_last = r;
	return 0;
}

static ssize_t bench_run_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	unsigned int exchanges;
	int rc;

	rc = kstrtouint_from_user(buf, count, 0, &exchanges);
	if (rc)
		return rc;
	if (!exchanges || exchanges > BENCH_MAX_EXCHANGES)
		return -EINVAL;
	rc = bench_run(exchanges);
	return rc ? rc : count;
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.write = bench_run_write,
	.llseek = noop_llseek,
};

static ssize_t bench_result_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct bench_result r;
	char text[64];
	int len;

	scoped_guard(mutex, &bench_lock)
		r = bench_last;
	len = scnprintf(text, sizeof(text), "%u %llu %llu\n", r.exchanges,
			r.guarded_ns, r.direct_ns);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations bench_result_fops = {
	.owner = THIS_MODULE,
	.read = bench_result_read,
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
		bench_last = (struct bench_result){};
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
	debugfs_create_file("run", 0200, bench_root, NULL, &bench_run_fops);
	debugfs_create_file("result", 0400, bench_root, NULL, &bench_result_fops);
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
