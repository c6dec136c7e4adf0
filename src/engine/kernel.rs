//! The hot loops of k-means: nearest centroid for a block of rows, and distances to a handful of
//! k-means++ candidates.
//!
//! Both loops are written once, over fixed-width lane arrays that LLVM vectorises, and compiled
//! for the x86-64 baseline (SSE2) and, where the CPU has them, with AVX2 + FMA or AVX-512,
//! selected at run time. The SIMD builds are the only `unsafe` here: calling a
//! `#[target_feature]` function is unsafe because running it on a CPU without the feature is
//! undefined, and every call is guarded by `is_x86_feature_detected!`. Every product is a fused
//! multiply-add (`f64::mul_add` in the portable build, which rounds once on every platform), and
//! each lane performs the same operations in the same order in every build, so their results are
//! bit-identical (a unit test checks).
#![allow(unsafe_code)]

/// Centroids processed together; one lane per centroid.
pub(crate) const LANES: usize = 8;

/// Rows processed together, so that independent accumulators hide the latency of the adds.
const TILE: usize = 4;

/// Centroids laid out for the assignment loop: blocks of [`LANES`] centroids, feature-major inside
/// a block.
///
/// With `m` the column means and `c' = c - m`, the score of centroid c for a raw row x is
/// `(|c'|^2 + 2 m.c') - 2 x.c'`, which is `|x - c|^2 - |x - m|^2`: the squared distance less a
/// term that is the same for every centroid, so the lowest score is the nearest centroid. This is
/// scikit-learn's expanded form on centred data (it centres a copy of X; we fold the centring into
/// the centroids, which saves the copy and a subtraction per value). The products are fused
/// multiply-adds (`f64::mul_add`), which round once and give the same bits on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    d: usize,
    k: usize,
    blocks: Vec<[f64; LANES]>,
    norms: Vec<[f64; LANES]>,
}

impl Packed {
    /// Packs `k` centroids of `d` features (row-major, raw units) around the column means.
    pub(crate) fn new(centers: &[f64], offset: &[f64], k: usize, d: usize) -> Packed {
        let block_count = k.div_ceil(LANES);
        let mut blocks = vec![[0.0; LANES]; block_count * d];
        // Padding lanes get an infinite norm so they never win.
        let mut norms = vec![[f64::INFINITY; LANES]; block_count];
        for (c, center) in centers.chunks_exact(d).enumerate().take(k) {
            let (b, l) = (c / LANES, c % LANES);
            let mut norm = 0.0;
            for (j, (&v, &m)) in center.iter().zip(offset).enumerate() {
                let centred = v - m;
                blocks[b * d + j][l] = -2.0 * centred;
                norm += centred * (centred + 2.0 * m);
            }
            norms[b][l] = norm;
        }
        Packed {
            d,
            k,
            blocks,
            norms,
        }
    }
}

/// What one pass over a block of rows found.
#[derive(Debug, Clone)]
pub(crate) struct Partial {
    /// Weighted sums of the rows per cluster, `k x d` row-major.
    pub(crate) sums: Vec<f64>,
    /// Total sample weight per cluster.
    pub(crate) weights: Vec<f64>,
    /// Rows whose label changed.
    pub(crate) changed: usize,
    /// Weighted sum of the winning scores; add `sum_i w_i |x_i - m|^2` for the inertia.
    pub(crate) score: f64,
}

impl Partial {
    pub(crate) fn zero(k: usize, d: usize) -> Partial {
        Partial {
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            changed: 0,
            score: 0.0,
        }
    }

    /// Adds another block's partial; blocks are always added in row order, so the serial and the
    /// parallel passes round identically.
    pub(crate) fn add(&mut self, other: &Partial) {
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            *a += b;
        }
        self.changed += other.changed;
        self.score += other.score;
    }
}

/// A block of rows to assign.
pub(crate) struct Block<'a> {
    /// Row-major rows, `d` values each.
    pub(crate) rows: &'a [f64],
    /// Sample weights of these rows, or `None` for weight 1.
    pub(crate) weights: Option<&'a [f64]>,
}

/// Whether the CPU runs AVX2 builds (checked once by std, then cached).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Runs `f` compiled for AVX2 where the CPU has it (inlined into an AVX2 function), else as
/// it is. For loops with no fused multiply-adds the two builds perform the same operations in
/// the same order, so they give the same bits; AVX2 only makes the vectors wider.
#[inline(always)]
pub(crate) fn widest<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2() {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { run_avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether the CPU runs the AVX2 + FMA builds (checked once by std, then cached).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Assigns each row of `block` to its nearest centroid, writes the labels (counting changes),
/// and, when `update` is set, accumulates the per-cluster sums for the next centroids.
pub(crate) fn assign(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    partial: &mut Partial,
    update: bool,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512() {
            // SAFETY: the CPU supports AVX-512F, AVX2 and FMA, checked on the line above.
            unsafe { assign_avx512(block, packed, labels, partial, update) };
            return;
        }
        if has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA, checked on the line above.
            unsafe { assign_avx2(block, packed, labels, partial, update) };
            return;
        }
    }
    assign_portable(block, packed, labels, partial, update);
}

/// Whether the CPU runs the AVX-512 build (AVX-512F with AVX2 and FMA; checked once by std, then
/// cached).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && has_avx2_fma()
}

