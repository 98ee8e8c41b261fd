//! strata's image model and the file-based image sources.
//!
//! An image is an ordered stack of layers plus a config. Every source (docker-archive, OCI
//! layout, and later the registry and the local store) implements the small [`source::Source`]
//! trait; [`image::Image::open`] does the rest once: index → platform → manifest → config,
//! with every blob capped and verified.
//!
//! ```no_run
//! use strata_core::location::Location;
//! use strata_core::image::Image;
//! let loc = Location::parse("docker-archive:examples/sample.tar").expect("a file location");
//! let settings = strata_core::settings::Settings::default();
//! let (source, selector) = loc.open(&settings)?;
//! let image = Image::open(source, &selector, None)?;
//! println!("{}", image.id);
//! # Ok::<(), strata_core::Error>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod archive;
pub mod ci_rules;
pub mod compare;
pub mod compression;
pub mod config;
pub mod copy;
pub mod digest;
pub mod efficiency;
pub mod error;
pub mod facts_cache;
pub mod files;
pub mod flatten;
pub mod glob;
pub mod gojson;
pub mod image;
pub mod layer;
pub mod layout;
pub mod location;
pub mod lookup;
pub mod manifest;
pub mod pathkey;
pub mod platform;
pub mod pool;
pub mod progress;
pub mod reference;
pub mod report;
pub mod settings;
pub mod source;
pub mod tree;
pub mod units;
pub mod v1;

pub use error::{Error, ErrorKind, Result};
