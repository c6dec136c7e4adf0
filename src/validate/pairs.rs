//! The all-pairs loop of the exact silhouette: for every row, the sum of its Euclidean distances
//! to the rows of each segment.
//!
//! Each unordered pair is visited once (the distance counts for both rows), rows are sorted by
//! segment and packed four to a block, feature-major, so one 4-wide register holds a feature of
//! four rows of the same segment. For a block `J` every earlier row `i` is compared with its four
//! rows at once: the four distances go to `i`'s running sum for `J`'s segment and to `J`'s
//! running sums for `i`'s segment. Memory is O(n (k + d)); nothing of size n x n is stored.
//!
//! Like the k-means kernel, the loop is written twice, portably over lane arrays and with explicit
//! AVX2 + FMA intrinsics selected at run time; every lane performs the same operations in the
//! same order in both (`fma` in feature order, a correctly rounded square root), so the results
//! are bit-identical (a unit test checks).
#![allow(unsafe_code)]

/// Rows compared at once with one row.
const LANES: usize = 4;

/// Rows sorted by segment, with each segment's rows packed in blocks of [`LANES`].
struct Packed {
    /// Sorted rows, row-major.
    rows: Vec<f64>,
    /// Sorted position -> original row.
    original: Vec<usize>,
    /// First sorted position of each segment, and n at the end.
    starts: Vec<usize>,
    /// `d` lane arrays per block; padding lanes are 0 and masked out.
    blocks: Vec<[f64; LANES]>,
    /// First sorted position, number of real rows and segment of each block.
    block_first: Vec<usize>,
    block_len: Vec<usize>,
    block_segment: Vec<usize>,
}

impl Packed {
    fn new(rows: &[f64], d: usize, labels: &[usize], sizes: &[usize]) -> Packed {
        let (n, k) = (labels.len(), sizes.len());
        let mut starts = Vec::with_capacity(k + 1);
        let mut at = 0;
        for &size in sizes {
            starts.push(at);
            at += size;
        }
        starts.push(n);
        let mut next = starts.clone();
        let mut original = vec![0; n];
        for (i, &l) in labels.iter().enumerate() {
            original[next[l]] = i;
            next[l] += 1;
        }
        let mut sorted = Vec::with_capacity(n * d);
        for &i in &original {
            sorted.extend_from_slice(&rows[i * d..(i + 1) * d]);
        }
        let mut blocks = Vec::new();
        let (mut block_first, mut block_len, mut block_segment) =
            (Vec::new(), Vec::new(), Vec::new());
        for c in 0..k {
            let mut first = starts[c];
            while first < starts[c + 1] {
                let len = (starts[c + 1] - first).min(LANES);
                let base = blocks.len();
                blocks.resize(base + d, [0.0; LANES]);
                for lane in 0..len {
                    for j in 0..d {
                        blocks[base + j][lane] = sorted[(first + lane) * d + j];
                    }
                }
                block_first.push(first);
                block_len.push(len);
                block_segment.push(c);
                first += len;
            }
        }
        Packed {
            rows: sorted,
            original,
            starts,
            blocks,
            block_first,
            block_len,
            block_segment,
        }
    }
}

/// Pieces the pair loop is cut into, by contiguous ranges of blocks of about equal work. The cut
/// does not depend on the number of threads, and the pieces' sums are added in piece order, so
/// the serial and `parallel` builds give the same bits.
const PIECES: usize = 8;

