//! Order statistics of integer values with ties broken by position, in linear time.
//!
//! Quantile scoring needs the few elements at the bin edges, not a full order: a histogram of
//! the top 16 bits of each value finds the bucket holding each wanted rank, and only those
//! buckets are looked at again (recursively, 16 bits at a time, or sorted once they are
//! small). Every other element is only counted, so scoring a million customers reads their
//! values a handful of times and sorts nothing large.

/// An element of the stable order of the values: (value, position).
pub(crate) type Ranked = (i64, u32);

/// Buckets of at most this many elements are sorted instead of split again.
const SMALL: usize = 2048;
/// Bits of a value looked at per histogram pass.
const DIGIT: u32 = 16;

/// For each of `ranks` (0-based places in the order of (value, position)), the element at that
/// place. Positions are `u32`, as customer ids are; at most 254 ranks are asked for at once
/// (scoring asks for at most 22).
///
/// (Tests use this; scoring calls [`select_in`] with the extremes it already has.)
///
/// # Panics
/// Never for `ranks` below `values.len()` (callers guarantee it); a rank past the end panics on
/// an index.
#[cfg(test)]
pub(crate) fn select(values: &[i64], ranks: &[usize]) -> Vec<Ranked> {
    let Some((min, max)) = min_max(values) else {
        return Vec::new();
    };
    select_in(values, min, max, ranks)
}

/// The smallest and largest of `values`, `None` when there are none.
pub(crate) fn min_max(values: &[i64]) -> Option<(i64, i64)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// [`select`] with the smallest and largest value already known.
pub(crate) fn select_in(values: &[i64], min: i64, max: i64, ranks: &[usize]) -> Vec<Ranked> {
    if ranks.is_empty() || values.is_empty() {
        return Vec::new();
    }
    debug_assert!(ranks.len() < usize::from(u8::MAX));
    // Keys are offsets from the minimum: `v - min` fits in a u64 whatever the i64 values.
    let item = |i: usize| (values[i].wrapping_sub(min) as u64, i as u32);
    select_keys(values.len(), item, max.wrapping_sub(min) as u64, ranks)
        .into_iter()
        .map(|(key, position)| (min.wrapping_add(key as i64), position))
        .collect()
}

