// SPDX-License-Identifier: GPL-2.0

//! Character device number regions.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use crate::{bindings, error::to_result, prelude::*};

/// A device number, `dev_t`: a major and a minor number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevT(bindings::dev_t);

impl DevT {
    const MINOR_BITS: u32 = 20;
    const MINOR_MASK: u32 = (1 << Self::MINOR_BITS) - 1;

    /// Creates a device number from its major and minor numbers, as `MKDEV()`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self((major << Self::MINOR_BITS) | (minor & Self::MINOR_MASK))
    }

    /// Wraps a raw `dev_t`.
    pub const fn from_raw(dev: bindings::dev_t) -> Self {
        Self(dev)
    }

    /// The raw `dev_t`.
    pub const fn as_raw(self) -> bindings::dev_t {
        self.0
    }

    /// The major number, as `MAJOR()`.
    pub const fn major(self) -> u32 {
        self.0 >> Self::MINOR_BITS
    }

    /// The minor number, as `MINOR()`.
    pub const fn minor(self) -> u32 {
        self.0 & Self::MINOR_MASK
    }
}

/// A region of character device numbers with a dynamically allocated major.
///
/// # Invariants
///
/// `base..base + count` was allocated by `alloc_chrdev_region()` and is
/// released exactly once, when the region is dropped.
///
/// # Examples
///
/// ```
/// use kernel::chrdev::Region;
///
/// let region = Region::alloc(4, c"rust_doctest_chrdev")?;
/// assert_eq!(region.count(), 4);
/// assert_eq!(region.devt(3).map(|d| d.minor()), Some(3));
/// assert_eq!(region.devt(4), None);
/// assert!(region.devt(0).is_some_and(|d| d.major() != 0));
/// # Ok::<(), Error>(())
/// ```
pub struct Region {
    base: DevT,
    count: u32,
}

impl Region {
    /// Allocates `count` minors, from minor 0, under a new major.
    ///
    /// `name` is shown in `/proc/devices`.
    pub fn alloc(count: u32, name: &'static CStr) -> Result<Self> {
        let mut base: bindings::dev_t = 0;
        // SAFETY: `base` is valid for writes; `name` is a valid C string that lives for the
        // whole life of the region, as the kernel keeps the pointer.
        to_result(unsafe {
            bindings::alloc_chrdev_region(&mut base, 0, count, name.as_char_ptr())
        })?;
        // INVARIANT: the region was just allocated.
        Ok(Self {
            base: DevT(base),
            count,
        })
    }

    /// The number of minors in the region.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The device number of the `index`-th minor of the region, if it has one.
    pub fn devt(&self, index: u32) -> Option<DevT> {
        (index < self.count).then(|| DevT::new(self.base.major(), self.base.minor() + index))
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the region was allocated with this base and count and
        // has not been released yet.
        unsafe { bindings::unregister_chrdev_region(self.base.0, self.count) };
    }
}

#[kunit_tests(rust_chrdev)]
mod tests {
    use super::*;

    #[test]
    fn a_region_maps_indices_and_numbers() -> Result {
        let region = Region::alloc(4, c"rust_kunit_chrdev")?;
        assert_eq!(region.count(), 4);
        let first = region.devt(0).ok_or(EINVAL)?;
        let dev = region.devt(3).ok_or(EINVAL)?;
        assert!(dev.major() != 0);
        assert_eq!(
            (dev.major(), dev.minor()),
            (first.major(), first.minor() + 3)
        );
        assert_eq!(region.devt(4), None);
        Ok(())
    }

    #[test]
    fn devt_splits_like_mkdev() {
        let d = DevT::new(250, 7);
        assert_eq!((d.major(), d.minor()), (250, 7));
        assert_eq!(d.as_raw(), (250 << 20) | 7);
    }
}
