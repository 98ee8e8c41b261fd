#![no_main]
//! Manifest/index parsing, the typed config decoder and the inspect views (daemon JSON,
//! template data) of arbitrary config JSON never panic.
use libfuzzer_sys::fuzz_target;
use strata_core::config::ImageConfig;
use strata_core::manifest::Manifest;
use strata_render::inspect::{GraphDriver, Inspect, InspectFacts, render_default};

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::parse("fuzz", data, None);
    if let Ok(v) = strata_core::gojson::parse(data) {
        let facts = InspectFacts {
            id: String::new(),
            repo_tags: vec![],
            repo_digests: vec![],
            parent: String::new(),
            size: 0,
            last_tag_time: String::new(),
            graph_driver: GraphDriver::strata(),
        };
        let i = Inspect::new(&ImageConfig::decode(&v), facts);
        let _ = render_default(&[i.to_json()]);
        let _ = i.template_data();
        let _ = strata_core::config::history(&v);
    }
});
