#![no_main]
//! Reference parsing never panics, and what parses round-trips through its printed forms.
use libfuzzer_sys::fuzz_target;
use strata_core::reference::Reference;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(r) = Reference::parse(s) {
            let again = Reference::parse(&r.to_string()).expect("canonical form re-parses");
            assert_eq!(again, r);
            let fam = Reference::parse(&r.familiar()).expect("familiar form re-parses");
            assert_eq!(fam, r);
        }
    }
});
