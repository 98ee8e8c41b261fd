#![no_main]
//! Opening an arbitrary file as a docker archive or OCI archive, and scanning its layers,
//! returns errors, never panics.
use std::io::Write;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strata_core::archive::DockerArchive;
use strata_core::image::{Image, Selector};
use strata_core::layout::OciLayout;
use strata_core::settings::Settings;
use strata_core::source::Source;

fuzz_target!(|data: &[u8]| {
    let Ok(mut f) = tempfile::NamedTempFile::new() else { return };
    if f.write_all(data).is_err() {
        return;
    }
    // A small ceiling: a bomb is refused quickly.
    let settings = Settings {
        max_layer_bytes: 64 << 20,
        ..Settings::default()
    };
    let sources: Vec<Arc<dyn Source>> = [
        DockerArchive::open(f.path(), &settings).map(|a| Arc::new(a) as Arc<dyn Source>).ok(),
        OciLayout::open_archive(f.path(), &settings).map(|a| Arc::new(a) as Arc<dyn Source>).ok(),
    ]
    .into_iter()
    .flatten()
    .collect();
    for s in sources {
        if let Ok(img) = Image::open_with(s, &Selector::Index(0), None, settings.clone()) {
            let _ = img.layer_stats();
            let _ = img.history();
        }
    }
});
