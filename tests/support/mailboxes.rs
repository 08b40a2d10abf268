//! A scripted tenant with folder trees for the simulated clock: folders (list, get, create, folders/delta),
//! items (items/delta with `@removed`), exportItems, and an import host that creates and updates items.
//! Every change bumps a sequence number; delta tokens carry the number a round was read up to, as
//! Exchange's state tokens do. Import sessions come from `sim::Tenant`.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use graph_mailbox_import::codec::json::{self, Value};
use graph_mailbox_import::transport::{HttpRequest, HttpResponse, Method, SendError};

use super::sim::{json_response, Responder, Tenant};

const PREFIX: &str = "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/";

#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub mailbox: String,
    pub parent: String,
    pub name: String,
    pub kind: String,
    pub well_known: Option<String>,
    pub hidden: bool,
    pub search: bool,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub mailbox: String,
    pub folder: String,
    pub change_key: String,
    pub data: String,
    pub seq: u64,
    pub removed: bool,
}

/// Chooses a fault for import post number N (from 0): `Some` replaces the answer.
pub type PostFault = Box<dyn FnMut(usize) -> Option<PostOutcome>>;

pub enum PostOutcome {
    Answer(Result<HttpResponse, SendError>),
    /// Store the item, then lose the answer.
    ProcessThenDrop,
}

pub struct World {
    pub seq: u64,
    pub folders: Vec<Folder>,
    pub items: Vec<Item>,
    /// Most entries on one page, whatever Prefer asks.
    pub max_page: usize,
    /// Folder names whose creation fails with 403.
    pub refuse_create: BTreeSet<String>,
    /// Folder ids whose items/delta fails with 500.
    pub unreadable: BTreeSet<String>,
    pub post_fault: PostFault,
    /// Delta tokens (deltaLinks) of rounds read up to before this sequence number are gone: 410.
    pub delta_tokens_valid_from: u64,
    /// Same for the nextLinks ($skiptoken) of rounds read up to before this sequence number.
    pub skip_tokens_valid_from: u64,
    pub posts: usize,
    /// (mode, itemId, changeKey) of every import post, in order.
    pub import_log: Vec<(String, Option<String>, Option<String>)>,
    pub tenant: Rc<RefCell<Tenant>>,
    next_id: u64,
}

pub fn root_of(mailbox: &str) -> String {
    format!("root-{mailbox}")
}