/// Picks the monomorphised loop of `$body` for the block's weights and the update flag.
macro_rules! by_weights_and_update {
    ($($body:ident)::+, $block:expr, $packed:expr, $labels:expr, $partial:expr, $update:expr) => {
        match ($block.weights, $update) {
            (None, true) => $($body)::+::<false, true>($block, $packed, $labels, $partial),
            (None, false) => $($body)::+::<false, false>($block, $packed, $labels, $partial),
            (Some(_), true) => $($body)::+::<true, true>($block, $packed, $labels, $partial),
            (Some(_), false) => $($body)::+::<true, false>($block, $packed, $labels, $partial),
        }
    };
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn assign_avx512(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    partial: &mut Partial,
    update: bool,
) {
    by_weights_and_update!(avx512::assign, block, packed, labels, partial, update);
}

/// The assignment loop with AVX-512: one 8-wide register holds the scores of a block of eight
/// centroids, so for k <= 8 a row's scores, minimum and winner never leave registers. Eight rows
/// are scored together (eight independent chains of fused multiply-adds hide their latency).
/// Every lane performs exactly the operations of [`scores_of`] and the winner is chosen as in
/// [`lowest`], so the results equal the portable path's bit for bit (a unit test checks).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512d, __mmask8, _mm512_add_pd, _mm512_cmpeq_pd_mask, _mm512_fmadd_pd, _mm512_loadu_pd,
        _mm512_maskz_loadu_pd, _mm512_mul_pd, _mm512_reduce_min_pd, _mm512_set1_pd,
        _mm512_setzero_pd, _mm512_storeu_pd,
    };

    use super::{lowest, mark, record, Block, Packed, Partial, LANES};

    /// Rows scored together.
    const ROWS: usize = 8;

    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn assign<const WEIGHTED: bool, const UPDATE: bool>(
        block: &Block<'_>,
        packed: &Packed,
        labels: &mut [usize],
        partial: &mut Partial,
    ) {
        let d = packed.d;
        let rows = block.rows.len() / d;
        let tiles = rows / ROWS;
        if packed.norms.len() == 1 && d <= LANES && labels.len() == rows {
            small::<WEIGHTED, UPDATE>(block, packed, labels, partial);
            return;
        }
        if packed.norms.len() == 1 {
            let norm = _mm512_loadu_pd(packed.norms[0].as_ptr());
            let centroids = &packed.blocks[..d];
            for (tile, x) in block.rows.chunks_exact(ROWS * d).enumerate() {
                let mut acc = [norm; ROWS];
                for (j, c) in centroids.iter().enumerate() {
                    let c = _mm512_loadu_pd(c.as_ptr());
                    for (t, a) in acc.iter_mut().enumerate() {
                        *a = _mm512_fmadd_pd(_mm512_set1_pd(x[t * d + j]), c, *a);
                    }
                }
                for (t, &a) in acc.iter().enumerate() {
                    let (best, score) = winner(a);
                    let row = tile * ROWS + t;
                    record::<WEIGHTED, UPDATE>(block, row, best, score, d, labels, partial);
                }
            }
            for row in tiles * ROWS..rows {
                let x = &block.rows[row * d..(row + 1) * d];
                let mut a = norm;
                for (&v, c) in x.iter().zip(centroids) {
                    a = _mm512_fmadd_pd(_mm512_set1_pd(v), _mm512_loadu_pd(c.as_ptr()), a);
                }
                let (best, score) = winner(a);
                record::<WEIGHTED, UPDATE>(block, row, best, score, d, labels, partial);
            }
            return;
        }
        let width = packed.norms.len() * LANES;
        let mut scores = vec![0.0; ROWS * width];
        for tile in 0..rows.div_ceil(ROWS) {
            let first = tile * ROWS;
            let count = ROWS.min(rows - first);
            let x = &block.rows[first * d..(first + count) * d];
            for (b, (centroids, norm)) in
                packed.blocks.chunks_exact(d).zip(&packed.norms).enumerate()
            {
                let mut acc = [_mm512_loadu_pd(norm.as_ptr()); ROWS];
                for (j, c) in centroids.iter().enumerate() {
                    let c = _mm512_loadu_pd(c.as_ptr());
                    for (t, a) in acc.iter_mut().enumerate().take(count) {
                        *a = _mm512_fmadd_pd(_mm512_set1_pd(x[t * d + j]), c, *a);
                    }
                }
                for (t, &a) in acc.iter().enumerate().take(count) {
                    let at = t * width + b * LANES;
                    _mm512_storeu_pd(scores[at..at + LANES].as_mut_ptr(), a);
                }
            }
            for t in 0..count {
                let (best, score) = lowest(&scores[t * width..(t + 1) * width]);
                record::<WEIGHTED, UPDATE>(block, first + t, best, score, d, labels, partial);
            }
        }
    }

    /// k <= 8 and d <= 8: a row, the scores and each cluster's running sum are one register each,
    /// and the running sums live on the stack instead of in `partial` (loaded from it first and
    /// stored back at the end). Sums, weights and the score are added in row order exactly as
    /// [`record`] adds them.
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn small<const WEIGHTED: bool, const UPDATE: bool>(
        block: &Block<'_>,
        packed: &Packed,
        labels: &mut [usize],
        partial: &mut Partial,
    ) {
        let d = packed.d;
        let k = packed.k;
        let rows = labels.len();
        let norm = _mm512_loadu_pd(packed.norms[0].as_ptr());
        let mut centroids = [_mm512_setzero_pd(); LANES];
        for (c, values) in centroids.iter_mut().zip(&packed.blocks[..d]) {
            *c = _mm512_loadu_pd(values.as_ptr());
        }
        let lanes: __mmask8 = u8::MAX >> (LANES - d);
        let mut sums = [_mm512_setzero_pd(); LANES];
        let mut weights = [0.0f64; LANES];
        if UPDATE {
            for c in 0..k {
                let mut start = [0.0; LANES];
                start[..d].copy_from_slice(&partial.sums[c * d..(c + 1) * d]);
                sums[c] = _mm512_loadu_pd(start.as_ptr());
                weights[c] = partial.weights[c];
            }
        }
        let mut score = partial.score;
        let mut changed = 0;
        let x = block.rows.as_ptr();
        let mut step = |i: usize, a: __m512d| {
            let (best, s) = winner(a);
            let weight = mark::<WEIGHTED>(block, labels, i, best, s, &mut changed, &mut score);
            if UPDATE {
                // SAFETY: i < rows, so the d values from i * d are inside `block.rows`.
                let v = unsafe { _mm512_maskz_loadu_pd(lanes, x.add(i * d)) };
                let v = if WEIGHTED {
                    _mm512_mul_pd(v, _mm512_set1_pd(weight))
                } else {
                    v
                };
                let sum = &mut sums[best];
                *sum = _mm512_add_pd(*sum, v);
                weights[best] += weight;
            }
        };
        // The scores of `$r` rows from row `$first`: a macro rather than a function so that it
        // is always inlined into this AVX-512 function, with the scores kept in registers.
        macro_rules! tile_scores {
            ($first:expr, $r:expr) => {{
                let mut acc = [norm; $r];
                for (j, &c) in centroids.iter().enumerate().take(d) {
                    for (t, a) in acc.iter_mut().enumerate() {
                        // SAFETY: the tile's rows are below `rows` and j < d, so the index is
                        // inside `block.rows`.
                        let v = unsafe { *x.add(($first + t) * d + j) };
                        *a = _mm512_fmadd_pd(_mm512_set1_pd(v), c, *a);
                    }
                }
                acc
            }};
        }
        let tiles = rows / ROWS;
        for tile in 0..tiles {
            let acc = tile_scores!(tile * ROWS, ROWS);
            for (t, &a) in acc.iter().enumerate() {
                step(tile * ROWS + t, a);
            }
        }
        for i in tiles * ROWS..rows {
            let [a] = tile_scores!(i, 1);
            step(i, a);
        }
        partial.score = score;
        partial.changed += changed;
        if UPDATE {
            for c in 0..k {
                let mut out = [0.0; LANES];
                _mm512_storeu_pd(out.as_mut_ptr(), sums[c]);
                partial.sums[c * d..(c + 1) * d].copy_from_slice(&out[..d]);
                partial.weights[c] = weights[c];
            }
        }
    }

    /// The lowest of eight scores and its lane, ties to the lowest lane (as [`lowest`]).
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn winner(scores: __m512d) -> (usize, f64) {
        let min = _mm512_reduce_min_pd(scores);
        let mask = _mm512_cmpeq_pd_mask(scores, _mm512_set1_pd(min));
        // An empty mask only when the scores overflowed to NaN, which the callers rule out.
        let lane = mask.trailing_zeros() as usize;
        (if lane < LANES { lane } else { 0 }, min)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn assign_avx2(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    partial: &mut Partial,
    update: bool,
) {
    by_weights_and_update!(avx2::assign, block, packed, labels, partial, update);
}

/// The assignment loop with explicit AVX2 + FMA intrinsics: two 4-wide registers per block of
/// eight centroids, four rows at a time. Every lane performs exactly the operations of
/// [`scores_of`] (`fma(x_j, c_j, acc)` in feature order from the norm) and the minimum is found
/// as in [`lowest`], so the results equal the portable path's bit for bit (a unit test checks).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_blendv_pd, _mm256_broadcast_sd, _mm256_castsi256_pd, _mm256_cmp_pd,
        _mm256_cvtsd_f64, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_maskload_pd, _mm256_min_pd,
        _mm256_movemask_pd, _mm256_mul_pd, _mm256_permute2f128_pd, _mm256_permute_pd,
        _mm256_set1_epi64x, _mm256_set1_pd, _mm256_set_epi64x, _mm256_set_pd, _mm256_setzero_pd,
        _mm256_storeu_pd, _CMP_EQ_OQ, _CMP_LT_OQ,
    };

    use super::{mark, record, scores_of, Block, Packed, Partial, LANES, TILE};

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn assign<const WEIGHTED: bool, const UPDATE: bool>(
        block: &Block<'_>,
        packed: &Packed,
        labels: &mut [usize],
        partial: &mut Partial,
    ) {
        let d = packed.d;
        if packed.norms.len() == 1 && d <= LANES && labels.len() * d == block.rows.len() {
            // SAFETY: the caller runs on a CPU with AVX2 and FMA (this function's contract).
            unsafe {
                match packed.k {
                    1 => small::<1, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    2 => small::<2, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    3 => small::<3, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    4 => small::<4, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    5 => small::<5, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    6 => small::<6, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    7 => small::<7, WEIGHTED, UPDATE>(block, packed, labels, partial),
                    _ => small::<8, WEIGHTED, UPDATE>(block, packed, labels, partial),
                }
            }
            return;
        }
        let blocks = packed.norms.len();
        let width = blocks * LANES;
        let mut scores = vec![0.0; TILE * width];
        let rows = block.rows.len() / d;
        let mut row = 0;
        while row + TILE <= rows {
            let x = &block.rows[row * d..(row + TILE) * d];
            for (b, (centroids, norm)) in
                packed.blocks.chunks_exact(d).zip(&packed.norms).enumerate()
            {
                let low = _mm256_loadu_pd(norm[..4].as_ptr());
                let high = _mm256_loadu_pd(norm[4..].as_ptr());
                let (mut l0, mut h0, mut l1, mut h1) = (low, high, low, high);
                let (mut l2, mut h2, mut l3, mut h3) = (low, high, low, high);
                for (j, c) in centroids.iter().enumerate() {
                    let c_low = _mm256_loadu_pd(c[..4].as_ptr());
                    let c_high = _mm256_loadu_pd(c[4..].as_ptr());
                    let x0 = _mm256_broadcast_sd(&x[j]);
                    let x1 = _mm256_broadcast_sd(&x[d + j]);
                    let x2 = _mm256_broadcast_sd(&x[2 * d + j]);
                    let x3 = _mm256_broadcast_sd(&x[3 * d + j]);
                    l0 = _mm256_fmadd_pd(x0, c_low, l0);
                    h0 = _mm256_fmadd_pd(x0, c_high, h0);
                    l1 = _mm256_fmadd_pd(x1, c_low, l1);
                    h1 = _mm256_fmadd_pd(x1, c_high, h1);
                    l2 = _mm256_fmadd_pd(x2, c_low, l2);
                    h2 = _mm256_fmadd_pd(x2, c_high, h2);
                    l3 = _mm256_fmadd_pd(x3, c_low, l3);
                    h3 = _mm256_fmadd_pd(x3, c_high, h3);
                }
                let at = b * LANES;
                for (t, (lo, hi)) in [(l0, h0), (l1, h1), (l2, h2), (l3, h3)]
                    .into_iter()
                    .enumerate()
                {
                    let out = &mut scores[t * width + at..t * width + at + LANES];
                    _mm256_storeu_pd(out[..4].as_mut_ptr(), lo);
                    _mm256_storeu_pd(out[4..].as_mut_ptr(), hi);
                }
            }
            for t in 0..TILE {
                let (best, score) = lowest(&scores[t * width..(t + 1) * width]);
                record::<WEIGHTED, UPDATE>(block, row + t, best, score, d, labels, partial);
            }
            row += TILE;
        }
        while row < rows {
            scores_of::<1>(&block.rows[row * d..(row + 1) * d], packed, &mut scores);
            let (best, score) = lowest(&scores[..width]);
            record::<WEIGHTED, UPDATE>(block, row, best, score, d, labels, partial);
            row += 1;
        }
    }

    /// Rows scored together by [`small`]: one per lane.
    const ROWS: usize = 4;

    /// k = `K` <= 8 and d <= 8, rows in lanes: four rows are scored against each centroid in one
    /// register (`K` registers, one chain of fused multiply-adds each, in feature order from the
    /// norm, exactly as [`scores_of`]), and the winner is found with vertical compares, centroid
    /// by centroid with a strict `<` (ties to the lowest index, as [`lowest`]), so no score
    /// leaves the registers and there is no horizontal reduction. The cluster sums live on the
    /// stack (loaded from `partial` and stored back at the end) and are added in row order
    /// exactly as [`record`] adds them, so the result equals the portable path's bit for bit.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn small<const K: usize, const WEIGHTED: bool, const UPDATE: bool>(
        block: &Block<'_>,
        packed: &Packed,
        labels: &mut [usize],
        partial: &mut Partial,
    ) {
        let d = packed.d;
        let rows = labels.len();
        let x = block.rows;
        let norms = packed.norms[0];
        let centroids = &packed.blocks[..d];
        let mut sums = [[0.0f64; LANES]; K];
        let mut weights = [0.0f64; K];
        if UPDATE {
            for c in 0..K {
                sums[c][..d].copy_from_slice(&partial.sums[c * d..(c + 1) * d]);
                weights[c] = partial.weights[c];
            }
        }
        // Which of a row's eight value slots are features (loads past d are masked off).
        let lane_mask = |from: usize| {
            let on = |l: usize| if from + l < d { -1i64 } else { 0 };
            _mm256_set_epi64x(on(3), on(2), on(1), on(0))
        };
        let (mask_low, mask_high) = (lane_mask(0), lane_mask(4));
        let mut score = partial.score;
        let mut changed = 0usize;
        let mut step = |i: usize, best: usize, s: f64| {
            let weight = mark::<WEIGHTED>(block, labels, i, best, s, &mut changed, &mut score);
            if UPDATE {
                let row = &x[i * d..(i + 1) * d];
                // SAFETY: with d = 8 both halves are inside `row`; else the masks enable only
                // the first d lanes, which are inside `row`, and masked-off lanes are neither
                // read nor able to fault.
                let (mut low, mut high) = unsafe {
                    if d == LANES {
                        (
                            _mm256_loadu_pd(row.as_ptr()),
                            _mm256_loadu_pd(row.as_ptr().add(4)),
                        )
                    } else {
                        (
                            _mm256_maskload_pd(row.as_ptr(), mask_low),
                            _mm256_maskload_pd(row.as_ptr().wrapping_add(4), mask_high),
                        )
                    }
                };
                if WEIGHTED {
                    low = _mm256_mul_pd(low, _mm256_set1_pd(weight));
                    high = _mm256_mul_pd(high, _mm256_set1_pd(weight));
                }
                let sum = &mut sums[best];
                let (s_low, s_high) = sum.split_at_mut(4);
                // SAFETY: each half is four f64 of `sum`.
                unsafe {
                    let added = _mm256_add_pd(_mm256_loadu_pd(s_low.as_ptr()), low);
                    _mm256_storeu_pd(s_low.as_mut_ptr(), added);
                    let added = _mm256_add_pd(_mm256_loadu_pd(s_high.as_ptr()), high);
                    _mm256_storeu_pd(s_high.as_mut_ptr(), added);
                }
                weights[best] += weight;
            }
        };
        let tiles = rows / ROWS;
        for tile in 0..tiles {
            let first = tile * ROWS;
            let x = &x[first * d..(first + ROWS) * d];
            let mut acc = [_mm256_setzero_pd(); K];
            for (a, &n) in acc.iter_mut().zip(&norms) {
                *a = _mm256_set1_pd(n);
            }
            if d == LANES {
                // Eight features: the four rows are two 4 x 4 blocks, transposed in registers
                // into one register per feature.
                for half in 0..2 {
                    let columns = super::transposed_half(x, half);
                    for (v, c) in columns.iter().zip(&centroids[half * 4..half * 4 + 4]) {
                        for (a, &c) in acc.iter_mut().zip(c) {
                            *a = _mm256_fmadd_pd(*v, _mm256_set1_pd(c), *a);
                        }
                    }
                }
            } else {
                for (j, c) in centroids.iter().enumerate() {
                    let v = _mm256_set_pd(x[3 * d + j], x[2 * d + j], x[d + j], x[j]);
                    for (a, &c) in acc.iter_mut().zip(c) {
                        *a = _mm256_fmadd_pd(v, _mm256_set1_pd(c), *a);
                    }
                }
            }
            let mut best = acc[0];
            let mut which = _mm256_setzero_pd();
            for (c, &a) in acc.iter().enumerate().skip(1) {
                let lower = _mm256_cmp_pd::<_CMP_LT_OQ>(a, best);
                best = _mm256_blendv_pd(best, a, lower);
                let index = _mm256_castsi256_pd(_mm256_set1_epi64x(c as i64));
                which = _mm256_blendv_pd(which, index, lower);
            }
            let (mut scores, mut winners) = ([0.0; ROWS], [0u64; ROWS]);
            // SAFETY: each array holds four 8-byte values.
            unsafe {
                _mm256_storeu_pd(scores.as_mut_ptr(), best);
                _mm256_storeu_pd(winners.as_mut_ptr().cast(), which);
            }
            for t in 0..ROWS {
                // The winners are centroid indices below K.
                step(first + t, (winners[t] as usize).min(K - 1), scores[t]);
            }
        }
        for i in tiles * ROWS..rows {
            let row = &x[i * d..(i + 1) * d];
            let mut acc = [0.0; K];
            for (a, &n) in acc.iter_mut().zip(&norms) {
                *a = n;
            }
            for (&v, c) in row.iter().zip(centroids) {
                for (a, &c) in acc.iter_mut().zip(c) {
                    *a = v.mul_add(c, *a);
                }
            }
            let (mut best, mut score) = (0, acc[0]);
            for (c, &a) in acc.iter().enumerate().skip(1) {
                if a < score {
                    (best, score) = (c, a);
                }
            }
            step(i, best, score);
        }
        partial.score = score;
        partial.changed += changed;
        if UPDATE {
            for c in 0..K {
                partial.sums[c * d..(c + 1) * d].copy_from_slice(&sums[c][..d]);
                partial.weights[c] = weights[c];
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lowest(scores: &[f64]) -> (usize, f64) {
        let mut low = _mm256_loadu_pd(scores[..4].as_ptr());
        let mut high = _mm256_loadu_pd(scores[4..8].as_ptr());
        for chunk in scores.chunks_exact(LANES).skip(1) {
            low = _mm256_min_pd(low, _mm256_loadu_pd(chunk[..4].as_ptr()));
            high = _mm256_min_pd(high, _mm256_loadu_pd(chunk[4..].as_ptr()));
        }
        let m = _mm256_min_pd(low, high);
        let m = _mm256_min_pd(m, _mm256_permute2f128_pd::<1>(m, m));
        let m = _mm256_min_pd(m, _mm256_permute_pd::<0b0101>(m));
        for (b, chunk) in scores.chunks_exact(LANES).enumerate() {
            let eq_low = _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_loadu_pd(chunk[..4].as_ptr()), m);
            let eq_high = _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_loadu_pd(chunk[4..].as_ptr()), m);
            let mask = _mm256_movemask_pd(eq_low) | (_mm256_movemask_pd(eq_high) << 4);
            if mask != 0 {
                return (
                    b * LANES + mask.trailing_zeros() as usize,
                    _mm256_cvtsd_f64(m),
                );
            }
        }
        (0, _mm256_cvtsd_f64(m))
    }
}

