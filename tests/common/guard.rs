//! A counting global allocator for the adversarial suites: the peak of live bytes on this
//! thread since the last reset. Requests above `HARD_LIMIT` are refused outright (the process
//! then aborts, naming the size), so a call that would size a buffer by a value in its input
//! shows up as a crash instead of swapping; `peak_of` measures one call against
//! `MEMORY_BOUND`.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Larger requests are refused.
pub const HARD_LIMIT: usize = 1 << 30;
/// The most one attacked call may hold at once: the inputs are a few KB.
pub const MEMORY_BOUND: usize = 64 << 20;

struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(size);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn note_free(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

#[allow(unsafe_code)]
// SAFETY: every call is forwarded to the system allocator with the same layout; the counters
// are const-initialised thread-locals that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        note_alloc(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        note_alloc(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        note_free(layout.size());
        note_alloc(new_size);
        // SAFETY: `ptr` came from `alloc` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak bytes it held beyond what was live before.
pub fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (r, peak)
}

/// Runs `f` for a property test: a panic, or more than `MEMORY_BOUND` bytes held at once on
/// inputs of a few hundred bytes, becomes a failed property naming `what`, so proptest shrinks
/// it.
pub fn guarded<R>(
    what: &str,
    f: impl FnOnce() -> R,
) -> Result<R, proptest::test_runner::TestCaseError> {
    use proptest::test_runner::TestCaseError;
    let (result, peak) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| peak_of(f)))
        .map_err(|_| TestCaseError::fail(format!("{what} panicked")))?;
    if peak > MEMORY_BOUND {
        return Err(TestCaseError::fail(format!("{what} held {peak} bytes")));
    }
    Ok(result)
}

/// The sweeps' proptest settings: shrunk failures are saved beside the test file
/// (`<test>.proptest-regressions`) and replayed first; `PROPTEST_CASES` sets the cases.
pub fn config() -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}
