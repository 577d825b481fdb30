//! Policy files are read only from inside their folders: a symlink, or an `extends` that
//! climbs out with `..`, must not let a set (or a dry run's candidate) read other files of
//! the machine and echo them back in an error message.

use std::io;
use std::path::Path;

/// Reads `path` if, with every symlink resolved, it lies inside `root`. A missing file is
/// `NotFound`, as from `read_to_string`.
pub fn read_within(root: &Path, path: &Path) -> io::Result<String> {
    let real = path.canonicalize()?;
    if !real.starts_with(root.canonicalize()?) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "it leads outside the policy folders (a symlink?); hint: copy the file in instead",
        ));
    }
    std::fs::read_to_string(real)
}

/// Whether `id` can name a set folder: one plain segment, as `policies/<id>`.
pub fn is_set_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_out_are_refused_and_ids_are_single_segments() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::fs::write(root.path().join("in.toml"), "ok").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link"))
            .unwrap();
        assert_eq!(
            read_within(root.path(), &root.path().join("in.toml")).unwrap(),
            "ok"
        );
        let err = read_within(root.path(), &root.path().join("link")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        let missing = read_within(root.path(), &root.path().join("none")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(is_set_id("anshan") && is_set_id("puyang-hualong"));
        assert!(!is_set_id("../etc") && !is_set_id("a/b") && !is_set_id(""));
    }
}
