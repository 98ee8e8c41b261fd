#![no_main]
//! Manifest/index parsing and the inspect view of arbitrary config JSON never panic.
use libfuzzer_sys::fuzz_target;
use strata_core::manifest::Manifest;
use strata_render::inspect::{InspectFacts, inspect_value, render_default, strata_graph_driver};

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::parse("fuzz", data, None);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let facts = InspectFacts {
            id: String::new(),
            repo_tags: vec![],
            repo_digests: vec![],
            parent: String::new(),
            size: 0,
            last_tag_time: String::new(),
            graph_driver: strata_graph_driver(),
        };
        let _ = render_default(&[inspect_value(&v, &facts)]);
    }
});
