//! Version order per ecosystem. Every scheme exposes `compare(a, b) -> Result<Ordering, Error>` in its
//! own module; [`compare`] dispatches on the [`Ecosystem`]. Each module is checked differentially against
//! the ecosystem's reference implementation in tests (see tests/).

use std::cmp::Ordering;

pub mod apk;
pub mod dpkg;
pub mod rpm;

pub mod composer;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rubygems;
pub mod semver;

/// Version schemes, named after the OSV ecosystems that use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ecosystem {
    /// dpkg (Debian, Ubuntu).
    Dpkg,
    /// rpm (Red Hat family, SUSE, CBL-Mariner, …).
    Rpm,
    /// apk (Alpine, Wolfi, Chainguard).
    Apk,
    /// npm (node-semver).
    Npm,
    /// crates.io (SemVer 2.0).
    CratesIo,
    /// Go modules (SemVer with `v`, `+incompatible`).
    Go,
    /// PyPI (PEP 440).
    PyPI,
    /// Maven (ComparableVersion).
    Maven,
    /// RubyGems (Gem::Version).
    RubyGems,
    /// NuGet.
    NuGet,
    /// Packagist (Composer).
    Packagist,
}

/// A version string a scheme cannot order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ecosystem} version {version:?}: {reason}")]
pub struct Error {
    pub ecosystem: &'static str,
    pub version: String,
    pub reason: String,
}

impl Error {
    /// Build an error.
    pub fn new(ecosystem: &'static str, version: &str, reason: impl Into<String>) -> Self {
        Error {
            ecosystem,
            version: version.to_string(),
            reason: reason.into(),
        }
    }
}

/// Order two versions of the same ecosystem.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Result<Ordering, Error> {
    match eco {
        Ecosystem::Dpkg => dpkg::compare(a, b),
        Ecosystem::Rpm => rpm::compare(a, b),
        Ecosystem::Apk => apk::compare(a, b),
        Ecosystem::Npm => semver::compare_npm(a, b),
        Ecosystem::CratesIo => semver::compare(a, b),
        Ecosystem::Go => semver::compare_go(a, b),
        Ecosystem::PyPI => pep440::compare(a, b),
        Ecosystem::Maven => maven::compare(a, b),
        Ecosystem::RubyGems => rubygems::compare(a, b),
        Ecosystem::NuGet => nuget::compare(a, b),
        Ecosystem::Packagist => composer::compare(a, b),
    }
}