#[inline(always)]
fn assign_portable(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    partial: &mut Partial,
    update: bool,
) {
    by_weights_and_update!(assign_body, block, packed, labels, partial, update);
}

#[inline(always)]
fn assign_body<const WEIGHTED: bool, const UPDATE: bool>(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    partial: &mut Partial,
) {
    let d = packed.d;
    let width = packed.norms.len() * LANES;
    let mut scores = vec![0.0; TILE * width];
    let tiles = block.rows.chunks_exact(TILE * d);
    let rest = tiles.remainder();
    let mut row = 0;
    for tile in tiles {
        scores_of::<TILE>(tile, packed, &mut scores);
        for t in 0..TILE {
            let (best, score) = lowest(&scores[t * width..(t + 1) * width]);
            record::<WEIGHTED, UPDATE>(block, row + t, best, score, d, labels, partial);
        }
        row += TILE;
    }
    for single in rest.chunks_exact(d) {
        scores_of::<1>(single, packed, &mut scores);
        let (best, score) = lowest(&scores[..width]);
        record::<WEIGHTED, UPDATE>(block, row, best, score, d, labels, partial);
        row += 1;
    }
}

/// Scores of `R` rows against every centroid, row t's at `scores[t * width..]`.
#[inline(always)]
pub(crate) fn scores_of<const R: usize>(rows: &[f64], packed: &Packed, scores: &mut [f64]) {
    let d = packed.d;
    let width = packed.norms.len() * LANES;
    for (b, (block, norm)) in packed.blocks.chunks_exact(d).zip(&packed.norms).enumerate() {
        let mut acc = [*norm; R];
        for (j, c) in block.iter().enumerate() {
            for (t, a) in acc.iter_mut().enumerate() {
                let x = rows[t * d + j];
                for l in 0..LANES {
                    a[l] = x.mul_add(c[l], a[l]);
                }
            }
        }
        for (t, a) in acc.iter().enumerate() {
            scores[t * width + b * LANES..t * width + (b + 1) * LANES].copy_from_slice(a);
        }
    }
}

