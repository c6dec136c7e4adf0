//! Trust nothing loaded: every `Deserialize` type is attacked with single-point mutations of a
//! valid value's JSON (every number set to extremes, every array emptied, shortened, extended,
//! reversed, every string and flag changed), and whatever loads is then used. Nothing may
//! panic, abort or allocate far beyond its input; the counts per type are printed, and any
//! panic fails the test with the shrunk JSON that caused it.
#![cfg(feature = "serde")]

use std::panic::{catch_unwind, AssertUnwindSafe};

use saas_segmentation::activity::{derive_behaviour, Activity, ActivityEvent, BehaviourConfig};
use saas_segmentation::cluster::{
    AgglomerativeParams, Dendrogram, KMeans, KMeansParams, Linkage, MiniBatchKMeans,
    MiniBatchParams,
};
use saas_segmentation::clv::{
    customer_lifetime_value, BetaGeoParams, ClvParams, ContractualParams, GammaGammaParams,
    Histories, ParetoNbdParams, TransactionModel,
};
use saas_segmentation::cohort::{
    lifecycle, stickiness, ActivityParams, Cohorts, Grid, RetentionCounts, RetentionMatrix,
    RetentionMode, RetentionParams, RevenueRetention,
};
use saas_segmentation::economics::{
    check_tier_economics, Concentration, IdealCustomerProfile, MrrParams, ProfileParams,
    TierMeasurement, ValueQuantiles,
};
use saas_segmentation::features::{FeatureMatrix, Scaler, ScalerKind};
use saas_segmentation::model::{SizeTier, SizeTierBounds, UsageTierThresholds};
use saas_segmentation::ndarray::{array, Array2};
use saas_segmentation::profile::{CustomerProfile, ProfileSet};
use saas_segmentation::random::SeededRng;
use saas_segmentation::records::{MrrRecord, Transaction};
use saas_segmentation::rfm::{
    segment_summary, BtydParams, BtydSummary, RfGrid, RfmParams, RfmScores, RfmSegmentTable,
    RfmTable, ScoreParams,
};
use saas_segmentation::rules::{Condition, Rule, RuleSet};
use saas_segmentation::survival::{KaplanMeier, KaplanMeierParams, LifetimeParams, SurvivalData};
use saas_segmentation::synthetic::SyntheticConfig;
use saas_segmentation::tiers::TierEconomicsTable;
use saas_segmentation::validate::{Contingency, Variable};
use saas_segmentation::{
    CustomerIndex, CustomerSet, Date, KeyedSegmentation, PerCustomer, Period, Segmentation,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

#[path = "common/guard.rs"]
mod guard;
use guard::{peak_of, MEMORY_BOUND};

// ---------------------------------------------------------------------------------------------
// Mutations.

/// Numbers every numeric leaf is set to in turn.
fn extreme_numbers() -> Vec<Value> {
    let mut out: Vec<Value> = [
        0.0,
        -1.0,
        1.0,
        0.5,
        -0.5,
        1e-300,
        1e300,
        -1e300,
        f64::MAX,
        -f64::MAX,
        4_294_967_296.0,
        1e15,
    ]
    .iter()
    .map(|&v| serde_json::json!(v))
    .collect();
    out.push(serde_json::json!(u64::MAX));
    out.push(serde_json::json!(i64::MIN));
    out.push(serde_json::json!(u32::MAX));
    out.push(serde_json::json!(i32::MIN));
    out.push(serde_json::json!(2));
    out.push(serde_json::json!(1_000_000_000_000u64));
    out
}

/// Every single-point mutation of `value`.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    mutate_at(value, &mut |v| out.push(v), &|v| v);
    out
}

/// Calls `emit` with `rebuild(mutated)` for each mutation of `value` (and recursively of its
/// parts), where `rebuild` puts a replacement of `value` back into the whole document.
fn mutate_at(value: &Value, emit: &mut dyn FnMut(Value), rebuild: &dyn Fn(Value) -> Value) {
    match value {
        Value::Number(_) => {
            for n in extreme_numbers() {
                emit(rebuild(n));
            }
            emit(rebuild(Value::Null));
        }
        Value::Bool(b) => emit(rebuild(Value::Bool(!b))),
        Value::String(s) => {
            emit(rebuild(Value::String(String::new())));
            emit(rebuild(Value::String(format!("{s}x"))));
            emit(rebuild(Value::String("2024-02-30".into())));
            emit(rebuild(Value::String("9999-12-31".into())));
        }
        Value::Null => {
            emit(rebuild(serde_json::json!(0)));
            emit(rebuild(serde_json::json!(u64::MAX)));
        }
        Value::Array(items) => {
            emit(rebuild(Value::Array(Vec::new())));
            if let Some(first) = items.first() {
                let mut longer = items.clone();
                longer.push(first.clone());
                emit(rebuild(Value::Array(longer)));
                let mut shorter = items.clone();
                shorter.pop();
                emit(rebuild(Value::Array(shorter.clone())));
                shorter = items[1..].to_vec();
                emit(rebuild(Value::Array(shorter)));
                let mut reversed = items.clone();
                reversed.reverse();
                emit(rebuild(Value::Array(reversed)));
            }
            for (i, item) in items.iter().enumerate() {
                let put = |replacement: Value| {
                    let mut all = items.clone();
                    all[i] = replacement;
                    rebuild(Value::Array(all))
                };
                mutate_at(item, emit, &put);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let put = |replacement: Value| {
                    let mut all = map.clone();
                    all.insert(key.clone(), replacement);
                    rebuild(Value::Object(all))
                };
                mutate_at(item, emit, &put);
            }
        }
    }
}

