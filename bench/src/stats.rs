//! Robust statistics over run samples: median, min, max, MAD, geometric mean, and ratios with
//! their spread.
//!
//! Benchmark timings are skewed (a run can only be slowed down by the rest of the machine), so
//! the centre is the median and the spread the median absolute deviation, as hyperfine and
//! criterion report them. Outliers are flagged, never dropped.

use serde::{Deserialize, Serialize};

/// Scale factor that makes the MAD an estimator of the standard deviation for normal data.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// A sample is an outlier when it lies further than this many robust sigmas from the median.
pub const OUTLIER_SIGMAS: f64 = 3.0;

/// Summary of one measured quantity over the runs of a cell (the unit is in the field's name
/// where the summary is used, e.g. `wall_ns`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median absolute deviation from the median (not scaled).
    pub mad: f64,
    /// Samples further than 3 robust sigmas (3 × 1.4826 × MAD) from the median; kept in the data.
    pub outliers: usize,
}

impl Summary {
    /// Summarises `samples`; None when there are none (or any is not finite).
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let median = median(samples)?;
        let mad = mad(samples)?;
        let limit = OUTLIER_SIGMAS * MAD_TO_SIGMA * mad;
        let outliers = if mad > 0.0 {
            samples
                .iter()
                .filter(|&&x| (x - median).abs() > limit)
                .count()
        } else {
            0
        };
        Some(Summary {
            n: samples.len(),
            median,
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mad,
            outliers,
        })
    }
}

/// Median of `samples` (mean of the two middle values for an even count); None when empty.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Median absolute deviation from the median (unscaled); None when empty.
pub fn mad(samples: &[f64]) -> Option<f64> {
    let m = median(samples)?;
    let dev: Vec<f64> = samples.iter().map(|x| (x - m).abs()).collect();
    median(&dev)
}

