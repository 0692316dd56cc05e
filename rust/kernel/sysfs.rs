// SPDX-License-Identifier: GPL-2.0

//! Read-only sysfs attributes of devices.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)
//!
//! A driver describes each attribute with a type implementing [`Show`], and builds the
//! `'static` tables the driver core wants with [`DeviceAttribute::read_only`],
//! [`Attributes`], [`AttributeGroup`] and [`AttributeGroups`]:
//!
//! ```
//! use kernel::{device::Device, fmt, prelude::*, sysfs};
//!
//! struct Answer;
//! impl sysfs::Show for Answer {
//!     const NAME: &'static CStr = c"answer";
//!     fn show(_dev: &Device, f: &mut sysfs::Buffer<'_>) -> Result {
//!         fmt::Write::write_fmt(f, fmt!("{}\n", 42)).map_err(|_| EFBIG)
//!     }
//! }
//!
//! static ANSWER: sysfs::DeviceAttribute = sysfs::DeviceAttribute::read_only::<Answer>();
//! static ATTRS: sysfs::Attributes<1> = sysfs::Attributes::new([&ANSWER]);
//! static GROUP: sysfs::AttributeGroup = sysfs::AttributeGroup::new(&ATTRS);
//! static GROUPS: sysfs::AttributeGroups = sysfs::AttributeGroups::new(&GROUP);
//! # let _ = &GROUPS;
//! ```

use crate::{bindings, device::Device, fmt, prelude::*, types::Opaque};
use core::{marker::PhantomData, ptr};

/// The page sysfs gives a `show` callback to fill.
pub struct Buffer<'a> {
    buf: *mut u8,
    len: usize,
    _p: PhantomData<&'a mut [u8]>,
}

impl Buffer<'_> {
    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends raw bytes; fails with `EFBIG` past the end of the page.
    pub fn write_bytes(&mut self, data: &[u8]) -> Result {
        let size = bindings::PAGE_SIZE;
        if data.len() > size - self.len {
            return Err(EFBIG);
        }
        // SAFETY: `buf` is a page-sized buffer (type invariant of the trampoline's caller) and
        // `len + data.len() <= PAGE_SIZE`.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), self.buf.add(self.len), data.len()) };
        self.len += data.len();
        Ok(())
    }
}

impl fmt::Write for Buffer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

/// A read-only attribute of a device.
pub trait Show {
    /// The attribute's file name.
    const NAME: &'static CStr;

    /// Writes the attribute's value to `buf`.
    fn show(dev: &Device, buf: &mut Buffer<'_>) -> Result;
}

/// A `struct device_attribute`, built by [`DeviceAttribute::read_only`].
#[repr(transparent)]
pub struct DeviceAttribute(Opaque<bindings::device_attribute>);

// SAFETY: The attribute is immutable once built; the driver core only reads it.
unsafe impl Sync for DeviceAttribute {}

impl DeviceAttribute {
    /// A read-only (0444) attribute shown by `T`.
    pub const fn read_only<T: Show>() -> Self {
        let mut attr: bindings::device_attribute = pin_init::zeroed();
        attr.attr.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        attr.attr.mode = 0o444;
        attr.__bindgen_anon_1.show = Some(Self::show_callback::<T>);
        Self(Opaque::new(attr))
    }