/// For each row (original order), the sum of its distances to the rows of each segment: row `i`,
/// segment `c` at `i * k + c`. A row's distance to itself is not counted (it is 0).
///
/// `rows` holds n finite rows of `d` values; `labels` are dense `0..k` and `sizes` their counts.
/// Memory: the sorted copy (n d), and n k sums per piece in flight (one serially, up to
/// [`PIECES`] with the `parallel` feature).
pub(crate) fn distance_sums(rows: &[f64], d: usize, labels: &[usize], sizes: &[usize]) -> Vec<f64> {
    let packed = Packed::new(rows, d, labels, sizes);
    let (n, k) = (labels.len(), sizes.len());
    // Block b compares with block_first[b] earlier rows; cut where the running work crosses
    // each 1/PIECES of the total.
    let total: f64 = packed.block_first.iter().map(|&f| f as f64 + 1.0).sum();
    let mut cuts = vec![0];
    let mut work = 0.0;
    for (b, &first) in packed.block_first.iter().enumerate() {
        work += first as f64 + 1.0;
        if work >= total * cuts.len() as f64 / PIECES as f64 && cuts.len() < PIECES {
            cuts.push(b + 1);
        }
    }
    cuts.push(packed.block_first.len());
    cuts.dedup();
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let mut sums = vec![0.0; n * k];
    let add = |sums: &mut Vec<f64>, piece: Vec<f64>| {
        for (s, p) in sums.iter_mut().zip(piece) {
            *s += p;
        }
    };
    // Pieces are summed in order whatever the thread count.
    let pieces: Vec<Vec<f64>> =
        crate::engine::par::map(ranges, |(from, to)| piece_sums(&packed, d, k, from, to));
    for piece in pieces {
        add(&mut sums, piece);
    }
    // Back to the caller's row order.
    let mut out = vec![0.0; n * k];
    for (position, &i) in packed.original.iter().enumerate() {
        out[i * k..(i + 1) * k].copy_from_slice(&sums[position * k..(position + 1) * k]);
    }
    out
}

/// The sums (sorted order) from the pairs of blocks `from..to` with every earlier row.
fn piece_sums(packed: &Packed, d: usize, k: usize, from: usize, to: usize) -> Vec<f64> {
    let n = packed.original.len();
    let mut sums = vec![0.0; n * k];
    let mut row_acc = vec![[0.0; LANES]; n];
    for block in from..to {
        let segment = packed.block_segment[block];
        let first = packed.block_first[block];
        let len = packed.block_len[block];
        let lanes = &packed.blocks[block * d..(block + 1) * d];
        let mut keep = [0u64; LANES];
        for slot in keep.iter_mut().take(len) {
            *slot = u64::MAX;
        }
        // Every earlier row, one segment run at a time, so the block's column sums can be
        // credited to that segment.
        for earlier in 0..=segment {
            let start = packed.starts[earlier];
            let end = packed.starts[earlier + 1].min(first);
            if start >= end {
                continue;
            }
            let column = run(
                &packed.rows[start * d..end * d],
                d,
                lanes,
                keep,
                &mut row_acc[start..end],
            );
            for (lane, value) in column.iter().enumerate().take(len) {
                sums[(first + lane) * k + earlier] += value;
            }
        }
        // Pairs inside the block.
        for a in 0..len {
            for b in a + 1..len {
                let p = &packed.rows[(first + a) * d..(first + a + 1) * d];
                let q = &packed.rows[(first + b) * d..(first + b + 1) * d];
                let distance = distance(p, q);
                sums[(first + a) * k + segment] += distance;
                sums[(first + b) * k + segment] += distance;
            }
        }
        // The rows compared so far have their sums for this segment complete (within the
        // piece) when the next block starts another segment or the piece ends.
        if block + 1 == to || packed.block_segment[block + 1] != segment {
            for (i, acc) in row_acc[..first].iter_mut().enumerate() {
                sums[i * k + segment] += (acc[0] + acc[1]) + (acc[2] + acc[3]);
                *acc = [0.0; LANES];
            }
        }
    }
    sums
}

/// Partial sums of squares kept apart, so the chain of dependent fused multiply-adds is a quarter
/// as long: feature `j` goes to partial `j % 4`.
const PARTIALS: usize = 4;

