//! SECURITY.md names, for every rule and abuse case, the tests that cover it. This keeps it
//! honest: every row names at least one test, and every named test exists (a Rust test function
//! or a Playwright test title).

use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("node_modules") {
                files(&path, ext, out);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn read_all(root: &Path, dirs: &[&str], ext: &str) -> String {
    let mut paths = Vec::new();
    for dir in dirs {
        files(&root.join(dir), ext, &mut paths);
    }
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_rule_in_security_md_names_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("SECURITY.md")).expect("SECURITY.md exists");
    let rust = read_all(
        &root,
        &["identity/src", "app/src", "server/src", "server/tests"],
        "rs",
    );
    let playwright = read_all(&root, &["end2end/tests"], "ts");
    let mut rows = 0;
    for line in text.lines() {
        // Table rows whose first cell is a rule ID (PW-1) or an abuse case number.
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[1].is_empty() || cells[1] == "ID" || cells[1] == "#" {
            continue;
        }
        let id = cells[1];
        let is_rule = id.contains('-') && id.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        let is_case = id.parse::<u32>().is_ok();
        if !is_rule && !is_case {
            continue;
        }
        rows += 1;
        let tests = cells[cells.len() - 2];
        let mut named = 0;
        for (i, part) in tests.split('`').enumerate() {
            if i % 2 == 1 {
                named += 1;
                assert!(
                    rust.contains(&format!("fn {part}(")) || rust.contains(&format!("fn {part}<")),
                    "{id}: no Rust test `{part}`"
                );
            }
        }
        for (i, part) in tests.split('"').enumerate() {
            if i % 2 == 1 {
                named += 1;
                assert!(
                    playwright.contains(part),
                    "{id}: no Playwright test \"{part}\""
                );
            }
        }
        assert!(named > 0, "{id} names no test");
    }
    assert!(rows >= 90, "only {rows} rows were read");
}
