//! `CopyState`: what a copy of folders remembers between passes, as versioned JSON written and read with
//! the crate's own codec. It is bound to one source/target pair: a state made for another pair is refused.
//!
//! ```text
//! {"version":1,
//!  "source":{"mailboxId":"MBX:..","folderId":".."?},"target":{"mailboxId":"MBX:..","parentFolderId":".."?},
//!  "includeHidden":false,"rootId":"..","foldersDeltaLink":"https://..",
//!  "folders":[{"id":"..","parentId":".."?,"name":"Projects","type":"IPF.Note","wellKnownName":".."?,
//!              "targetId":".."?,"deltaLink":".."?,"roundLink":".."?,"roundGaps":true?}],
//!  "items":{"<sourceItemId>":["i","<targetItemId>","<changeKey>","<sourceChangeKey>"] | ["u"]}
//!   or "itemsInStore":true}
//! ```
//! Items are arrays rather than objects: the map grows with the mailbox, and keys repeated 100,000 times
//! are bytes the caller stores for nothing.

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::{self, Value};
use crate::error::MailboxError;
use crate::flows::copy_folders::mapping::DEFAULT_FOLDER_TYPE;

/// The `version` written into every state; a state of another version is refused.
pub const STATE_VERSION: u32 = 1;

/// How a copied item stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopiedItem {
    /// Its copy exists in the target: the copy's id and change key (for update-mode imports), and the
    /// source's change key when it was copied (to tell a changed item from one seen again).
    Imported {
        /// The copy's id in the target mailbox.
        item_id: String,
        /// The copy's change key as the import host last gave it.
        change_key: String,
        /// The source item's change key when it was copied; `None` when Graph listed none.
        source_change_key: Option<String>,
    },
    /// A create was sent and no answer came back: a copy may or may not exist.
    OutcomeUnknown,
}

/// Source item id -> how its copy stands, as a vector sorted by id: a binary search finds an entry, and
/// the state lists them in order. A `BTreeMap` cost 4.3 KB of gzipped wasm; an insert here moves the
/// entries after it instead, which for 100,000 items settled in random order is a few seconds of CPU in
/// all (measured natively), against the hours their imports take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMap(Vec<(String, CopiedItem)>);

impl ItemMap {
    /// An empty map.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Where the entry of `source_id` is, or where it would go.
    fn find(&self, source_id: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|(id, _)| id.as_str().cmp(source_id))
    }

    /// The entry of `source_id`.
    pub fn get(&self, source_id: &str) -> Option<&CopiedItem> {
        self.find(source_id).ok().map(|at| &self.0[at].1)
    }

    /// Adds the entry, or replaces the one of that id.
    pub fn insert(&mut self, source_id: String, item: CopiedItem) {
        match self.find(&source_id) {
            Ok(at) => self.0[at].1 = item,
            Err(at) => self.0.insert(at, (source_id, item)),
        }
    }

    /// Drops the entry of `source_id`, if there is one.
    pub fn remove(&mut self, source_id: &str) {
        if let Ok(at) = self.find(source_id) {
            self.0.remove(at);
        }
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries by id.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &CopiedItem)> {
        self.0.iter().map(|(id, item)| (id, item))
    }

    /// The copies, in the order of their source ids.
    pub fn values(&self) -> impl Iterator<Item = &CopiedItem> {
        self.0.iter().map(|(_, item)| item)
    }
}

impl<Q: AsRef<str> + ?Sized> core::ops::Index<&Q> for ItemMap {
    type Output = CopiedItem;

    fn index(&self, source_id: &Q) -> &CopiedItem {
        self.get(source_id.as_ref())
            .expect("no entry for this source item id")
    }
}

