//! Old-event conversion, after libscap's savefile converter (`converter/table.cpp`).
//!
//! Semantics implemented (generalised from the table instead of one entry per event):
//! * syscall enter events are STOREd per thread and dropped from the stream, except the
//!   ones the current drivers still emit (open, openat, openat2, creat, connect: TOCTOU
//!   mitigation), which are stored *and* passed;
//! * an old enter event version without parameters is dropped;
//! * a syscall exit event gets the parameters of its stored enter event appended
//!   (matched by name, taken only if the enter event is the one for this exit), and
//!   parameters the table declares but the capture lacks are filled with the type's
//!   default value (`C_INSTR_FROM_DEFAULT`) or left empty when the enter is missing;
//! * an old exit event version (`EF_OLD_VERSION`) changes type to the newest version of
//!   the same name; parameters are carried over by name, missing ones are empty;
//! * meta events pass unchanged; old meta versions are dropped, except container
//!   JSON events, which are passed (libscap turns them into plugin async events).

use crate::event::{Event, Param, Value};
use crate::table::{self, Direction, ParamType};
use std::collections::HashMap;

const PASS_ENTERS: [&str; 5] = ["open", "openat", "openat2", "creat", "connect"];
const CONTAINER_JSON_E: u16 = 272;
const CONTAINER_JSON_2_E: u16 = 324;

/// What happened to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Passed,
    Converted,
    Dropped,
}

#[derive(Debug, Default)]
pub struct Converter {
    stored: HashMap<u64, Event>,
    /// Maximum number of threads with a pending enter event (bounded memory).
    pub max_pending: usize,
}

fn default_value(ty: ParamType) -> Value {
    use ParamType::*;
    match ty {
        Uid | Gid => Value::UInt(u32::MAX as u64),
        Charbuf | FsPath | FsRelPath | Bytebuf | Dyn | SockTuple | FdList | CharbufArray
        | CharbufPairArray => Value::Empty,
        SockAddr => Value::SockAddr(crate::event::SockAddr::Family(0)),
        Errno => Value::Errno(0),
        Fd => Value::Fd(0),
        Pid => Value::Pid(0),
        Int8 | Int16 | Int32 | Int64 => Value::Int(0),
        Flags8 | Flags16 | Flags32 | EnumFlags8 | EnumFlags16 | EnumFlags32 => Value::Flags {
            value: 0,
            names: vec![],
        },
        _ => Value::UInt(0),
    }
}

impl Converter {
    pub fn new() -> Self {
        Converter {
            stored: HashMap::new(),
            max_pending: 1 << 20,
        }
    }

    fn store(&mut self, ev: &Event) {
        if self.stored.len() >= self.max_pending && !self.stored.contains_key(&ev.tid) {
            self.stored.clear();
        }
        self.stored.insert(ev.tid, ev.clone());
    }

    /// Convert one event; `None` when the event is dropped.
    pub fn convert(&mut self, ev: Event) -> (Option<Event>, Outcome) {
        let Some(info) = table::event_info(ev.code) else {
            return (Some(ev), Outcome::Passed);
        };
        if info.meta {
            if info.old_version && ev.code != CONTAINER_JSON_E && ev.code != CONTAINER_JSON_2_E {
                return (None, Outcome::Dropped);
            }
            return (Some(ev), Outcome::Passed);
        }
        if ev.direction == Direction::Enter {
            if info.old_version && info.params.is_empty() {
                self.stored.remove(&ev.tid);
                return (None, Outcome::Dropped);
            }
            self.store(&ev);
            if PASS_ENTERS.contains(&info.name) && !info.old_version {
                return (Some(ev), Outcome::Passed);
            }
            return (None, Outcome::Dropped);
        }
        // Exit event.
        let orig_code = ev.code;
        let enter = match self.stored.get(&ev.tid) {
            Some(e) if e.code + 1 == orig_code => self.stored.remove(&ev.tid),
            _ => None,
        };
        let mut ev = ev;
        let mut changed = false;
        if info.old_version
            && let Some(new_code) = table::newest_version(orig_code)
        {
            let Some(new_info) = table::event_info(new_code) else {
                return (Some(ev), Outcome::Passed);
            };
            let mut params = Vec::with_capacity(new_info.params.len());
            for pi in &new_info.params {
                let value = match ev.params.iter().find(|p| p.name == pi.name) {
                    Some(p) => p.value.clone(),
                    None => Value::Empty,
                };
                params.push(Param {
                    name: pi.name,
                    ty: pi.ty,
                    value,
                });
            }
            ev.code = new_code;
            ev.name = new_info.name;
            ev.params = params;
            changed = true;
        }
        let cur_info = table::event_info(ev.code).unwrap_or(info);
        // Pad declared parameters missing from the capture.
        for pi in cur_info.params.iter().skip(ev.params.len()) {
            let value = match enter.as_ref().and_then(|e| e.param(pi.name)) {
                Some(p) => p.value.clone(),
                None if enter.is_some() || !changed => default_value(pi.ty),
                None => Value::Empty,
            };
            ev.params.push(Param {
                name: pi.name,
                ty: pi.ty,
                value,
            });
            changed = true;
        }
        // Append what only the enter event knows.
        let enter_params = match &enter {
            Some(e) => e.params.clone(),
            None => table::event_info(orig_code - 1)
                .map(|ei| {
                    ei.params
                        .iter()
                        .map(|pi| Param {
                            name: pi.name,
                            ty: pi.ty,
                            value: Value::Empty,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        for p in enter_params {
            if ev.param(p.name).is_none() {
                ev.params.push(p);
                changed = true;
            }
        }
        (
            Some(ev),
            if changed {
                Outcome::Converted
            } else {
                Outcome::Passed
            },
        )
    }
}
