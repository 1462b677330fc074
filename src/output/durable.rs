//! Output files whose bytes reach the disk while the run is still writing.
//!
//! Every output is fsynced before its folder replaces the last one (a
//! night's folder must survive a power cut once it is announced). Synced
//! only at the end, the 1M month's 185 MB entitlements.csv kept a worker
//! thread waiting on the disk for about 0.1 s, a core idle while the other
//! files were still being encoded. [`DurableFile`] asks the kernel to start
//! writing each few megabytes back as soon as they are written (Linux's
//! `sync_file_range`, which does not wait), so the final `fsync` finds
//! little left to do. The `fsync` is still what makes a file durable, and
//! what reports a failed write: the early write-back is only a head start,
//! and its own errors are left to that `fsync`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::Error;

/// Bytes written between two requests to start write-back.
const WRITEBACK_EVERY: u64 = 8 << 20;

/// A new output file at `path`, written through a buffer of 1 MiB; an
/// error names the file.
pub(crate) fn create(path: &Path) -> Result<BufWriter<DurableFile>, Error> {
    let file = File::create(path).map_err(|e| Error::output(path, e))?;
    Ok(BufWriter::with_capacity(1 << 20, DurableFile::new(file)))
}

/// A file being written, its earlier bytes already on their way to disk.
pub(crate) struct DurableFile {
    file: File,
    /// Bytes written so far.
    written: u64,
    /// Bytes whose write-back was asked for.
    started: u64,
    /// A scratch file, never synced: its bytes need not reach the disk.
    scratch: bool,
}

impl DurableFile {
    pub(crate) fn new(file: File) -> Self {
        DurableFile { file, written: 0, started: 0, scratch: false }
    }

    /// For a scratch file, which dies with the run: no early write-back.
    pub(crate) fn scratch(&mut self) {
        self.scratch = true;
    }

    /// Waits until every byte written is on disk (`fsync`).
    pub(crate) fn sync_all(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    fn start_writeback(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let (offset, len) = (self.started as libc::off64_t, (self.written - self.started) as libc::off64_t);
            // SAFETY: a plain system call on a descriptor this value owns;
            // it reads no memory of the process.
            unsafe {
                libc::sync_file_range(self.file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        self.started = self.written;
    }
}

impl Write for DurableFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if !self.scratch && self.written - self.started >= WRITEBACK_EVERY {
            self.start_writeback();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Write-back requests along the way change nothing of what is written.
    #[test]
    fn writes_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let bytes: Vec<u8> = (0..(WRITEBACK_EVERY as usize * 3 + 12_345)).map(|i| (i * 7 % 251) as u8).collect();
        let mut f = DurableFile::new(File::create(&path).unwrap());
        for piece in bytes.chunks(1 << 20) {
            f.write_all(piece).unwrap();
        }
        assert_eq!(f.started, WRITEBACK_EVERY * 3, "write-back asked for every 8 MiB");
        f.sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);

        let mut scratch = DurableFile::new(File::create(dir.path().join("scratch.bin")).unwrap());
        scratch.scratch();
        scratch.write_all(&bytes).unwrap();
        assert_eq!(scratch.started, 0, "a scratch file is not written back early");
    }
}
