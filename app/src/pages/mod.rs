//! The pages, one module each.

mod not_found;
mod sign_in;

pub use not_found::NotFound;
pub use sign_in::SignInPage;
