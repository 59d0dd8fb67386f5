//! Names that mean the same at every stage, so that the image audit, the manifest checks and the
//! admission webhook read them one way: an image reference's tag and digest, and an environment
//! variable whose name says it holds a credential.

/// The tag and digest of an image reference: `nginx` → (None, None), `nginx:1.25` →
/// (Some("1.25"), None), `localhost:5000/app` → (None, None) (a registry port is before a `/`),
/// `app@sha256:…` → (None, Some("sha256:…")).
pub fn image_tag_and_digest(image: &str) -> (Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    // A tag is after the last ':' that follows the last '/'.
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, t)| t), digest)
}

/// Whether an image reference names whatever was pushed last: tagged `latest`, or not tagged and
/// not pinned by digest.
pub fn floats(image: &str) -> bool {
    match image_tag_and_digest(image) {
        (_, Some(_)) => false,
        (None, None) => true,
        (Some(t), None) => t == "latest",
    }
}

/// The words that make a variable's name a credential's (Dockle's CIS-DI-0010, Checkov's
/// CKV_K8S_35), matched in upper case anywhere in the name.
pub const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// Whether an environment variable's name says it holds a credential. Names ending in `_FILE`,
/// `_PATH` or `_DIR` point at one (`POSTGRES_PASSWORD_FILE=/run/secrets/pw`) and do not count.
pub fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    CREDENTIAL_WORDS.iter().any(|w| n.contains(w))
        && !["_FILE", "_PATH", "_DIR"].iter().any(|s| n.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(image_tag_and_digest("nginx"), (None, None));
        assert_eq!(image_tag_and_digest("nginx:latest"), (Some("latest"), None));
        assert_eq!(image_tag_and_digest("localhost:5000/app"), (None, None));
        assert_eq!(
            image_tag_and_digest("localhost:5000/app:1.2"),
            (Some("1.2"), None)
        );
        assert_eq!(
            image_tag_and_digest("app@sha256:abc"),
            (None, Some("sha256:abc"))
        );
        assert!(floats("nginx") && floats("r:5000/nginx:latest"));
        assert!(!floats("nginx:1.25") && !floats("nginx@sha256:abc") && !floats("r:5000/x:1"));
    }

    #[test]
    fn credentials() {
        assert!(credential_name("DB_PASSWORD") && credential_name("github_token"));
        assert!(!credential_name("POSTGRES_PASSWORD_FILE") && !credential_name("PATH"));
        assert!(!credential_name("SECRETS_DIR"));
    }
}