/// The lowest score and its centroid, ties to the lowest index as in scikit-learn. Branch-free
/// within a block: which centroid wins is unpredictable, and a mispredicted branch per comparison
/// costs more than the distances.
#[inline(always)]
pub(crate) fn lowest(scores: &[f64]) -> (usize, f64) {
    let mut low = [f64::INFINITY; LANES];
    for chunk in scores.chunks_exact(LANES) {
        for l in 0..LANES {
            low[l] = if chunk[l] < low[l] { chunk[l] } else { low[l] };
        }
    }
    let mut min = low[0];
    for &v in &low[1..] {
        min = if v < min { v } else { min };
    }
    for (b, chunk) in scores.chunks_exact(LANES).enumerate() {
        let mut mask = 0u32;
        for (l, &v) in chunk.iter().enumerate() {
            mask |= u32::from(v == min) << l;
        }
        if mask != 0 {
            return (b * LANES + mask.trailing_zeros() as usize, min);
        }
    }
    // Only when scores overflowed to NaN, which the callers' finiteness checks rule out.
    (0, min)
}

/// Labels `row` with `best` (counting a change) and adds its weighted `score`, in row order;
/// returns the row's weight. The one bookkeeping step of every assignment loop.
#[inline(always)]
fn mark<const WEIGHTED: bool>(
    block: &Block<'_>,
    labels: &mut [usize],
    row: usize,
    best: usize,
    score: f64,
    changed: &mut usize,
    total: &mut f64,
) -> f64 {
    let label = &mut labels[row];
    *changed += usize::from(*label != best);
    *label = best;
    let weight = if WEIGHTED {
        block.weights.map_or(1.0, |w| w[row])
    } else {
        1.0
    };
    *total += if WEIGHTED { weight * score } else { score };
    weight
}

