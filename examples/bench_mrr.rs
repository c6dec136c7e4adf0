//! MRR movements for many customers x 36 months, timed, with a checksum the pandas script
//! `benches/peers/mrr_movements_pandas.py` prints for the same data.
//!
//! `cargo run --release --example bench_mrr -- 1000000` (customers; default 1,000,000).
//! Both sides build the same records from one integer formula, so no data file is shared.

use std::time::Instant;

use saas_segmentation::economics::{MrrMovements, MrrParams};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::records::MrrRecord;
use saas_segmentation::{CustomerId, Date};

/// The dense id at position `i`.
fn dense_id(i: usize) -> CustomerId {
    saas_segmentation::ids::DenseCustomers::new(u32::MAX as usize)
        .id(i)
        .expect("in range")
}

const MONTHS: u64 = 36;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Customer c's MRR in month m, 0 when it does not pay (then no row is written).
fn mrr(c: u64, m: u64) -> f64 {
    let h = splitmix(c);
    let start = h % 24;
    let length = (h >> 8) % 40 + 1;
    if m < start || m >= start + length {
        return 0.0;
    }
    if (h >> 40).is_multiple_of(7) && m == start + 3 {
        return 0.0; // a pause: churn, then reactivation
    }
    let base = 50.0 * (1 + (h >> 16) % 20) as f64;
    let steps = ((m - start) / 6) as f64;
    let growth = ((h >> 24) % 3) as f64;
    let level = base * (1.0 + 0.25 * steps * growth);
    if (h >> 32).is_multiple_of(5) && m - start >= 12 {
        level / 2.0
    } else {
        level
    }
}

fn main() {
    let customers: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let first = Date::from_ymd(2022, 1, 1).expect("date");
    let months: Vec<Date> = (0..MONTHS)
        .map(|m| first.add_months(m as i64).expect("date"))
        .collect();
    let mut records = Vec::new();
    for c in 0..customers {
        for m in 0..MONTHS {
            let v = mrr(c, m);
            if v > 0.0 {
                records.push(MrrRecord::new(dense_id(c as usize), months[m as usize], v));
            }
        }
    }
    let lookup = DenseCustomers::new(customers as usize);
    let params = MrrParams::new(months[MONTHS as usize - 1]);
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..5 {
        let t = Instant::now();
        result = Some(MrrMovements::compute(&lookup, &records, &params).expect("valid"));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let moves = result.expect("ran");
    let checksum: f64 = moves
        .months()
        .iter()
        .map(|m| m.new + m.expansion + m.contraction + m.churn + m.reactivation)
        .sum();
    println!(
        "saas-segmentation MRR movements: {} rows, {customers} customers, median {:.3} s (min {:.3}), checksum {checksum:.2}",
        records.len(),
        times[2],
        times[0]
    );
}
