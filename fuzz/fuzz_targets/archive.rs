#![no_main]
//! Opening an arbitrary file as a docker archive or OCI archive, and scanning its layers,
//! returns errors, never panics.
use std::io::Write;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strata_core::archive::DockerArchive;
use strata_core::image::{Image, Selector};
use strata_core::layout::OciLayout;
use strata_core::source::Source;

fuzz_target!(|data: &[u8]| {
    let Ok(mut f) = tempfile::NamedTempFile::new() else { return };
    if f.write_all(data).is_err() {
        return;
    }
    let sources: Vec<Arc<dyn Source>> = [
        DockerArchive::open(f.path()).map(|a| Arc::new(a) as Arc<dyn Source>).ok(),
        OciLayout::open_archive(f.path()).map(|a| Arc::new(a) as Arc<dyn Source>).ok(),
    ]
    .into_iter()
    .flatten()
    .collect();
    for s in sources {
        if let Ok(img) = Image::open(s, &Selector::Index(0), None) {
            let _ = img.layer_stats();
            let _ = img.history();
        }
    }
});
