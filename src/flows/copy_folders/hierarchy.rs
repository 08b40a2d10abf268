//! The copy's folder list after a folders/delta round: the round's folders laid over what the state
//! knew (or, for a first round, in its place), in copy order, keeping each known folder's mapping and
//! items deltaLink. Pure.

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::Value;
use crate::flows::copy_folders::mapping::{copy_order, mailbox_tops};
use crate::flows::copy_folders::state::{CopyState, FolderEntry};

/// What decides which folders a copy takes.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The source folder's own id (a subtree); `None`: the whole mailbox.
    pub subtree_root: Option<&'a str>,
    /// Take the folders below the subtree's root too (`includeSubfolders`, default true).
    pub include_subfolders: bool,
    /// Take search folders too; they are skipped by default, their items living in other folders.
    pub include_search_folders: bool,
}

/// Applies a folders/delta round to `state.folders`. `first_round`: the round started without a
/// deltaLink, so it lists every folder and the known ones not in it are gone.
pub fn apply_folder_round(
    state: &mut CopyState,
    scope: Scope<'_>,
    changed: &[Value],
    removed: &[String],
    first_round: bool,
) {
    // Vectors scanned linearly: folders number in the hundreds, and each map type costs wasm.
    let old: Vec<FolderEntry> = core::mem::take(&mut state.folders);
    let (mut listed, mut old) = match first_round {
        true => (Vec::new(), old),
        false => (old, Vec::new()),
    };
    for mut folder in changed.iter().filter_map(FolderEntry::from_graph) {
        let at = listed.iter().position(|f| f.source_id == folder.source_id);
        // A folder known before keeps its mapping and where its items rounds stand.
        let before = match at {
            Some(at) => Some(&mut listed[at]),
            None => old.iter_mut().find(|f| f.source_id == folder.source_id),
        };
        if let Some(before) = before {
            folder.target_id = before.target_id.take();
            folder.delta_link = before.delta_link.take();
            folder.round_link = before.round_link.take();
            folder.round_gaps = before.round_gaps;
        }
        match at {
            Some(at) => listed[at] = folder,
            None => listed.push(folder),
        }
    }
    listed.retain(|f| !removed.contains(&f.source_id));
    let tops: Vec<String> = match scope.subtree_root {
        Some(root) => alloc::vec![String::from(root)],
        None if first_round || state.root_id.is_none() => {
            let (tops, root) = mailbox_tops(&listed);
            state.root_id = root;
            tops.into_iter().map(String::from).collect()
        }
        None => listed
            .iter()
            .filter(|f| f.parent_id == state.root_id)
            .map(|f| f.source_id.clone())
            .collect(),
    };
    let tops: Vec<&str> = tops.iter().map(String::as_str).collect();
    state.folders = copy_order(
        &listed,
        &tops,
        scope.include_subfolders,
        scope.include_search_folders,
    );
    for folder in &mut state.folders {
        folder.search_folder = false;
    }
}

/// The display names from the copy's top folder down to `index` (its own last).
pub fn path_of(folders: &[FolderEntry], index: usize) -> Vec<String> {
    let mut path = Vec::new();
    let mut at = Some(index);
    while let Some(i) = at {
        let Some(entry) = folders.get(i) else { break };
        path.push(entry.display_name.clone());
        at = entry
            .parent_id
            .as_ref()
            .and_then(|p| folders[..i].iter().position(|f| f.source_id == *p));
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::parse;

    fn round(json: &str) -> Vec<Value> {
        parse(json).unwrap().as_array().unwrap().to_vec()
    }

    const WHOLE: Scope<'static> = Scope {
        subtree_root: None,
        include_subfolders: true,
        include_search_folders: false,
    };

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_first_round_then_changes_keep_the_mapping() {
        let mut state = CopyState::new("s", None, "t", None, false);
        let first = round(
            r#"[{"id":"inbox","parentFolderId":"root","displayName":"Inbox","wellKnownName":"inbox"},
                {"id":"a","parentFolderId":"inbox","displayName":"A"},
                {"id":"b","parentFolderId":"a","displayName":"B","type":"IPF.Contact"}]"#,
        );
        apply_folder_round(&mut state, WHOLE, &first, &[], true);
        assert_eq!(state.root_id.as_deref(), Some("root"));
        let ids: Vec<&str> = state.folders.iter().map(|f| f.source_id.as_str()).collect();
        assert_eq!(ids, ["inbox", "a", "b"]);
        assert_eq!(path_of(&state.folders, 2), ["Inbox", "A", "B"]);
        state.folders[1].target_id = Some("t-a".into());
        state.folders[1].delta_link = Some("link-a".into());

        // Later: a new folder under A, B removed, A renamed, a new top folder.
        let later = round(
            r#"[{"id":"c","parentFolderId":"a","displayName":"C"},
                {"id":"a","parentFolderId":"inbox","displayName":"A2"},
                {"id":"top","parentFolderId":"root","displayName":"Top"},
                {"id":"elsewhere","parentFolderId":"unknown","displayName":"X"}]"#,
        );
        apply_folder_round(&mut state, WHOLE, &later, &["b".into()], false);
        let ids: Vec<&str> = state.folders.iter().map(|f| f.source_id.as_str()).collect();
        assert_eq!(ids, ["inbox", "top", "a", "c"]);
        assert_eq!(state.folders[1].parent_id.as_deref(), Some("root"));
        assert_eq!(state.folders[2].display_name, "A2");
        assert_eq!(state.folders[2].target_id.as_deref(), Some("t-a"));
        assert_eq!(state.folders[2].delta_link.as_deref(), Some("link-a"));
        assert_eq!(state.folders[0].well_known_name.as_deref(), Some("inbox"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_subtree_takes_its_root_and_what_is_below() {
        let mut state = CopyState::new("s", Some("inbox"), "t", None, false);
        let first = round(
            r#"[{"id":"inbox","parentFolderId":"root","displayName":"Inbox"},
                {"id":"a","parentFolderId":"inbox","displayName":"A"},
                {"id":"other","parentFolderId":"root","displayName":"Other"}]"#,
        );
        let scope = Scope {
            subtree_root: Some("inbox"),
            ..WHOLE
        };
        apply_folder_round(&mut state, scope, &first, &[], true);
        let ids: Vec<&str> = state.folders.iter().map(|f| f.source_id.as_str()).collect();
        assert_eq!(ids, ["inbox", "a"]);
    }
}
