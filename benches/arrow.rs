//! Reading Arrow record batches (feature `arrow`): 1M transactions with text keys, the same
//! keys dictionary-encoded, and integer keys, into the crate's interned records.

use std::hint::black_box;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use saas_segmentation::arrow::ArrowReader;
use saas_segmentation::random::SeededRng;
use saas_segmentation::CustomerIndex;

fn batch(keys: ArrayRef, rows: usize, rng: &mut SeededRng) -> RecordBatch {
    let days: Vec<i32> = (0..rows)
        .map(|_| 18_000 + rng.below(1_000) as i32)
        .collect();
    let amounts: Vec<f64> = (0..rows).map(|_| rng.lognormal(3.5, 1.0)).collect();
    RecordBatch::try_from_iter([
        ("customer_id", keys),
        ("date", Arc::new(Date32Array::from(days)) as ArrayRef),
        ("amount", Arc::new(Float64Array::from(amounts)) as ArrayRef),
    ])
    .expect("one length")
}

fn readers(c: &mut Criterion) {
    let rows = 1_000_000;
    let customers = 100_000;
    let mut rng = SeededRng::new(7);
    let ids: Vec<u64> = (0..rows).map(|_| rng.below(customers)).collect();
    let text: Vec<String> = ids.iter().map(|i| format!("cus_{i:06}")).collect();
    let mut dictionary = StringDictionaryBuilder::<Int32Type>::new();
    for t in &text {
        dictionary.append_value(t);
    }
    let inputs = [
        (
            "utf8",
            Arc::new(StringArray::from(text.clone())) as ArrayRef,
        ),
        ("dictionary", Arc::new(dictionary.finish()) as ArrayRef),
        (
            "int64",
            Arc::new(Int64Array::from(
                ids.iter().map(|&i| i as i64).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
    ];
    let mut group = c.benchmark_group("arrow");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows as u64));
    let reader = ArrowReader::new();
    for (name, keys) in inputs {
        let b = batch(keys, rows, &mut rng);
        group.bench_function(format!("transactions_1m/{name}"), |bench| {
            bench.iter(|| {
                let mut index = CustomerIndex::<String>::new();
                black_box(
                    reader
                        .transactions(std::slice::from_ref(&b), &mut index)
                        .expect("read"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