/// What happened to one type's mutations.
#[derive(Default)]
struct Tally {
    tried: usize,
    loaded: usize,
    panics: Vec<String>,
    memory: Vec<String>,
    /// Byte-level havoc inputs tried.
    fuzzed: usize,
}

/// Loads every mutation of `value` as a `T` and uses what loads with `exercise`.
fn attack<T: Serialize + DeserializeOwned>(
    name: &str,
    value: &T,
    exercise: impl Fn(&T),
    tallies: &mut Vec<(String, Tally)>,
) {
    let json = serde_json::to_value(value).expect("serialize");
    // The valid value itself must load and be usable.
    let back: T = serde_json::from_value(json.clone()).expect("valid value loads");
    exercise(&back);
    let mut tally = Tally::default();
    let all = mutations(&json);
    let started = std::time::Instant::now();
    eprintln!("attacking {name}: {} mutations", all.len());
    // Large models are sampled with a fixed stride, so the run stays short and deterministic.
    let stride = all.len().div_ceil(4_000).max(1);
    for mutated in all.into_iter().step_by(stride) {
        tally.tried += 1;
        let text = mutated.to_string();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            peak_of(|| {
                if let Ok(loaded) = serde_json::from_value::<T>(mutated) {
                    exercise(&loaded);
                    true
                } else {
                    false
                }
            })
        }));
        match outcome {
            Ok((loaded, peak)) => {
                tally.loaded += usize::from(loaded);
                if peak > MEMORY_BOUND {
                    tally.memory.push(format!("{peak} bytes: {text}"));
                }
            }
            Err(_) => tally.panics.push(text),
        }
    }
    // Byte-level havoc on the JSON text, the stable-Rust stand-in for a coverage-guided fuzzer:
    // committed crash inputs first (tests/fuzz/regressions/<type>.*.json), then seeded
    // mutations of the valid text (flip, insert, delete, duplicate a span, splice a token).
    let text = serde_json::to_string(value).expect("serialize");
    let mut inputs: Vec<Vec<u8>> = regressions(name);
    let mut rng = SeededRng::new(
        name.bytes()
            .fold(17u64, |h, b| h.wrapping_mul(31) ^ u64::from(b)),
    );
    for _ in 0..havoc_runs() {
        inputs.push(havoc(text.as_bytes(), &mut rng));
    }
    for input in inputs {
        tally.fuzzed += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            peak_of(|| {
                if let Ok(loaded) = serde_json::from_slice::<T>(&input) {
                    exercise(&loaded);
                }
            })
        }));
        let shown = || String::from_utf8_lossy(&input).into_owned();
        match outcome {
            Ok(((), peak)) if peak > MEMORY_BOUND => {
                tally.memory.push(format!("{peak} bytes: {}", shown()));
            }
            Ok(_) => {}
            Err(_) => tally.panics.push(shown()),
        }
    }
    eprintln!("  {name}: {:?}", started.elapsed());
    tallies.push((name.to_owned(), tally));
}

/// Havoc runs per type: `FUZZ_RUNS` when set (for long local runs), else 300.
fn havoc_runs() -> usize {
    std::env::var("FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Committed inputs that once crashed a load of `name`, replayed on every run.
fn regressions(name: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&format!("{name}.")))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// One to four random edits of `text`.
fn havoc(text: &[u8], rng: &mut SeededRng) -> Vec<u8> {
    const TOKENS: [&str; 14] = [
        "-1",
        "0",
        "1e308",
        "-1e308",
        "1e-320",
        "18446744073709551615",
        "4294967296",
        "null",
        "[]",
        "{}",
        "\"\"",
        "true",
        "\"\\u0000\"",
        "9999999999999999999999",
    ];
    let mut out = text.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len().max(1) as u64;
        let at = rng.below(len) as usize;
        match rng.below(5) {
            0 if !out.is_empty() => {
                let last = out.len() - 1;
                out[at.min(last)] ^= 1 << rng.below(8);
            }
            1 => out.insert(at.min(out.len()), rng.below(256) as u8),
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(8) as usize).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(32) as usize).min(out.len());
                let span = out[at.min(end)..end].to_vec();
                out.splice(at..at, span);
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len() as u64) as usize].as_bytes();
                // Replace the number or literal under `at` when there is one.
                let mut end = at.min(out.len());
                while end < out.len()
                    && (out[end].is_ascii_alphanumeric() || b"-+.".contains(&out[end]))
                {
                    end += 1;
                }
                let start = at.min(end);
                out.splice(start..end, token.iter().copied());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A small world whose index order differs from key order.