#[inline(always)]
pub(crate) fn record<const WEIGHTED: bool, const UPDATE: bool>(
    block: &Block<'_>,
    row: usize,
    best: usize,
    score: f64,
    d: usize,
    labels: &mut [usize],
    partial: &mut Partial,
) {
    let weight = mark::<WEIGHTED>(
        block,
        labels,
        row,
        best,
        score,
        &mut partial.changed,
        &mut partial.score,
    );
    if UPDATE {
        let x = &block.rows[row * d..(row + 1) * d];
        let sums = &mut partial.sums[best * d..(best + 1) * d];
        for (s, &v) in sums.iter_mut().zip(x) {
            *s += if WEIGHTED { v * weight } else { v };
        }
        partial.weights[best] += weight;
    }
}

/// Hamerly's bounds for one row: an upper bound on the distance to its centroid and a lower
/// bound on the distance to every other centroid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) upper: f64,
    pub(crate) lower: f64,
}

/// What the bounded pass needs beyond the plain one.
pub(crate) struct Pruning<'a> {
    /// Raw centroids, row-major (for the exact distance that tightens an upper bound).
    pub(crate) centers: &'a [f64],
    /// The column means the packed centroids were built around.
    pub(crate) offset: &'a [f64],
    /// Half the distance from each centroid to its nearest other centroid.
    pub(crate) half_gap: &'a [f64],
    /// How far each centroid moved in the last update.
    pub(crate) moved: &'a [f64],
    /// The largest move, the centroid that made it, and the second largest.
    pub(crate) largest: (f64, usize, f64),
    /// Slack for rounding: a row is kept only when its bounds separate by more than this.
    pub(crate) margin: f64,
    /// Whether the bounds are valid (false on the first pass: every row is computed).
    pub(crate) warm: bool,
}

