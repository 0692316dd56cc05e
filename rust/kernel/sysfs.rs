// SPDX-License-Identifier: GPL-2.0

//! Read-only sysfs attributes of devices.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)
//!
//! Attributes are typed by their [`Owner`]: the abstraction that creates the devices they are
//! shown for and knows where those devices keep their data. A callback gets that data, `&T`,
//! never the raw device. A driver describes each attribute with a type implementing [`Show`]
//! (or [`BinRead`]), and builds the `'static` tables the driver core wants with
//! [`DeviceAttribute::read_only`], [`Attributes`], [`AttributeGroup`] and [`AttributeGroups`],
//! all of the same owner:
//!
//! ```
//! use kernel::{class, fmt, prelude::*, sysfs};
//!
//! struct Card {
//!     answer: u32,
//! }
//!
//! struct Answer;
//! impl sysfs::Show for Answer {
//!     type Owner = class::DrvData<Card>;
//!     const NAME: &'static CStr = c"answer";
//!     fn show(card: &Card, f: &mut sysfs::Buffer<'_>) -> Result {
//!         fmt::Write::write_fmt(f, fmt!("{}\n", card.answer)).map_err(|_| EFBIG)
//!     }
//! }
//!
//! type Owner = class::DrvData<Card>;
//! static ANSWER: sysfs::DeviceAttribute<Owner> = sysfs::DeviceAttribute::read_only::<Answer>();
//! static ATTRS: sysfs::Attributes<Owner, 1> = sysfs::Attributes::new([&ANSWER]);
//! static GROUP: sysfs::AttributeGroup<Owner> = sysfs::AttributeGroup::new(&ATTRS);
//! static GROUPS: sysfs::AttributeGroups<Owner> = sysfs::AttributeGroups::new(&GROUP);
//! # let _ = &GROUPS;
//! ```

use crate::{bindings, fmt, prelude::*, types::Opaque};
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

/// Where the attributes of a group find the data they show: implemented by the abstraction
/// that creates the devices the group is attached to.
///
/// # Safety
///
/// A group of [`AttributeGroups<Self>`] is only ever attached to devices for which
/// [`Owner::data`] returns a valid `Self::Data` for the duration of any sysfs callback: the
/// implementer's abstraction is the only place that attaches such groups, and keeps the data
/// alive until the device's attributes are removed.
pub unsafe trait Owner: 'static {
    /// The data an attribute shows.
    type Data: Sync;

    /// The data of `dev`.
    ///
    /// # Safety
    ///
    /// `dev` is a device a group of this owner is attached to, in a sysfs callback of it.
    unsafe fn data<'a>(dev: *mut bindings::device) -> &'a Self::Data;
}

/// A read-only attribute of the devices of an [`Owner`].
pub trait Show {
    /// The owner of the devices the attribute is shown for.
    type Owner: Owner;

    /// The attribute's file name.
    const NAME: &'static CStr;

    /// Writes the attribute's value for `data` to `buf`.
    fn show(data: &<Self::Owner as Owner>::Data, buf: &mut Buffer<'_>) -> Result;
}

/// A `struct device_attribute` of owner `O`, built by [`DeviceAttribute::read_only`].
#[repr(transparent)]
pub struct DeviceAttribute<O: Owner>(Opaque<bindings::device_attribute>, PhantomData<O>);

// SAFETY: The attribute is immutable once built; the driver core only reads it.
unsafe impl<O: Owner> Sync for DeviceAttribute<O> {}

impl<O: Owner> DeviceAttribute<O> {
    /// A read-only (0444) attribute shown by `T`.
    pub const fn read_only<T: Show<Owner = O>>() -> Self {
        let mut attr: bindings::device_attribute = pin_init::zeroed();
        attr.attr.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        attr.attr.mode = 0o444;
        attr.__bindgen_anon_1.show = Some(Self::show_callback::<T>);
        Self(Opaque::new(attr), PhantomData)
    }

    /// The raw attribute, for tests that call its callback as sysfs does.
    pub fn as_raw(&self) -> *mut bindings::device_attribute {
        self.0.get()
    }

    /// The show callback, as sysfs calls it.
    pub fn raw_show(
        &self,
    ) -> Option<
        unsafe extern "C" fn(
            *mut bindings::device,
            *mut bindings::device_attribute,
            *mut c_char,
        ) -> isize,
    > {
        // SAFETY: The attribute is initialised and immutable.
        unsafe { (*self.0.get()).__bindgen_anon_1.show }
    }

