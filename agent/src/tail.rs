//! Reading the end of a log file without reading the whole file, and the allowlist that decides
//! which log files the API may read at all.
//!
//! - [`allowed_log_path`] resolves a path (symlinks, `..`) and accepts it only when the real
//!   file lies inside one of the allowed directories (themselves resolved);
//! - [`read_tail`] reads at most `max_bytes` from the end and returns the last complete lines;
//! - [`read_since`] continues from a [`Cursor`] (for polling): only what was appended since, or
//!   the tail again when the file was rotated or truncated.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why a path may not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    #[error("{0} is not an absolute path")]
    NotAbsolute(PathBuf),
    #[error("{path} cannot be opened: {source}")]
    Unresolvable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is outside the allowed log directories ({dirs})")]
    Outside { path: PathBuf, dirs: String },
    #[error("{0} is not a regular file")]
    NotFile(PathBuf),
}

/// The real path of `path` when it is a regular file inside one of `allowed_dirs`. Symlinks and
/// `..` are resolved before the check, so neither can lead outside.
pub fn allowed_log_path(path: &Path, allowed_dirs: &[PathBuf]) -> Result<PathBuf, PathError> {
    if !path.is_absolute() {
        return Err(PathError::NotAbsolute(path.to_owned()));
    }
    let real = path
        .canonicalize()
        .map_err(|source| PathError::Unresolvable {
            path: path.to_owned(),
            source,
        })?;
    let inside = allowed_dirs
        .iter()
        .filter_map(|d| d.canonicalize().ok())
        .any(|d| real.starts_with(d));
    if !inside {
        let dirs: Vec<String> = allowed_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        return Err(PathError::Outside {
            path: path.to_owned(),
            dirs: dirs.join(", "),
        });
    }
    if !real.metadata().is_ok_and(|m| m.is_file()) {
        return Err(PathError::NotFile(path.to_owned()));
    }
    Ok(real)
}

/// Which file, and where in it a reader stopped: the byte after the last complete line read.
/// Rendered as `<dev>.<inode>.<offset>` for clients to pass back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub dev: u64,
    pub inode: u64,
    pub offset: u64,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.dev, self.inode, self.offset)
    }
}

impl std::str::FromStr for Cursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.split('.').map(|p| p.parse::<u64>().map_err(|_| ()));
        let cursor = Cursor {
            dev: parts.next().ok_or(())??,
            inode: parts.next().ok_or(())??,
            offset: parts.next().ok_or(())??,
        };
        match parts.next() {
            None => Ok(cursor),
            Some(_) => Err(()),
        }
    }
}

/// Lines read from the end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// Complete lines, oldest first, without their line ends (invalid UTF-8 replaced).
    pub lines: Vec<String>,
    /// True when older lines were left out (line or byte cap).
    pub truncated: bool,
    /// Where the next [`read_since`] continues.
    pub cursor: Cursor,
    /// True when a cursor was given but the file was rotated or truncated since: the lines
    /// are the tail of the new file, not a continuation.
    pub reset: bool,
}

/// The last `max_lines` complete lines within the last `max_bytes` of the file. A final line
/// without a line end is left for the next read (it may still be being written).
pub fn read_tail(path: &Path, max_lines: usize, max_bytes: u64) -> std::io::Result<Tail> {
    let (mut file, meta) = open_regular(path)?;
    read_range(&mut file, &meta, None, max_lines, max_bytes)
}

/// What was appended after `cursor`; the tail when the file is another one (rotated) or
/// shorter than the cursor (truncated), with `reset` set.
pub fn read_since(
    path: &Path,
    cursor: Cursor,
    max_lines: usize,
    max_bytes: u64,
) -> std::io::Result<Tail> {
    let (mut file, meta) = open_regular(path)?;
    let same_file = meta.dev() == cursor.dev && meta.ino() == cursor.inode;
    if !same_file || meta.len() < cursor.offset {
        let mut tail = read_range(&mut file, &meta, None, max_lines, max_bytes)?;
        tail.reset = true;
        return Ok(tail);
    }
    read_range(&mut file, &meta, Some(cursor.offset), max_lines, max_bytes)
}

/// Opens `path` for reading only if it is a regular file. The check is made on the opened file,
/// and the open does not wait: a FIFO or device swapped in after [`allowed_log_path`] checked
/// the path is refused instead of blocking the reader.
fn open_regular(path: &Path) -> std::io::Result<(File, std::fs::Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta))
}

