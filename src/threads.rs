//! How many threads the `parallel` paths may use.

/// The size of rayon's pool. Parallel paths run serially when it is 1, so a single-threaded
/// caller never hands work to the pool or wakes it (measured: with a one-thread pool, handing
/// the RFM scores to it made a whole RFM run about 1.4 times as long).
#[inline]
pub(crate) fn available() -> usize {
    rayon::current_num_threads()
}

/// Combines the results of threads that each own a range of customers: `add` takes every
/// success, and of the failures the one of the earliest row is returned. Each row is handled by
/// one thread, so that is the error a serial pass would have stopped at.
pub(crate) fn earliest_error<T>(
    results: impl IntoIterator<Item = std::result::Result<T, (usize, crate::Error)>>,
    mut add: impl FnMut(T),
) -> crate::Result<()> {
    let mut first: Option<(usize, crate::Error)> = None;
    for result in results {
        match result {
            Ok(value) => add(value),
            Err((row, e)) => {
                if first.as_ref().is_none_or(|(r, _)| row < *r) {
                    first = Some((row, e));
                }
            }
        }
    }
    first.map_or(Ok(()), |(_, e)| Err(e))
}
