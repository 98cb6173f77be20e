//! What the runner reports of a side's samples: the median and the spread.

use std::time::Duration;

use crate::cases::{Footprint, Sample};

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2
    }
}

fn median_f64(mut samples: Vec<f64>) -> f64 {
    samples.sort_unstable_by(f64::total_cmp);
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2.0
    }
}

/// The median sample of one side; a memory side's peak and per-child figures are the medians
/// of each, taken separately.
pub(crate) fn median_sample(samples: &[Sample]) -> Sample {
    match samples[0] {
        Sample::Time(_) => {
            let mut times: Vec<Duration> = samples
                .iter()
                .map(|s| match s {
                    Sample::Time(time) => *time,
                    Sample::Memory(_) => unreachable!("a side takes one kind of sample"),
                })
                .collect();
            Sample::Time(median(&mut times))
        }
        Sample::Memory(_) => {
            let footprints: Vec<Footprint> = samples
                .iter()
                .map(|s| match s {
                    Sample::Memory(footprint) => *footprint,
                    Sample::Time(_) => unreachable!("a side takes one kind of sample"),
                })
                .collect();
            Sample::Memory(Footprint {
                peak: median_f64(footprints.iter().map(|f| f.peak as f64).collect()).round() as u64,
                per_item: median_f64(footprints.iter().map(|f| f.per_item).collect()),
            })
        }
    }
}

/// The spread of one side's samples: (max - min) / median of the compared figure, in percent.
pub(crate) fn spread_percent(samples: &[Sample]) -> f64 {
    let values: Vec<f64> = samples.iter().map(|s| s.value()).collect();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    (max - min) / median_f64(values) * 100.0
}