impl World {
    pub fn new() -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Self {
            seq: 0,
            folders: Vec::new(),
            items: Vec::new(),
            max_page: 7,
            refuse_create: BTreeSet::new(),
            unreadable: BTreeSet::new(),
            post_fault: Box::new(|_| None),
            delta_tokens_valid_from: 0,
            skip_tokens_valid_from: 0,
            posts: 0,
            import_log: Vec::new(),
            tenant: Tenant::new(super::sim::HOUR),
            next_id: 0,
        }))
    }

    fn tick(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:04}", self.next_id)
    }

    /// Adds a folder; `parent` None: the top level. Returns its id.
    pub fn add_folder(
        &mut self,
        mailbox: &str,
        parent: Option<&str>,
        name: &str,
        well_known: Option<&str>,
    ) -> String {
        let id = self.fresh(if mailbox.contains("source") {
            "sf"
        } else {
            "tf"
        });
        let seq = self.tick();
        self.folders.push(Folder {
            id: id.clone(),
            mailbox: mailbox.into(),
            parent: parent.map_or_else(|| root_of(mailbox), String::from),
            name: name.into(),
            kind: "IPF.Note".into(),
            well_known: well_known.map(String::from),
            hidden: false,
            search: false,
            seq,
        });
        id
    }

    pub fn add_item(&mut self, mailbox: &str, folder: &str, data: &str) -> String {
        let id = self.fresh("item");
        let seq = self.tick();
        self.items.push(Item {
            id: id.clone(),
            mailbox: mailbox.into(),
            folder: folder.into(),
            change_key: format!("ck-{id}-{seq}"),
            data: data.into(),
            seq,
            removed: false,
        });
        id
    }

    pub fn change_item(&mut self, id: &str, data: &str) {
        let seq = self.tick();
        let item = self.items.iter_mut().find(|i| i.id == id).unwrap();
        item.data = data.into();
        item.change_key = format!("ck-{id}-{seq}");
        item.seq = seq;
    }

    pub fn remove_item(&mut self, id: &str) {
        let seq = self.tick();
        let item = self.items.iter_mut().find(|i| i.id == id).unwrap();
        item.removed = true;
        item.seq = seq;
    }

    pub fn live_items(&self, mailbox: &str) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.mailbox == mailbox && !i.removed)
            .collect()
    }

    pub fn folder(&self, id: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.id == id)
    }

    /// Display names from the mailbox's top level down to folder `id`.
    pub fn path(&self, id: &str) -> Vec<String> {
        let mut path = Vec::new();
        let mut at = self.folder(id);
        while let Some(folder) = at {
            path.push(folder.name.clone());
            at = self.folder(&folder.parent);
        }
        path.reverse();
        path
    }

    pub fn folder_by_path(&self, mailbox: &str, path: &[&str]) -> Option<&Folder> {
        self.folders
            .iter()
            .find(|f| f.mailbox == mailbox && self.path(&f.id) == path)
    }

    pub fn responder(world: &Rc<RefCell<Self>>) -> Responder {
        let world = world.clone();
        Box::new(move |request, now| world.borrow_mut().answer(request, now))
    }

    fn folder_json(&self, f: &Folder) -> String {
        let children = self.folders.iter().filter(|c| c.parent == f.id).count();
        let mut out = format!(
            r#"{{"id":{},"displayName":{},"parentFolderId":{},"childFolderCount":{children},"type":{}"#,
            quote(&f.id),
            quote(&f.name),
            quote(&f.parent),
            quote(&f.kind)
        );
        if let Some(wk) = &f.well_known {
            out.push_str(&format!(r#","wellKnownName":{}"#, quote(wk)));
        }
        if f.search {
            out.push_str(r##","@odata.type":"#microsoft.graph.mailSearchFolder""##);
        }
        out.push('}');
        out
    }

    fn find_folder(&self, mailbox: &str, key: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| {
            f.mailbox == mailbox
                && (f.id == key
                    || f.well_known
                        .as_deref()
                        .is_some_and(|w| w.eq_ignore_ascii_case(key)))
        })
    }

    fn answer(&mut self, request: &HttpRequest, now: f64) -> Result<HttpResponse, SendError> {
        if request.url.contains("/importItem") {
            return self.import(request, now);
        }
        let rest = request
            .url
            .strip_prefix(PREFIX)
            .expect("a Graph mailbox URL");
        if rest.ends_with("/createImportSession") {
            return Tenant::responder(&self.tenant)(request, now);
        }
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let segments: Vec<String> = path.split('/').map(decode).collect();
        let mailbox = segments[0].clone();
        let seg: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .map(decode)
        };
        let hidden = param("includeHiddenFolders").as_deref() == Some("true");
        if let Some(token) = param("$deltatoken") {
            if token.parse::<u64>().unwrap() < self.delta_tokens_valid_from {
                return json_response(
                    410,
                    r#"{"error":{"code":"SyncStateNotFound","message":"The sync state is not found."}}"#,
                );
            }
        }
        if let Some(token) = param("$skiptoken") {
            let upto: u64 = token.split('-').nth(1).unwrap().parse().unwrap();
            if upto < self.skip_tokens_valid_from {
                return json_response(
                    410,
                    r#"{"error":{"code":"SyncStateNotFound","message":"The sync state is not found."}}"#,
                );
            }
        }
        let page_size = request
            .header("prefer")
            .and_then(|p| p.strip_prefix("odata.maxpagesize="))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(10)
            .min(self.max_page);
        match (request.method, seg.as_slice()) {
            (Method::Post, ["exportItems"]) => self.export(&mailbox, request),
            (Method::Post, ["folders"]) => self.create(&mailbox, root_of(&mailbox), request),
            (Method::Post, ["folders", parent, "childFolders"]) => {
                let Some(parent) = self.find_folder(&mailbox, parent).map(|f| f.id.clone()) else {
                    return not_found();
                };
                self.create(&mailbox, parent, request)
            }
            (Method::Get, ["folders", "delta"]) => {
                let (since, upto, offset) =
                    tokens(&param("$deltatoken"), &param("$skiptoken"), self.seq);
                let mut listed: Vec<String> = Vec::new();
                self.walk(&mailbox, &root_of(&mailbox), hidden, &mut |f| {
                    if f.seq > since && f.seq <= upto {
                        listed.push(f.id.clone());
                    }
                });
                let values: Vec<String> = listed
                    .iter()
                    .map(|id| self.folder_json(self.folder(id).unwrap()))
                    .collect();
                delta_page(&request.url, values, since, upto, offset, page_size)
            }
            (Method::Get, ["folders", folder, "items", "delta"]) => {
                let Some(folder) = self.find_folder(&mailbox, folder).map(|f| f.id.clone()) else {
                    return not_found();
                };
                if self.unreadable.contains(&folder) {
                    return json_response(
                        500,
                        r#"{"error":{"code":"ErrorInternalServerError","message":"Cannot read."}}"#,
                    );
                }
                let (since, upto, offset) =
                    tokens(&param("$deltatoken"), &param("$skiptoken"), self.seq);
                let values: Vec<String> = self
                    .items
                    .iter()
                    .filter(|i| i.mailbox == mailbox && i.folder == folder)
                    .filter(|i| i.seq > since && i.seq <= upto)
                    .filter(|i| !(i.removed && since == 0))
                    .map(|i| {
                        if i.removed {
                            format!(
                                r#"{{"id":{},"@removed":{{"reason":"deleted"}}}}"#,
                                quote(&i.id)
                            )
                        } else {
                            format!(
                                r#"{{"id":{},"changeKey":{},"type":"IPM.Note","size":{}}}"#,
                                quote(&i.id),
                                quote(&i.change_key),
                                i.data.len()
                            )
                        }
                    })
                    .collect();
                delta_page(&request.url, values, since, upto, offset, page_size)
            }
            (Method::Get, ["folders"]) => self.children(&mailbox, &root_of(&mailbox), hidden),
            (Method::Get, ["folders", folder, "childFolders"]) => {
                let Some(folder) = self.find_folder(&mailbox, folder).map(|f| f.id.clone()) else {
                    return not_found();
                };
                self.children(&mailbox, &folder, hidden)
            }
            (Method::Get, ["folders", folder]) => match self.find_folder(&mailbox, folder) {
                Some(f) => json_response(200, &self.folder_json(f)),
                None => not_found(),
            },
            other => panic!("unscripted request {other:?}"),
        }
    }

    fn walk(&self, mailbox: &str, parent: &str, hidden: bool, visit: &mut dyn FnMut(&Folder)) {
        let children: Vec<Folder> = self
            .folders
            .iter()
            .filter(|f| f.mailbox == mailbox && f.parent == parent && (hidden || !f.hidden))
            .cloned()
            .collect();
        for child in children {
            visit(&child);
            self.walk(mailbox, &child.id, hidden, visit);
        }
    }

    /// A list of children in one page (these tests page only delta rounds).
    fn children(
        &self,
        mailbox: &str,
        parent: &str,
        hidden: bool,
    ) -> Result<HttpResponse, SendError> {
        let values: Vec<String> = self
            .folders
            .iter()
            .filter(|f| f.mailbox == mailbox && f.parent == parent && (hidden || !f.hidden))
            .map(|f| self.folder_json(f))
            .collect();
        json_response(200, &format!(r#"{{"value":[{}]}}"#, values.join(",")))
    }

    fn create(
        &mut self,
        mailbox: &str,
        parent: String,
        request: &HttpRequest,
    ) -> Result<HttpResponse, SendError> {
        let body = json::parse(request.body_text().unwrap_or("")).expect("a JSON body");
        let name = body
            .get_str("displayName")
            .expect("displayName")
            .to_string();
        let kind = body.get_str("type").unwrap_or("IPF.Note").to_string();
        if self.refuse_create.contains(&name) {
            return json_response(
                403,
                r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#,
            );
        }
        let taken = self.folders.iter().any(|f| {
            f.mailbox == mailbox
                && f.parent == parent
                && f.name.to_lowercase() == name.to_lowercase()
        });
        if taken {
            return json_response(
                409,
                r#"{"error":{"code":"ErrorFolderExists","message":"A folder with the specified name already exists."}}"#,
            );
        }
        let id = self.add_folder(mailbox, None, &name, None);
        let seq = self.tick();
        let folder = self.folders.iter_mut().find(|f| f.id == id).unwrap();
        folder.parent = parent;
        folder.kind = kind;
        folder.seq = seq;
        let folder = folder.clone();
        json_response(201, &self.folder_json(&folder))
    }

    fn export(&mut self, mailbox: &str, request: &HttpRequest) -> Result<HttpResponse, SendError> {
        let body = json::parse(request.body_text().unwrap_or("")).expect("a JSON body");
        let values: Vec<String> = body
            .get("itemIds")
            .and_then(Value::as_array)
            .expect("itemIds")
            .iter()
            .map(|id| {
                let id = id.as_str().unwrap();
                match self.items.iter().find(|i| i.id == id && i.mailbox == mailbox && !i.removed) {
                    Some(i) => format!(
                        r#"{{"itemId":{},"changeKey":{},"data":{}}}"#,
                        quote(&i.id),
                        quote(&i.change_key),
                        quote(&i.data)
                    ),
                    None => format!(
                        r#"{{"itemId":{},"error":{{"code":"ErrorItemNotFound","message":"Not found."}}}}"#,
                        quote(id)
                    ),
                }
            })
            .collect();
        json_response(200, &format!(r#"{{"value":[{}]}}"#, values.join(",")))
    }

    fn import(&mut self, request: &HttpRequest, now: f64) -> Result<HttpResponse, SendError> {
        let token = request.url.split("authtoken=").nth(1).unwrap().to_string();
        let session = self.tenant.borrow().sessions.get(&token).cloned();
        let Some((mailbox, expires)) = session.filter(|(_, e)| now < *e) else {
            let _ = now;
            return json_response(401, r#"{"Message":"Invalid or expired session."}"#);
        };
        let _ = expires;
        let n = self.posts;
        self.posts += 1;
        let fault = (self.post_fault)(n);
        if let Some(PostOutcome::Answer(answer)) = fault {
            return answer;
        }
        let body = json::parse(request.body_text().unwrap_or("")).expect("a JSON body");
        let mode = body.get_str("Mode").unwrap().to_string();
        let item_id = body.get_str("ItemId").map(String::from);
        let change_key = body.get_str("ChangeKey").map(String::from);
        self.import_log
            .push((mode.clone(), item_id.clone(), change_key.clone()));
        let folder = body.get_str("FolderId").unwrap().to_string();
        let data = body.get_str("Data").unwrap().to_string();
        let id = if mode == "update" {
            let id = item_id.expect("update has ItemId");
            let item = self
                .items
                .iter()
                .find(|i| i.id == id && i.mailbox == mailbox);
            match item {
                Some(item) if Some(&item.change_key) == change_key.as_ref() => {}
                Some(_) => {
                    return json_response(409, r#"{"Message":"The change key does not match."}"#)
                }
                None => return json_response(404, r#"{"Message":"The item was not found."}"#),
            }
            self.change_item(&id, &data);
            id
        } else {
            assert!(
                self.folder(&folder).is_some_and(|f| f.mailbox == mailbox),
                "import into a folder of the session's mailbox"
            );
            self.add_item(&mailbox, &folder, &data)
        };
        if matches!(fault, Some(PostOutcome::ProcessThenDrop)) {
            return Err(SendError::Network("fetch failed: ECONNRESET".into()));
        }
        let key = self
            .items
            .iter()
            .find(|i| i.id == id)
            .unwrap()
            .change_key
            .clone();
        json_response(
            200,
            &format!(r#"{{"itemId":{},"changeKey":{}}}"#, quote(&id), quote(&key)),
        )
    }
}

fn not_found() -> Result<HttpResponse, SendError> {
    json_response(
        404,
        r#"{"error":{"code":"ErrorItemNotFound","message":"Not found."}}"#,
    )
}

pub fn quote(text: &str) -> String {
    let mut out = String::new();
    json::write_string(&mut out, text);
    out
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// (since, upto, offset) of a round's request.
fn tokens(delta: &Option<String>, skip: &Option<String>, now: u64) -> (u64, u64, usize) {
    if let Some(skip) = skip {
        let parts: Vec<u64> = skip.split('-').map(|p| p.parse().unwrap()).collect();
        return (parts[0], parts[1], parts[2] as usize);
    }
    let since = delta.as_deref().map_or(0, |d| d.parse().unwrap());
    (since, now, 0)
}

fn delta_page(
    url: &str,
    values: Vec<String>,
    since: u64,
    upto: u64,
    offset: usize,
    page_size: usize,
) -> Result<HttpResponse, SendError> {
    let base = url.split('?').next().unwrap();
    let end = (offset + page_size).min(values.len());
    let link = if end < values.len() {
        format!(r#""@odata.nextLink":"{base}?$skiptoken={since}-{upto}-{end}""#)
    } else {
        format!(r#""@odata.deltaLink":"{base}?$deltatoken={upto}""#)
    };
    json_response(
        200,
        &format!(r#"{{"value":[{}],{link}}}"#, values[offset..end].join(",")),
    )
}

/// The ids of (item, folder path) in a mailbox, for comparing a copy with its source.
pub fn by_path(world: &World, mailbox: &str) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut out: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for item in world.live_items(mailbox) {
        out.entry(world.path(&item.folder))
            .or_default()
            .push(item.data.clone());
    }
    for data in out.values_mut() {
        data.sort();
    }
    out
}