/// Lloyd's assignment with Hamerly's pruning: rows whose bounds prove their centroid is still
/// the nearest keep it without computing distances; the rest get the same scores, minimum and
/// tie rule as [`assign`]. The per-cluster sums are accumulated for every row in row order, so
/// the result equals [`assign`]'s bit for bit.
pub(crate) fn assign_bounded(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    bounds: &mut [Bounds],
    pruning: &Pruning<'_>,
    partial: &mut Partial,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA, checked on the line above.
            return unsafe { bounded_avx2(block, packed, labels, bounds, pruning, partial) };
        }
    }
    bounded_body(block, packed, labels, bounds, pruning, partial)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn bounded_avx2(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    bounds: &mut [Bounds],
    pruning: &Pruning<'_>,
    partial: &mut Partial,
) -> usize {
    bounded_body(block, packed, labels, bounds, pruning, partial)
}

/// Returns how many rows needed all their distances.
#[inline(always)]
fn bounded_body(
    block: &Block<'_>,
    packed: &Packed,
    labels: &mut [usize],
    bounds: &mut [Bounds],
    pruning: &Pruning<'_>,
    partial: &mut Partial,
) -> usize {
    let d = packed.d;
    let width = packed.norms.len() * LANES;
    let mut scores = vec![0.0; width];
    let mut computed = 0;
    for (row, (x, bound)) in block
        .rows
        .chunks_exact(d)
        .zip(bounds.iter_mut())
        .enumerate()
    {
        let label = labels[row];
        if pruning.warm {
            let (largest, which, second) = pruning.largest;
            bound.upper += pruning.moved[label];
            bound.lower -= if which == label { second } else { largest };
            let limit = bound.lower.max(pruning.half_gap[label]) - pruning.margin;
            if bound.upper >= limit {
                let center = &pruning.centers[label * d..(label + 1) * d];
                let squared: f64 = x.iter().zip(center).map(|(a, c)| (a - c) * (a - c)).sum();
                bound.upper = squared.sqrt() + pruning.margin;
            }
            if bound.upper < limit {
                let weight = block.weights.map_or(1.0, |w| w[row]);
                let xs = &mut partial.sums[label * d..(label + 1) * d];
                for (s, &v) in xs.iter_mut().zip(x) {
                    *s += if block.weights.is_some() {
                        v * weight
                    } else {
                        v
                    };
                }
                partial.weights[label] += weight;
                continue;
            }
        }
        computed += 1;
        scores_of::<1>(x, packed, &mut scores);
        let (best, score) = lowest(&scores);
        let mut second = f64::INFINITY;
        for (c, &v) in scores.iter().enumerate().take(packed.k) {
            if c != best && v < second {
                second = v;
            }
        }
        let own: f64 = x
            .iter()
            .zip(pruning.offset)
            .map(|(a, m)| (a - m) * (a - m))
            .sum();
        bound.upper = (own + score).max(0.0).sqrt();
        bound.lower = (own + second).max(0.0).sqrt();
        // The score sum is only needed by the plain pass's inertia path.
        let kept = partial.score;
        if block.weights.is_some() {
            record::<true, true>(block, row, best, score, d, labels, partial);
        } else {
            record::<false, true>(block, row, best, score, d, labels, partial);
        }
        partial.score = kept;
    }
    computed
}

/// Candidate centroids for one k-means++ step, at most [`LANES`] of them, feature-major.
pub(crate) struct Candidates {
    count: usize,
    d: usize,
    values: Vec<[f64; LANES]>,
}

