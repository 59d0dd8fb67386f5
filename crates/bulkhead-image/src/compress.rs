//! Layer decompression: gzip, zstd or none, detected from the stream's magic bytes (media types lie:
//! docker-archive layers are often labelled as tars but stored gzipped, and vice versa), with an
//! absolute bound on the uncompressed size so a decompression bomb stops with an error.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Compression found at the start of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Identify the compression from the first bytes of a stream.
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Counts the bytes that pass through it.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counting {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The absolute output budget of a decompressed stream, and how to say it was exceeded.
#[derive(Debug, Clone)]
pub struct OutputBound {
    /// Most bytes the stream may produce.
    pub max: u64,
    /// The error message when it produces more.
    pub what: String,
}

impl OutputBound {
    /// The per-layer bound (`max_layer_uncompressed`).
    pub fn layer(max: u64) -> Self {
        OutputBound {
            max,
            what: format!(
                "uncompressed layer exceeds the limit of {max} bytes (max_layer_uncompressed)"
            ),
        }
    }
}

/// Fails the stream once it has produced more than its bound. This absolute output budget is the
/// decompression-bomb defence: memory stays constant whatever the stream holds, and the time spent is
/// bounded by the budget. There is deliberately no ratio rule — a layer holding a GiB of zeros (a
/// sparse `lastlog`, a preallocated database) compresses a thousandfold and is legitimate.
pub struct Bounded<R> {
    inner: R,
    produced: Arc<AtomicU64>,
    bound: OutputBound,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let produced = self.produced.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if produced > self.bound.max {
            return Err(io::Error::other(self.bound.what.clone()));
        }
        Ok(n)
    }
}

/// Wrap a compressed layer stream into its decompressed form, bounded to `max` output bytes
/// (`max_layer_uncompressed`).
pub fn decompress<'a, R: Read + 'a>(
    raw: R,
    max: u64,
) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    decompress_bounded(raw, OutputBound::layer(max)).map(|(k, r, _)| (k, r))
}

/// [`decompress`] with an explicit bound; also returns the count of bytes produced so far.
pub fn decompress_bounded<'a, R: Read + 'a>(
    raw: R,
    bound: OutputBound,
) -> io::Result<(Compression, Box<dyn Read + 'a>, Arc<AtomicU64>)> {
    let mut buf = BufReader::with_capacity(256 * 1024, raw);
    let kind = detect(buf.fill_buf()?);
    let inner: Box<dyn Read + 'a> = match kind {
        Compression::None => Box::new(buf),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buf)?),
    };
    let produced = Arc::new(AtomicU64::new(0));
    Ok((
        kind,
        Box::new(Bounded {
            inner,
            produced: produced.clone(),
            bound,
        }),
        produced,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn detects_by_magic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&b"hello"[..], 1).unwrap();
        for (data, kind) in [
            (gz, Compression::Gzip),
            (zs, Compression::Zstd),
            (b"hello".to_vec(), Compression::None),
        ] {
            let (k, mut r) = decompress(&data[..], 1 << 20).unwrap();
            assert_eq!(k, kind);
            let mut out = String::new();
            r.read_to_string(&mut out).unwrap();
            assert_eq!(out, "hello");
        }
    }

    #[test]
    fn size_bound_stops_the_stream() {
        let data = vec![0u8; 10_000];
        let zs = zstd::encode_all(&data[..], 1).unwrap();
        let (_, mut r) = decompress(&zs[..], 4096).unwrap();
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
    }
}