    /// # Safety
    ///
    /// Called by sysfs with a valid device `dev` and a page-sized buffer `buf`.
    unsafe extern "C" fn show_callback<T: Show>(
        dev: *mut bindings::device,
        _attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: sysfs passes a device that stays valid for the duration of the callback.
        let dev = unsafe { Device::from_raw(dev) };
        let mut b = Buffer {
            buf: buf.cast(),
            len: 0,
            _p: PhantomData,
        };
        match T::show(dev, &mut b) {
            Ok(()) => b.len as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// The `struct device` of a [`Device`], for drivers that embed it in a structure of their own
/// and find that structure with `container_of`.
pub fn raw_device(dev: &Device) -> *mut bindings::device {
    dev.as_raw()
}

/// A binary attribute of a device that can be read.
pub trait BinRead {
    /// The attribute's file name.
    const NAME: &'static CStr;
    /// Its file mode, e.g. `0o400`.
    const MODE: u16;

    /// Fills `buf` with the bytes from `offset` on; returns how many, 0 at the end.
    fn read(dev: &Device, buf: &mut [u8], offset: usize) -> Result<usize>;
}

/// A `struct bin_attribute`, built by [`BinAttribute::read_only`].
#[repr(transparent)]
pub struct BinAttribute(Opaque<bindings::bin_attribute>);

// SAFETY: The attribute is immutable once built; the driver core only reads it.
unsafe impl Sync for BinAttribute {}

impl BinAttribute {
    /// A binary attribute read by `T`, of unknown size (readers read until end of file).
    pub const fn read_only<T: BinRead>() -> Self {
        let mut attr: bindings::bin_attribute = pin_init::zeroed();
        attr.attr.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        attr.attr.mode = T::MODE;
        attr.read = Some(Self::read_callback::<T>);
        Self(Opaque::new(attr))
    }

    /// # Safety
    ///
    /// Called by sysfs with the `kobj` of a valid device and `count` bytes writable at `buf`.
    unsafe extern "C" fn read_callback<T: BinRead>(
        _file: *mut bindings::file,
        kobj: *mut bindings::kobject,
        _attr: *const bindings::bin_attribute,
        buf: *mut c_char,
        offset: bindings::loff_t,
        count: usize,
    ) -> isize {
        let Ok(offset) = usize::try_from(offset) else {
            return EINVAL.to_errno() as isize;
        };
        // SAFETY: The attribute belongs to a device: `kobj` is the `kobj` of a valid
        // `struct device`, valid for the duration of the callback.
        let dev = unsafe {
            Device::from_raw(
                kobj.byte_sub(core::mem::offset_of!(bindings::device, kobj))
                    .cast(),
            )
        };
        // SAFETY: sysfs gives `count` bytes at `buf`, ours for the duration of the callback.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), count) };
        match T::read(dev, buf, offset) {
            Ok(n) => n.min(count) as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// A `NULL`-terminated array of `N` binary attributes.
#[repr(C)]
pub struct BinAttributes<const N: usize> {
    attrs: [*const bindings::bin_attribute; N],
    end: *const bindings::bin_attribute,
}

// SAFETY: The array only points to immutable, 'static attributes.
unsafe impl<const N: usize> Sync for BinAttributes<N> {}

impl<const N: usize> BinAttributes<N> {
    /// The array of `attrs`.
    pub const fn new(attrs: [&'static BinAttribute; N]) -> Self {
        let mut raw = [ptr::null(); N];
        let mut i = 0;
        while i < N {
            raw[i] = attrs[i].0.get().cast_const();
            i += 1;
        }
        Self {
            attrs: raw,
            end: ptr::null(),
        }
    }
}

/// A `NULL`-terminated array of `N` attributes.
#[repr(C)]
pub struct Attributes<const N: usize> {
    attrs: [*const bindings::attribute; N],
    end: *const bindings::attribute,
}

// SAFETY: The array only points to immutable, 'static attributes.
unsafe impl<const N: usize> Sync for Attributes<N> {}

impl<const N: usize> Attributes<N> {
    /// The array of `attrs`.
    pub const fn new(attrs: [&'static DeviceAttribute; N]) -> Self {
        let mut raw = [ptr::null(); N];
        let mut i = 0;
        while i < N {
            // `struct attribute` is the first member of `struct device_attribute`.
            raw[i] = attrs[i].0.get().cast_const().cast();
            i += 1;
        }
        Self {
            attrs: raw,
            end: ptr::null(),
        }
    }
}

/// An unnamed `struct attribute_group`.
#[repr(transparent)]
pub struct AttributeGroup(Opaque<bindings::attribute_group>);

// SAFETY: The group is immutable once built; the driver core only reads it.
unsafe impl Sync for AttributeGroup {}

impl AttributeGroup {
    /// The group of `attrs`.
    pub const fn new<const N: usize>(attrs: &'static Attributes<N>) -> Self {
        let mut g: bindings::attribute_group = pin_init::zeroed();
        g.__bindgen_anon_2.attrs = ptr::from_ref(attrs)
            .cast::<*mut bindings::attribute>()
            .cast_mut();
        Self(Opaque::new(g))
    }

    /// The group of `attrs` and the binary attributes `bin_attrs`.
    pub const fn with_bin<const N: usize, const M: usize>(
        attrs: &'static Attributes<N>,
        bin_attrs: &'static BinAttributes<M>,
    ) -> Self {
        let mut g: bindings::attribute_group = pin_init::zeroed();
        g.__bindgen_anon_2.attrs = ptr::from_ref(attrs)
            .cast::<*mut bindings::attribute>()
            .cast_mut();
        g.bin_attrs = ptr::from_ref(bin_attrs).cast::<*const bindings::bin_attribute>();
        Self(Opaque::new(g))
    }
}

/// A `NULL`-terminated array of one attribute group, as `struct device::groups` takes.
#[repr(C)]
pub struct AttributeGroups {
    group: *const bindings::attribute_group,
    end: *const bindings::attribute_group,
}

// SAFETY: The array only points to an immutable, 'static group.
unsafe impl Sync for AttributeGroups {}

impl AttributeGroups {
    /// The array of `group`.
    pub const fn new(group: &'static AttributeGroup) -> Self {
        Self {
            group: group.0.get().cast_const(),
            end: ptr::null(),
        }
    }

    /// The array as the driver core takes it.
    pub fn as_raw(&'static self) -> *mut *const bindings::attribute_group {
        ptr::from_ref(self).cast_mut().cast()
    }
}

#[kunit_tests(rust_sysfs)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_stops_at_the_page() -> Result {
        let mut page = KVec::from_elem(0u8, bindings::PAGE_SIZE, GFP_KERNEL)?;
        let mut b = Buffer {
            buf: page.as_mut_ptr(),
            len: 0,
            _p: PhantomData,
        };
        b.write_bytes(b"status\n")?;
        assert_eq!(b.len(), 7);
        let rest = KVec::from_elem(b'x', bindings::PAGE_SIZE - 7, GFP_KERNEL)?;
        b.write_bytes(&rest)?;
        assert_eq!(b.write_bytes(b"!"), Err(EFBIG));
        assert_eq!(b.len(), bindings::PAGE_SIZE);
        drop(b);
        assert_eq!(&page[..7], b"status\n");
        Ok(())
    }
}
