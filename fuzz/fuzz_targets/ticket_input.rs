//! Filing bodies and the policy-input conversion, on arbitrary bytes: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jiesu::fuzzing::ticket_input(data);
});
