use saas_segmentation::cohort::{Cohorts, Grid, RetentionCounts, RetentionMatrix, RetentionMode, RetentionParams, Windows};
use saas_segmentation::ids::DenseCustomers;
use saas_segmentation::{CustomerId, CustomerIndex, Date};
use std::time::Instant;
fn read(path: &str) -> Vec<u8> { let b = std::fs::read(path).unwrap(); b[32..].to_vec() }
fn main() {
    let ids: Vec<u32> = read("/tmp/anchors-data/ev_10m.customer_id.bin").chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().unwrap())).collect();
    let ev: Vec<i32> = read("/tmp/anchors-data/ev_10m.event_day.bin").chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap())).collect();
    let sg: Vec<i32> = read("/tmp/anchors-data/ev_10m.signup_day.bin").chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap())).collect();
    let epoch = Date::from_ymd(2020, 1, 1).unwrap();
    let index = CustomerIndex::from_keys(ids.iter().copied()).unwrap();
    let mut signups = vec![None; index.len()];
    let events: Vec<(CustomerId, Date)> = ids.iter().zip(&ev).zip(&sg).map(|((&k, &d), &s)| { let id = index.get(&k).unwrap(); signups[id.index()] = Some(s); (id, epoch.add_days(i64::from(d)).unwrap()) }).collect();
    let signups: Vec<(CustomerId, Date)> = signups.iter().enumerate().map(|(i, s)| (CustomerId(i as u32), epoch.add_days(i64::from(s.unwrap())).unwrap())).collect();
    let last = *ev.iter().max().unwrap();
    let grid = Grid::Days { length: 30, origin: epoch };
    let params = RetentionParams::new(epoch.add_days(i64::from(last)).unwrap()).windows(Windows::Grid(grid)).partial_periods(true).signup_is_activity(false);
    let lookup = DenseCustomers(index.len());
    for _ in 0..5 {
        let t = Instant::now();
        let cohorts = Cohorts::by_signup(&lookup, &signups, grid).unwrap();
        let t1 = t.elapsed().as_secs_f64();
        let counts = RetentionCounts::new(&cohorts, &params).unwrap();
        let t2 = t.elapsed().as_secs_f64();
        let m = counts.matrix(RetentionMode::Recurring);
        let t3 = t.elapsed().as_secs_f64();
        let m2 = RetentionMatrix::compute(&lookup, &cohorts, &events, &params, RetentionMode::Recurring).unwrap();
        let t4 = t.elapsed().as_secs_f64();
        println!("by_signup {t1:.3} new {:.3} matrix(empty) {:.3} compute {:.3} {}", t2 - t1, t3 - t2, t4 - t3, m == m2);
    }
}
