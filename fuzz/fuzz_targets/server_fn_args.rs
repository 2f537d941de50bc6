//! Server function argument decoding: the url-encoded bodies that browsers post are decoded into
//! each function's argument struct. Whatever arrives, decoding never panics.
#![no_main]

use app::api::{
    emergency::{EmergencyProve, EmergencyReason, EmergencyStart, VerifyEmergency},
    LostDevice, RemoveToken, RenameToken, SignIn, VerifyCode,
};
use libfuzzer_sys::fuzz_target;

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_qs::from_str::<T>(text).ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(args) = decode::<SignIn>(text) {
        let _ = (args.username.len(), args.password.len());
    }
    let _ = decode::<VerifyCode>(text);
    let _ = decode::<RemoveToken>(text);
    let _ = decode::<RenameToken>(text);
    let _ = decode::<LostDevice>(text);
    let _ = decode::<EmergencyStart>(text);
    let _ = decode::<EmergencyProve>(text);
    let _ = decode::<EmergencyReason>(text);
    let _ = decode::<VerifyEmergency>(text);
});
