//! A cache hint for the random-access loops (group-bys keyed by customer).
//!
//! Loops that update one customer's state per record spend most of their time waiting for
//! memory. Announcing the address of a record a few places ahead lets many of those misses be
//! in flight at once, where a plain load would keep the core waiting. A prefetch is only a hint:
//! it never faults and never changes memory or results.
#![allow(unsafe_code)]

/// Asks the CPU to bring the cache line holding `item` closer; a no-op off x86-64.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86-64 baseline, `item` is a valid reference, and a prefetch
    // neither faults nor writes.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (item as *const T).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}
