// SPDX-License-Identifier: GPL-2.0

#include <linux/preempt.h>
#include <linux/sched.h>

__rust_helper bool rust_helper_need_resched(void)
{
	return need_resched();
}

/* Used by the KUnit suite of kernel::sched: ask for a reschedule of current. */
__rust_helper void rust_helper_set_tsk_need_resched(struct task_struct *tsk)
{
	set_tsk_need_resched(tsk);
	if (tsk == current)
		set_preempt_need_resched();
}

__rust_helper bool rust_helper_preempt_model_none(void)
{
	return preempt_model_none();
}

__rust_helper bool rust_helper_preempt_model_voluntary(void)
{
	return preempt_model_voluntary();
}