/// One source folder of the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// The folder's id in the source mailbox.
    pub source_id: String,
    /// Its parent in the source; the copy's top folders are those whose parent is not in the copy.
    pub parent_id: Option<String>,
    /// Its name: what a mapping matches, and what a target folder created for it is called.
    pub display_name: String,
    /// What a mapping needs again when an earlier pass could not map the folder.
    pub folder_type: String,
    /// Its `wellKnownName` (`inbox`...), which maps it to the target's folder of that name.
    pub well_known_name: Option<String>,
    /// The folder it maps to in the target, once mapped.
    pub target_id: Option<String>,
    /// Where the next items/delta round of this folder starts; `None` until a round was fully copied.
    pub delta_link: Option<String>,
    /// The nextLink of a round not read to its end: the page where a resumed run goes on (the pages
    /// before it were copied), so a folder larger than one run is not read again from its start.
    pub round_link: Option<String>,
    /// Something of that round's earlier pages was not copied: its end gives no deltaLink, so the
    /// next round lists it again.
    pub round_gaps: bool,
    /// Graph listed it as a search folder in this pass's folders round. Not kept in the state: the
    /// state's folders were chosen already.
    pub search_folder: bool,
}

/// Everything a later pass needs. JSON-able through [`CopyState::to_json`] and [`CopyState::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyState {
    /// The mailbox copied from; a run with another is refused.
    pub source_mailbox: String,
    /// The source folder as the caller named it (`None`: the whole mailbox).
    pub source_folder: Option<String>,
    /// The mailbox copied into; a run with another is refused.
    pub target_mailbox: String,
    /// The target folder the copy goes under (`None`: the target's top level); a run with another is refused.
    pub target_parent: Option<String>,
    /// Whether the folder rounds listed hidden folders; a run that asks otherwise starts a whole round.
    pub include_hidden: bool,
    /// The source folder's own id (a subtree) or the id of the folders' common parent (a whole mailbox).
    pub root_id: Option<String>,
    /// Where the next folders/delta round starts; `None` until a round was read to its end.
    pub folders_delta_link: Option<String>,
    /// Parents before children.
    pub folders: Vec<FolderEntry>,
    /// `None` when the caller keeps the items in a store of its own.
    pub items: Option<ItemMap>,
}

fn bad_state(detail: &str) -> MailboxError {
    MailboxError::invalid_argument(["options.state is not a copy state: ", detail].concat())
}

fn push_member(out: &mut String, key: &str, value: &str) {
    out.push(',');
    json::write_string(out, key);
    out.push(':');
    json::write_string(out, value);
}

fn push_optional(out: &mut String, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        push_member(out, key, value);
    }
}

impl CopyState {
    /// A fresh state for a pair, items kept in the state unless a store keeps them.
    pub fn new(
        source_mailbox: &str,
        source_folder: Option<&str>,
        target_mailbox: &str,
        target_parent: Option<&str>,
        items_in_store: bool,
    ) -> Self {
        Self {
            source_mailbox: source_mailbox.into(),
            source_folder: source_folder.map(Into::into),
            target_mailbox: target_mailbox.into(),
            target_parent: target_parent.map(Into::into),
            items: (!items_in_store).then(ItemMap::new),
            ..Self::default()
        }
    }

    /// Refuses a state made for another source/target pair (or another source folder or target parent):
    /// its folder map and item ids mean nothing there, and following them would copy into wrong folders.
    pub fn check_pair(
        &self,
        source_mailbox: &str,
        source_folder: Option<&str>,
        target_mailbox: &str,
        target_parent: Option<&str>,
    ) -> Result<(), MailboxError> {
        if self.source_mailbox != source_mailbox
            || self.source_folder.as_deref() != source_folder
            || self.target_mailbox != target_mailbox
            || self.target_parent.as_deref() != target_parent
        {
            return Err(MailboxError::invalid_argument(
                "options.state belongs to another copy (a different source or target); start without a state or pass this pair's own",
            ));
        }
        Ok(())
    }

    /// The state as versioned JSON text, the shape in this module's docs; [`Self::from_json`] reads it back.
    pub fn to_json(&self) -> String {
        self.to_json_with(self.items.as_ref())
    }