fn read_range(
    file: &mut File,
    meta: &std::fs::Metadata,
    from: Option<u64>,
    max_lines: usize,
    max_bytes: u64,
) -> std::io::Result<Tail> {
    let len = meta.len();
    let wanted_start = from.unwrap_or(0);
    let start = wanted_start.max(len.saturating_sub(max_bytes));
    // Reading from `start > wanted_start` cuts into a line unless the byte before is a line end.
    let mut cut = start > wanted_start;
    if cut {
        file.seek(SeekFrom::Start(start - 1))?;
        let mut before = [0u8; 1];
        file.read_exact(&mut before)?;
        cut = before[0] != b'\n';
    } else {
        file.seek(SeekFrom::Start(start))?;
    }
    let mut buf = Vec::with_capacity((len - start) as usize);
    file.take(len - start).read_to_end(&mut buf)?;

    let mut body: &[u8] = &buf;
    let mut consumed_start = start;
    if cut {
        // Drop the partial first line.
        match body.iter().position(|b| *b == b'\n') {
            Some(i) => {
                body = &body[i + 1..];
                consumed_start += i as u64 + 1;
            }
            None => body = &[],
        }
    }
    let complete = match body.iter().rposition(|b| *b == b'\n') {
        Some(i) => &body[..=i],
        None => &[][..],
    };
    let end = if complete.is_empty() && cut {
        // Nothing complete in the window: do not move backwards past the skipped bytes.
        start
    } else {
        consumed_start + complete.len() as u64
    };
    let mut lines: Vec<String> = complete
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect();
    lines.pop(); // the empty piece after the last line end
    let mut truncated = start > wanted_start;
    if lines.len() > max_lines {
        lines.drain(..lines.len() - max_lines);
        truncated = true;
    }
    Ok(Tail {
        lines,
        truncated,
        cursor: Cursor {
            dev: meta.dev(),
            inode: meta.ino(),
            offset: end,
        },
        reset: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    #[test]
    fn a_fifo_or_device_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("swapped.log");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        for path in [fifo.as_path(), Path::new("/dev/zero")] {
            let err = read_tail(path, 10, 1024).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{path:?}");
            let cursor = Cursor {
                dev: 0,
                inode: 0,
                offset: 0,
            };
            assert!(read_since(path, cursor, 10, 1024).is_err(), "{path:?}");
        }
    }

    #[test]
    fn tail_keeps_the_last_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        append(&log, "one\ntwo\nthree\nfour\npartial");
        let t = read_tail(&log, 2, 1 << 20).unwrap();
        assert_eq!(t.lines, ["three", "four"]);
        assert!(t.truncated);
        assert_eq!(t.cursor.offset, "one\ntwo\nthree\nfour\n".len() as u64);

        let all = read_tail(&log, 100, 1 << 20).unwrap();
        assert_eq!(all.lines, ["one", "two", "three", "four"]);
        assert!(!all.truncated);
    }

    #[test]
    fn the_byte_cap_drops_the_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        append(&log, "aaaaaaaaaa\nbbbb\ncccc\n");
        let t = read_tail(&log, 100, 8).unwrap();
        assert_eq!(t.lines, ["cccc"]);
        assert!(t.truncated);
        // Exactly at a line start: nothing is cut.
        let t = read_tail(&log, 100, 10).unwrap();
        assert_eq!(t.lines, ["bbbb", "cccc"]);
    }

    #[test]
    fn since_returns_only_appended_lines_and_resets_on_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        append(&log, "one\ntwo\n");
        let first = read_tail(&log, 100, 1 << 20).unwrap();
        let none = read_since(&log, first.cursor, 100, 1 << 20).unwrap();
        assert!(none.lines.is_empty() && !none.reset);
        assert_eq!(none.cursor, first.cursor);

        append(&log, "three\nfour");
        let next = read_since(&log, first.cursor, 100, 1 << 20).unwrap();
        assert_eq!(next.lines, ["three"]);
        append(&log, "\n");
        let next = read_since(&log, next.cursor, 100, 1 << 20).unwrap();
        assert_eq!(next.lines, ["four"]);

        // Truncated in place (copytruncate): same inode, shorter file.
        fs::write(&log, "x\n").unwrap();
        let t = read_since(&log, next.cursor, 100, 1 << 20).unwrap();
        assert!(t.reset);
        assert_eq!(t.lines, ["x"]);

        // Rotated: a new file under the same name.
        fs::rename(&log, dir.path().join("a.log.1")).unwrap();
        append(&log, "fresh\n");
        let r = read_since(&log, t.cursor, 100, 1 << 20).unwrap();
        assert!(r.reset);
        assert_eq!(r.lines, ["fresh"]);
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            dev: 2049,
            inode: 77,
            offset: 1234,
        };
        assert_eq!(c.to_string().parse::<Cursor>(), Ok(c));
        for bad in ["", "1.2", "1.2.3.4", "a.b.c", "-1.2.3"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_files_inside_the_allowed_dirs_are_readable() {
        let allowed = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let inside = allowed.path().join("f2b.log");
        fs::write(&inside, "x\n").unwrap();
        assert!(allowed_log_path(&inside, &dirs).is_ok());

        let secret = other.path().join("secret");
        fs::write(&secret, "x\n").unwrap();
        assert!(matches!(
            allowed_log_path(&secret, &dirs),
            Err(PathError::Outside { .. })
        ));
        let dotdot = allowed
            .path()
            .join("..")
            .join(other.path().file_name().unwrap())
            .join("secret");
        assert!(matches!(
            allowed_log_path(&dotdot, &dirs),
            Err(PathError::Outside { .. })
        ));
        let link = allowed.path().join("link.log");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert!(matches!(
            allowed_log_path(&link, &dirs),
            Err(PathError::Outside { .. })
        ));
        assert!(matches!(
            allowed_log_path(Path::new("rel.log"), &dirs),
            Err(PathError::NotAbsolute(_))
        ));
        assert!(matches!(
            allowed_log_path(allowed.path(), &dirs),
            Err(PathError::NotFile(_))
        ));
        assert!(matches!(
            allowed_log_path(&allowed.path().join("missing.log"), &dirs),
            Err(PathError::Unresolvable { .. })
        ));
    }
}