/// The Euclidean distance with the lane loop's operations: feature `j`'s square goes to partial
/// `j % 4` (a product first, then `fma`), the partials are added as `(p0 + p1) + (p2 + p3)`, then
/// `sqrt`.
fn distance(p: &[f64], q: &[f64]) -> f64 {
    let mut partial = [0.0; PARTIALS];
    for (j, (a, b)) in p.iter().zip(q).enumerate() {
        let diff = a - b;
        let t = j % PARTIALS;
        partial[t] = if j < PARTIALS {
            diff * diff
        } else {
            diff.mul_add(diff, partial[t])
        };
    }
    combine(partial, p.len(), |a, b| a + b).sqrt()
}

/// `(p0 + p1) + (p2 + p3)` over the partials that `d` features fill.
#[inline(always)]
fn combine<T: Copy>(p: [T; PARTIALS], d: usize, add: impl Fn(T, T) -> T) -> T {
    match d {
        0 | 1 => p[0],
        2 => add(p[0], p[1]),
        3 => add(add(p[0], p[1]), p[2]),
        _ => add(add(p[0], p[1]), add(p[2], p[3])),
    }
}

/// Distances from each of `rows` to the four lanes of `lanes`: added to that row's accumulator,
/// and summed per lane (returned). Lanes whose `keep` mask is 0 contribute 0.
fn run(
    rows: &[f64],
    d: usize,
    lanes: &[[f64; LANES]],
    keep: [u64; LANES],
    row_acc: &mut [[f64; LANES]],
) -> [f64; LANES] {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::engine::kernel::has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA, checked on the line above.
            return unsafe { avx2::run(rows, d, lanes, keep, row_acc) };
        }
    }
    run_portable(rows, d, lanes, keep, row_acc)
}