    /// The JSON text, with the item map given separately (a run keeps it apart while it records items).
    pub fn to_json_with(&self, items: Option<&ItemMap>) -> String {
        let mut out = String::from("{\"version\":1,\"source\":{\"mailboxId\":");
        json::write_string(&mut out, &self.source_mailbox);
        push_optional(&mut out, "folderId", self.source_folder.as_deref());
        out.push_str("},\"target\":{\"mailboxId\":");
        json::write_string(&mut out, &self.target_mailbox);
        push_optional(&mut out, "parentFolderId", self.target_parent.as_deref());
        out.push_str("},\"includeHidden\":");
        out.push_str(if self.include_hidden { "true" } else { "false" });
        push_optional(&mut out, "rootId", self.root_id.as_deref());
        push_optional(
            &mut out,
            "foldersDeltaLink",
            self.folders_delta_link.as_deref(),
        );
        out.push_str(",\"folders\":[");
        for (i, folder) in self.folders.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"id\":");
            json::write_string(&mut out, &folder.source_id);
            push_optional(&mut out, "parentId", folder.parent_id.as_deref());
            push_member(&mut out, "name", &folder.display_name);
            push_member(&mut out, "type", &folder.folder_type);
            push_optional(&mut out, "wellKnownName", folder.well_known_name.as_deref());
            push_optional(&mut out, "targetId", folder.target_id.as_deref());
            push_optional(&mut out, "deltaLink", folder.delta_link.as_deref());
            push_optional(&mut out, "roundLink", folder.round_link.as_deref());
            if folder.round_gaps {
                out.push_str(",\"roundGaps\":true");
            }
            out.push('}');
        }
        out.push(']');
        match items {
            None => out.push_str(",\"itemsInStore\":true"),
            Some(items) => {
                out.push_str(",\"items\":{");
                for (i, (id, item)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::write_string(&mut out, id);
                    out.push(':');
                    write_item(&mut out, item);
                }
                out.push('}');
            }
        }
        out.push('}');
        out
    }

    /// Reads a state written by [`CopyState::to_json`]. Anything else is `invalidArgument`.
    pub fn from_json(text: &str) -> Result<Self, MailboxError> {
        let root = json::parse(text).ok_or_else(|| bad_state("not JSON"))?;
        match root.get("version") {
            Some(Value::Number(n)) if n == "1" => {}
            Some(Value::Number(_)) => {
                return Err(MailboxError::invalid_argument(
                    "options.state has a version this package does not read (it reads version 1)",
                ))
            }
            _ => return Err(bad_state("no version")),
        }
        // Every member is read, and the first that is wrong named at the end: one early return per
        // member would each drop what was read before it, which is kilobytes of wasm.
        let mut read = StateReader { bad: None };
        let source = root.get("source");
        let target = root.get("target");
        let source_mailbox = read.required(source, "no source.", "mailboxId");
        let source_folder = read.text(source, "source.", "folderId");
        let target_mailbox = read.required(target, "no target.", "mailboxId");
        let target_parent = read.text(target, "target.", "parentFolderId");
        let include_hidden = match root.get("includeHidden") {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => read.fail("", "includeHidden"),
        };
        let root_id = read.text(Some(&root), "", "rootId");
        let folders_delta_link = read.text(Some(&root), "", "foldersDeltaLink");
        let listed = match root.get("folders") {
            Some(Value::Array(listed)) => listed.as_slice(),
            _ => read.fail("no ", "folders"),
        };
        let mut folders = Vec::with_capacity(listed.len());
        for folder in listed {
            let folder = Some(folder);
            let owner = "a folder's ";
            folders.push(FolderEntry {
                source_id: read.required(folder, "a folder without ", "id"),
                parent_id: read.text(folder, owner, "parentId"),
                display_name: read.text(folder, owner, "name").unwrap_or_default(),
                folder_type: read
                    .text(folder, owner, "type")
                    .unwrap_or_else(|| DEFAULT_FOLDER_TYPE.into()),
                well_known_name: read.text(folder, owner, "wellKnownName"),
                target_id: read.text(folder, owner, "targetId"),
                delta_link: read.text(folder, owner, "deltaLink"),
                round_link: read.text(folder, owner, "roundLink"),
                round_gaps: matches!(
                    folder.and_then(|f| f.get("roundGaps")),
                    Some(Value::Bool(true))
                ),
                search_folder: false,
            });
        }
        let items = match (root.get("items"), root.get("itemsInStore")) {
            (Some(Value::Object(members)), _) => {
                let mut items = ItemMap::new();
                for (id, value) in members {
                    match read_item(value) {
                        Some(item) => items.insert(id.clone(), item),
                        None => read.fail("an item of unknown shape", ""),
                    }
                }
                Some(items)
            }
            (None, Some(Value::Bool(true))) => None,
            _ => read.fail("no ", "items"),
        };
        let state = Self {
            source_mailbox,
            source_folder,
            target_mailbox,
            target_parent,
            include_hidden,
            root_id,
            folders_delta_link,
            folders,
            items,
        };
        match read.bad {
            None => Ok(state),
            Some((owner, key)) => Err(bad_state(&[owner, key].concat())),
        }
    }
}

