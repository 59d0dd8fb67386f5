//! Content digests: validation of `algorithm:hex` strings (they become file names, so they are checked
//! strictly) and a reader that hashes what passes through and checks it at the end.

use crate::{Error, Result};
use sha2::{Digest as _, Sha256, Sha512};
use std::io::{self, Read};

/// Check that a digest is `sha256:<64 hex>` or `sha512:<128 hex>`, the only forms the OCI spec registers.
pub fn validate(digest: &str) -> Result<(&str, &str)> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| Error::Invalid(format!("digest {digest:?}: missing algorithm prefix")))?;
    let want = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(Error::Invalid(format!(
                "digest {digest:?}: unsupported algorithm {alg:?}"
            )));
        }
    };
    if hex.len() != want
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Error::Invalid(format!(
            "digest {digest:?}: expected {want} lowercase hex characters"
        )));
    }
    Ok((alg, hex))
}

/// sha256 of a byte slice as `sha256:<hex>`.
pub fn sha256_of(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Verify a small document against its digest.
pub fn verify_bytes(digest: &str, data: &[u8]) -> Result<()> {
    let (alg, _) = validate(digest)?;
    let actual = match alg {
        "sha512" => format!("sha512:{}", hex::encode(Sha512::digest(data))),
        _ => sha256_of(data),
    };
    if actual != digest {
        return Err(Error::DigestMismatch {
            digest: digest.to_string(),
            actual,
        });
    }
    Ok(())
}

/// A reader that hashes what passes through it and checks the digest in [`ThreadedDigestReader::finish`].
/// Hashing runs on a helper thread: the reader hands each chunk it reads to
/// the hasher over a bounded channel (a few MiB in flight at most) and serves the same bytes to its
/// caller. Hashing a layer is the most expensive part of a scan; this moves it off the thread that
/// decompresses and parses the tar.
pub struct ThreadedDigestReader<R> {
    inner: R,
    tx: Option<std::sync::mpsc::SyncSender<std::sync::Arc<Vec<u8>>>>,
    /// Chunks the hasher is done with come back here for reuse (no re-zeroing of fresh buffers).
    back: Option<std::sync::mpsc::Receiver<std::sync::Arc<Vec<u8>>>>,
    worker: Option<std::thread::JoinHandle<String>>,
    cur: std::sync::Arc<Vec<u8>>,
    pos: usize,
    expected: Option<String>,
}

const HASH_CHUNK: usize = 256 << 10;

impl<R: Read> ThreadedDigestReader<R> {
    /// `expected = None` passes data through unchecked (no thread).
    pub fn new(inner: R, expected: Option<&str>) -> Result<Self> {
        let (tx, back, worker) = match expected {
            None => (None, None, None),
            Some(d) => {
                let alg = validate(d)?.0.to_string();
                let (tx, rx) = std::sync::mpsc::sync_channel::<std::sync::Arc<Vec<u8>>>(4);
                let (back_tx, back_rx) = std::sync::mpsc::channel();
                let worker = std::thread::spawn(move || {
                    if alg == "sha512" {
                        let mut h = Sha512::new();
                        for chunk in rx {
                            h.update(&chunk[..]);
                            let _ = back_tx.send(chunk);
                        }
                        format!("sha512:{}", hex::encode(h.finalize()))
                    } else {
                        let mut h = Sha256::new();
                        for chunk in rx {
                            h.update(&chunk[..]);
                            let _ = back_tx.send(chunk);
                        }
                        format!("sha256:{}", hex::encode(h.finalize()))
                    }
                });
                (Some(tx), Some(back_rx), Some(worker))
            }
        };
        Ok(ThreadedDigestReader {
            inner,
            tx,
            back,
            worker,
            cur: std::sync::Arc::new(Vec::new()),
            pos: 0,
            expected: expected.map(str::to_string),
        })
    }

    /// Read to the end and compare the digest.
    pub fn finish(mut self) -> Result<()> {
        io::copy(&mut self, &mut io::sink())
            .map_err(|e| Error::io(self.expected.as_deref().unwrap_or("layer"), e))?;
        drop(self.tx.take());
        let (Some(worker), Some(expected)) = (self.worker.take(), self.expected.take()) else {
            return Ok(());
        };
        let actual = worker
            .join()
            .map_err(|_| Error::Invalid(format!("hashing {expected}: worker thread panicked")))?;
        if actual != expected {
            return Err(Error::DigestMismatch {
                digest: expected,
                actual,
            });
        }
        Ok(())
    }
}

impl<R: Read> Read for ThreadedDigestReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.tx.is_none() {
            return self.inner.read(out);
        }
        if self.pos >= self.cur.len() {
            drop(std::mem::take(&mut self.cur));
            let mut chunk = Vec::new();
            if let Some(back) = &self.back {
                while let Ok(a) = back.try_recv() {
                    if let Ok(v) = std::sync::Arc::try_unwrap(a) {
                        chunk = v;
                        break;
                    }
                }
            }
            // Only a fresh buffer is zeroed (by the allocator, which maps zeroed pages lazily and
            // never touches pages a small layer does not fill); reused ones are already full length.
            if chunk.len() < HASH_CHUNK {
                chunk = vec![0u8; HASH_CHUNK];
            }
            let mut n = 0;
            while n < HASH_CHUNK {
                match self.inner.read(&mut chunk[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            chunk.truncate(n);
            if chunk.is_empty() {
                return Ok(0);
            }
            self.cur = std::sync::Arc::new(chunk);
            self.pos = 0;
            if let Some(tx) = &self.tx
                && tx.send(self.cur.clone()).is_err()
            {
                return Err(io::Error::other("hashing thread stopped"));
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_validated_strictly() {
        assert!(validate("sha256:../../etc/passwd").is_err());
        assert!(validate("md5:abcd").is_err());
        assert!(validate(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(validate(&format!("sha256:{}", "A".repeat(64))).is_err());
    }

    #[test]
    fn reader_detects_mismatch() {
        let good = sha256_of(b"abc");
        ThreadedDigestReader::new(&b"abc"[..], Some(&good))
            .unwrap()
            .finish()
            .unwrap();
        let err = ThreadedDigestReader::new(&b"abd"[..], Some(&good))
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }));
    }

    #[test]
    fn threaded_reader_agrees() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let good = sha256_of(&data);
        let mut r = ThreadedDigestReader::new(&data[..], Some(&good)).unwrap();
        let mut head = vec![0u8; 12345];
        r.read_exact(&mut head).unwrap();
        assert_eq!(head, data[..12345]);
        r.finish().unwrap();
        let mut bad = data.clone();
        bad[2_999_999] ^= 1;
        let err = ThreadedDigestReader::new(&bad[..], Some(&good))
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }));
    }
}
