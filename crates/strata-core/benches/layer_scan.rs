//! `cargo bench -p strata-core`: throughput of the one-pass layer scan (hash + tar walk) on a
//! generated 64 MiB layer, plain and gzip. Reports MB/s; not a timed test.

use std::io::Write;
use std::time::Instant;

fn main() {
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..4096u32 {
        let data = vec![(i % 251) as u8; 16 * 1024];
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        if b.append_data(&mut h, format!("d{}/f{i}", i % 64), &data[..])
            .is_err()
        {
            return;
        }
    }
    let Ok(plain) = b.into_inner() else { return };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    if gz.write_all(&plain).is_err() {
        return;
    }
    let Ok(gz) = gz.finish() else { return };
    for (name, blob) in [("plain", &plain), ("gzip", &gz)] {
        let start = Instant::now();
        let mut runs = 0;
        while start.elapsed().as_secs_f64() < 2.0 {
            let r = strata_core::layer::scan(
                "bench",
                &blob[..],
                &strata_core::layer::Expect {
                    digest: None,
                    size: None,
                    diff_id: None,
                },
                &strata_core::settings::Settings::default(),
            );
            if r.is_err() {
                eprintln!("scan failed");
                return;
            }
            runs += 1;
        }
        let secs = start.elapsed().as_secs_f64() / f64::from(runs);
        println!(
            "layer scan {name}: {:.1} ms per 64 MiB layer, {:.0} MB/s uncompressed",
            secs * 1000.0,
            plain.len() as f64 / secs / 1e6
        );
    }
}