/// Reads a state's members, keeping the first that is not what a state holds (`owner` + `key` names it).
struct StateReader {
    bad: Option<(&'static str, &'static str)>,
}

impl StateReader {
    /// Remembers a wrong member and gives a placeholder for it (the state is refused in the end).
    fn fail<T: Default>(&mut self, owner: &'static str, key: &'static str) -> T {
        self.remember(owner, key);
        T::default()
    }

    /// The part of [`StateReader::fail`] that is the same for every type, out of line.
    #[inline(never)]
    fn remember(&mut self, owner: &'static str, key: &'static str) {
        self.bad.get_or_insert((owner, key));
    }

    /// Optional text: absent or null is `None`.
    fn text(
        &mut self,
        object: Option<&Value>,
        owner: &'static str,
        key: &'static str,
    ) -> Option<String> {
        match object.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => self.fail(owner, key),
        }
    }

    /// Text that must be there; `missing` + `key` names it when it is not.
    fn required(
        &mut self,
        object: Option<&Value>,
        missing: &'static str,
        key: &'static str,
    ) -> String {
        match object.and_then(|o| o.get(key)) {
            Some(Value::String(s)) => s.clone(),
            _ => self.fail(missing, key),
        }
    }
}

fn write_item(out: &mut String, item: &CopiedItem) {
    match item {
        CopiedItem::OutcomeUnknown => out.push_str("[\"u\"]"),
        CopiedItem::Imported {
            item_id,
            change_key,
            source_change_key,
        } => {
            out.push_str("[\"i\",");
            json::write_string(out, item_id);
            out.push(',');
            json::write_string(out, change_key);
            if let Some(key) = source_change_key {
                out.push(',');
                json::write_string(out, key);
            }
            out.push(']');
        }
    }
}

