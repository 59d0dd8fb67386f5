//! Cgroup ids (what the kernel side sees) → cgroup paths (what container ids are read from).
//!
//! A cgroup's id is the inode number of its directory in the cgroup filesystem: the v2
//! (unified) hierarchy for `bpf_get_current_cgroup_id()`, the v1 memory controller's for the
//! walk of `task->cgroups`. The resolver walks those trees once and again on a miss (a
//! container started since), at most once per [`RESCAN_EVERY`], and never past [`MAX_DIRS`]
//! directories, so a host making cgroups cannot make the sensor walk without end.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Most cgroup directories walked in one scan of a hierarchy.
pub const MAX_DIRS: usize = 100_000;
/// Least time between two scans of the same hierarchy.
pub const RESCAN_EVERY: Duration = Duration::from_millis(50);
/// Deepest cgroup path followed.
const MAX_DEPTH: usize = 32;

struct Tree {
    root: PathBuf,
    paths: HashMap<u64, String>,
    last_scan: Option<Instant>,
}

impl Tree {
    fn new(root: PathBuf) -> Tree {
        Tree {
            root,
            paths: HashMap::new(),
            last_scan: None,
        }
    }

    fn scan(&mut self) {
        self.last_scan = Some(Instant::now());
        let mut paths = HashMap::new();
        let mut stack = vec![(self.root.clone(), String::from("/"), 0usize)];
        let mut seen = 0usize;
        while let Some((dir, rel, depth)) = stack.pop() {
            seen += 1;
            if seen > MAX_DIRS {
                break;
            }
            let Ok(md) = std::fs::symlink_metadata(&dir) else {
                continue;
            };
            paths.insert(md.ino(), rel.clone());
            if depth >= MAX_DEPTH {
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let child = if rel == "/" {
                        format!("/{name}")
                    } else {
                        format!("{rel}/{name}")
                    };
                    stack.push((e.path(), child, depth + 1));
                }
            }
        }
        self.paths = paths;
    }

    fn path(&mut self, id: u64) -> Option<String> {
        if id == 0 {
            return None;
        }
        if let Some(p) = self.paths.get(&id) {
            return Some(p.clone());
        }
        if self.last_scan.is_none_or(|t| t.elapsed() >= RESCAN_EVERY) {
            self.scan();
        }
        self.paths.get(&id).cloned()
    }
}

/// Maps the sensor's cgroup ids to paths, for the `cgroups` parameter of exec and clone events.
pub struct CgroupResolver {
    v2: Option<Tree>,
    v1_memory: Option<Tree>,
}

impl CgroupResolver {
    /// The hierarchies of this host: v2 at `/sys/fs/cgroup/unified` (hybrid) or
    /// `/sys/fs/cgroup` (pure v2), v1 memory at `/sys/fs/cgroup/memory`.
    pub fn host() -> CgroupResolver {
        let base = Path::new("/sys/fs/cgroup");
        let v2 = if base.join("unified/cgroup.controllers").exists()
            || base.join("unified/cgroup.procs").exists()
        {
            Some(base.join("unified"))
        } else if base.join("cgroup.controllers").exists() {
            Some(base.to_path_buf())
        } else {
            None
        };
        let v1 = base.join("memory");
        let v1 = v1.join("tasks").exists().then_some(v1);
        CgroupResolver::with_roots(v2, v1)
    }

    pub fn with_roots(v2: Option<PathBuf>, v1_memory: Option<PathBuf>) -> CgroupResolver {
        let mut r = CgroupResolver {
            v2: v2.map(Tree::new),
            v1_memory: v1_memory.map(Tree::new),
        };
        for t in r.v2.iter_mut().chain(r.v1_memory.iter_mut()) {
            t.scan();
        }
        r
    }

    /// No hierarchies (tests).
    pub fn empty() -> CgroupResolver {
        CgroupResolver {
            v2: None,
            v1_memory: None,
        }
    }

