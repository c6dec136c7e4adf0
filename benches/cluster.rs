//! Clustering benches: one Lloyd / Hamerly iteration budget on blobs, k-means++ seeding,
//! agglomerative trees and the internal metrics. Ids read `kmeans/{n}x{d}/k{k}`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use saas_segmentation::cluster::{AgglomerativeParams, Algorithm, Init, KMeans, Linkage};
use saas_segmentation::random::SeededRng;
use saas_segmentation::validate;

/// Overlapping Gaussian blobs: `k` centres in [-3, 3]^d, unit spread, seeded.
fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = SeededRng::new(seed);
    let centres: Vec<f64> = (0..k * d).map(|_| rng.range(-3.0, 3.0)).collect();
    Array2::from_shape_fn((n, d), |(i, j)| centres[(i % k) * d + j] + rng.normal())
}

fn kmeans(c: &mut Criterion) {
    let mut group = c.benchmark_group("kmeans");
    group.sample_size(10);
    for &(n, d, k) in &[
        (100_000usize, 8usize, 8usize),
        (1_000_000, 8, 8),
        (100_000, 8, 64),
    ] {
        let x = blobs(n, d, k, 7);
        let start = x.slice(ndarray::s![0..k, ..]).to_owned();
        group.throughput(Throughput::Elements((n * 10) as u64));
        for (name, algorithm) in [("lloyd", Algorithm::Lloyd), ("hamerly", Algorithm::Hamerly)] {
            // Ten iterations from a fixed start, tol 0: the per-iteration cost.
            let params = KMeans::params(k)
                .init(Init::Centroids(start.clone()))
                .max_iter(10)
                .tol(0.0)
                .algorithm(algorithm);
            group.bench_with_input(
                BenchmarkId::new(format!("{n}x{d}/k{k}/10-iterations"), name),
                &x,
                |b, x| b.iter(|| black_box(params.fit(x.view()).expect("fit"))),
            );
        }
        let seeding = KMeans::params(k).max_iter(1).n_init(1);
        group.bench_with_input(
            BenchmarkId::new(format!("{n}x{d}/k{k}"), "kmeans++ and one iteration"),
            &x,
            |b, x| b.iter(|| black_box(seeding.fit(x.view()).expect("fit"))),
        );
    }
    group.finish();
}

fn hierarchy_and_metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster");
    group.sample_size(10);
    let small = blobs(2_000, 8, 5, 3);
    for linkage in [Linkage::Ward, Linkage::Single] {
        let params = AgglomerativeParams::new(linkage);
        group.bench_with_input(
            BenchmarkId::new("agglomerative/2000x8", format!("{linkage:?}")),
            &small,
            |b, x| b.iter(|| black_box(params.fit(x.view()).expect("fit"))),
        );
    }
    let labels: Vec<usize> = (0..small.nrows()).map(|i| i % 5).collect();
    group.bench_function("silhouette/2000x8", |b| {
        b.iter(|| black_box(validate::silhouette_score(small.view(), &labels).expect("s")))
    });
    let big = blobs(1_000_000, 8, 8, 5);
    let big_labels: Vec<usize> = (0..big.nrows()).map(|i| i % 8).collect();
    group.bench_function("davies_bouldin/1000000x8", |b| {
        b.iter(|| black_box(validate::davies_bouldin_score(big.view(), &big_labels).expect("db")))
    });
    let seeding = saas_segmentation::cluster::KMeans::params(8).seed(0);
    group.bench_function("kmeans_plusplus_seeding/1000000x8_k8", |b| {
        b.iter(|| black_box(seeding.initial_centroids(big.view()).expect("seeding")))
    });
    group.bench_function("calinski_harabasz/1000000x8", |b| {
        b.iter(|| {
            black_box(validate::calinski_harabasz_score(big.view(), &big_labels).expect("ch"))
        })
    });
    group.finish();
}

criterion_group!(benches, kmeans, hierarchy_and_metrics);
criterion_main!(benches);
