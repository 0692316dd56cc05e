// SPDX-License-Identifier: GPL-2.0
//! Checking an image before `FPGA_IMAGE_LOAD_WRITE`, and padding it.
//!
//! The kernel takes an image whose size is not zero, a multiple of 4 and fits in the
//! `__u32 size` of `struct fpga_image_write`. This module refuses other images up
//! front with a clear message, or pads them with zero bytes when asked (`--pad`).

use std::fmt;

/// The largest image `struct fpga_image_write` can describe: the largest multiple of 4
/// that fits in its `__u32 size`.
pub const MAX_SIZE: u64 = u32::MAX as u64 & !3;

/// Why an image cannot be written as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageProblem {
    /// The image has no byte.
    Empty,
    /// The size is not a multiple of 4, and padding was not asked for.
    NotAligned {
        /// Size of the image in bytes.
        len: u64,
    },
    /// The size does not fit `struct fpga_image_write`.
    TooLarge {
        /// Size of the image in bytes.
        len: u64,
    },
}

impl fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageProblem::Empty => f.write_str("image is empty"),
            ImageProblem::NotAligned { len } => write!(
                f,
                "image is {len} bytes, not a multiple of 4; use --pad to pad it with zeros"
            ),
            ImageProblem::TooLarge { len } => write!(
                f,
                "image is {len} bytes, more than the {MAX_SIZE} bytes FPGA_IMAGE_LOAD_WRITE can take"
            ),
        }
    }
}

/// `len` rounded up to a multiple of 4.
pub fn padded_len(len: u64) -> u64 {
    len.div_ceil(4).saturating_mul(4)
}

/// Checks `image` and, if `pad`, pads it with zero bytes to a multiple of 4.
///
/// Returns the size the image had before padding when it was padded.
pub fn prepare(image: &mut Vec<u8>, pad: bool) -> Result<Option<u64>, ImageProblem> {
    let len = image.len() as u64;
    if len == 0 {
        return Err(ImageProblem::Empty);
    }
    let padded = padded_len(len);
    if padded > MAX_SIZE {
        return Err(ImageProblem::TooLarge { len });
    }
    if padded == len {
        return Ok(None);
    }
    if !pad {
        return Err(ImageProblem::NotAligned { len });
    }
    // `padded` is at most `MAX_SIZE`, which fits a `usize` wherever `len` did.
    image.resize(image.len() + (padded - len) as usize, 0);
    Ok(Some(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_to_words() {
        assert_eq!(padded_len(1), 4);
        assert_eq!(padded_len(4), 4);
        assert_eq!(padded_len(5), 8);
        assert_eq!(padded_len(7), 8);
        assert_eq!(padded_len(0), 0);
        assert_eq!(MAX_SIZE, 0xffff_fffc);
    }

    #[test]
    fn aligned_images_pass_unchanged() {
        for pad in [false, true] {
            let mut img = vec![1, 2, 3, 4, 5, 6, 7, 8];
            assert_eq!(prepare(&mut img, pad), Ok(None));
            assert_eq!(img, [1, 2, 3, 4, 5, 6, 7, 8]);
        }
    }

    #[test]
    fn unaligned_images_are_refused_without_pad() {
        let mut img = vec![0xaa; 5];
        assert_eq!(
            prepare(&mut img, false),
            Err(ImageProblem::NotAligned { len: 5 })
        );
        assert_eq!(img.len(), 5);
        assert_eq!(
            ImageProblem::NotAligned { len: 5 }.to_string(),
            "image is 5 bytes, not a multiple of 4; use --pad to pad it with zeros"
        );
    }

    #[test]
    fn pad_adds_zero_bytes() {
        for (len, want) in [(1, 4), (2, 4), (3, 4), (5, 8), (1023, 1024)] {
            let mut img = vec![0xaa; len];
            assert_eq!(prepare(&mut img, true), Ok(Some(len as u64)), "{len}");
            assert_eq!(img.len(), want, "{len}");
            assert!(img[..len].iter().all(|&b| b == 0xaa));
            assert!(img[len..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn empty_images_are_refused() {
        for pad in [false, true] {
            assert_eq!(prepare(&mut Vec::new(), pad), Err(ImageProblem::Empty));
        }
        assert_eq!(ImageProblem::Empty.to_string(), "image is empty");
    }

    #[test]
    fn too_large_names_the_limit() {
        let m = ImageProblem::TooLarge { len: 1 << 32 }.to_string();
        assert!(m.contains("4294967296 bytes"), "{m}");
        assert!(m.contains("4294967292"), "{m}");
    }
}
