//! Which folders a copy takes, in which order, and where each lands in the target. Pure: the flow feeds
//! it Graph's folders and does what it decides.
//!
//! - A folder with a `wellKnownName` maps to the target's folder of that name and is never created.
//! - Any other folder maps to the child of its mapped parent with the same `displayName`, compared without
//!   regard to case (as Exchange compares folder names), or is created there with its name and type.
//! - Search folders are skipped unless asked for (their items live elsewhere and a copy would duplicate
//!   them); hidden folders are not even listed unless asked for.

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::Value;
use crate::flows::copy_folders::state::FolderEntry;

/// The folder type a create uses when the source gave none.
pub const DEFAULT_FOLDER_TYPE: &str = "IPF.Note";

/// Whether Graph's folder is a search folder. UNKNOWN for mailboxFolder: the docs list no property for
/// it, so both signs Graph's mail APIs use are taken: an `@odata.type` naming a search folder, and the
/// well-known search folders root.
fn is_search_folder(folder: &Value) -> bool {
    let odata_type = folder.get_str("@odata.type").unwrap_or_default();
    crate::codec::text::find(odata_type, "searchfolder", true).is_some()
        || folder
            .get_str("wellKnownName")
            .is_some_and(|name| name.eq_ignore_ascii_case("searchfolders"))
}

impl FolderEntry {
    /// A folder as Graph lists it, not mapped yet; `None` for an entry without an id.
    pub fn from_graph(folder: &Value) -> Option<Self> {
        let id = folder.get_str("id").filter(|id| !id.is_empty())?;
        Some(Self {
            source_id: id.into(),
            parent_id: folder
                .get_str("parentFolderId")
                .filter(|p| !p.is_empty())
                .map(Into::into),
            display_name: folder.get_str("displayName").unwrap_or_default().into(),
            folder_type: folder
                .get_str("type")
                .filter(|t| !t.is_empty())
                .unwrap_or(DEFAULT_FOLDER_TYPE)
                .into(),
            well_known_name: folder
                .get_str("wellKnownName")
                .filter(|w| !w.is_empty())
                .map(Into::into),
            target_id: None,
            delta_link: None,
            round_link: None,
            round_gaps: false,
            search_folder: is_search_folder(folder),
        })
    }
}

/// One character's lower case for the scripts folder names mostly use: ASCII, Latin-1, Latin Extended-A,
/// Greek and Cyrillic. Not all of Unicode: core's full case tables would add kilobytes to the wasm. A name
/// this misses is still never duplicated: the target answers 409 and the folder is looked up again, and
/// failing that it fails alone.
fn fold(c: char) -> char {
    let code = c as u32;
    let lower = match code {
        0x41..=0x5A | 0xC0..=0xDE if code != 0xD7 => code + 32,
        0x391..=0x3AB if code != 0x3A2 => code + 32,
        0x410..=0x42F => code + 32,
        0x400..=0x40F => code + 80,
        0x100..=0x137 | 0x14A..=0x177 if code % 2 == 0 => code + 1,
        0x139..=0x148 | 0x179..=0x17E if code % 2 == 1 => code + 1,
        _ => code,
    };
    char::from_u32(lower).unwrap_or(c)
}

/// Folder names compared as Exchange does: without regard to case.
pub fn same_name(a: &str, b: &str) -> bool {
    a.chars().map(fold).eq(b.chars().map(fold))
}

/// Where a source folder goes in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// An existing target folder.
    Reuse(String),
    /// A well-known folder not among the parent's children: ask the target for it by name.
    WellKnown(String),
    /// Create it under the mapped parent.
    Create {
        /// The source folder's name.
        display_name: String,
        /// The source folder's type.
        folder_type: String,
    },
}

/// Maps `folder` given the children of its mapped parent in the target.
pub fn map_folder(folder: &FolderEntry, target_children: &[Value]) -> Mapping {
    let id_of = |child: &Value| {
        child
            .get_str("id")
            .filter(|id| !id.is_empty())
            .map(String::from)
    };
    if let Some(well_known) = &folder.well_known_name {
        return target_children
            .iter()
            .find(|child| {
                child
                    .get_str("wellKnownName")
                    .is_some_and(|name| name.eq_ignore_ascii_case(well_known))
            })
            .and_then(id_of)
            .map_or_else(|| Mapping::WellKnown(well_known.clone()), Mapping::Reuse);
    }
    target_children
        .iter()
        .find(|child| {
            child
                .get_str("displayName")
                .is_some_and(|name| same_name(name, &folder.display_name))
        })
        .and_then(id_of)
        .map_or_else(
            || Mapping::Create {
                display_name: folder.display_name.clone(),
                folder_type: folder.folder_type.clone(),
            },
            Mapping::Reuse,
        )
}

/// The copy's folders in order, parents before children: `tops` are the copy's top folders (mapped under
/// the target's parent), then every folder below them (when `include_subfolders`). Search folders, and
/// everything below one, are left out unless `include_search_folders`.
pub fn copy_order(
    folders: &[FolderEntry],
    tops: &[&str],
    include_subfolders: bool,
    include_search_folders: bool,
) -> Vec<FolderEntry> {
    // Linear scans rather than maps: a mailbox has hundreds of folders, and each map type costs wasm.
    let keep = |folder: &FolderEntry| include_search_folders || !folder.search_folder;
    let mut order: Vec<FolderEntry> = Vec::new();
    for top in tops {
        if let Some(folder) = folders
            .iter()
            .find(|f| f.source_id == *top)
            .filter(|f| keep(f))
        {
            if !order.iter().any(|seen| seen.source_id == folder.source_id) {
                order.push(folder.clone());
            }
        }
    }
    if !include_subfolders {
        return order;
    }
    // Breadth first; a folder seen twice (a cycle in bad data) is taken once.
    let mut next = 0;
    while next < order.len() {
        let id = order[next].source_id.clone();
        next += 1;
        for child in folders
            .iter()
            .filter(|f| f.parent_id.as_deref() == Some(id.as_str()))
        {
            if keep(child) && !order.iter().any(|seen| seen.source_id == child.source_id) {
                order.push(child.clone());
            }
        }
    }
    order
}

