//! The engine: the crate's hot-path machinery, kept apart from the domain code.
//!
//! Contract: everything here computes exactly what the plain path of its caller would (same
//! results, bit for bit, with or without the `parallel` feature, whatever the CPU); it only
//! changes how fast. Domain modules hold the definitions (params, policies, row checks, what an
//! accumulator means, results) and call in here for speed.
//!
//! - [`par`]: the one `cfg(feature = "parallel")` switch (thread count, owned-range chunks,
//!   joins, sorts, earliest-error merging).
//! - [`prefetch`]: the cache hint of the random-access loops.
//! - [`kernel`]: CPU detection and the SIMD k-means kernels (AVX-512, AVX2+FMA, portable).
//! - [`select`]: radix selection of order statistics and the bucket table of the RFM scores.
//! - [`money`]: fixed-point money (exact, order-independent sums).
//! - [`rfm_scan`]: the partitioned open-addressing table and the owned-range scans of the RFM
//!   pass.
//! - [`retention_scan`]: the owned-range scan and the per-cohort bit tallies of the retention
//!   matrix.
//! - [`rows`]: row-major views of matrices.

pub(crate) mod kernel;
pub(crate) mod money;
pub(crate) mod par;
pub(crate) mod prefetch;
pub(crate) mod retention_scan;
pub(crate) mod rfm_scan;
pub(crate) mod rows;
pub(crate) mod select;

/// `count` copies of `value`, or a typed error when the memory cannot be had: allocations sized
/// by a count taken from a customer set or a loaded document go through here, so an absurd
/// count is an [`Error::Undefined`](crate::Error::Undefined) naming `what`, never an abort.
pub(crate) fn try_filled<T: Clone>(
    count: usize,
    value: T,
    what: &str,
) -> crate::error::Result<Vec<T>> {
    let mut out = Vec::new();
    if out.try_reserve_exact(count).is_err() {
        return Err(crate::error::Error::Undefined {
            reason: format!(
                "{what} would need room for {count} entries, more memory than there is: check \
                 the customer set (a loaded document may claim more customers than it holds)"
            ),
        });
    }
    out.resize(count, value);
    Ok(out)
}