fn run_portable(
    rows: &[f64],
    d: usize,
    lanes: &[[f64; LANES]],
    keep: [u64; LANES],
    row_acc: &mut [[f64; LANES]],
) -> [f64; LANES] {
    let mut column = [0.0; LANES];
    for (row, acc) in rows.chunks_exact(d).zip(row_acc) {
        let mut partial = [[0.0; LANES]; PARTIALS];
        for (j, (&x, lane)) in row.iter().zip(lanes).enumerate() {
            let t = j % PARTIALS;
            for l in 0..LANES {
                let diff = x - lane[l];
                partial[t][l] = if j < PARTIALS {
                    diff * diff
                } else {
                    diff.mul_add(diff, partial[t][l])
                };
            }
        }
        let squared: [f64; LANES] =
            std::array::from_fn(|l| combine(partial.map(|p| p[l]), d, |a, b| a + b));
        for l in 0..LANES {
            let value = f64::from_bits(squared[l].sqrt().to_bits() & keep[l]);
            acc[l] += value;
            column[l] += value;
        }
    }
    column
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_and_pd, _mm256_broadcast_sd, _mm256_castsi256_pd, _mm256_fmadd_pd,
        _mm256_loadu_pd, _mm256_loadu_si256, _mm256_mul_pd, _mm256_setzero_pd, _mm256_sqrt_pd,
        _mm256_storeu_pd, _mm256_sub_pd,
    };

    use super::{combine, LANES, PARTIALS};

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run(
        rows: &[f64],
        d: usize,
        lanes: &[[f64; LANES]],
        keep: [u64; LANES],
        row_acc: &mut [[f64; LANES]],
    ) -> [f64; LANES] {
        match d {
            1 => fixed::<1>(rows, d, lanes, keep, row_acc),
            2 => fixed::<2>(rows, d, lanes, keep, row_acc),
            3 => fixed::<3>(rows, d, lanes, keep, row_acc),
            4 => fixed::<4>(rows, d, lanes, keep, row_acc),
            5 => fixed::<5>(rows, d, lanes, keep, row_acc),
            6 => fixed::<6>(rows, d, lanes, keep, row_acc),
            7 => fixed::<7>(rows, d, lanes, keep, row_acc),
            8 => fixed::<8>(rows, d, lanes, keep, row_acc),
            _ => fixed::<0>(rows, d, lanes, keep, row_acc),
        }
    }

    /// `d = D` (1 to 8): the block's features stay in registers across rows; `D = 0`: `d` is
    /// read at run time and the features are loaded from the block each time.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fixed<const D: usize>(
        rows: &[f64],
        d: usize,
        lanes: &[[f64; LANES]],
        keep: [u64; LANES],
        row_acc: &mut [[f64; LANES]],
    ) -> [f64; LANES] {
        let d = if D == 0 { d } else { D };
        let mut block = [_mm256_setzero_pd(); D];
        for (reg, lane) in block.iter_mut().zip(lanes) {
            *reg = _mm256_loadu_pd(lane.as_ptr());
        }
        let mask = _mm256_castsi256_pd(_mm256_loadu_si256(keep.as_ptr().cast()));
        let mut column = _mm256_setzero_pd();
        for (row, acc) in rows.chunks_exact(d).zip(row_acc.iter_mut()) {
            let mut partial = [_mm256_setzero_pd(); PARTIALS];
            for (j, (x, lane)) in row.iter().zip(lanes).enumerate().take(d) {
                let feature = if D == 0 {
                    _mm256_loadu_pd(lane.as_ptr())
                } else {
                    block[j]
                };
                let diff = _mm256_sub_pd(_mm256_broadcast_sd(x), feature);
                let t = j % PARTIALS;
                partial[t] = if j < PARTIALS {
                    _mm256_mul_pd(diff, diff)
                } else {
                    _mm256_fmadd_pd(diff, diff, partial[t])
                };
            }
            let squared = combine(partial, d, |a, b| _mm256_add_pd(a, b));
            let value = _mm256_and_pd(_mm256_sqrt_pd(squared), mask);
            let sum = _mm256_add_pd(_mm256_loadu_pd(acc.as_ptr()), value);
            _mm256_storeu_pd(acc.as_mut_ptr(), sum);
            column = _mm256_add_pd(column, value);
        }
        let mut out = [0.0; LANES];
        _mm256_storeu_pd(out.as_mut_ptr(), column);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(rows: &[f64], d: usize, labels: &[usize], k: usize) -> Vec<f64> {
        let n = labels.len();
        let mut sums = vec![0.0; n * k];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let p = &rows[i * d..(i + 1) * d];
                    let q = &rows[j * d..(j + 1) * d];
                    let squared: f64 = p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                    sums[i * k + labels[j]] += squared.sqrt();
                }
            }
        }
        sums
    }

    #[test]
    fn sums_match_the_naive_double_loop_and_both_builds_agree() {
        for d in [1, 3, 8, 11] {
            let n = 23;
            let rows: Vec<f64> = (0..n * d)
                .map(|v| ((v * 37 % 19) as f64) * 0.5 - 3.0)
                .collect();
            let labels: Vec<usize> = (0..n).map(|i| (i * 7 % 5) % 3).collect();
            let mut sizes = vec![0; 3];
            for &l in &labels {
                sizes[l] += 1;
            }
            let fast = distance_sums(&rows, d, &labels, &sizes);
            let slow = naive(&rows, d, &labels, 3);
            for (a, b) in fast.iter().zip(&slow) {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "d={d}: {a} vs {b}"
                );
            }
            let lanes = [[1.0, 2.0, -1.5, 0.0]; 11];
            let keep = [u64::MAX, u64::MAX, u64::MAX, 0];
            let mut acc_a = vec![[0.0; LANES]; n];
            let mut acc_b = acc_a.clone();
            let a = run(&rows, d, &lanes[..d], keep, &mut acc_a);
            let b = run_portable(&rows, d, &lanes[..d], keep, &mut acc_b);
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
            assert_eq!(acc_a, acc_b);
        }
    }
}
