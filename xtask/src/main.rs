//! MAYI ID's build tool: `cargo xtask build [--release]` builds the WebAssembly front end, splits
//! it into the chunks the pages load on demand, makes its JavaScript bindings, the site root
//! (`pkg/`, CSS, `public/`) and the server, with every tool version locked by `Cargo.lock` (no
//! `cargo-leptos`, no `wasm-bindgen` CLI install).
//! See `cargo xtask --help`.

#![forbid(unsafe_code)]

use anyhow::{bail, ensure, Context, Result};
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The site's file names. leptos bakes `LEPTOS_OUTPUT_NAME` in at compile time (set for every
/// build in `.cargo/config.toml`) and the server then asks for `/pkg/<name>.js|.wasm|.css`.
const OUTPUT_NAME: &str = "mayi-id";
/// Written into `pkg/`: the name of the directory holding this build's files
/// (`pkg/<16 hex>/`, the hex a hash of their content), read by the server at start
/// (`server::assets`), which then links `/pkg/<hash>/mayi-id.{js,wasm,css}`.
const BUILD_FILE: &str = "build.txt";
/// The module the main wasm imports the chunk loaders from. leptos links it under this name
/// (its placeholder for a hash, which MAYI ID puts in the directory name instead).
const SPLIT_LINK: &str = "__wasm_split.______________________.js";
/// Which chunks each lazily loaded function needs: the server reads it to preload a page's
/// chunks together with the main module.
const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";
/// The build's files are written here first, then renamed to `pkg/<hash>/`.
const STAGING: &str = "staging";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

const HELP: &str = "\
MAYI ID's build tool

USAGE:
    cargo xtask build [--release] [--front-only | --server-only] [--site-root DIR]
    cargo xtask sizes [--site-root DIR]
    cargo xtask --help

build   Builds the front end (wasm32, split into a main module and the chunks the pages
        load on demand, bindings, wasm-opt in release), the site root
        (pkg/<hash>/{mayi-id.{js,wasm,css},chunks,loader} with .br/.gz siblings,
        pkg/build.txt naming the directory, public/) and the server
        (target/{debug,release}/mayi-id).
sizes   Prints the raw / gzip / brotli sizes of an existing site's pkg/ files.

OPTIONS:
    --release        Optimised build: wasm-release profile + wasm-opt -Oz, brotli -q 11,
                     server in the release profile.
    --front-only     Build only the front end and the site root.
    --server-only    Build only the server.
    --site-root DIR  Where the site goes (default: <workspace>/target/site). Point the
                     server's site root (MAYI_SITE_ROOT) at the same directory.

Needs the wasm32-unknown-unknown target and, for --release, npm's binaryen in
end2end/node_modules: scripts/install-deps.sh installs both.
";

struct BuildOptions {
    release: bool,
    front: bool,
    server: bool,
    site_root: PathBuf,
}

fn main() {
    if let Err(error) = run() {
        eprintln!("xtask: error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let ws = workspace_root();
    let mut args = env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let mut release = false;
    let mut front_only = false;
    let mut server_only = false;
    let mut site_root = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--release" => release = true,
            "--front-only" => front_only = true,
            "--server-only" => server_only = true,
            "--site-root" => {
                let dir = args.next().context("--site-root needs a directory")?;
                // Relative to where the user typed the command, like any other CLI path.
                site_root = Some(env::current_dir()?.join(dir));
            }
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            other => bail!("unknown argument `{other}` (see `cargo xtask --help`)"),
        }
    }
    let site_root = site_root.unwrap_or_else(|| ws.join("target/site"));
    match command.as_str() {
        "build" => {
            ensure!(
                !(front_only && server_only),
                "--front-only and --server-only exclude each other"
            );
            build(
                &ws,
                &BuildOptions {
                    release,
                    front: !server_only,
                    server: !front_only,
                    site_root,
                },
            )
        }
        "sizes" => print_sizes(&site_root.join("pkg")),
        "" | "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command `{other}` (see `cargo xtask --help`)"),
    }
}

