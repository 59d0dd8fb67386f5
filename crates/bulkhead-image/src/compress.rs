//! Layer decompression: gzip, zstd or none, detected from the stream's magic bytes (media types lie:
//! docker-archive layers are often labelled as tars but stored gzipped, and vice versa), with bounds
//! on the uncompressed size and the compression ratio so a decompression bomb stops with an error.

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

/// Fails the stream once it has produced more than `max` bytes, or when the ratio of produced bytes to
/// consumed compressed bytes exceeds `max_ratio` after the first GiB.
pub struct Bounded<R> {
    inner: R,
    produced: u64,
    consumed: Arc<AtomicU64>,
    max: u64,
    max_ratio: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.max {
            return Err(io::Error::other(format!(
                "uncompressed layer exceeds the limit of {} bytes",
                self.max
            )));
        }
        if self.produced > (1 << 30) {
            let consumed = self.consumed.load(Ordering::Relaxed).max(1);
            if self.produced / consumed > self.max_ratio {
                return Err(io::Error::other(format!(
                    "decompression bomb: {} bytes from {} compressed (ratio over {})",
                    self.produced, consumed, self.max_ratio
                )));
            }
        }
        Ok(n)
    }
}

/// Wrap a compressed layer stream into its decompressed, bounded form.
pub fn decompress<'a, R: Read + 'a>(
    raw: R,
    max: u64,
    max_ratio: u64,
) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let (counting, consumed) = Counting::new(raw);
    let mut buf = BufReader::with_capacity(256 * 1024, counting);
    let kind = detect(buf.fill_buf()?);
    let inner: Box<dyn Read + 'a> = match kind {
        Compression::None => Box::new(buf),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buf)?),
    };
    Ok((
        kind,
        Box::new(Bounded {
            inner,
            produced: 0,
            consumed,
            max,
            max_ratio,
        }),
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
            let (k, mut r) = decompress(&data[..], 1 << 20, 1000).unwrap();
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
        let (_, mut r) = decompress(&zs[..], 4096, 1000).unwrap();
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
    }
}
