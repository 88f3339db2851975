use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A file to ingest, with the id it gets when its metadata names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path as found.
    pub path: PathBuf,
    /// `<folder given>/<path inside it, without extension>`, or the file stem for a file given directly.
    pub fallback_id: String,
    /// Name of the folder the file sits in, for `doc_type` by folder.
    pub folder: Option<String>,
}

/// A file that was passed over: an unsupported extension or a link leading out of the folder given
/// (`failed == false`), or a path that does not exist or cannot be listed (`failed == true`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Why it was passed over.
    pub reason: String,
    /// True when the user asked for something that could not be read, not merely something to skip.
    pub failed: bool,
}

const SUPPORTED: &[&str] = &["md", "markdown", "txt", "text", "html", "htm", "pdf"];

/// Expands files and folders (recursively) into the files to ingest, sorted by path so runs are
/// reproducible. Missing paths come back as `Err` entries in the skipped list's place: the caller reports them.
pub fn discover(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<SkippedFile>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for root in paths {
        if root.is_file() {
            consider(root, None, &mut files, &mut skipped);
            continue;
        }
        if !root.is_dir() {
            skipped.push(SkippedFile {
                path: root.clone(),
                reason: "no such file or folder".into(),
                failed: true,
            });
            continue;
        }
        // Links are followed inside the folder given, never out of it: a link to /etc or to another
        // department's share must not put its files in this catalog.
        let real_root = root.canonicalize().unwrap_or_else(|_| root.clone());
        let mut entries: Vec<PathBuf> = WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .filter_map(|e| match e {
                Ok(e) if e.file_type().is_file() => match e.path().canonicalize() {
                    Ok(real) if real.starts_with(&real_root) => Some(e.into_path()),
                    Ok(real) => {
                        skipped.push(SkippedFile {
                            path: e.into_path(),
                            reason: format!(
                                "skipped: a link leading outside the folder given (to {})",
                                real.display()
                            ),
                            failed: false,
                        });
                        None
                    }
                    Err(err) => {
                        skipped.push(SkippedFile {
                            path: e.into_path(),
                            reason: format!("cannot resolve: {err}"),
                            failed: true,
                        });
                        None
                    }
                },
                Ok(_) => None,
                Err(err) => {
                    skipped.push(SkippedFile {
                        path: err
                            .path()
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|| root.clone()),
                        reason: format!("cannot list: {err}"),
                        failed: true,
                    });
                    None
                }
            })
            .collect();
        entries.sort();
        for path in entries {
            consider(&path, Some(root), &mut files, &mut skipped);
        }
    }
    (files, skipped)
}

fn consider(
    path: &Path,
    root: Option<&Path>,
    files: &mut Vec<SourceFile>,
    skipped: &mut Vec<SkippedFile>,
) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.starts_with('.') {
        return;
    }
    if name.ends_with(".meta.yaml") || name.ends_with(".meta.yml") {
        return; // sidecars are read with the file they describe
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !SUPPORTED.contains(&ext.as_str()) {
        skipped.push(SkippedFile {
            path: path.to_path_buf(),
            reason: format!("unsupported file type {:?}", ext),
            failed: false,
        });
        return;
    }
    files.push(SourceFile {
        path: path.to_path_buf(),
        fallback_id: fallback_id(path, root),
        folder: path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .map(str::to_string),
    });
}

fn fallback_id(path: &Path, root: Option<&Path>) -> String {
    let stem_path = path.with_extension("");
    let Some(root) = root else {
        return stem_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    };
    let root_name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let rel = stem_path.strip_prefix(root).unwrap_or(&stem_path);
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if root_name.is_empty() {
        rel
    } else {
        format!("{root_name}/{rel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_folder_and_relative_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("protocols");
        std::fs::create_dir_all(root.join("icu")).expect("mkdir");
        std::fs::write(root.join("icu/sepsis.md"), "x").expect("write");
        std::fs::write(root.join("icu/sepsis.meta.yaml"), "x").expect("write");
        std::fs::write(root.join("notes.csv"), "x").expect("write");
        let (files, skipped) = discover(std::slice::from_ref(&root));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].fallback_id, "protocols/icu/sepsis");
        assert_eq!(files[0].folder.as_deref(), Some("icu"));
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("unsupported"));
    }

    #[test]
    fn links_leaving_the_folder_are_skipped_and_links_inside_it_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("protocols");
        let outside = dir.path().join("elsewhere");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join("secret.md"), "x").expect("write");
        std::fs::write(root.join("real.md"), "x").expect("write");
        std::os::unix::fs::symlink(outside.join("secret.md"), root.join("leak.md")).expect("link");
        std::os::unix::fs::symlink(&outside, root.join("leak-dir")).expect("link");
        std::os::unix::fs::symlink(root.join("real.md"), root.join("alias.md")).expect("link");
        let (files, skipped) = discover(std::slice::from_ref(&root));
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["alias.md", "real.md"]);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped
                .iter()
                .all(|s| !s.failed && s.reason.contains("outside the folder given"))
        );
    }
}