/// The workspace root is xtask's parent directory, so the tool works from any current directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn build(ws: &Path, opts: &BuildOptions) -> Result<()> {
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let total = Instant::now();
    check_output_name()?;
    if opts.front {
        check_wasm_bindgen_versions(ws)?;
        let pkg = opts.site_root.join("pkg");

        let start = Instant::now();
        let wasm = build_front(ws, opts.release)?;
        times.push(("front end (cargo)", start.elapsed()));

        // A fresh directory: no stale chunks, snippets or compressed siblings of an older build.
        if pkg.exists() {
            fs::remove_dir_all(&pkg).with_context(|| format!("cannot remove {}", pkg.display()))?;
        }
        let staging = pkg.join(STAGING);
        fs::create_dir_all(&staging)?;

        let start = Instant::now();
        let (main, chunks) = split(&wasm, &staging)?;
        times.push(("wasm-split", start.elapsed()));

        let start = Instant::now();
        generate_bindings(&main, &staging)?;
        fs::remove_file(&main)?;
        times.push(("wasm-bindgen", start.elapsed()));

        if opts.release {
            let start = Instant::now();
            let mut modules = vec![staging.join(format!("{OUTPUT_NAME}.wasm"))];
            modules.extend(chunks);
            wasm_opt(ws, &modules)?;
            times.push(("wasm-opt", start.elapsed()));
        }

        let start = Instant::now();
        bundle_css(ws, &staging)?;
        copy_dir(&ws.join("public"), &opts.site_root)?;
        let hashed = name_by_content(&pkg)?;
        println!("xtask: front end files in pkg/{hashed}/");
        times.push(("css + public/", start.elapsed()));

        let start = Instant::now();
        precompress(&pkg, opts.release)?;
        times.push(("precompress", start.elapsed()));
    }
    if opts.server {
        let start = Instant::now();
        build_server(ws, opts.release)?;
        times.push(("server (cargo)", start.elapsed()));
    }

    if opts.front {
        println!();
        print_sizes(&opts.site_root.join("pkg"))?;
        println!("site root: {}", opts.site_root.display());
    }
    println!();
    for (stage, time) in &times {
        println!("{stage:<20} {:>7.1} s", time.as_secs_f64());
    }
    println!("{:<20} {:>7.1} s", "total", total.elapsed().as_secs_f64());
    Ok(())
}

/// `[env]` in `.cargo/config.toml` does not override a variable already set in the shell, and a
/// different name compiles fine but leaves every page un-hydrated (404 on the wasm): refuse it.
fn check_output_name() -> Result<()> {
    match env::var("LEPTOS_OUTPUT_NAME") {
        Ok(name) if name != OUTPUT_NAME => bail!(
            "LEPTOS_OUTPUT_NAME is set to `{name}` in the environment, but the site is built as \
             `{OUTPUT_NAME}`: unset it"
        ),
        _ => Ok(()),
    }
}

/// The bindings generator must be the exact version of the `wasm-bindgen` crate compiled into
/// the wasm, otherwise the generated JS does not match the module's custom section.
fn check_wasm_bindgen_versions(ws: &Path) -> Result<()> {
    let lock_path = ws.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let crate_versions = lock_versions(&lock, "wasm-bindgen");
    let cli_versions = lock_versions(&lock, "wasm-bindgen-cli-support");
    ensure!(
        !crate_versions.is_empty() && !cli_versions.is_empty(),
        "Cargo.lock lists no `wasm-bindgen` or no `wasm-bindgen-cli-support` package"
    );
    ensure!(
        crate_versions.len() == 1 && crate_versions == cli_versions,
        "Cargo.lock has wasm-bindgen {} but wasm-bindgen-cli-support {}: they must be the same \
         version; pin both with `=x.y.z` (workspace Cargo.toml and xtask/Cargo.toml)",
        crate_versions.join(", "),
        cli_versions.join(", ")
    );
    Ok(())
}

/// The versions of package `name` in a Cargo.lock (`[[package]]` tables: `name` then `version`).
fn lock_versions(lock: &str, name: &str) -> Vec<String> {
    let name_line = format!("name = \"{name}\"");
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                versions.push(version.to_string());
            }
        }
    }
    versions
}

/// The same `cargo` that runs xtask (the toolchain rustup picked for this workspace).
fn cargo(ws: &Path) -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(ws);
    cmd
}

fn run_command(cmd: &mut Command) -> Result<()> {
    // `cargo build --package=server ...` rather than Debug's quoted `cd "..." && "/full/path"`.
    let program = Path::new(cmd.get_program()).file_name().unwrap_or_default();
    let mut shown = program.to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    ensure!(status.success(), "`{shown}` failed ({status})");
    Ok(())
}