/// The top folders of a whole mailbox: those whose parent is not among the folders (the mailbox's root),
/// with that parent's id (the first one met, when a hierarchy names more than one).
pub fn mailbox_tops(folders: &[FolderEntry]) -> (Vec<&str>, Option<String>) {
    let mut root: Option<String> = None;
    let mut tops = Vec::new();
    for folder in folders {
        let parent = folder.parent_id.as_deref();
        if parent.is_some_and(|p| folders.iter().any(|f| f.source_id == p)) {
            continue;
        }
        match (&root, parent) {
            (None, Some(p)) => root = Some(p.into()),
            (Some(r), Some(p)) if r != p => continue,
            _ => {}
        }
        tops.push(folder.source_id.as_str());
    }
    (tops, root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::parse;

    fn folder(id: &str, parent: Option<&str>, name: &str) -> FolderEntry {
        FolderEntry {
            source_id: id.into(),
            parent_id: parent.map(Into::into),
            display_name: name.into(),
            folder_type: DEFAULT_FOLDER_TYPE.into(),
            well_known_name: None,
            target_id: None,
            delta_link: None,
            round_link: None,
            round_gaps: false,
            search_folder: false,
        }
    }

    fn children(json: &str) -> Vec<Value> {
        parse(json).unwrap().as_array().unwrap().to_vec()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn graph_folders_are_read() {
        let f = FolderEntry::from_graph(&parse(r#"{"id":"a","parentFolderId":"r","displayName":"Inbox","type":"IPF.Note","wellKnownName":"inbox"}"#).unwrap()).unwrap();
        assert_eq!(f.well_known_name.as_deref(), Some("inbox"));
        assert_eq!(f.parent_id.as_deref(), Some("r"));
        let s = FolderEntry::from_graph(&parse(r##"{"id":"s","displayName":"Unread","@odata.type":"#microsoft.graph.mailSearchFolder"}"##).unwrap()).unwrap();
        assert!(s.search_folder);
        assert_eq!(s.folder_type, "IPF.Note");
        assert!(FolderEntry::from_graph(&parse(r#"{"displayName":"x"}"#).unwrap()).is_none());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn well_known_folders_map_to_the_targets_own() {
        let mut inbox = folder("s-inbox", Some("root"), "Boîte de réception");
        inbox.well_known_name = Some("inbox".into());
        let target = children(
            r#"[{"id":"t-x","displayName":"Boîte de réception"},{"id":"t-inbox","displayName":"Inbox","wellKnownName":"Inbox"}]"#,
        );
        assert_eq!(
            map_folder(&inbox, &target),
            Mapping::Reuse("t-inbox".into())
        );
        assert_eq!(
            map_folder(&inbox, &children("[]")),
            Mapping::WellKnown("inbox".into())
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn other_folders_match_by_name_without_case_or_are_created() {
        let target =
            children(r#"[{"id":"t1","displayName":"PROJECTS"},{"id":"t2","displayName":"Ärzte"}]"#);
        assert_eq!(
            map_folder(&folder("s1", None, "Projects"), &target),
            Mapping::Reuse("t1".into())
        );
        assert_eq!(
            map_folder(&folder("s2", None, "ärzte"), &target),
            Mapping::Reuse("t2".into())
        );
        assert!(same_name("ΑΡΧΕΙΟ Łódź", "αρχειο łódź"));
        assert!(same_name("Входящие", "входящие"));
        assert!(!same_name("Projects", "Project"));
        assert!(!same_name("×", "÷"));
        let mut contacts = folder("s3", None, "Projects 2026");
        contacts.folder_type = "IPF.Contact".into();
        assert_eq!(
            map_folder(&contacts, &target),
            Mapping::Create {
                display_name: "Projects 2026".into(),
                folder_type: "IPF.Contact".into()
            }
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_order_puts_parents_first_and_leaves_search_folders_out() {
        let mut search = folder("q", Some("root"), "Unread");
        search.search_folder = true;
        let folders = vec![
            folder("c2", Some("b"), "Level 3"),
            folder("b", Some("a"), "Level 2"),
            folder("a", Some("root"), "Top"),
            folder("d", Some("root"), "Other"),
            search.clone(),
            folder("q1", Some("q"), "Under search"),
        ];
        let (tops, root) = mailbox_tops(&folders);
        assert_eq!(root.as_deref(), Some("root"));
        assert_eq!(tops, ["a", "d", "q"]);
        let ids =
            |order: Vec<FolderEntry>| order.into_iter().map(|f| f.source_id).collect::<Vec<_>>();
        assert_eq!(
            ids(copy_order(&folders, &tops, true, false)),
            ["a", "d", "b", "c2"]
        );
        assert_eq!(
            ids(copy_order(&folders, &tops, true, true)),
            ["a", "d", "q", "b", "q1", "c2"]
        );
        assert_eq!(ids(copy_order(&folders, &tops, false, false)), ["a", "d"]);
        assert_eq!(ids(copy_order(&folders, &["b"], true, false)), ["b", "c2"]);
        // A cycle in bad data ends.
        let cycle = vec![folder("x", Some("y"), "X"), folder("y", Some("x"), "Y")];
        assert_eq!(ids(copy_order(&cycle, &["x"], true, false)), ["x", "y"]);
    }
}