fn day(text: &str) -> Date {
    text.parse().expect("date")
}

const KEYS: [&str; 8] = ["h", "c", "a", "f", "b", "g", "d", "e"];

struct World {
    index: CustomerIndex<String>,
    profiles: ProfileSet<String>,
    matrix: FeatureMatrix,
    transactions: Vec<Transaction<String>>,
    signups: Vec<(String, Date)>,
    activity: Vec<Activity<String, String>>,
    cohorts: Cohorts,
    revenue: PerCustomer<f64>,
}

fn world() -> World {
    let index = CustomerIndex::from_keys(KEYS.iter().map(|k| k.to_string())).expect("index");
    let profiles = ProfileSet::from_profiles(KEYS.iter().enumerate().map(|(i, k)| {
        let mut p = CustomerProfile::default();
        p.firmographic.employees = Some([20, 350, 4_000][i % 3]);
        p.value.mrr = Some(50.0 + 70.0 * i as f64);
        (k.to_string(), p)
    }))
    .expect("profiles");
    let matrix = FeatureMatrix::builder()
        .log1p("mrr", |p: &CustomerProfile| p.value.mrr)
        .column("employees", |p: &CustomerProfile| {
            p.firmographic.employees.map(f64::from)
        })
        .standardize()
        .build_over(&profiles, profiles.profiles())
        .expect("matrix");
    let mut transactions = Vec::new();
    let mut signups = Vec::new();
    let mut activity = Vec::new();
    for (i, k) in KEYS.iter().enumerate() {
        let signup = day("2024-01-05").add_days(9 * i as i64).expect("date");
        signups.push((k.to_string(), signup));
        for t in 0..=(i % 3) {
            transactions.push(Transaction::new(
                k.to_string(),
                signup.add_days(11 * t as i64).expect("date"),
                20.0 + 13.0 * (i + t) as f64,
            ));
            activity.push(Activity::new(
                k.to_string(),
                signup.add_days(30 * t as i64 + 1).expect("date"),
                if t == 1 {
                    ActivityEvent::Workflow("invite".to_string())
                } else {
                    ActivityEvent::Login
                },
            ));
        }
    }
    let cohorts = Cohorts::by_signup(&index, &signups, Grid::Calendar(Period::Month)).expect("c");
    let revenue = PerCustomer::from_fn(&index, |id| Some(10.0 * (id.get() as f64 + 1.0)));
    World {
        index,
        profiles,
        matrix,
        transactions,
        signups,
        activity,
        cohorts,
        revenue,
    }
}

const ANALYSIS: &str = "2024-06-01";

fn probe_rows(d: usize) -> Array2<f64> {
    Array2::from_shape_fn((3, d.clamp(1, 8)), |(i, j)| (i * 3 + j) as f64 - 2.0)
}

