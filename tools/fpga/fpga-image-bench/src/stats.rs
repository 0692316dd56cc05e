// SPDX-License-Identifier: GPL-2.0
//! Statistics of repeated samples: the median and the spread `(max - min) / median`.
//!
//! The median rather than the mean, because a guest's samples have outliers (a vCPU
//! descheduled by the host) in one direction only; the spread shows how much to trust
//! the median. Every raw sample is kept for the report.

/// The median of `samples`: the middle one, or the mean of the two middle ones.
/// `None` without samples, or with a sample that is not a number.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// `(max - min) / median`: 0 when all samples agree. `None` without samples or when the
/// median is 0 and the samples differ.
pub fn spread(samples: &[f64]) -> Option<f64> {
    let median = median(samples)?;
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let range = max - min;
    if range == 0.0 {
        Some(0.0)
    } else if median == 0.0 {
        None
    } else {
        Some(range / median.abs())
    }
}

/// The samples of one side of a comparison, with their median and spread.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The median; NaN without samples.
    pub median: f64,
    /// `(max - min) / median`.
    pub spread: Option<f64>,
    /// Every sample, in the order taken.
    pub samples: Vec<f64>,
}

impl Summary {
    /// Summarizes `samples`.
    pub fn of(samples: Vec<f64>) -> Self {
        Summary {
            median: median(&samples).unwrap_or(f64::NAN),
            spread: spread(&samples),
            samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn spread_is_range_over_median() {
        assert_eq!(spread(&[1.0, 2.0, 3.0]), Some(1.0));
        assert_eq!(spread(&[10.0, 11.0, 10.0, 12.0, 10.0]), Some(0.2));
        assert_eq!(spread(&[5.0]), Some(0.0));
        assert_eq!(spread(&[0.0, 0.0]), Some(0.0));
        assert_eq!(spread(&[0.0, 0.0, 1.0]), None);
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn summary_keeps_the_samples_in_order() {
        let s = Summary::of(vec![3.0, 1.0, 2.0]);
        assert_eq!(s.median, 2.0);
        assert_eq!(s.spread, Some(1.0));
        assert_eq!(s.samples, vec![3.0, 1.0, 2.0]);
        assert!(Summary::of(Vec::new()).median.is_nan());
    }
}