/// The elements at `ranks` among `len` items `(key, position)` in position order, whose keys
/// are at most `range`.
fn select_keys(
    len: usize,
    item: impl Fn(usize) -> (u64, u32),
    range: u64,
    ranks: &[usize],
) -> Vec<(u64, u32)> {
    if len <= SMALL {
        let mut all: Vec<(u64, u32)> = (0..len).map(&item).collect();
        all.sort_unstable();
        return ranks.iter().map(|&r| all[r]).collect();
    }
    if range < 1 << DIGIT {
        return select_exact(len, item, range as usize, ranks);
    }
    // Buckets of the top DIGIT bits of the key.
    let shift = 64 - range.leading_zeros() - DIGIT;
    let starts = prefix_counts(len, |i| (item(i).0 >> shift) as usize, 1 << DIGIT);
    // The bucket of each rank, and the distinct buckets wanted (at most one per rank).
    let bucket_of = |r: usize| starts.partition_point(|&s| s as usize <= r) - 1;
    let mut wanted: Vec<usize> = ranks.iter().map(|&r| bucket_of(r)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut slot_of = vec![u8::MAX; 1 << DIGIT];
    for (slot, &b) in wanted.iter().enumerate() {
        slot_of[b] = slot as u8;
    }
    // The members of each wanted bucket, still in position order.
    let low_bits = (1u64 << shift) - 1;
    let mut members: Vec<Vec<(u64, u32)>> = wanted
        .iter()
        .map(|&b| Vec::with_capacity((starts[b + 1] - starts[b]) as usize))
        .collect();
    for i in 0..len {
        let (key, position) = item(i);
        let slot = slot_of[(key >> shift) as usize];
        if slot != u8::MAX {
            // Keys relative to the bucket's start: the next level sees a range of 2^shift.
            members[usize::from(slot)].push((key & low_bits, position));
        }
    }
    let mut out = vec![(0, 0); ranks.len()];
    for (slot, &b) in wanted.iter().enumerate() {
        let inside: Vec<(usize, usize)> = ranks
            .iter()
            .enumerate()
            .filter(|&(_, &r)| bucket_of(r) == b)
            .map(|(k, &r)| (k, r - starts[b] as usize))
            .collect();
        let local: Vec<usize> = inside.iter().map(|&(_, r)| r).collect();
        let bucket = &members[slot];
        let base = (b as u64) << shift;
        let found = select_pairs(bucket, low_bits, &local);
        for (&(k, _), (key, position)) in inside.iter().zip(found) {
            out[k] = (key + base, position);
        }
    }
    out
}

/// `select_keys` over items already gathered (one concrete type, so the recursion is finite).
fn select_pairs(items: &[(u64, u32)], range: u64, ranks: &[usize]) -> Vec<(u64, u32)> {
    select_keys(items.len(), |i| items[i], range, ranks)
}

/// `select_keys` when every key has a bucket of its own: the histogram gives each rank's key,
/// and one pass finds the position of the wanted occurrence of each such key.
fn select_exact(
    len: usize,
    item: impl Fn(usize) -> (u64, u32),
    range: usize,
    ranks: &[usize],
) -> Vec<(u64, u32)> {
    let starts = prefix_counts(len, |i| item(i).0 as usize, range + 1);
    // (key, occurrence among equal keys in position order) of each rank.
    let targets: Vec<(u64, u32)> = ranks
        .iter()
        .map(|&r| {
            let key = starts.partition_point(|&s| s as usize <= r) - 1;
            (key as u64, (r - starts[key] as usize) as u32)
        })
        .collect();
    // Targets in (key, occurrence) order: each distinct key owns a run of them.
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_unstable_by_key(|&k| targets[k]);
    let mut distinct: Vec<u64> = order.iter().map(|&k| targets[k].0).collect();
    distinct.dedup();
    // Every other key shares the idle slot, whose next wanted occurrence never comes, so the
    // loop below has one rarely taken branch.
    let idle = distinct.len();
    let mut slot_of = vec![idle as u8; range + 1];
    for (d, &key) in distinct.iter().enumerate() {
        slot_of[key as usize] = d as u8;
    }
    let run_start = |d: usize| order.partition_point(|&k| targets[k].0 < distinct[d]);
    let mut next: Vec<usize> = (0..idle).map(run_start).collect();
    let wanted = |at: usize, d: usize| {
        order
            .get(at)
            .filter(|&&k| d < idle && targets[k].0 == distinct[d])
            .map_or(u64::MAX, |&k| u64::from(targets[k].1))
    };
    let mut next_occurrence: Vec<u64> = (0..=idle)
        .map(|d| {
            if d < idle {
                wanted(next[d], d)
            } else {
                u64::MAX
            }
        })
        .collect();
    let mut seen = vec![0u64; idle + 1];
    let mut out = vec![(0, 0); ranks.len()];
    let mut missing = ranks.len();
    for i in 0..len {
        let (key, position) = item(i);
        let d = usize::from(slot_of[key as usize]);
        let occurrence = seen[d];
        seen[d] += 1;
        if occurrence == next_occurrence[d] {
            while wanted(next[d], d) == occurrence {
                out[order[next[d]]] = (key, position);
                next[d] += 1;
                missing -= 1;
            }
            next_occurrence[d] = wanted(next[d], d);
            if missing == 0 {
                break;
            }
        }
    }
    out
}

/// `starts[b]`: how many of the `len` items fall in buckets below `b`; `buckets + 1` entries.
fn prefix_counts(len: usize, bucket: impl Fn(usize) -> usize, buckets: usize) -> Vec<u32> {
    let mut starts = vec![0u32; buckets + 1];
    for i in 0..len {
        starts[bucket(i) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    starts
}

/// Scores by cut points, one table lookup per element: an element `(v, i)` (value, position)
/// passes cut `(cv, cp)` when `(v, i) >= (cv, cp)` in lexicographic order (a place of
/// `u32::MAX + 1` makes the cut "v > cv"), and its bin is `base` + the cuts it passes.
///
/// A table over the top 16 bits of `v - min` holds the cuts passed by each bucket. When every
/// value has a bucket of its own, the table is exact, and a cut's own value starts to pass it
/// at the cut's place, so elements are visited in runs between cut places with the table
/// updated in between. Otherwise buckets holding a cut are marked, and only their elements are
/// compared with the cuts one by one.
pub(crate) struct Bucketizer {
    min: i64,
    shift: u32,
    /// Per bucket: the cuts passed, or `FINE` for a coarse bucket a cut falls inside.
    table: Vec<u8>,
    cuts: Vec<(i64, u64)>,
    base: usize,
}

const FINE: u8 = u8::MAX;

impl Bucketizer {
    /// A bucketizer for values in `[min, max]`.
    pub(crate) fn new(min: i64, max: i64, mut cuts: Vec<(i64, u64)>, base: usize) -> Self {
        let range = max.wrapping_sub(min) as u64;
        let shift = (64 - range.leading_zeros()).saturating_sub(DIGIT);
        let buckets = (range >> shift) as usize + 1;
        // Cuts below every value are passed by all, cuts above every value by none.
        let below = cuts.iter().filter(|&&(cv, _)| cv < min).count();
        cuts.retain(|&(cv, _)| (min..=max).contains(&cv));
        cuts.sort_unstable();
        let bucket_of = |cv: i64| (cv.wrapping_sub(min) as u64 >> shift) as usize;
        let mut table = vec![0u8; buckets];
        let mut next = 0;
        for (b, entry) in table.iter_mut().enumerate() {
            let passed = next;
            let mut from_start = 0;
            while next < cuts.len() && bucket_of(cuts[next].0) == b {
                from_start += usize::from(cuts[next].1 == 0);
                next += 1;
            }
            *entry = if shift == 0 {
                // Exact: the bucket is one value; its cuts with place 0 pass from the start.
                (passed + from_start) as u8
            } else if next > passed {
                FINE
            } else {
                passed as u8
            };
        }
        Bucketizer {
            min,
            shift,
            table,
            cuts,
            base: base + below,
        }
    }

    #[inline]
    fn bucket(&self, v: i64) -> usize {
        (v.wrapping_sub(self.min) as u64 >> self.shift) as usize
    }

    /// The bin of `values[i]`, mapped through `label` (bins start at 1), written to `out[i]`.
    pub(crate) fn assign(&self, values: &[i64], label: &[u8], out: &mut [u8]) {
        if self.shift > 0 {
            for (i, (&v, slot)) in values.iter().zip(out.iter_mut()).enumerate() {
                let entry = self.table[self.bucket(v)];
                let passed = if entry == FINE {
                    let place = i as u64;
                    self.cuts
                        .iter()
                        .filter(|&&(cv, cp)| v > cv || (v == cv && place >= cp))
                        .count()
                } else {
                    usize::from(entry)
                };
                *slot = label[self.base + passed];
            }
            return;
        }
        // Exact table: runs between the places where a cut starts to pass its own value.
        let mut table = self.table.clone();
        let mut turns: Vec<(usize, usize)> = self
            .cuts
            .iter()
            .filter(|&&(_, cp)| cp > 0 && cp < values.len() as u64)
            .map(|&(cv, cp)| (cp as usize, self.bucket(cv)))
            .collect();
        turns.sort_unstable();
        turns.push((values.len(), usize::MAX));
        let labels: Vec<u8> = label.iter().skip(self.base).copied().collect();
        let mut start = 0;
        for (place, bucket) in turns {
            for (&v, slot) in values[start..place].iter().zip(&mut out[start..place]) {
                *slot = labels[usize::from(table[self.bucket(v)])];
            }
            if let Some(entry) = table.get_mut(bucket) {
                *entry += 1;
            }
            start = place;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRng;

    fn by_sorting(values: &[i64], ranks: &[usize]) -> Vec<Ranked> {
        let mut all: Vec<Ranked> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i as u32))
            .collect();
        all.sort_unstable();
        ranks.iter().map(|&r| all[r]).collect()
    }

    #[test]
    fn selection_equals_a_full_sort() {
        let mut rng = SeededRng::new(11);
        // Small and large ranges, heavy ties, skew, extremes of i64, sizes around SMALL.
        for case in 0..60u64 {
            let n = [1, 7, 2048, 2049, 5000, 70_000][case as usize % 6];
            let values: Vec<i64> = (0..n)
                .map(|_| {
                    let u = rng.next_u64();
                    match case % 5 {
                        0 => (u % 7) as i64,
                        1 => (u % 1_000_000) as i64 - 500_000,
                        2 => u as i64,
                        3 => {
                            if u.is_multiple_of(1000) {
                                i64::MAX - (u % 3) as i64
                            } else {
                                i64::MIN + (u % 50) as i64
                            }
                        }
                        _ => ((u % 40_000) * (u % 40_000)) as i64,
                    }
                })
                .collect();
            let mut ranks: Vec<usize> = (0..9).map(|k| (k * n) / 9).collect();
            ranks.push(n - 1);
            ranks.push(rng.next_u64() as usize % n);
            ranks.push(ranks[3]);
            assert_eq!(
                select(&values, &ranks),
                by_sorting(&values, &ranks),
                "case {case}"
            );
        }
    }

    #[test]
    fn nothing_asked_nothing_found() {
        assert!(select(&[], &[]).is_empty());
        assert!(select(&[3, 1], &[]).is_empty());
    }
}
