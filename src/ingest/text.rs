//! An input file's bytes as ingest holds them: mapped from the page cache
//! when the file is read from disk, owned when they were made in memory (a
//! partition, a fuzz case).
//!
//! Mapping is what `std::fs::read` cost without its work: reading copied
//! every byte of the inputs into fresh memory, which the kernel first
//! cleared, a page at a time (the copy and the clearing were 8 – 10 % of a
//! run's CPU on the 1M month). A mapped file is the page cache's own pages.
//!
//! The price is what mapping means: the file must not change while it is
//! read. [`FileText::map`] notes the file's size and modification time, and
//! [`FileText::unchanged`] is asked once the file is hashed and split: a
//! file rewritten in between is refused by name rather than read half old,
//! half new. A file truncated under a run stops the process with SIGBUS
//! before anything is committed (the output folder is swapped in whole at
//! the end, or not at all).

use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::time::SystemTime;

/// The bytes of an input file.
pub enum FileText {
    Owned(Vec<u8>),
    Mapped { map: memmap2::Mmap, len: u64, modified: Option<SystemTime> },
}

impl FileText {
    /// Maps `path` (read ahead in one go); an empty file, which cannot be
    /// mapped, is an empty buffer.
    pub(crate) fn map(path: &Path) -> std::io::Result<FileText> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.len() == 0 {
            return Ok(FileText::Owned(Vec::new()));
        }
        // SAFETY: the mapping is read-only and private; what another
        // process may do to the file meanwhile is the module's doc's matter
        // (checked by `unchanged`, or a SIGBUS before any commit).
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
        Ok(FileText::Mapped { map, len: meta.len(), modified: meta.modified().ok() })
    }

    /// Whether `path` still has the size and modification time it had
    /// when it was mapped (always for bytes held in memory).
    pub(crate) fn unchanged(&self, path: &Path) -> std::io::Result<bool> {
        match self {
            FileText::Owned(_) => Ok(true),
            FileText::Mapped { len, modified, .. } => {
                let meta = std::fs::metadata(path)?;
                Ok(meta.len() == *len && meta.modified().ok() == *modified)
            }
        }
    }
}

impl Deref for FileText {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileText::Owned(v) => v,
            FileText::Mapped { map, .. } => map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_mapped_file_is_its_bytes_and_is_unchanged_until_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rights.csv");
        std::fs::write(&path, b"right_id,seeker_id\nR1,S1\n").unwrap();
        let text = FileText::map(&path).unwrap();
        assert!(matches!(text, FileText::Mapped { .. }));
        assert_eq!(&text[..], b"right_id,seeker_id\nR1,S1\n");
        assert!(text.unchanged(&path).unwrap());
        // Rewritten with as many bytes: only the modification time tells.
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let FileText::Mapped { modified, .. } = &text else { unreachable!() };
        f.set_modified(modified.unwrap() + Duration::from_secs(1)).unwrap();
        assert!(!text.unchanged(&path).unwrap());
        // Grown.
        let text = FileText::map(&path).unwrap();
        std::fs::write(&path, b"right_id,seeker_id\nR1,S1\nR2,S2\n").unwrap();
        assert!(!text.unchanged(&path).unwrap());
    }

    #[test]
    fn an_empty_file_is_held_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payslips.csv");
        std::fs::write(&path, b"").unwrap();
        let text = FileText::map(&path).unwrap();
        assert!(matches!(text, FileText::Owned(ref v) if v.is_empty()));
        assert!(text.unchanged(&path).unwrap());
    }
}
