//! The front end's files under `/pkg`: where the build put them, and how long browsers may keep
//! them.
//!
//! `cargo xtask build` writes a build's files (the main JavaScript and WebAssembly, the chunks
//! the pages load on demand, their loader, the CSS) into `pkg/<16 hex>/`, the hex a hash of their
//! content, and writes that directory's name into `pkg/build.txt`. The server reads it at start
//! and links `/pkg/<hash>/mayi-id.{js,wasm,css}`, so a file's content never changes under its
//! path: browsers keep such files for a year without asking again, and a new build is fetched at
//! once because its directory is new (the chunks of two builds are never mixed). Anything else
//! under `/pkg` is revalidated on every use (`no-cache`).

use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response};
use tower::{Service, ServiceExt};
use tower_http::services::ServeDir;

/// The name the front end's files are built under (`LEPTOS_OUTPUT_NAME`).
pub const OUTPUT_NAME: &str = "mayi-id";
/// The file in `pkg/` naming the build's directory (written by `cargo xtask build`).
pub const BUILD_FILE: &str = "build.txt";
/// In a build's directory: the module the main wasm loads its chunks through, and which chunks
/// each page group needs (both written by `cargo xtask build`, whose names leptos expects).
pub const SPLIT_LOADER: &str = "__wasm_split.______________________.js";
pub const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";
/// Hex digits of the content hash in a directory name.
const HASH_LEN: usize = 16;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Where the site's front end is, relative to the site root, as leptos wants it
/// (`LeptosOptions::site_pkg_dir`): `pkg/<hash>` when `pkg/build.txt` names a well-formed
/// directory, otherwise `pkg` (a test's site, or files put there by hand).
pub fn site_pkg_dir(site_root: &Path) -> String {
    std::fs::read_to_string(site_root.join("pkg").join(BUILD_FILE))
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|name| is_hash(name))
        .map_or_else(|| "pkg".to_string(), |name| format!("pkg/{name}"))
}

/// Whether `site_root` holds a built front end.
pub fn has_front_end(site_root: &Path) -> bool {
    site_root
        .join(site_pkg_dir(site_root))
        .join(format!("{OUTPUT_NAME}.js"))
        .is_file()
}

/// Exactly [`HASH_LEN`] lowercase hex digits.
fn is_hash(name: &str) -> bool {
    name.len() == HASH_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a request path (with or without the `/pkg` prefix) names a file inside a build's
/// directory: `<hash>/<file>`, any file, its `.br`/`.gz` siblings too.
pub fn is_content_named(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("pkg/").unwrap_or(path);
    path.split_once('/')
        .is_some_and(|(dir, file)| is_hash(dir) && !file.is_empty())
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
    fn files_in_a_build_directory_are_recognised_exactly() {
        assert!(is_content_named("/pkg/0123456789abcdef/mayi-id.wasm"));
        assert!(is_content_named("/0123456789abcdef/chunk_3.wasm.br"));
        assert!(is_content_named("0123456789abcdef/snippets/x/inline0.js"));
        for plain in [
            "/pkg/mayi-id.js",
            "/pkg/0123456789abcde/mayi-id.js",   // 15 digits
            "/pkg/0123456789abcdef0/mayi-id.js", // 17 digits
            "/pkg/0123456789ABCDEF/mayi-id.js",  // upper case
            "/pkg/0123456789abcdeg/mayi-id.js",  // not hex
            "/pkg/0123456789abcdef",             // the directory itself
            "/pkg/0123456789abcdef/",
            "/pkg/mayi-id.0123456789abcdef.js", // the old naming
            "/pkg/",
            "",
        ] {
            assert!(!is_content_named(plain), "{plain}");
        }
    }

    #[test]
    fn build_txt_names_the_directory_and_a_bad_one_is_ignored() {
        let root = tempfile::tempdir().unwrap();
        let pkg = root.path().join("pkg");
        std::fs::create_dir_all(pkg.join("00112233aabbccdd")).unwrap();
        assert_eq!(site_pkg_dir(root.path()), "pkg");
        assert!(!has_front_end(root.path()));
        std::fs::write(pkg.join("mayi-id.js"), "").unwrap();
        assert!(has_front_end(root.path()));

        std::fs::write(pkg.join(BUILD_FILE), "00112233aabbccdd\n").unwrap();
        assert_eq!(site_pkg_dir(root.path()), "pkg/00112233aabbccdd");
        assert!(!has_front_end(root.path()), "the build's files are missing");
        std::fs::write(pkg.join("00112233aabbccdd/mayi-id.js"), "").unwrap();
        assert!(has_front_end(root.path()));

        for bad in ["../../etc/passwd", "0011", "", "00112233AABBCCDD", "a/b"] {
            std::fs::write(pkg.join(BUILD_FILE), bad).unwrap();
            assert_eq!(site_pkg_dir(root.path()), "pkg", "{bad:?}");
        }
    }
}
