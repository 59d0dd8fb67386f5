//! Command-line definitions: every flag once, with its help.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Container security across the lifecycle: image inventory and SBOMs (more stages to come).
#[derive(Parser, Debug)]
#[command(name = "bulkhead", version, about, propagate_version = true)]
pub struct Cli {
    /// Only print errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Verbose diagnostics on stderr.
    #[arg(long, global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Inventory a container image: OS and OS packages with the files they own.
    Image(ScanArgs),
    /// Inventory a directory or unpacked root filesystem.
    Fs(ScanArgs),
    /// Write a software bill of materials (CycloneDX 1.6 by default) for an image or directory.
    Sbom(ScanArgs),
    /// Check Dockerfiles (hadolint rules and more) and Kubernetes manifests (Pod Security Standards
    /// exactly as Kubernetes applies them, best practices).
    Config(ConfigArgs),
    /// Runtime detection with Falco-compatible rules.
    Runtime {
        #[command(subcommand)]
        action: RuntimeAction,
    },
    /// Manage the advisory database.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Manage the layer cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum DbAction {
    /// Import advisories into the database: OSV records (directories, JSON/YAML files, OSV all.zip
    /// archives) and the Debian security tracker's DSA/DLA lists (files named DSA-list, DLA-list, list).
    Import {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// What to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Download OSV all.zip archives from a mirror (conditional GET) and import them atomically:
    /// the database is replaced only when every download and import succeeded.
    Update {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// Mirror laid out like the OSV bucket: <mirror>/<ecosystem>/all.zip.
        #[arg(long, default_value = bulkhead_advisories::update::DEFAULT_MIRROR)]
        mirror: String,
        /// Ecosystem to update, as named in the OSV bucket (repeatable; default: Debian, Ubuntu,
        /// Alpine, PyPI, Go, npm, Maven, crates.io, RubyGems, NuGet, Packagist, AlmaLinux, Rocky Linux).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystem: Vec<String>,
    },
    /// Show what the database holds: ecosystems, record counts, build time.
    Info {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// Output format: table or json.
        #[arg(short, long, default_value = "table")]
        format: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RuntimeAction {
    /// Load Falco rules files (in order, as `falco -V a.yaml -V b.yaml`) and print the errors and
    /// warnings as Falco does; exits 0 when every file loads without error.
    Validate {
        /// Rules files (YAML), loaded in this order.
        #[arg(required = true)]
        rules: Vec<std::path::PathBuf>,
        /// Print Falco's JSON (`{"falco_load_results": [...]}`) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replay a capture through Falco rules and print the alerts as Falco does: a .scap capture
    /// (gzip or plain) through the syscall rules, a Bulkhead capture (its own JSON Lines format),
    /// or Kubernetes audit events (one event, an EventList, a JSON array or JSON lines) through the
    /// k8s_audit rules.
    Replay {
        /// Rules files or directories, loaded in order (repeatable; default: the configuration's
        /// rules_files).
        #[arg(short = 'r', long = "rules")]
        rules: Vec<std::path::PathBuf>,
        /// The capture to replay.
        #[arg(short = 'e', long = "capture")]
        capture: std::path::PathBuf,
        /// Falco configuration file (falco.yaml): outputs, priority, rule_matching, logging,
        /// syscall_event_drops. Without it, the defaults of the falco.yaml Falco ships.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Falco configuration options as key=value (dotted keys), applied over the file:
        /// json_output, json_include_output_property, json_include_tags_property,
        /// time_format_iso_8601, priority, rule_matching, stdout_output.enabled, log_stderr,
        /// log_level, syscall_event_drops.*.
        #[arg(short = 'o', value_name = "KEY=VALUE")]
        options: Vec<String>,
        /// Only run rules with this tag (repeatable).
        #[arg(short = 't', value_name = "TAG")]
        tags: Vec<String>,
        /// Disable rules with this tag (repeatable).
        #[arg(short = 'T', value_name = "TAG")]
        disable_tags: Vec<String>,
        /// Disable rules whose name contains this text (repeatable).
        #[arg(short = 'D', value_name = "RULE")]
        disable_rules: Vec<String>,
        /// Enable only these sources' rules (default: the capture's source).
        #[arg(long = "enable-source")]
        enable_source: Vec<String>,
        /// Disable a source.
        #[arg(long = "disable-source")]
        disable_source: Vec<String>,
        /// Accepted for compatibility with Falco's command line (all events are evaluated).
        #[arg(short = 'A')]
        all_events: bool,
        /// Replay old `.scap` captures through libscap's newer event converter (enter events of
        /// converted syscalls merged into their exits, as current Falco reads them) instead of as
        /// stored (Falco 0.34.1, which the regression expectations match).
        #[arg(long)]
        convert_old_events: bool,
        /// Extra output appended to every syscall rule's output, as Falco's `-p`: a format string
        /// (`-p "user=%user.name"`), or `c`/`container` (container id, image, tag, name),
        /// `k`/`kubernetes` (the same plus namespace and pod name).
        #[arg(short = 'p', long = "print", value_name = "FORMAT")]
        print: Option<String>,
    },
    /// List the fields rules can use: name, type, source, whether Bulkhead extracts it, description.
    Fields {
        /// Only fields of this source (syscall, k8s_audit).
        #[arg(long)]
        source: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Convert a .scap capture into Bulkhead's own capture format (JSON Lines; see docs/runtime.md).
    Convert {
        /// The .scap capture.
        #[arg(short = 'e', long = "capture")]
        capture: std::path::PathBuf,
        /// Where to write the Bulkhead capture (written atomically).
        #[arg(short = 'o', long = "output")]
        output: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Remove every cached layer.
    Clean {
        /// Cache directory (default: $XDG_CACHE_HOME/bulkhead).
        #[arg(long, env = "BULKHEAD_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
}

/// Options of `bulkhead config`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// Files or directories (recursed: Dockerfile, Dockerfile.*, *.dockerfile, Containerfile*,
    /// *.yaml, *.yml, *.json); `-` reads stdin (a manifest, or a Dockerfile with --stdin-dockerfile).
    #[arg(required_unless_present = "list_rules")]
    pub paths: Vec<String>,
    /// Print every rule (ID, severity, title, fix, aliases) as a Markdown table and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Settings file (ignored rule IDs, severity overrides, trusted registries, failure threshold;
    /// hadolint's .hadolint.yaml keys are accepted). Default: .bulkhead.yaml in the working
    /// directory when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Treat stdin as a Dockerfile instead of a Kubernetes manifest.
    #[arg(long)]
    pub stdin_dockerfile: bool,
    /// Pod Security Standards policy: LEVEL[:VERSION], LEVEL one of privileged, baseline, restricted;
    /// VERSION v1.N or latest.
    #[arg(long, default_value = "restricted:latest")]
    pub pss: String,
    /// Only the Pod Security Standards checks (no BH-K8S best-practice rules).
    #[arg(long)]
    pub pss_only: bool,
    /// Output format: table, json, sarif, junit.
    #[arg(short, long, default_value = "table")]
    pub format: String,
    /// Write the report to FILE instead of stdout (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Report only these severities (comma-separated: LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Exit with this code when findings are reported (after --severity; only findings at or
    /// above the settings' failure-threshold count, when it sets one).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
}

/// Options shared by image, fs and sbom.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// What to scan: docker-archive or oci-archive tar, OCI layout dir (dir[:tag|@digest]), root
    /// filesystem dir, registry://host/repo:tag (or a plain reference), or podman://name:tag.
    pub target: String,
    /// Output format: table, json, cyclonedx, spdx-json, sarif (sbom defaults to cyclonedx).
    #[arg(short, long)]
    pub format: Option<String>,
    /// Write the report to FILE instead of stdout (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Layer cache directory (default: $XDG_CACHE_HOME/bulkhead).
    #[arg(long, env = "BULKHEAD_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Largest size of the layer cache, in MiB; least recently used layers are evicted past it.
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    pub cache_max_mib: u64,
    /// Platform of a multi-platform image: os/arch[/variant] (default: this machine's).
    #[arg(long)]
    pub platform: Option<String>,
    /// Registry user name (also BULKHEAD_REGISTRY_USERNAME; else docker/podman auth files).
    #[arg(long)]
    pub username: Option<String>,
    /// Registry password or token (also BULKHEAD_REGISTRY_PASSWORD).
    #[arg(long)]
    pub password: Option<String>,
    /// Allow plain HTTP and unverified TLS to the registry.
    #[arg(long)]
    pub insecure: bool,
    /// PEM file of CA certificates to trust for the registry (verification stays on).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Podman API socket for podman:// images (default: $CONTAINER_HOST, /run/podman/podman.sock).
    #[arg(long, value_name = "PATH")]
    pub podman_socket: Option<PathBuf>,
    /// Advisory database to match packages against (default: $BULKHEAD_DB, else the default database
    /// when it exists). Without one, only the inventory is reported.
    #[arg(long, env = "BULKHEAD_DB")]
    pub db: Option<PathBuf>,
    /// Report only these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Hide vulnerabilities that have no fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Ignore file of accepted risks (YAML; default: .bulkheadignore in the working directory if present).
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// Record this scan (inventory and findings) by image digest in this scan store (SQLite).
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// VEX documents (OpenVEX or CycloneDX VEX); `not_affected`/`fixed` statements suppress findings.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Exit with this code when vulnerabilities are reported (after --severity/--ignore-unfixed).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Where IMAGE lives when it is a bare name: auto (path, else registry) or podman.
    #[arg(long, default_value = "auto")]
    pub image_src: String,
}