/// Geometric mean of strictly positive values; None when empty or when any is not positive.
pub fn geomean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|&x| !(x > 0.0) || !x.is_finite()) {
        return None;
    }
    Some((values.iter().map(|x| x.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// A ratio of two medians (e.g. a path's wall time over native's) and its spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// `numerator.median / denominator.median`; above 1 means the numerator is slower.
    pub value: f64,
    /// One robust sigma of the ratio, propagated from both MADs:
    /// `value × sqrt((σa/a)² + (σb/b)²)` with `σ = 1.4826 × MAD`.
    pub spread: f64,
}

impl Ratio {
    /// The ratio of two summaries' medians; None when the denominator's median is not positive.
    pub fn of(numerator: &Summary, denominator: &Summary) -> Option<Ratio> {
        if !(denominator.median > 0.0) || !(numerator.median >= 0.0) {
            return None;
        }
        let value = numerator.median / denominator.median;
        let rel = |s: &Summary| {
            if s.median > 0.0 {
                MAD_TO_SIGMA * s.mad / s.median
            } else {
                0.0
            }
        };
        let spread = value * (rel(numerator).powi(2) + rel(denominator).powi(2)).sqrt();
        Some(Ratio { value, spread })
    }
}

/// The line `wall = fixed + slope × size` through the medians at two sizes: (fixed, slope,
/// one robust sigma of the slope). None unless `big_size > small_size`.
pub fn two_point_fit(
    small: &Summary,
    small_size: u64,
    big: &Summary,
    big_size: u64,
) -> Option<(f64, f64, f64)> {
    if big_size <= small_size {
        return None;
    }
    let dx = (big_size - small_size) as f64;
    let slope = (big.median - small.median) / dx;
    let fixed = small.median - slope * small_size as f64;
    let sigma = MAD_TO_SIGMA * (big.mad.powi(2) + small.mad.powi(2)).sqrt() / dx;
    Some((fixed, slope, sigma))
}

/// The ratio of two slopes with their sigmas; None unless both slopes are positive.
pub fn slope_ratio(a: f64, a_sigma: f64, b: f64, b_sigma: f64) -> Option<Ratio> {
    if !(a > 0.0 && b > 0.0) {
        return None;
    }
    let value = a / b;
    let spread = value * ((a_sigma / a).powi(2) + (b_sigma / b).powi(2)).sqrt();
    Some(Ratio { value, spread })
}

/// Geometric mean of ratios. Its spread is the measurement uncertainty of the mean, propagated
/// from each ratio's spread (`σ_G / G = sqrt(Σ (σᵢ/rᵢ)²) / n`), in the same sense as
/// [`Ratio::spread`]. How much the ratios differ between workloads is not folded in: that is a
/// property of the workloads, shown by the per-workload numbers.
pub fn geomean_ratio(ratios: &[Ratio]) -> Option<Ratio> {
    let values: Vec<f64> = ratios.iter().map(|r| r.value).collect();
    let value = geomean(&values)?;
    let n = ratios.len() as f64;
    let rel = ratios
        .iter()
        .map(|r| (r.spread / r.value).powi(2))
        .sum::<f64>()
        .sqrt()
        / n;
    Some(Ratio {
        value,
        spread: value * rel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn mad_on_known_samples() {
        // Median 2; deviations 1,1,0,0,2,4,7 → sorted 0,0,1,1,2,4,7 → MAD 1.
        assert_eq!(mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]), Some(1.0));
        assert_eq!(mad(&[5.0, 5.0, 5.0]), Some(0.0));
    }

    #[test]
    fn geomean_on_known_values() {
        let g = geomean(&[1.0, 4.0, 16.0]).unwrap();
        assert!((g - 4.0).abs() < 1e-12, "{g}");
        assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(geomean(&[]), None);
        assert_eq!(geomean(&[1.0, 0.0]), None);
        assert_eq!(geomean(&[1.0, -2.0]), None);
    }

    #[test]
    fn summary_flags_outliers_but_keeps_them() {
        let s = Summary::of(&[10.0, 11.0, 10.0, 12.0, 11.0, 100.0]).unwrap();
        assert_eq!(s.n, 6);
        assert_eq!(s.median, 11.0);
        assert_eq!(s.min, 10.0);
        assert_eq!(s.max, 100.0);
        assert_eq!(s.mad, 1.0);
        assert_eq!(s.outliers, 1);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn ratio_value_and_spread() {
        let a = Summary::of(&[20.0, 20.0, 20.0]).unwrap();
        let b = Summary::of(&[10.0, 10.0, 10.0]).unwrap();
        let r = Ratio::of(&a, &b).unwrap();
        assert_eq!(r.value, 2.0);
        assert_eq!(r.spread, 0.0);
        let noisy = Summary::of(&[9.0, 10.0, 11.0]).unwrap(); // MAD 1 → σ/median = 0.14826
        let r = Ratio::of(&a, &noisy).unwrap();
        assert!((r.spread - 2.0 * 0.14826).abs() < 1e-9, "{r:?}");
        let zero = Summary::of(&[0.0]).unwrap();
        assert!(Ratio::of(&a, &zero).is_none());
    }

    #[test]
    fn two_point_fit_splits_fixed_cost_and_slope() {
        let at = |median: f64, mad: f64| Summary {
            n: 5,
            median,
            min: median,
            max: median,
            mad,
            outliers: 0,
        };
        // 10 ms fixed + 50 ms per unit, measured at sizes 1 and 21.
        let (fixed, slope, sigma) = two_point_fit(&at(60e6, 0.0), 1, &at(1060e6, 3e6), 21).unwrap();
        assert!((fixed - 10e6).abs() < 1.0, "{fixed}");
        assert!((slope - 50e6).abs() < 1.0, "{slope}");
        assert!((sigma - MAD_TO_SIGMA * 3e6 / 20.0).abs() < 1.0, "{sigma}");
        assert!(two_point_fit(&at(1.0, 0.0), 5, &at(2.0, 0.0), 5).is_none());
        let r = slope_ratio(50.5, 0.0, 50.0, 0.5).unwrap();
        assert!((r.value - 1.01).abs() < 1e-12 && (r.spread - 1.01 * 0.01).abs() < 1e-12);
        assert!(slope_ratio(1.0, 0.0, -1.0, 0.0).is_none());
    }

    #[test]
    fn geomean_ratio_propagates_measurement_spread() {
        let r = |value, spread| Ratio { value, spread };
        let g = geomean_ratio(&[r(3.0, 0.0), r(3.0, 0.0)]).unwrap();
        assert!((g.value - 3.0).abs() < 1e-12);
        assert_eq!(g.spread, 0.0);
        // Relative spreads 0.1 and 0.1 → sqrt(0.02)/2 ≈ 0.0707 of the mean (2).
        let g = geomean_ratio(&[r(1.0, 0.1), r(4.0, 0.4)]).unwrap();
        assert!((g.value - 2.0).abs() < 1e-12);
        assert!(
            (g.spread - 2.0 * 0.02f64.sqrt() / 2.0).abs() < 1e-12,
            "{g:?}"
        );
        assert!(geomean_ratio(&[]).is_none());
    }
}