    /// The path of a v2 cgroup id and of a v1 memory cgroup id, for task `tid`. An id not
    /// known yet (a cgroup made since the last look) is learnt from `/proc/<tid>/cgroup` while
    /// the task lives, else from a new walk of the hierarchy (rate-limited).
    pub fn paths(&mut self, tid: u32, v2: u64, v1_memory: u64) -> (Option<String>, Option<String>) {
        let miss2 = v2 != 0 && self.v2.as_ref().is_some_and(|t| !t.paths.contains_key(&v2));
        let miss1 = v1_memory != 0
            && self
                .v1_memory
                .as_ref()
                .is_some_and(|t| !t.paths.contains_key(&v1_memory));
        if (miss2 || miss1) && tid != 0 {
            self.learn_from_proc(tid, v2, v1_memory);
        }
        (
            self.v2.as_mut().and_then(|t| t.path(v2)),
            self.v1_memory.as_mut().and_then(|t| t.path(v1_memory)),
        )
    }

    /// `/proc/<tid>/cgroup`: `0::/path` (v2) and `N:…memory…:/path` (v1 memory).
    fn learn_from_proc(&mut self, tid: u32, v2: u64, v1_memory: u64) {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{tid}/cgroup")) else {
            return;
        };
        for line in text.lines().take(64) {
            let mut f = line.splitn(3, ':');
            let (Some(_), Some(ctrl), Some(path)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let (tree, id) = if ctrl.is_empty() {
                (self.v2.as_mut(), v2)
            } else if ctrl.split(',').any(|c| c == "memory") {
                (self.v1_memory.as_mut(), v1_memory)
            } else {
                continue;
            };
            if let Some(t) = tree
                && id != 0
                && path.len() < 4096
            {
                // Trust the path only if its directory has the id the kernel gave.
                let dir = t.root.join(path.trim_start_matches('/'));
                if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.ino() == id) {
                    t.paths.insert(id, path.to_string());
                }
            }
        }
    }

    /// The `cgroups` parameter libs writes (`subsys=path`, NUL-separated): the memory
    /// controller's path, taken from the hierarchy where the task is not at the root (on hybrid
    /// hosts containers are grouped in v1 only, on pure v2 hosts in v2).
    pub fn param(&mut self, tid: u32, v2: u64, v1_memory: u64) -> Vec<u8> {
        let (p2, p1) = self.paths(tid, v2, v1_memory);
        let path = match (p1, p2) {
            (Some(p1), _) if p1 != "/" => p1,
            (_, Some(p2)) => p2,
            (Some(p1), None) => p1,
            (None, None) => return Vec::new(),
        };
        let mut b = format!("memory={path}").into_bytes();
        b.push(0);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_directory_inodes_and_new_cgroups_are_found_on_a_miss() {
        let d = std::env::temp_dir().join(format!("bh-cgroups-{}", std::process::id()));
        let id = "a".repeat(64);
        let c = d.join("libpod_parent").join(format!("libpod-{id}"));
        std::fs::create_dir_all(&c).unwrap();
        let mut r = CgroupResolver::with_roots(None, Some(d.clone()));
        let ino = std::fs::metadata(&c).unwrap().ino();
        assert_eq!(
            r.paths(0, 0, ino).1.as_deref(),
            Some(format!("/libpod_parent/libpod-{id}").as_str())
        );
        let p = String::from_utf8(r.param(0, 0, ino)).unwrap();
        assert_eq!(p, format!("memory=/libpod_parent/libpod-{id}\0"));
        // Created after the first scan: found once the rescan interval has passed.
        let later = d.join("later");
        std::fs::create_dir_all(&later).unwrap();
        std::thread::sleep(RESCAN_EVERY);
        let ino2 = std::fs::metadata(&later).unwrap().ino();
        assert_eq!(r.paths(0, 0, ino2).1.as_deref(), Some("/later"));
        assert_eq!(r.paths(0, 0, 1), (None, None));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_live_task_teaches_its_cgroup_at_once() {
        // This process's own v2 cgroup, learnt from /proc without a walk.
        let mut r = CgroupResolver::host();
        let Some(t) = r.v2.as_mut() else {
            eprintln!("SKIP: no cgroup v2 hierarchy here");
            return;
        };
        let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .unwrap()
            .to_string();
        let dir = t.root.join(path.trim_start_matches('/'));
        let ino = std::fs::metadata(&dir).unwrap().ino();
        t.paths.clear();
        t.last_scan = Some(Instant::now());
        let me = std::process::id();
        assert_eq!(r.paths(me, ino, 0).0.as_deref(), Some(path.as_str()));
    }
}
