//! The one switch of the `parallel` feature: every multi-threaded path of the crate goes
//! through these helpers, which run serially without the feature (or with a one-thread pool
//! where a caller asks), with the same results either way.
//!
//! The bounds (`Send`, `Sync`) are the same with and without the feature, so code that builds
//! in one configuration builds in the other.

use std::cmp::Ordering;

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// The size of rayon's pool (1 without the `parallel` feature). Parallel paths run serially
/// when it is 1, so a single-threaded caller never hands work to the pool or wakes it
/// (measured: with a one-thread pool, handing the RFM scores to it made a whole RFM run about
/// 1.4 times as long).
#[inline]
pub(crate) fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// `f` of every item, in item order (spread over the pool with the feature).
pub(crate) fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.into_iter().map(f).collect()
    }
}

/// `f` of every element, in order; spread over the pool only when it has more than one thread.
pub(crate) fn map_slice<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    if threads() > 1 {
        return items.par_iter().map(f).collect();
    }
    items.iter().map(f).collect()
}

/// `f(a, b)` of every pair of two equally long slices, in order; spread over the pool only
/// when it has more than one thread.
pub(crate) fn map_zip<A: Sync, B: Sync, R: Send>(
    a: &[A],
    b: &[B],
    f: impl Fn(&A, &B) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    if threads() > 1 {
        return a.par_iter().zip(b).map(|(x, y)| f(x, y)).collect();
    }
    a.iter().zip(b).map(|(x, y)| f(x, y)).collect()
}

/// `f(i, chunk)` of every chunk of `span` elements (`i` its number), in chunk order, each on
/// one task.
pub(crate) fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    span: usize,
    f: impl Fn(usize, &[T]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items
            .par_chunks(span)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items
            .chunks(span)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect()
    }
}

/// `f(i, chunk)` of every mutable chunk of `span` elements, in chunk order, each on one task:
/// the owned-range pattern, where each task owns a range of customers.
pub(crate) fn map_chunks_mut<T: Send, R: Send>(
    items: &mut [T],
    span: usize,
    f: impl Fn(usize, &mut [T]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items
            .par_chunks_mut(span)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items
            .chunks_mut(span)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect()
    }
}

/// As [`map_chunks_mut`], with a second slice cut alongside (one part per chunk).
pub(crate) fn map_chunks_mut_with<T: Send, U: Send, R: Send>(
    items: &mut [T],
    span: usize,
    others: Vec<&mut [U]>,
    f: impl Fn(usize, &mut [T], &mut [U]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        items
            .par_chunks_mut(span)
            .zip(others)
            .enumerate()
            .map(|(i, (c, o))| f(i, c, o))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items
            .chunks_mut(span)
            .zip(others)
            .enumerate()
            .map(|(i, (c, o))| f(i, c, o))
            .collect()
    }
}

/// Three independent computations, at once when the pool has more than one thread.
pub(crate) fn join3<A, B, C>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
    c: impl FnOnce() -> C + Send,
) -> (A, B, C)
where
    A: Send,
    B: Send,
    C: Send,
{
    #[cfg(feature = "parallel")]
    if threads() > 1 {
        let (a, (b, c)) = rayon::join(a, || rayon::join(b, c));
        return (a, b, c);
    }
    (a(), b(), c())
}

/// Sorts `items` (not stable), with the pool when it has more than one thread.
pub(crate) fn sort_unstable_by<T: Send>(
    items: &mut [T],
    compare: impl Fn(&T, &T) -> Ordering + Sync,
) {
    #[cfg(feature = "parallel")]
    if threads() > 1 {
        items.par_sort_unstable_by(compare);
        return;
    }
    items.sort_unstable_by(compare);
}

/// Combines the results of tasks that each own a range of customers: `add` takes every
/// success, and of the failures the one of the earliest row is returned. Each row is handled by
/// one task, so that is the error a serial pass would have stopped at.
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