impl Candidates {
    /// Packs the given rows of `data` (row-major, `d` columns) as candidates.
    pub(crate) fn new(data: &[f64], d: usize, rows: &[usize]) -> Candidates {
        let mut values = vec![[0.0; LANES]; d];
        for (l, &r) in rows.iter().enumerate().take(LANES) {
            for (j, v) in values.iter_mut().enumerate() {
                v[l] = data[r * d + j];
            }
        }
        Candidates {
            count: rows.len().min(LANES),
            d,
            values,
        }
    }
}

/// For each candidate t, the potential `sum_i w_i min(closest_i, |x_i - c_t|^2)` over a block of
/// rows, added to `potentials[t]`. Distances are computed directly (not through the expanded
/// form), so a row never looks closer than it is.
pub(crate) fn candidate_potentials(
    rows: &[f64],
    weights: Option<&[f64]>,
    closest: &[f64],
    candidates: &Candidates,
    potentials: &mut [f64; LANES],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            unsafe { potentials_avx2(rows, weights, closest, candidates, potentials) };
            return;
        }
    }
    potentials_body(rows, weights, closest, candidates, potentials);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn potentials_avx2(
    rows: &[f64],
    weights: Option<&[f64]>,
    closest: &[f64],
    candidates: &Candidates,
    potentials: &mut [f64; LANES],
) {
    potentials_body(rows, weights, closest, candidates, potentials);
}

#[inline(always)]
fn potentials_body(
    rows: &[f64],
    weights: Option<&[f64]>,
    closest: &[f64],
    candidates: &Candidates,
    potentials: &mut [f64; LANES],
) {
    // Up to four candidates (k-means++ draws 2 + ln k of them: four for k = 8 to 20) fit one
    // 4-wide register: half the work of eight lanes, with the same operations per lane.
    if candidates.count <= 4 {
        potentials_lanes::<4>(rows, weights, closest, candidates, potentials);
    } else {
        potentials_lanes::<LANES>(rows, weights, closest, candidates, potentials);
    }
    for p in potentials.iter_mut().skip(candidates.count) {
        *p = f64::INFINITY;
    }
}

#[inline(always)]
fn potentials_lanes<const W: usize>(
    rows: &[f64],
    weights: Option<&[f64]>,
    closest: &[f64],
    candidates: &Candidates,
    potentials: &mut [f64; LANES],
) {
    let d = candidates.d;
    // Two running sums, for even and odd rows, added at the end: two chains of adds instead of
    // one halve the wait on the adder.
    let mut sums = [[0.0; W]; 2];
    for (i, (row, &near)) in rows.chunks_exact(d).zip(closest).enumerate() {
        let mut acc = [0.0; W];
        for (&x, c) in row.iter().zip(&candidates.values) {
            for l in 0..W {
                let diff = x - c[l];
                acc[l] += diff * diff;
            }
        }
        let weight = weights.map_or(1.0, |w| w[i]);
        let sums = &mut sums[i % 2];
        for l in 0..W {
            let nearer = if acc[l] < near { acc[l] } else { near };
            sums[l] += weight * nearer;
        }
    }
    for l in 0..W {
        potentials[l] += sums[0][l] + sums[1][l];
    }
}

/// Lowers `closest` to the squared distance to candidate `which` where that is nearer.
pub(crate) fn lower_closest(
    rows: &[f64],
    closest: &mut [f64],
    candidates: &Candidates,
    which: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            unsafe { lower_closest_avx2(rows, closest, candidates, which) };
            return;
        }
    }
    lower_closest_body(rows, closest, candidates, which);
}

/// Features `4 * half .. 4 * half + 4` of a tile of four rows of eight features, one register
/// per feature with row t in lane t: the 4 x 4 block transposed in registers.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn transposed_half(tile: &[f64], half: usize) -> [std::arch::x86_64::__m256d; 4] {
    use std::arch::x86_64::{
        _mm256_loadu_pd, _mm256_permute2f128_pd, _mm256_unpackhi_pd, _mm256_unpacklo_pd,
    };
    let r = |t: usize| {
        let four = &tile[t * LANES + half * 4..t * LANES + half * 4 + 4];
        // SAFETY: `four` holds four f64 (the slice above is bounds-checked).
        unsafe { _mm256_loadu_pd(four.as_ptr()) }
    };
    let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
    let (u0, u1) = (_mm256_unpacklo_pd(r0, r1), _mm256_unpackhi_pd(r0, r1));
    let (u2, u3) = (_mm256_unpacklo_pd(r2, r3), _mm256_unpackhi_pd(r2, r3));
    [
        _mm256_permute2f128_pd::<0x20>(u0, u2),
        _mm256_permute2f128_pd::<0x20>(u1, u3),
        _mm256_permute2f128_pd::<0x31>(u0, u2),
        _mm256_permute2f128_pd::<0x31>(u1, u3),
    ]
}

/// Four rows at a time, one per lane (the candidate's values are the same for every lane; with
/// eight features the rows are transposed in registers), so each row's distance is the same
/// subtract, multiply and add in feature order as [`lower_closest_body`]'s, bit for bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lower_closest_avx2(
    rows: &[f64],
    closest: &mut [f64],
    candidates: &Candidates,
    which: usize,
) {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_min_pd, _mm256_mul_pd, _mm256_set1_pd,
        _mm256_set_pd, _mm256_setzero_pd, _mm256_storeu_pd, _mm256_sub_pd,
    };
    const R: usize = 4;
    let d = candidates.d;
    if d == 0 || d > LANES {
        lower_closest_body(rows, closest, candidates, which);
        return;
    }
    let mut center = [_mm256_setzero_pd(); LANES];
    for (c, v) in center.iter_mut().zip(&candidates.values) {
        *c = _mm256_set1_pd(v[which]);
    }
    let tiles = (rows.len() / d).min(closest.len()) / R;
    for tile in 0..tiles {
        let x = &rows[tile * R * d..(tile + 1) * R * d];
        let mut acc = _mm256_setzero_pd();
        let mut add = |v, c| {
            let diff = _mm256_sub_pd(v, c);
            acc = _mm256_add_pd(acc, _mm256_mul_pd(diff, diff));
        };
        if d == LANES {
            for half in 0..2 {
                let columns = transposed_half(x, half);
                for (v, &c) in columns.into_iter().zip(&center[half * 4..half * 4 + 4]) {
                    add(v, c);
                }
            }
        } else {
            for (j, &c) in center.iter().enumerate().take(d) {
                add(_mm256_set_pd(x[3 * d + j], x[2 * d + j], x[d + j], x[j]), c);
            }
        }
        let near = &mut closest[tile * R..(tile + 1) * R];
        // SAFETY: `near` holds four f64. `min(acc, near)` returns `near` on equality, as
        // `f64::min` keeps either (they are equal).
        unsafe {
            let lowered = _mm256_min_pd(acc, _mm256_loadu_pd(near.as_ptr()));
            _mm256_storeu_pd(near.as_mut_ptr(), lowered);
        }
    }
    let done = tiles * R;
    lower_closest_body(&rows[done * d..], &mut closest[done..], candidates, which);
}

