//! Generates the translation module (`crate::i18n`) from `locales/{en,cs}/*.json` with
//! leptos_i18n_build: keys and interpolation arguments used in the code are checked at compile
//! time. Keys missing in one language and missing plural forms are caught by `i18n`'s tests.

use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

/// The namespaces, one file per language each (`locales/<locale>/<namespace>.json`).
const NAMESPACES: [&str; 9] = [
    "common",
    "tokens",
    "selfservice",
    "browsers",
    "console",
    "emergency",
    "freeze",
    "oidc",
    "recovery",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("i18n");
    let config = Config::new("en")?
        .add_locale("cs")?
        .add_namespaces(NAMESPACES)?
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.rerun_if_locales_changed();
    translations.emit_diagnostics();
    translations.generate_i18n_module(out)?;
    Ok(())
}
