//! The inputs of the model benchmarks, shared by `examples/bench_models.rs` and
//! `benches/models.rs` (and reproduced by `benches/peers/models_lifetimes_lifelines.py`).
#![allow(dead_code)]

/// SplitMix64, the integer hash every input is drawn from.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform in (0, 1) from a hash.
pub fn uniform(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Customer c's history (frequency, recency, T, monetary), ages in days, simulated from a
/// buy-till-you-die process: purchases at a customer-specific Poisson rate, a customer-specific
/// chance of dropping out after each purchase, and an average spend.
pub fn history(c: u64) -> (f64, f64, f64, f64) {
    let h = splitmix(c);
    let age = (30 + h % 336) as f64;
    let rate = 0.002 + 0.08 * uniform(splitmix(h)).powi(3);
    let drop = 0.02 + 0.4 * uniform(splitmix(h ^ 0x5555));
    let (mut t, mut x, mut last) = (0.0, 0u64, 0.0);
    let mut state = splitmix(h ^ 0xABCD);
    loop {
        state = splitmix(state);
        t += -uniform(state).ln() / rate;
        if t > age {
            break;
        }
        x += 1;
        last = t.floor();
        state = splitmix(state);
        if uniform(state) < drop {
            break;
        }
    }
    let monetary = if x > 0 {
        5.0 + ((h >> 40) % 200) as f64 + 0.25 * ((h >> 50) % 4) as f64
    } else {
        0.0
    };
    (x as f64, last, age, monetary)
}

/// Row r of the Cox table: 10 covariates, duration, event.
pub fn cox_row(r: u64) -> ([f64; 10], f64, bool) {
    let mut x = [0.0; 10];
    for (j, v) in x.iter_mut().enumerate() {
        *v = (splitmix(r * 16 + j as u64) % 1000) as f64 / 100.0;
    }
    let h = splitmix(r * 16 + 11);
    // Higher x0 and lower x1 churn sooner: the spread of durations depends on them.
    let spread = 20 + (1000 - splitmix(r * 16) % 1000) / 40 + splitmix(r * 16 + 1) % 1000 / 50;
    let duration = 1 + h % spread;
    let event = !splitmix(r * 16 + 12).is_multiple_of(3);
    (x, duration as f64, event)
}

/// Row r of the logistic table: 20 features in [-2, 2] and a label, from integers only, so
/// both sides build identical data.
pub fn logistic_row(r: u64) -> ([f64; 20], bool) {
    let mut x = [0.0; 20];
    let mut ints = [0i64; 20];
    for j in 0..20 {
        ints[j] = (splitmix(r * 32 + j as u64) % 2001) as i64 - 1000;
        x[j] = ints[j] as f64 / 500.0;
    }
    let score = 2 * ints[0] - ints[1] + ints[3] - 2 * ints[7];
    let threshold = (splitmix(r * 32 + 31) % 8001) as i64 - 4000;
    (x, threshold < score)
}

/// Activity event `e` of the signals workload over `customers` customers and twelve weeks:
/// (customer, day 0..84, kind: 0-4 login, 5-8 feature, 9 workflow; feature 0..8).
pub fn signal_event(e: u64, customers: u64) -> (u32, i64, u8, u8) {
    (
        (splitmix(e * 4) % customers) as u32,
        (splitmix(e * 4 + 1) % 84) as i64,
        (splitmix(e * 4 + 2) % 10) as u8,
        (splitmix(e * 4 + 3) % 8) as u8,
    )
}