    /// # Safety
    ///
    /// Called by sysfs with a device `dev` that a group of owner `O` is attached to, and a
    /// page-sized buffer `buf`.
    unsafe extern "C" fn show_callback<T: Show<Owner = O>>(
        dev: *mut bindings::device,
        _attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: A device of a group of owner `O`, in a sysfs callback (safety requirements).
        let data = unsafe { O::data(dev) };
        let mut b = Buffer {
            buf: buf.cast(),
            len: 0,
            _p: PhantomData,
        };
        match T::show(data, &mut b) {
            Ok(()) => b.len as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// A binary attribute of the devices of an [`Owner`] that can be read.
pub trait BinRead {
    /// The owner of the devices the attribute is shown for.
    type Owner: Owner;

    /// The attribute's file name.
    const NAME: &'static CStr;
    /// Its file mode, e.g. `0o400`.
    const MODE: u16;

    /// Fills `buf` with the bytes of `data`'s file from `offset` on; returns how many, 0 at
    /// the end.
    fn read(data: &<Self::Owner as Owner>::Data, buf: &mut [u8], offset: usize) -> Result<usize>;
}

/// A `struct bin_attribute` of owner `O`, built by [`BinAttribute::read_only`].
#[repr(transparent)]
pub struct BinAttribute<O: Owner>(Opaque<bindings::bin_attribute>, PhantomData<O>);

// SAFETY: The attribute is immutable once built; the driver core only reads it.
unsafe impl<O: Owner> Sync for BinAttribute<O> {}

impl<O: Owner> BinAttribute<O> {
    /// A binary attribute read by `T`, of unknown size (readers read until end of file).
    pub const fn read_only<T: BinRead<Owner = O>>() -> Self {
        let mut attr: bindings::bin_attribute = pin_init::zeroed();
        attr.attr.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        attr.attr.mode = T::MODE;
        attr.read = Some(Self::read_callback::<T>);
        Self(Opaque::new(attr), PhantomData)
    }

    /// # Safety
    ///
    /// Called by sysfs with the `kobj` of a device that a group of owner `O` is attached to,
    /// and `count` bytes writable at `buf`.
    unsafe extern "C" fn read_callback<T: BinRead<Owner = O>>(
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
        // SAFETY: The attribute belongs to a device of a group of owner `O`: `kobj` is the
        // `kobj` of that `struct device`, in a sysfs callback (safety requirements).
        let data = unsafe {
            O::data(
                kobj.byte_sub(core::mem::offset_of!(bindings::device, kobj))
                    .cast(),
            )
        };
        // SAFETY: sysfs gives `count` bytes at `buf`, ours for the duration of the callback.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), count) };
        match T::read(data, buf, offset) {
            Ok(n) => n.min(count) as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// A `NULL`-terminated array of `N` binary attributes of owner `O`.
#[repr(C)]
pub struct BinAttributes<O: Owner, const N: usize> {
    attrs: [*const bindings::bin_attribute; N],
    end: *const bindings::bin_attribute,
    _o: PhantomData<O>,
}

// SAFETY: The array only points to immutable, 'static attributes.
unsafe impl<O: Owner, const N: usize> Sync for BinAttributes<O, N> {}

impl<O: Owner, const N: usize> BinAttributes<O, N> {
    /// The array of `attrs`.
    pub const fn new(attrs: [&'static BinAttribute<O>; N]) -> Self {
        let mut raw = [ptr::null(); N];
        let mut i = 0;
        while i < N {
            raw[i] = attrs[i].0.get().cast_const();
            i += 1;
        }
        Self {
            attrs: raw,
            end: ptr::null(),
            _o: PhantomData,
        }
    }
}

/// A `NULL`-terminated array of `N` attributes of owner `O`.
#[repr(C)]
pub struct Attributes<O: Owner, const N: usize> {
    attrs: [*const bindings::attribute; N],
    end: *const bindings::attribute,
    _o: PhantomData<O>,
}

// SAFETY: The array only points to immutable, 'static attributes.
unsafe impl<O: Owner, const N: usize> Sync for Attributes<O, N> {}

impl<O: Owner, const N: usize> Attributes<O, N> {
    /// The array of `attrs`.
    pub const fn new(attrs: [&'static DeviceAttribute<O>; N]) -> Self {
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
            _o: PhantomData,
        }
    }
}

/// An unnamed `struct attribute_group` of owner `O`.
#[repr(transparent)]
pub struct AttributeGroup<O: Owner>(Opaque<bindings::attribute_group>, PhantomData<O>);

// SAFETY: The group is immutable once built; the driver core only reads it.
unsafe impl<O: Owner> Sync for AttributeGroup<O> {}

impl<O: Owner> AttributeGroup<O> {
    /// The group of `attrs`.
    pub const fn new<const N: usize>(attrs: &'static Attributes<O, N>) -> Self {
        let mut g: bindings::attribute_group = pin_init::zeroed();
        g.__bindgen_anon_2.attrs = ptr::from_ref(attrs)
            .cast::<*mut bindings::attribute>()
            .cast_mut();
        Self(Opaque::new(g), PhantomData)
    }

    /// The group of `attrs` and the binary attributes `bin_attrs`.
    pub const fn with_bin<const N: usize, const M: usize>(
        attrs: &'static Attributes<O, N>,
        bin_attrs: &'static BinAttributes<O, M>,
    ) -> Self {
        let mut g: bindings::attribute_group = pin_init::zeroed();
        g.__bindgen_anon_2.attrs = ptr::from_ref(attrs)
            .cast::<*mut bindings::attribute>()
            .cast_mut();
        g.bin_attrs = ptr::from_ref(bin_attrs).cast::<*const bindings::bin_attribute>();
        Self(Opaque::new(g), PhantomData)
    }
}

/// A `NULL`-terminated array of one attribute group of owner `O`, as `struct device::groups`
/// takes.
#[repr(C)]
pub struct AttributeGroups<O: Owner> {
    group: *const bindings::attribute_group,
    end: *const bindings::attribute_group,
    _o: PhantomData<O>,
}

// SAFETY: The array only points to an immutable, 'static group.
unsafe impl<O: Owner> Sync for AttributeGroups<O> {}

impl<O: Owner> AttributeGroups<O> {
    /// The array of `group`.
    pub const fn new(group: &'static AttributeGroup<O>) -> Self {
        Self {
            group: group.0.get().cast_const(),
            end: ptr::null(),
            _o: PhantomData,
        }
    }

    /// The array as the driver core takes it. Attaching it to a device is the business of
    /// `O`'s abstraction (see [`Owner`]).
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
        {
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
        }
        assert_eq!(&page[..7], b"status\n");
        Ok(())
    }
}
