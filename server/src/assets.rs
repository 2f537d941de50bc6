//! The front end's files under `/pkg`: which names the build gave them, and how long browsers
//! may keep them.
//!
//! `cargo xtask build` names the JavaScript, WebAssembly and CSS after their content
//! (`mayi-id.<16 hex>.js`) and writes that stem into `pkg/output-name.txt`. The server reads it
//! at start and links those names, so a file's content never changes under its name: browsers
//! keep such files for a year without asking again, and a new build is fetched at once because
//! its names are new. Anything else under `/pkg` is revalidated on every use (`no-cache`).

use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response};
use tower::{Service, ServiceExt};
use tower_http::services::ServeDir;

/// The name the front end is built under when nothing else is known (`LEPTOS_OUTPUT_NAME`).
pub const OUTPUT_NAME: &str = "mayi-id";
/// The file in `pkg/` naming the content-hashed stem (written by `cargo xtask build`).
pub const MANIFEST: &str = "output-name.txt";
/// Hex digits of the content hash in a file name.
const HASH_LEN: usize = 16;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The stem the site in `pkg_dir` was built under: `mayi-id.<hash>` from the manifest when it
/// holds a well-formed one, otherwise the plain `mayi-id` (an older build or a test's site).
pub fn output_name(pkg_dir: &Path) -> String {
    std::fs::read_to_string(pkg_dir.join(MANIFEST))
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|stem| is_hashed_stem(stem))
        .unwrap_or_else(|| OUTPUT_NAME.to_string())
}

/// Whether `pkg_dir` holds a built front end (hashed or not).
pub fn has_front_end(pkg_dir: &Path) -> bool {
    pkg_dir
        .join(format!("{}.js", output_name(pkg_dir)))
        .is_file()
}

/// `mayi-id.` followed by exactly [`HASH_LEN`] lowercase hex digits.
fn is_hashed_stem(stem: &str) -> bool {
    stem.strip_prefix(OUTPUT_NAME)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|hash| {
            hash.len() == HASH_LEN
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Whether the last segment of a request path names a content-hashed file (`mayi-id.<hash>.js`,
/// also its `.br`/`.gz` siblings if asked for directly).
pub fn is_content_named(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    file.get(..OUTPUT_NAME.len() + 1 + HASH_LEN)
        .is_some_and(is_hashed_stem)
        && file[OUTPUT_NAME.len() + 1 + HASH_LEN..].starts_with('.')
}

/// `/pkg`: the files as they are on disk, brotli or gzip when the build wrote those siblings and
/// the browser accepts them, with a cache lifetime by name (see the module's description).
#[derive(Clone, Debug)]
pub struct PkgFiles {
    files: ServeDir,
}

impl PkgFiles {
    pub fn new(dir: &Path) -> Self {
        Self {
            files: ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        }
    }
}

impl Service<Request<Body>> for PkgFiles {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let hashed = is_content_named(request.uri().path());
        let files = self.files.clone();
        Box::pin(async move {
            let response = files.oneshot(request).await?;
            let mut response = response.map(Body::new);
            let found = response.status().is_success()
                || response.status() == axum::http::StatusCode::NOT_MODIFIED;
            let policy = if hashed && found {
                IMMUTABLE
            } else {
                REVALIDATE
            };
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised_exactly() {
        assert!(is_content_named("/pkg/mayi-id.0123456789abcdef.wasm"));
        assert!(is_content_named("/mayi-id.0123456789abcdef.js.br"));
        assert!(is_content_named("mayi-id.0123456789abcdef.css"));
        for plain in [
            "/pkg/mayi-id.js",
            "/pkg/mayi-id.0123456789abcde.js",    // 15 digits
            "/pkg/mayi-id.0123456789abcdef0.js",  // 17 digits
            "/pkg/mayi-id.0123456789ABCDEF.js",   // upper case
            "/pkg/mayi-id.0123456789abcdeg.js",   // not hex
            "/pkg/other.0123456789abcdef.js",     // another name
            "/pkg/mayi-id.0123456789abcdef",      // no extension
            "/pkg/mayi-id.0123456789abcdef/x.js", // a directory
            "/pkg/",
            "",
        ] {
            assert!(!is_content_named(plain), "{plain}");
        }
    }

    #[test]
    fn the_manifest_names_the_stem_and_a_bad_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(output_name(dir.path()), "mayi-id");
        assert!(!has_front_end(dir.path()));
        std::fs::write(dir.path().join("mayi-id.js"), "").unwrap();
        assert!(has_front_end(dir.path()));

        std::fs::write(dir.path().join(MANIFEST), "mayi-id.00112233aabbccdd\n").unwrap();
        assert_eq!(output_name(dir.path()), "mayi-id.00112233aabbccdd");
        assert!(!has_front_end(dir.path()), "the hashed files are missing");
        std::fs::write(dir.path().join("mayi-id.00112233aabbccdd.js"), "").unwrap();
        assert!(has_front_end(dir.path()));

        for bad in [
            "../../etc/passwd",
            "mayi-id.xyz",
            "",
            "other.00112233aabbccdd",
        ] {
            std::fs::write(dir.path().join(MANIFEST), bad).unwrap();
            assert_eq!(output_name(dir.path()), "mayi-id", "{bad:?}");
        }
    }
}