/// Builds the `frontend` cdylib for wasm32 and returns the path of its `.wasm`.
fn build_front(ws: &Path, release: bool) -> Result<PathBuf> {
    check_wasm_target()?;
    let target_dir = ws.join("target/front");
    let mut cmd = cargo(ws);
    cmd.args([
        "rustc",
        "--package=frontend",
        "--lib",
        "--no-default-features",
    ])
    .arg(format!("--target={WASM_TARGET}"))
    .arg("--target-dir")
    .arg(&target_dir);
    if release {
        cmd.arg("--profile=wasm-release");
    }
    // No `--cfg erase_components` in debug (cargo-leptos adds it to both halves for faster
    // compiles): the type-erased views render other hydration markers, so a front end built with
    // it fails to hydrate a server built without it ("expected a marker node"), and building the
    // server with it would make every plain `cargo build`/`cargo test` recompile it from scratch.
    // The linker keeps its relocations in the module: the splitter needs them to move functions
    // into chunks. Given to the final crate only, so the dependencies stay cached.
    cmd.args(["--", "-Clink-arg=--emit-relocs"]);
    println!("xtask: building the front end ({WASM_TARGET})");
    run_command(&mut cmd)?;
    let profile_dir = if release { "wasm-release" } else { "debug" };
    Ok(target_dir
        .join(WASM_TARGET)
        .join(profile_dir)
        .join("frontend.wasm"))
}

/// A missing target otherwise shows up as a wall of `can't find crate for core` errors.
fn check_wasm_target() -> Result<()> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .with_context(|| format!("cannot run {}", rustc.to_string_lossy()))?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    ensure!(
        output.status.success() && !libdir.is_empty() && Path::new(&libdir).is_dir(),
        "the Rust target {WASM_TARGET} is not installed: run `scripts/install-deps.sh` \
         (or `rustup target add {WASM_TARGET}`)"
    );
    Ok(())
}

/// Splits the wasm at the `#[lazy]` functions (every page is one, `app::routes`): writes the
/// chunks, the loader module [`SPLIT_LINK`] and [`SPLIT_MANIFEST`] into `dir`, and returns the
/// main module still to be bound (`<name>_split.wasm`) and the chunks' paths.
fn split(wasm: &Path, dir: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let input = fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let main = dir.join(format!("{OUTPUT_NAME}_split.wasm"));
    let link_name = format!("./{SPLIT_LINK}");
    let main_module = format!("./{OUTPUT_NAME}.js");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = dir;
    options.main_out_path = &main;
    options.link_name = &link_name;
    options.main_module = &main_module;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow::anyhow!("{error:?}"))
        .with_context(|| format!("wasm-split failed on {}", wasm.display()))?;
    // Sorted, so that the same build writes the same bytes (the directory's name hashes them).
    let manifest: std::collections::BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    fs::write(
        dir.join(SPLIT_MANIFEST),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok((main, split.split_modules))
}

/// Writes `<name>.js` and `<name>.wasm` (plus any `snippets/`) into `dir`.
fn generate_bindings(wasm: &Path, dir: &Path) -> Result<()> {
    // The CLI's defaults, set explicitly (the library's own defaults differ), except for the
    // TypeScript declarations nobody loads: the JS then equals `wasm-bindgen --target web`'s
    // but for its first line, a `@ts-self-types` comment pointing at the `.d.ts`. The split
    // main module keeps the linker's exports the chunks import, under their mangled names.
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        .omit_default_module_path(false)
        .keep_lld_exports(true)
        .demangle(false)
        .generate(dir)
        .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;
    // The server, compiled with LEPTOS_OUTPUT_NAME set, asks for `<name>.wasm`, not `_bg.wasm`.
    fs::rename(
        dir.join(format!("{OUTPUT_NAME}_bg.wasm")),
        dir.join(format!("{OUTPUT_NAME}.wasm")),
    )?;
    Ok(())
}