/// Lowers each row's `closest` to its squared distance to candidate `which` where that is
/// nearer, the distance summed in feature order.
#[inline(always)]
fn lower_closest_body(rows: &[f64], closest: &mut [f64], candidates: &Candidates, which: usize) {
    let d = candidates.d;
    for (row, near) in rows.chunks_exact(d).zip(closest.iter_mut()) {
        let mut distance = 0.0;
        for (j, &x) in row.iter().enumerate() {
            let diff = x - candidates.values[j][which];
            distance += diff * diff;
        }
        *near = near.min(distance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label_of(row: &[f64], packed: &Packed) -> usize {
        let mut labels = vec![usize::MAX];
        let mut partial = Partial::zero(packed.k, packed.d);
        let block = Block {
            rows: row,
            weights: None,
        };
        assign(&block, packed, &mut labels, &mut partial, false);
        labels[0]
    }

    #[test]
    fn nearest_breaks_ties_towards_the_lowest_index_across_blocks() {
        // 17 identical centroids span three blocks; the row is equidistant from all.
        let offset = [0.0, 0.0];
        let centers = vec![1.0; 17 * 2];
        let packed = Packed::new(&centers, &offset, 17, 2);
        assert_eq!(label_of(&[0.0, 0.0], &packed), 0);
        let mut centers = vec![5.0; 17 * 2];
        centers[9 * 2] = 0.0;
        centers[9 * 2 + 1] = 0.0;
        centers[16 * 2] = 0.0;
        centers[16 * 2 + 1] = 0.0;
        let packed = Packed::new(&centers, &offset, 17, 2);
        assert_eq!(label_of(&[0.1, 0.0], &packed), 9);
    }

    /// Runs one build of the assignment and returns what it found.
    fn run_build(
        build: usize,
        block: &Block<'_>,
        packed: &Packed,
        n: usize,
        update: bool,
    ) -> Option<(Vec<usize>, Partial)> {
        let mut labels = vec![usize::MAX; n];
        let mut partial = Partial::zero(packed.k, packed.d);
        match build {
            0 => assign_portable(block, packed, &mut labels, &mut partial, update),
            #[cfg(target_arch = "x86_64")]
            1 if has_avx2_fma() => {
                // SAFETY: the CPU supports AVX2 and FMA, checked on the line above.
                unsafe { assign_avx2(block, packed, &mut labels, &mut partial, update) }
            }
            #[cfg(target_arch = "x86_64")]
            2 if has_avx512() => {
                // SAFETY: the CPU supports AVX-512F, AVX2 and FMA, checked on the line above.
                unsafe { assign_avx512(block, packed, &mut labels, &mut partial, update) }
            }
            3 => assign(block, packed, &mut labels, &mut partial, update),
            _ => return None,
        }
        Some((labels, partial))
    }

    #[test]
    fn portable_and_simd_builds_agree_bit_for_bit() {
        // k = 5 and 8 take the single-register path of the AVX-512 build, 11 and 17 the
        // blocked one; 101 and 7 rows leave remainders after the tiles of 4 and 8 rows.
        // The AVX2 build has a rows-in-lanes loop for k <= 8 and d <= 8 (transposed in
        // registers when d = 8); the last case repeats centroids, so ties must go to the lowest.
        for (k, d, n) in [
            (5, 8, 101),
            (8, 3, 7),
            (11, 3, 101),
            (17, 9, 45),
            (1, 4, 9),
            (2, 8, 33),
            (8, 8, 64),
            (3, 5, 23),
            (6, 8, 30),
        ] {
            let rows: Vec<f64> = (0..n * d).map(|i| ((i * 37 % 101) as f64).sin()).collect();
            let mut centers: Vec<f64> = (0..k * d).map(|i| ((i * 13) as f64).cos()).collect();
            if k == 6 {
                // Centroids 2 and 4 equal 1: every row near them is a three-way tie.
                for c in [2, 4] {
                    let first = centers[d..2 * d].to_vec();
                    centers[c * d..(c + 1) * d].copy_from_slice(&first);
                }
            }
            let offset: Vec<f64> = (0..d).map(|j| 0.1 * j as f64 - 0.2).collect();
            let packed = Packed::new(&centers, &offset, k, d);
            let weights: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
            for w in [None, Some(&weights[..])] {
                let block = Block {
                    rows: &rows,
                    weights: w,
                };
                for update in [false, true] {
                    let (labels, reference) = run_build(0, &block, &packed, n, update).unwrap();
                    for build in 1..=3 {
                        let Some((other, partial)) = run_build(build, &block, &packed, n, update)
                        else {
                            continue;
                        };
                        assert_eq!(labels, other, "build {build}, k {k}");
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&reference.sums), bits(&partial.sums));
                        assert_eq!(bits(&reference.weights), bits(&partial.weights));
                        assert_eq!(reference.score.to_bits(), partial.score.to_bits());
                        assert_eq!(reference.changed, partial.changed);
                    }
                }
            }
        }
    }
}
