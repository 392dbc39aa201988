//! Names the migrations by a digest of their files (`MIGRATIONS_DIGEST`), so the tests' template
//! database (`db::scratch`) is rebuilt whenever a migration is added or changed.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let mut files = Vec::new();
    collect(Path::new("migrations"), &mut files);
    files.sort();
    // FNV-1a, 64 bits: stable across toolchains, and a digest is all the name needs.
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let contents = std::fs::read(&file).expect("a migration file is readable");
        let path = file.to_string_lossy().replace('\\', "/");
        for byte in path.bytes().chain([0]).chain(contents).chain([0]) {
            digest ^= u64::from(byte);
            digest = digest.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=MIGRATIONS_DIGEST={digest:016x}");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("migrations/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
