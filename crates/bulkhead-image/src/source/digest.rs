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

enum Hasher {
    S256(Sha256),
    S512(Sha512),
}

/// Hashes every byte read through it; [`DigestReader::finish`] drains the rest and compares.
pub struct DigestReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Option<String>,
}

impl<R: Read> DigestReader<R> {
    /// `expected = None` passes data through unchecked.
    pub fn new(inner: R, expected: Option<&str>) -> Result<Self> {
        let hasher = match expected {
            None => None,
            Some(d) => Some(match validate(d)?.0 {
                "sha512" => Hasher::S512(Sha512::new()),
                _ => Hasher::S256(Sha256::new()),
            }),
        };
        Ok(DigestReader {
            inner,
            hasher,
            expected: expected.map(str::to_string),
        })
    }

    /// Read to the end and compare the digest.
    pub fn finish(mut self) -> Result<()> {
        io::copy(&mut self, &mut io::sink())
            .map_err(|e| Error::io(self.expected.as_deref().unwrap_or("layer"), e))?;
        let (Some(h), Some(expected)) = (self.hasher, self.expected) else {
            return Ok(());
        };
        let actual = match h {
            Hasher::S256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Hasher::S512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        };
        if actual != expected {
            return Err(Error::DigestMismatch {
                digest: expected,
                actual,
            });
        }
        Ok(())
    }
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match &mut self.hasher {
            Some(Hasher::S256(h)) => h.update(&buf[..n]),
            Some(Hasher::S512(h)) => h.update(&buf[..n]),
            None => {}
        }
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
        DigestReader::new(&b"abc"[..], Some(&good))
            .unwrap()
            .finish()
            .unwrap();
        let err = DigestReader::new(&b"abd"[..], Some(&good))
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }));
    }
}
