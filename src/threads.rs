//! How many threads the `parallel` paths may use.

/// The size of rayon's pool. Parallel paths run serially when it is 1, so a single-threaded
/// caller never hands work to the pool or wakes it (measured: with a one-thread pool, handing
/// the RFM scores to it made a whole RFM run about 1.4 times as long).
#[inline]
pub(crate) fn available() -> usize {
    rayon::current_num_threads()
}