#[test]
fn every_deserialize_validates_what_it_loads() {
    // Panics are counted and reported below, not printed as they happen.
    std::panic::set_hook(Box::new(|_| {}));
    let w = world();
    let analysis = day(ANALYSIS);
    let mut tallies = Vec::new();

    // Identity and per-customer values.
    attack(
        "Universe",
        &w.index.universe(),
        |u| {
            let _ = Segmentation::from_labels(u, &vec![0; u.len().min(16)]);
        },
        &mut tallies,
    );
    attack(
        "CustomerIndex",
        &w.index,
        |ix| {
            let _ = ix.get("a");
            let _ = PerCustomer::from_fn(ix, |id| Some(id.get()));
        },
        &mut tallies,
    );
    attack(
        "PerCustomer<f64>",
        &w.revenue,
        |v| {
            let _ = ValueQuantiles::new(&w.index, v, 3).map(|q| q.top_flags());
            let _ = v.to_keyed(&w.index);
        },
        &mut tallies,
    );
    let seg = w.cohorts.segmentation().expect("segmentation");
    attack(
        "Segmentation",
        &seg,
        |s| {
            let _ = s.keyed(&w.index);
            let _ = s.segment_of_key(&w.index, "a");
            let _ = RetentionMatrix::compute(
                &w.index,
                &w.cohorts,
                &w.activity,
                &RetentionParams::new(analysis),
            );
            let _ = Cohorts::by_segment(&w.index, &w.signups, s);
        },
        &mut tallies,
    );
    attack(
        "KeyedSegmentation",
        &seg.keyed(&w.index).expect("keyed"),
        |k: &KeyedSegmentation<String>| {
            let _ = k.attach(&w.index).map(|s| s.segment_count());
        },
        &mut tallies,
    );

    // Clustering models and their parameters.
    let kmeans = KMeans::params(2)
        .seed(1)
        .fit(w.matrix.view())
        .expect("kmeans");
    attack(
        "KMeans",
        &kmeans,
        |m| {
            let d = m.centroids().ncols();
            let _ = m.predict(probe_rows(d).view());
            let _ = m.transform(probe_rows(d).view());
            let _ = m.segmentation(&w.matrix);
        },
        &mut tallies,
    );
    attack(
        "KMeansParams",
        &KMeans::params(2).seed(1),
        |p: &KMeansParams| {
            let _ = p.fit(w.matrix.view()).map(|m| m.inertia());
        },
        &mut tallies,
    );
    let minibatch = MiniBatchKMeans::params(2)
        .batch_size(4)
        .seed(1)
        .fit(w.matrix.view())
        .expect("mb");
    attack(
        "MiniBatchKMeans",
        &minibatch,
        |m| {
            let mut m = m.clone();
            let _ = m.predict(w.matrix.view());
            let _ = m.segmentation(&w.matrix);
            let _ = m.partial_fit(w.matrix.view());
        },
        &mut tallies,
    );
    attack(
        "MiniBatchParams",
        &MiniBatchKMeans::params(2).batch_size(4),
        |p: &MiniBatchParams| {
            let _ = p.fit(w.matrix.view());
            let _ = p.start();
        },
        &mut tallies,
    );
    let tree = AgglomerativeParams::new(Linkage::Ward)
        .fit(w.matrix.view())
        .expect("tree");
    attack(
        "Dendrogram",
        &tree,
        |t: &Dendrogram| {
            for k in 0..4 {
                let _ = t.cut_k(k);
            }
            let _ = t.cut_distance(1.0);
            let _ = t.segmentation(&w.matrix, 2);
        },
        &mut tallies,
    );
    attack(
        "AgglomerativeParams",
        &AgglomerativeParams::new(Linkage::Average),
        |p| {
            let _ = p.fit(w.matrix.view());
        },
        &mut tallies,
    );
    attack(
        "ChooseKParams",
        &saas_segmentation::cluster::ChooseK::params(2, 4),
        |p| {
            let _ = p.fit(w.matrix.view());
        },
        &mut tallies,
    );
    let chosen = saas_segmentation::cluster::ChooseK::params(2, 4)
        .gap_references(2)
        .fit(w.matrix.view())
        .expect("choose k");
    attack(
        "ChooseK",
        &chosen,
        |c| {
            let _ = (
                c.scores(),
                c.elbow(),
                c.gap_pick(),
                c.recommended(),
                c.reason(),
            );
        },
        &mut tallies,
    );
    let month = |m: &str| day(&format!("{m}-01"));
    let mrr = [
        MrrRecord::new("a".to_owned(), month("2024-01"), 100.0),
        MrrRecord::new("a".to_owned(), month("2024-02"), 150.0),
        MrrRecord::new("b".to_owned(), month("2024-01"), 100.0),
        MrrRecord::new("c".to_owned(), month("2024-02"), 80.0),
        MrrRecord::new("c".to_owned(), month("2024-03"), 0.0),
    ];
    let revenue =
        RevenueRetention::compute(&w.index, &mrr, &MrrParams::new(month("2024-03")), None)
            .expect("revenue retention");
    attack(
        "RevenueRetention",
        &revenue,
        |r| {
            let _ = (r.average_net(), r.average_gross(), r.nrr_at(1), r.grr_at(2));
            for c in 0..r.labels().len() + 1 {
                for m in 0..r.months() + 1 {
                    let _ = (
                        r.base(c, m),
                        r.mrr(c, m),
                        r.net(c, m),
                        r.gross(c, m),
                        r.active(c, m),
                    );
                }
            }
        },
        &mut tallies,
    );
    let concentration = Concentration::new(&[5.0, 1.0, 0.0, 12.5, 3.0]).expect("concentration");
    attack(
        "Concentration",
        &concentration,
        |c| {
            let _ = (
                c.gini(),
                c.top_share(0.2),
                c.customers_for(0.8),
                c.lorenz(4),
            );
        },
        &mut tallies,
    );
    let scaler = Scaler::fit(
        ScalerKind::Standard,
        array![[1.0, 2.0], [3.0, 5.0], [4.0, 9.0]].view(),
    )
    .expect("scaler");
    attack(
        "Scaler",
        &scaler,
        |s| {
            let d = s.center().len();
            let _ = s.transform(probe_rows(d).view());
            let _ = s.inverse_transform(probe_rows(d).view());
        },
        &mut tallies,
    );
    attack(
        "FeatureMatrix",
        &w.matrix,
        |m| {
            let _ = m.original_units();
            let _ = m.to_original_units(probe_rows(m.names().len()).view());
            let rows = m.view().nrows();
            let _ = m.segmentation(&vec![0; rows], vec![]);
            let _ = m.customer(rows.saturating_sub(1));
            let _ = KMeans::params(2).fit(m.view()).map(|k| k.segmentation(m));
            let _ = saas_segmentation::cluster::profile_clusters(
                m,
                &(0..rows).map(|i| i % 2).collect::<Vec<_>>(),
            );
        },
        &mut tallies,
    );

    // RFM.
    let rfm_params = RfmParams::new(analysis);
    let table =
        RfmTable::from_transactions_in(&w.transactions, &w.index, &rfm_params).expect("rfm");
    attack(
        "RfmParams",
        &rfm_params,
        |p| {
            let _ = RfmTable::from_transactions(&w.transactions, p);
        },
        &mut tallies,
    );
    attack(
        "RfmTable",
        &table,
        |t: &RfmTable<String>| {
            let _ = t.per_customer();
            for i in 0..t.len() + 1 {
                let _ = t.customer(i);
                let _ = t.summary(i);
                let _ = t.key(i);
            }
            let _ = t.get(&"a".to_string());
            if let Ok(scores) = RfmScores::new(t, &ScoreParams::default()) {
                if let Ok(seg) = scores.segmentation(&RfmSegmentTable::default_table()) {
                    let _ = segment_summary(t, &seg);
                }
            }
        },
        &mut tallies,
    );
    let scores = RfmScores::new(&table, &ScoreParams::default()).expect("scores");
    attack(
        "ScoreParams",
        &ScoreParams::default(),
        |p| {
            let _ = RfmScores::new(&table, p);
        },
        &mut tallies,
    );
    attack(
        "RfmScores",
        &scores,
        |s| {
            let _ = s.segmentation(&RfmSegmentTable::default_table());
            for i in 0..s.len() + 1 {
                let _ = s.cell(i);
                let _ = s.customer(i);
            }
            if let Ok(seg) = s.segmentation(&RfmSegmentTable::default_table()) {
                let _ = segment_summary(&table, &seg);
            }
        },
        &mut tallies,
    );
    let grid = RfGrid::new(&table, &scores).expect("grid");
    attack(
        "RfGrid",
        &grid,
        |g| {
            for r in 0..7 {
                for f in 0..7 {
                    let _ = (g.count(r, f), g.mean_monetary(r, f));
                }
            }
            let _ = g.cells();
        },
        &mut tallies,
    );
    attack(
        "RfmSegmentTable",
        &RfmSegmentTable::r_rfm(),
        |t| {
            let _ = t.apply(&scores);
            let _ = t.segment_of([1, 5, 3]);
            let _ = t.grid();
        },
        &mut tallies,
    );
    let btyd_params = BtydParams::new(analysis);
    attack(
        "BtydParams",
        &btyd_params,
        |p| {
            let _ = BtydSummary::from_transactions(&w.transactions, p);
        },
        &mut tallies,
    );
    let btyd = BtydSummary::from_transactions(&w.transactions, &btyd_params).expect("btyd");
    attack(
        "BtydSummary",
        &btyd,
        |b: &BtydSummary<String>| {
            let _ = (b.frequency(), b.recency(), b.age(), b.monetary(), b.keys());
        },
        &mut tallies,
    );

    // Cohorts and retention.
    attack(
        "Cohorts",
        &w.cohorts,
        |c| {
            let _ = c.segmentation();
            for id in w.index.ids() {
                let _ = (c.cohort_of(id), c.signup_of(id));
            }
            let _ =
                RetentionMatrix::compute(&w.index, c, &w.activity, &RetentionParams::new(analysis));
        },
        &mut tallies,
    );
    let retention = RetentionParams::new(analysis);
    attack(
        "RetentionParams",
        &retention,
        |p| {
            let _ = RetentionMatrix::compute(&w.index, &w.cohorts, &w.activity, p);
        },
        &mut tallies,
    );
    let mut counts = RetentionCounts::new(&w.cohorts, &retention).expect("counts");
    counts.add(&w.index, &w.activity).expect("add");
    attack(
        "RetentionCounts",
        &counts,
        |c| {
            let mut c = c.clone();
            let _ = c.matrix(RetentionMode::Recurring);
            let _ = c.merge(&counts);
            let _ = c.add(&w.index, &w.activity);
            let _ = c.matrix(RetentionMode::Unbounded);
        },
        &mut tallies,
    );
    let matrix =
        RetentionMatrix::compute(&w.index, &w.cohorts, &w.activity, &retention).expect("m");
    attack(
        "RetentionMatrix",
        &matrix,
        |m| {
            let _ = (m.average(), m.rates(), m.cells());
            for c in 0..m.labels().len() + 1 {
                for p in 0..m.periods() + 1 {
                    let _ = (
                        m.rate(c, p),
                        m.of_previous(c, p),
                        m.retained(c, p),
                        m.eligible(c, p),
                    );
                }
            }
        },
        &mut tallies,
    );
    attack(
        "ActivityParams",
        &ActivityParams::new(analysis),
        |p| {
            let _ = lifecycle(&w.index, &w.activity, p);
            let _ = stickiness(&w.index, &w.activity, p);
        },
        &mut tallies,
    );

    // Expected future value.
    let histories_f = [0.0, 2.0, 5.0, 1.0];
    let histories_r = [0.0, 20.0, 35.0, 3.0];
    let histories_t = [40.0, 38.0, 36.0, 30.0];
    let histories = Histories::new(&histories_f, &histories_r, &histories_t).expect("histories");
    attack(
        "BetaGeoParams",
        &BetaGeoParams::new(0.243, 4.414, 0.793, 2.426).expect("params"),
        |p| {
            let _ = p.p_alive_all(&histories);
            let _ = p.conditional_expected_all(52.0, &histories);
            let _ = p.expected_purchases(10.0);
            let _ = p.probability_of_purchases(3, 10.0);
            let _ = p.log_likelihood(&histories);
        },
        &mut tallies,
    );
    attack(
        "ParetoNbdParams",
        &ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).expect("params"),
        |p| {
            let _ = p.p_alive_all(&histories);
            let _ = p.conditional_expected_all(52.0, &histories);
            let _ = p.expected_purchases(10.0);
            let _ = p.log_likelihood(&histories);
        },
        &mut tallies,
    );
    attack(
        "GammaGammaParams",
        &GammaGammaParams::new(6.25, 3.74, 15.44).expect("params"),
        |g| {
            let _ = g.expected_average_value(3.0, 20.0);
            let _ = customer_lifetime_value(
                &BetaGeoParams::new(0.243, 4.414, 0.793, 2.426).expect("params"),
                g,
                &histories,
                &[0.0, 20.0, 35.0, 10.0],
                &ClvParams::new(12).periods_per_month(4.345),
            );
        },
        &mut tallies,
    );
    attack(
        "ContractualParams",
        &ContractualParams::bdw(0.427, 17.5, 1.33).expect("params"),
        |p| {
            let _ = p.survival(12);
            let _ = p.churn_probability(3);
            let _ = p.retention_rate(5);
            let _ = p.discounted_residual_lifetime(0.01, 2);
        },
        &mut tallies,
    );

    // Survival.
    let lifetime = LifetimeParams::new(analysis);
    attack(
        "LifetimeParams",
        &lifetime,
        |p| {
            let _ = SurvivalData::from_activity(&w.index, &w.signups, &w.activity, p);
        },
        &mut tallies,
    );
    let survival =
        SurvivalData::from_activity(&w.index, &w.signups, &w.activity, &lifetime).expect("s");
    attack(
        "SurvivalData",
        &survival,
        |s| {
            let _ = s.kaplan_meier(&KaplanMeierParams::new());
            let _ = s.by_segment(&seg);
            let _ = s.per_customer();
        },
        &mut tallies,
    );
    attack(
        "KaplanMeierParams",
        &KaplanMeierParams::new(),
        |p| {
            let _ = survival.kaplan_meier(p);
        },
        &mut tallies,
    );
    let km = survival
        .kaplan_meier(&KaplanMeierParams::new())
        .expect("km");
    attack(
        "KaplanMeier",
        &km,
        |k: &KaplanMeier| {
            let _ = (
                k.at(3.0),
                k.median(),
                k.quantile_time(0.25),
                k.restricted_mean(50.0),
                k.steps(),
            );
            let _ = saas_segmentation::survival::survival_difference_at(k, &km, 10.0, 0.05);
        },
        &mut tallies,
    );

    // Validation and value.
    let contingency = Contingency::new(&[0, 0, 1, 1, 2], &[3, 3, 3, 9, 9]).expect("table");
    attack(
        "Contingency",
        &contingency,
        |c| {
            let _ = (
                c.adjusted_rand(),
                c.mutual_information(),
                c.expected_mutual_information(),
            );
            let _ = c.fowlkes_mallows();
            let _ = c.merge(&contingency);
            let _ = (
                c.class_sizes(),
                c.cluster_sizes(),
                c.count(1, 1),
                c.pair_confusion(),
            );
        },
        &mut tallies,
    );
    let quantiles = ValueQuantiles::new(&w.index, &w.revenue, 3).expect("quantiles");
    attack(
        "ValueQuantiles",
        &quantiles,
        |q| {
            let _ = (
                q.top_flags(),
                q.bottom_flags(),
                q.segmentation().segment_count(),
            );
            let _ = q.profile(&[Variable::numeric("revenue", w.revenue.clone())]);
        },
        &mut tallies,
    );
    let flags = PerCustomer::from_fn(&w.index, |id| Some(id.get() % 2 == 0));
    let variables = [Variable::numeric("revenue", w.revenue.clone())];
    attack(
        "ProfileParams",
        &ProfileParams::new(),
        |p| {
            let _ = IdealCustomerProfile::fit(&flags, &variables, "top", p);
        },
        &mut tallies,
    );
    if let Ok(icp) = IdealCustomerProfile::fit(
        &flags,
        &variables,
        "top",
        &ProfileParams::new().min_lift(0.0),
    ) {
        attack(
            "IdealCustomerProfile",
            &icp,
            |i| {
                let _ = i.fit_scores(&variables);
            },
            &mut tallies,
        );
    }

    // Profiles, rules, tiers and behaviour.
    let rules = RuleSet::new(vec![
        Rule::new("smb", Condition::SizeTier(vec![SizeTier::Smb])),
        Rule::new(
            "rich",
            Condition::not(Condition::SizeTier(vec![SizeTier::Smb])),
        ),
    ])
    .expect("rules");
    attack(
        "RuleSet",
        &rules,
        |r| {
            let _ = r.apply(&w.profiles);
        },
        &mut tallies,
    );
    attack(
        "ProfileSet",
        &w.profiles,
        |p: &ProfileSet<String>| {
            let _ = rules.apply(p);
            let _ = FeatureMatrix::builder()
                .column("mrr", |p: &CustomerProfile| p.value.mrr)
                .build_over(p, p.profiles());
        },
        &mut tallies,
    );
    attack(
        "SizeTierBounds",
        &SizeTierBounds::default(),
        |b| {
            let r = rules.clone().bounds(*b);
            let _ = r.apply(&w.profiles);
        },
        &mut tallies,
    );
    attack(
        "UsageTierThresholds",
        &UsageTierThresholds::default(),
        |t| {
            let config = BehaviourConfig::new(day("2024-01-01"), analysis).map(|c| c.tiers(*t));
            let Ok(config) = config else { return };
            let _ = derive_behaviour(&w.index, &w.activity, &config);
        },
        &mut tallies,
    );
    let config: BehaviourConfig<String> = BehaviourConfig::new(day("2024-01-01"), analysis)
        .expect("window")
        .key_workflows(vec!["invite".to_string()]);
    attack(
        "BehaviourConfig",
        &config,
        |c: &BehaviourConfig<String>| {
            let _ = derive_behaviour(&w.index, &w.activity, c);
        },
        &mut tallies,
    );
    attack(
        "TierEconomicsTable",
        &TierEconomicsTable::default(),
        |t| {
            let _ = t.tier_for_acv(12_000.0);
            let m = TierMeasurement {
                tier: SizeTier::Smb,
                acv: Some(5_000.0),
                cac: Some(900.0),
                ltv: Some(3_000.0),
                sales_cycle_days: Some(20.0),
            };
            let _ = check_tier_economics(t, &[m]);
        },
        &mut tallies,
    );
    attack(
        "SyntheticConfig",
        &SyntheticConfig::new(40).seed(2),
        |c| {
            let _ = saas_segmentation::synthetic::generate(c);
        },
        &mut tallies,
    );

    // One k-means iteration's partial sums, as an engine ships them between partitions.
    {
        use saas_segmentation::cluster::LloydStep;
        let start = ndarray::array![[0.0, 0.0], [5.0, 5.0]];
        let mut step = LloydStep::new(start.view()).expect("step");
        step.add(ndarray::array![[0.5, 1e16], [4.0, 6.0], [0.1, -1e16]].view())
            .expect("rows");
        attack(
            "LloydStep",
            &step,
            |s: &LloydStep| {
                let _ = (s.centroids(), s.inertia(), s.rows());
                let mut twice = s.clone();
                let _ = twice.merge(s);
                let _ = twice.centroids();
            },
            &mut tallies,
        );
    }

    // An engine's per-customer behaviour state.
    {
        use saas_segmentation::activity::{
            behaviour_from_partials, Activity, ActivityEvent, BehaviourConfig, BehaviourPartial,
        };
        let config = BehaviourConfig::new(day("2024-03-01"), day("2024-03-31"))
            .expect("window")
            .core_features(vec!["reports".to_owned()]);
        let mut state = BehaviourPartial::new();
        for (d, e) in [
            ("2024-03-02", ActivityEvent::Login),
            ("2024-03-09", ActivityEvent::Feature("reports".to_owned())),
            ("2024-03-20", ActivityEvent::Workflow("invite".to_owned())),
        ] {
            state
                .add(
                    &Activity::new("a", day(d), e).with_duration(2.5e15),
                    &config,
                )
                .expect("row");
        }
        let index = CustomerIndex::from_keys(["a".to_owned(), "b".to_owned()]).expect("index");
        attack(
            "BehaviourPartial",
            &state,
            |s: &BehaviourPartial<String>| {
                let mut twice = s.clone();
                twice.merge(s);
                let _ = behaviour_from_partials(
                    &index,
                    vec![("a".to_owned(), twice), ("b".to_owned(), s.clone())],
                    &config,
                );
            },
            &mut tallies,
        );
    }

    // An engine's per-customer RFM state, loaded from its plain values.
    {
        use saas_segmentation::rfm::{RfmParams, RfmPartial, RfmTable};
        let params = RfmParams::new(day("2024-03-31"));
        let mut state = RfmPartial::new(&params);
        for (d, amount) in [
            ("2024-01-05", 10.0),
            ("2024-02-01", -3.0),
            ("2024-03-02", 7.5),
        ] {
            state
                .add(&Transaction::new("a".to_owned(), day(d), amount), &params)
                .expect("row");
        }
        attack(
            "RfmPartialParts",
            &state.parts(),
            |p| {
                if let Ok(s) = RfmPartial::from_parts(p, &params) {
                    let mut twice = s;
                    twice.merge(&s);
                    if let Ok(t) = RfmTable::from_partials(
                        params,
                        vec![("a".to_owned(), s), ("b".to_owned(), twice)],
                    ) {
                        let _ = t.iter().count();
                    }
                }
            },
            &mut tallies,
        );
    }

    // Account-signal records and weights: loaded values go through the analyses.
    {
        use saas_segmentation::activity::{Activity, ActivityEvent};
        use saas_segmentation::model::PlanTier;
        use saas_segmentation::propensity::{
            account_signals, health_scores, rank_accounts, Entitlement, HealthWeights, RankBy,
            SignalParams, SignalSources, SupportTicket, Touch,
        };
        let index = CustomerIndex::from_keys(["b".to_owned(), "a".to_owned()]).expect("index");
        let end = day("2024-03-31");
        let log: Vec<Activity<String, String>> = (0..60)
            .map(|d| {
                let event = if d % 3 == 0 {
                    ActivityEvent::Feature("api".to_owned())
                } else {
                    ActivityEvent::Login
                };
                Activity::new(
                    ["a", "b"][d as usize % 2].to_owned(),
                    end.add_days(-d).expect("day"),
                    event,
                )
            })
            .collect();
        let params = SignalParams::new(end);
        let plans = [("api".to_owned(), PlanTier::Business)];
        let run = |tickets: &[SupportTicket<String>],
                   touches: &[Touch<String>],
                   ent: Option<Entitlement>| {
            let ent = PerCustomer::from_keyed(&index, ent.map(|e| ("a".to_owned(), e)))
                .expect("entitlements");
            let sources = SignalSources::new(&log)
                .tickets(tickets)
                .touches(touches)
                .entitlements(&ent)
                .feature_plans(&plans);
            if let Ok(signals) = account_signals(&index, &sources, &params) {
                if let Ok(health) = health_scores(&signals, &HealthWeights::default()) {
                    let _ = rank_accounts(&signals, &health, RankBy::Expansion, None, 5);
                }
                for s in signals.values().iter().flatten() {
                    for e in &s.evidence {
                        let _ = e.reason();
                    }
                }
            }
        };
        attack(
            "SupportTicket",
            &SupportTicket::new("a".to_owned(), day("2024-03-20"), true),
            |t| run(std::slice::from_ref(t), &[], None),
            &mut tallies,
        );
        attack(
            "Touch",
            &Touch::new("b".to_owned(), day("2024-03-05"), Some(day("2024-03-07"))),
            |t| run(&[], std::slice::from_ref(t), None),
            &mut tallies,
        );
        attack(
            "Entitlement",
            &Entitlement {
                plan: Some(PlanTier::Starter),
                seats: Some(9),
                seat_limit: Some(10),
            },
            |e| run(&[], &[], Some(*e)),
            &mut tallies,
        );
        let signals = account_signals(&index, &SignalSources::new(&log), &params).expect("signals");
        attack(
            "HealthWeights",
            &HealthWeights::default(),
            |w| {
                let _ = w.validate();
                if let Ok(health) = health_scores(&signals, w) {
                    let _ = rank_accounts(&signals, &health, RankBy::ChurnRisk, None, 5);
                }
            },
            &mut tallies,
        );
    }

    // Report.
    let mut panics = 0;
    let mut memory = 0;
    println!(
        "{:<22} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "type", "tried", "loaded", "fuzzed", "panics", "memory"
    );
    for (name, t) in &tallies {
        println!(
            "{name:<22} {:>7} {:>7} {:>7} {:>7} {:>7}",
            t.tried,
            t.loaded,
            t.fuzzed,
            t.panics.len(),
            t.memory.len()
        );
        panics += t.panics.len();
        memory += t.memory.len();
    }
    for (name, t) in &tallies {
        for example in t.panics.iter().take(2) {
            println!("PANIC {name}: {}", &example[..example.len().min(400)]);
        }
        for example in t.memory.iter().take(2) {
            println!("MEMORY {name}: {}", &example[..example.len().min(400)]);
        }
    }
    let tried: usize = tallies.iter().map(|(_, t)| t.tried).sum();
    let fuzzed: usize = tallies.iter().map(|(_, t)| t.fuzzed).sum();
    println!("{fuzzed} byte-level havoc inputs");
    println!(
        "{} types, {tried} mutations, {panics} panics, {memory} over the memory bound",
        tallies.len()
    );
    assert_eq!(panics + memory, 0, "see the lines above");
}
