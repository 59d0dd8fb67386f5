//! `bulkhead admission`: flags → the admission library's configuration; `serve` runs
//! [`bulkhead_admission::server::Server`] until signalled, `review` decides one AdmissionReview
//! with [`bulkhead_admission::Admission::review`]. The decisions are the library's.

use crate::cli::{AdmissionAction, AdmissionPolicyArgs};
use anyhow::{Context, Result};
use bulkhead_admission::manifests::{GivenTls, ManifestOptions};
use bulkhead_admission::server::{ServeOptions, Server};
use bulkhead_admission::{Admission, NamespaceSource};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Largest AdmissionReview read by `admission review` (as the server's body limit).
const MAX_REVIEW: u64 = 3 << 20;

fn namespace_source(p: &AdmissionPolicyArgs) -> Result<NamespaceSource> {
    Ok(match &p.namespaces {
        Some(f) => NamespaceSource::File(f.clone()),
        None => NamespaceSource::Cluster(
            bulkhead_admission::cluster::ClusterSource::in_cluster().map_err(anyhow::Error::msg)?,
        ),
    })
}

fn admission(p: &AdmissionPolicyArgs) -> Result<Admission> {
    Ok(bulkhead_admission::Settings {
        namespaces: namespace_source(p)?,
        psa_config: p.psa_config.clone(),
        default_enforce: p.default_enforce,
        default_audit: p.default_audit,
        default_warn: p.default_warn,
        exempt_namespaces: p.exempt_namespace.clone(),
        exempt_users: p.exempt_user.clone(),
        exempt_runtime_classes: p.exempt_runtime_class.clone(),
        policy: p.policy.clone(),
        store: p.store.clone(),
        cel_policies: p.cel_policy.clone(),
    }
    .build()?)
}

pub fn admission_cmd(action: AdmissionAction) -> Result<ExitCode> {
    match action {
        AdmissionAction::Serve(a) => {
            let adm = Arc::new(admission(&a.policy)?);
            let mut opts = ServeOptions::new(&a.listen, &a.tls_cert, &a.tls_key);
            let source = namespace_source(&a.policy)?;
            let from = match &source {
                NamespaceSource::File(f) => f.display().to_string(),
                NamespaceSource::Cluster(c) => c.base.clone(),
            };
            opts.namespaces = Some(source);
            opts.stop_on_signal = true;
            let n = adm.namespace_count();
            let server = Server::start(adm, opts)?;
            eprintln!(
                "bulkhead admission: serving https://{}/validate ({n} namespaces from {from})",
                server.addr
            );
            server.wait();
            Ok(ExitCode::SUCCESS)
        }
        AdmissionAction::Manifests(a) => {
            let read = |p: &Path| -> Result<String> {
                Ok(bulkhead_core::input::read_regular_text(
                    p,
                    16 << 20,
                    "configuration files are far smaller",
                )?)
            };
            // The namespaces and the policy are checked as the webhook will read them.
            let namespaces = match &a.namespaces {
                Some(f) => {
                    let text = read(f)?;
                    bulkhead_admission::config::parse_namespaces(f, &text)?;
                    Some(text)
                }
                None => None,
            };
            let policy = a.policy.as_deref().map(read).transpose()?;
            if let (Some(p), Some(text)) = (&a.policy, &policy) {
                bulkhead_admission::images::parse_policy(p, text)?;
            }
            let psa = a.psa_config.as_deref().map(read).transpose()?;
            if let (Some(p), Some(text)) = (&a.psa_config, &psa) {
                bulkhead_admission::config::parse_psa_config(p, text)?;
            }
            let mut o = ManifestOptions::new(&a.image, namespaces);
            o.namespace = a.namespace;
            o.name = a.name;
            o.replicas = a.replicas;
            o.failure_policy = a.failure_policy.parse().map_err(anyhow::Error::msg)?;
            o.timeout_seconds = a.timeout_seconds;
            o.exclude_namespaces = a.exclude_namespace;
            o.policy = policy;
            o.psa_config = psa;
            o.mutating = a.mutating;
            if let (Some(c), Some(k), Some(b)) = (&a.tls_cert, &a.tls_key, &a.ca_bundle) {
                o.tls = Some(GivenTls {
                    cert_pem: read(c)?,
                    key_pem: read(k)?,
                    ca_bundle_pem: read(b)?,
                });
            }
            let yaml = bulkhead_admission::manifests::render(&o)?;
            crate::output::write_output(a.output.as_deref(), yaml.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        AdmissionAction::Review(a) => {
            let adm = admission(&a.policy)?;
            let body = if a.file == Path::new("-") {
                bulkhead_core::input::read_limited(
                    std::io::stdin().lock(),
                    Path::new("-"),
                    MAX_REVIEW,
                    "the webhook's own body limit (3 MiB, as Pod Security Admission's)",
                )?
            } else {
                bulkhead_core::input::read_regular(
                    &a.file,
                    MAX_REVIEW,
                    "the webhook's own body limit (3 MiB, as Pod Security Admission's)",
                )?
            };
            let out = if a.mutate {
                adm.review_mutate(&body)
            } else {
                adm.review(&body)
            }
            .with_context(|| format!("{}", a.file.display()))?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            let allowed = out["response"]["allowed"].as_bool().unwrap_or(false);
            Ok(if allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(a.exit_code)
            })
        }
    }
}