/// Shrinks the release wasm modules in place with npm's binaryen (Debian's older wasm-opt
/// produces a module that fails to hydrate, so it is never taken from PATH). The other features
/// rustc uses (reference-types, multivalue, sign-ext...) need no flag: wasm-opt reads them from
/// the module's `target_features` section, which wasm-bindgen and the splitter keep.
fn wasm_opt(ws: &Path, modules: &[PathBuf]) -> Result<()> {
    let wasm_opt = ws.join("end2end/node_modules/.bin/wasm-opt");
    ensure!(
        wasm_opt.exists(),
        "{} is missing: run `scripts/install-deps.sh` (it runs `npm ci` in end2end/, which \
         installs npm's binaryen)",
        wasm_opt.display()
    );
    let before: u64 = modules.iter().map(|m| file_len(m)).sum();
    // One process per module, two at a time: the main module dominates.
    for pair in modules.chunks(2) {
        let mut children = Vec::new();
        for wasm in pair {
            let optimised = wasm.with_extension("opt.wasm");
            let child = Command::new(&wasm_opt)
                .arg(wasm)
                .args([
                    "-Oz",
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                ])
                .arg("-o")
                .arg(&optimised)
                // Its warnings (one per module about the linker's label names, which it drops
                // anyway) are shown only when it fails.
                .stderr(std::process::Stdio::piped())
                .spawn()
                .with_context(|| format!("cannot start {}", wasm_opt.display()))?;
            children.push((child, wasm, optimised));
        }
        for (child, wasm, optimised) in children {
            let output = child.wait_with_output()?;
            ensure!(
                output.status.success(),
                "wasm-opt failed on {} ({}):\n{}",
                wasm.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            fs::rename(&optimised, wasm)?;
        }
    }
    let after: u64 = modules.iter().map(|m| file_len(m)).sum();
    println!(
        "xtask: wasm-opt -Oz ({} modules): {} -> {}",
        modules.len(),
        human(before),
        human(after)
    );
    Ok(())
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Plain CSS only: `style/*.css` concatenated in file-name order (prefix names to order them).
fn bundle_css(ws: &Path, pkg: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = match fs::read_dir(ws.join("style")) {
        Ok(dir) => dir
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?,
        Err(_) => Vec::new(),
    };
    files.retain(|path| path.extension().is_some_and(|ext| ext == "css"));
    files.sort();
    let mut css = Vec::new();
    for file in &files {
        css.extend(fs::read(file).with_context(|| format!("cannot read {}", file.display()))?);
        css.push(b'\n');
    }
    // Written even when empty, so that the page's stylesheet link never gets a 404.
    fs::write(pkg.join(format!("{OUTPUT_NAME}.css")), css)?;
    Ok(())
}

/// Renames `pkg/staging/` to `pkg/<hash>/`, the hash (16 hex digits of SHA-256) taken over every
/// file in it (names and contents), and writes that name into [`BUILD_FILE`]. The files in such a
/// directory never change, so the server lets browsers cache them for a year; a new build gets a
/// new directory, so no browser ever runs a stale front end (or mixes chunks of two builds)
/// against a newer server. Names inside stay fixed: the modules import each other by them.
fn name_by_content(pkg: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let staging = pkg.join(STAGING);
    let mut files = Vec::new();
    collect_files(&staging, &mut files)?;
    files.sort();
    let mut digest = Sha256::new();
    for file in &files {
        let name = file.strip_prefix(&staging)?.to_string_lossy().into_owned();
        let data = fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        digest.update((name.len() as u64).to_le_bytes());
        digest.update(name.as_bytes());
        digest.update((data.len() as u64).to_le_bytes());
        digest.update(&data);
    }
    let hash: String = digest.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    fs::rename(&staging, pkg.join(&hash))?;
    fs::write(pkg.join(BUILD_FILE), format!("{hash}\n"))?;
    Ok(hash)
}

/// The directory [`name_by_content`] gave the build in `pkg`.
fn build_dir(pkg: &Path) -> Result<PathBuf> {
    let name = fs::read_to_string(pkg.join(BUILD_FILE)).with_context(|| {
        format!(
            "no {BUILD_FILE} in {}: run `cargo xtask build`",
            pkg.display()
        )
    })?;
    Ok(pkg.join(name.trim()))
}

/// Copies `from` into `to` recursively (overwriting, never deleting).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    let Ok(entries) = fs::read_dir(from) else {
        return Ok(()); // no public/ directory: nothing to copy
    };
    for entry in entries {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Writes `.br` and `.gz` siblings of every `.js`, `.wasm` and `.css` under `pkg/`, which the
/// server serves as they are (it does not compress `/pkg` itself). Brotli at quality 11 takes
/// seconds, so debug builds use fast settings.
fn precompress(pkg: &Path, release: bool) -> Result<()> {
    let (brotli_quality, gzip_level) = if release { (11, 9) } else { (1, 1) };
    let mut files = Vec::new();
    collect_files(pkg, &mut files)?;
    files.retain(|path| {
        path.extension()
            .is_some_and(|ext| ext == "js" || ext == "wasm" || ext == "css")
    });
    // One thread per file: the wasm dominates, the small files finish alongside it.
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|file| {
                scope.spawn(move || -> Result<()> {
                    let data = fs::read(file)?;
                    fs::write(sibling(file, "br"), brotli(&data, brotli_quality)?)?;
                    fs::write(sibling(file, "gz"), gzip(&data, gzip_level)?)?;
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().expect("compression thread panicked"))
    })
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            collect_files(&entry.path(), files)?;
        } else {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// `x.wasm` -> `x.wasm.br`
fn sibling(file: &Path, ext: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn brotli(data: &[u8], quality: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // The largest window (16 MB), as the `brotli` command line picks for big inputs: a
        // window covering the whole file compresses best.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, 24);
        writer.write_all(data)?;
    }
    Ok(out)
}

fn gzip(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

fn build_server(ws: &Path, release: bool) -> Result<()> {
    let mut cmd = cargo(ws);
    cmd.args(["build", "--package=server", "--bin", "mayi-id"]);
    if release {
        cmd.arg("--release");
    }
    println!("xtask: building the server");
    run_command(&mut cmd)
}

/// The size table of the files the browser loads; compressed columns read the siblings that
/// `build` wrote (`-` when absent). The chunks are summed; `make bench-web` shows what each page
/// actually downloads.
fn print_sizes(pkg: &Path) -> Result<()> {
    ensure!(
        pkg.is_dir(),
        "{} does not exist: run `cargo xtask build` first",
        pkg.display()
    );
    let dir = build_dir(pkg)?;
    let column = |bytes: u64| {
        if bytes == 0 {
            "-".to_string()
        } else {
            human(bytes)
        }
    };
    let row = |label: &str, files: &[PathBuf]| {
        let sum = |ext: Option<&str>| -> u64 {
            files
                .iter()
                .map(|f| file_len(&ext.map_or_else(|| f.clone(), |e| sibling(f, e))))
                .sum()
        };
        println!(
            "{label:<28} {:>10} {:>10} {:>10}",
            column(sum(None)),
            column(sum(Some("gz"))),
            column(sum(Some("br")))
        );
    };
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "pkg/", "raw", "gzip", "brotli"
    );
    for name in [
        format!("{OUTPUT_NAME}.wasm"),
        format!("{OUTPUT_NAME}.js"),
        SPLIT_LINK.to_string(),
        format!("{OUTPUT_NAME}.css"),
    ] {
        let label = if name == SPLIT_LINK {
            "(chunk loader).js"
        } else {
            &name
        };
        row(label, &[dir.join(&name)]);
    }
    let mut chunks = Vec::new();
    collect_files(&dir, &mut chunks)?;
    chunks.retain(|f| {
        f.extension().is_some_and(|e| e == "wasm")
            && f.file_name() != Some(std::ffi::OsStr::new(&format!("{OUTPUT_NAME}.wasm")))
    });
    row(&format!("{} chunks (*.wasm)", chunks.len()), &chunks);
    Ok(())
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.2} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_versions_reads_package_tables() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-cli-support\"\nversion = \"0.2.129\"\n";
        assert_eq!(super::lock_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert_eq!(
            super::lock_versions(lock, "wasm-bindgen-cli-support"),
            ["0.2.129"]
        );
        assert!(super::lock_versions(lock, "wasm").is_empty());

        // The same lock as a workspace's: the build refuses it before compiling anything.
        let ws = std::env::temp_dir().join(format!("xtask-test-{}", std::process::id()));
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(ws.join("Cargo.lock"), lock).unwrap();
        let error = super::check_wasm_bindgen_versions(&ws).unwrap_err();
        assert!(error.to_string().contains("must be the same version"));
        // No end2end/node_modules there either: wasm-opt is missing.
        let error = super::wasm_opt(&ws, &[ws.join("x.wasm")]).unwrap_err();
        assert!(error.to_string().contains("scripts/install-deps.sh"));
        std::fs::remove_dir_all(&ws).unwrap();
    }
}