fn read_item(value: &Value) -> Option<CopiedItem> {
    let fields = value.as_array()?;
    let text = |i: usize| fields.get(i).and_then(Value::as_str);
    match (text(0), text(1), text(2)) {
        (Some("u"), _, _) => Some(CopiedItem::OutcomeUnknown),
        (Some("i"), Some(item_id), Some(change_key)) => Some(CopiedItem::Imported {
            item_id: item_id.into(),
            change_key: change_key.into(),
            source_change_key: text(3).map(Into::into),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn sample() -> CopyState {
        let mut state = CopyState::new("MBX:s", Some("inbox"), "MBX:t", None, false);
        state.root_id = Some("AAMk\"root".into());
        state.folders_delta_link = Some("https://graph.microsoft.com/v1.0/d?$deltatoken=1".into());
        state.folders.push(FolderEntry {
            source_id: "f1".into(),
            parent_id: None,
            display_name: "Inbox".into(),
            folder_type: "IPF.Note".into(),
            well_known_name: Some("inbox".into()),
            target_id: Some("t1".into()),
            delta_link: Some("https://graph.microsoft.com/v1.0/i?$deltatoken=2".into()),
            round_link: Some("https://graph.microsoft.com/v1.0/i?$skiptoken=3".into()),
            round_gaps: true,
            search_folder: false,
        });
        state.folders.push(FolderEntry {
            source_id: "f2".into(),
            parent_id: Some("f1".into()),
            display_name: "Ünïcode \\ \n name".into(),
            folder_type: "IPF.Contact".into(),
            well_known_name: None,
            target_id: None,
            delta_link: None,
            round_link: None,
            round_gaps: false,
            search_folder: false,
        });
        let items = state.items.as_mut().unwrap();
        items.insert(
            "s1".into(),
            CopiedItem::Imported {
                item_id: "c1".into(),
                change_key: "k1".into(),
                source_change_key: Some("sk1".into()),
            },
        );
        items.insert(
            "s2".into(),
            CopiedItem::Imported {
                item_id: "c2".into(),
                change_key: "k2".into(),
                source_change_key: None,
            },
        );
        items.insert("s3".into(), CopiedItem::OutcomeUnknown);
        state
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_state_survives_its_json() {
        let state = sample();
        let text = state.to_json();
        assert!(text.starts_with("{\"version\":1,"));
        assert!(text.contains(r#""s3":["u"]"#), "{text}");
        assert!(text.contains(r#""s1":["i","c1","k1","sk1"]"#), "{text}");
        assert_eq!(CopyState::from_json(&text).unwrap(), state);

        let mut stored = state.clone();
        stored.items = None;
        let text = stored.to_json();
        assert!(text.ends_with(",\"itemsInStore\":true}"));
        assert_eq!(CopyState::from_json(&text).unwrap(), stored);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_state_is_bound_to_its_pair() {
        let state = sample();
        assert!(state
            .check_pair("MBX:s", Some("inbox"), "MBX:t", None)
            .is_ok());
        for (s, f, t, p) in [
            ("MBX:x", Some("inbox"), "MBX:t", None),
            ("MBX:s", None, "MBX:t", None),
            ("MBX:s", Some("inbox"), "MBX:x", None),
            ("MBX:s", Some("inbox"), "MBX:t", Some("p")),
        ] {
            let error = state.check_pair(s, f, t, p).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument);
            assert!(error.message.contains("another copy"));
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "{}",
            r#"{"version":2,"source":{"mailboxId":"a"},"target":{"mailboxId":"b"},"folders":[],"items":{}}"#,
            r#"{"version":1,"target":{"mailboxId":"b"},"folders":[],"items":{}}"#,
            r#"{"version":1,"source":{"mailboxId":"a"},"target":{"mailboxId":"b"},"folders":[]}"#,
            r#"{"version":1,"source":{"mailboxId":"a"},"target":{"mailboxId":"b"},"folders":[{}],"items":{}}"#,
            r#"{"version":1,"source":{"mailboxId":"a"},"target":{"mailboxId":"b"},"folders":[],"items":{"x":["i","c"]}}"#,
            r#"{"version":1,"source":{"mailboxId":3},"target":{"mailboxId":"b"},"folders":[],"items":{}}"#,
        ] {
            let error = CopyState::from_json(bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument, "{bad}");
        }
        let minimal = r#"{"version":1,"source":{"mailboxId":"a"},"target":{"mailboxId":"b"},"folders":[],"items":{}}"#;
        assert!(CopyState::from_json(minimal).is_ok());
    }

    /// The figure in the README: bytes of JSON per 100,000 copied items, with ids and change keys of the
    /// lengths Exchange gives (152-character item ids, 40-character change keys).
    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn state_size_per_100000_items() {
        let mut state = CopyState::new("MBX:s", None, "MBX:t", None, false);
        let items = state.items.as_mut().unwrap();
        let id = |prefix: &str, n: usize| {
            let mut id = alloc::format!("AAMkAD{prefix}{n:010}");
            while id.len() < 152 {
                id.push('A');
            }
            id.push('=');
            id
        };
        for n in 0..100_000 {
            items.insert(
                id("s", n),
                CopiedItem::Imported {
                    item_id: id("t", n),
                    change_key: alloc::format!("CQAAABYAAAD{n:029}"),
                    source_change_key: Some(alloc::format!("CQAAABYAAAC{n:029}")),
                },
            );
        }
        let bytes = state.to_json().len();
        std::println!("CopyState: {bytes} bytes of JSON for 100,000 items");
        assert!((35_000_000..45_000_000).contains(&bytes), "{bytes}");
    }
}
