//! Folders through the Graph loop: `createFolder` (which gives the existing folder when the name is
//! taken), one folder by id, and `listFolderTree` (every folder below a root, parents before children).

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::{self, Value};
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::client::{send_to_graph, Failure};
use crate::flows::copy_folders::mapping::{same_name, DEFAULT_FOLDER_TYPE};
use crate::flows::reader::list_folders;
use crate::transport::Effects;
use crate::wire::folders::{
    is_name_taken, prepare_create_folder, prepare_get_folder, validate_folder_name,
};
use crate::wire::protocol::{validate_id, validate_mailbox_id};

/// A folder Graph answered with: an object with a non-empty string `id`.
fn folder_from(answer: &crate::flows::client::GraphAnswer) -> Result<Value, Failure> {
    match json::parse(&answer.response.body) {
        Some(folder) if folder.get_str("id").is_some_and(|id| !id.is_empty()) => Ok(folder),
        _ => Err(answer.fail(MailboxError::new(
            ErrorCode::InvalidResponse,
            "Graph's folder has no id",
        ))),
    }
}

/// `GET .../folders/{id}` (a well-known name works as the id in primary mailboxes).
pub async fn get_folder<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    mailbox: &str,
    folder: &str,
) -> Result<Value, Failure> {
    let call = prepare_get_folder(config, mailbox, folder)?;
    let answer = send_to_graph(effects, config, call).await?;
    folder_from(&answer)
}

/// How `createFolder` found its folder.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderCreated {
    /// The folder was created; Graph's answer to the create.
    Created(Value),
    /// The name was taken under the parent (or a create's answer was lost and the folder was there).
    Existing(Value),
}

impl FolderCreated {
    /// The folder as Graph gave it, however it was found.
    pub fn folder(&self) -> &Value {
        match self {
            Self::Created(folder) | Self::Existing(folder) => folder,
        }
    }
}

/// A new folder's request, checked before anything is sent.
#[derive(Debug)]
pub struct NewFolder<'a> {
    /// The new folder's name: not blank, no control characters, at most 255 characters.
    pub display_name: &'a str,
    /// Default `IPF.Note`.
    pub folder_type: Option<&'a str>,
    /// `None`: the top level of the mailbox.
    pub parent: Option<&'a str>,
}

impl NewFolder<'_> {
    /// Checks the mailbox id, the name, the type and the parent id; `invalidArgument` names the first bad
    /// one.
    pub fn validate(&self, mailbox: &str) -> Result<(), MailboxError> {
        validate_mailbox_id(mailbox)?;
        validate_folder_name(self.display_name)?;
        if let Some(folder_type) = self.folder_type {
            validate_id("folder.type", folder_type)?;
        }
        if let Some(parent) = self.parent {
            validate_id("folder.parentFolderId", parent)?;
        }
        Ok(())
    }
}

/// The child named `name` (without regard to case) among `children`.
fn find_child(children: Vec<Value>, name: &str) -> Option<Value> {
    children.into_iter().find(|child| {
        child
            .get_str("displayName")
            .is_some_and(|n| same_name(n, name))
            && child.get_str("id").is_some_and(|id| !id.is_empty())
    })
}

/// `createFolder`. A create is not safe to repeat, so it is sent once. When Graph says the name is taken
/// (409 `ErrorFolderExists` for mail folders; UNKNOWN here), or the answer was lost, the parent's
/// children are listed and a folder of that name is the result. Whether this API may instead create a
/// second folder of the same name is UNKNOWN too: callers that must not make one twice (copyFolders)
/// look for the name first and record what they made.
pub async fn create_folder<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    mailbox: &str,
    folder: &NewFolder<'_>,
) -> Result<FolderCreated, Failure> {
    folder.validate(mailbox)?;
    let call = prepare_create_folder(
        config,
        mailbox,
        folder.parent,
        folder.display_name,
        folder.folder_type.unwrap_or(DEFAULT_FOLDER_TYPE),
    );
    let error = match send_to_graph(effects, config, call).await {
        Ok(answer) => return folder_from(&answer).map(FolderCreated::Created),
        Err(Failure::Error(error)) => error,
        Err(aborted) => return Err(aborted),
    };
    let unanswered = matches!(error.code, ErrorCode::Network | ErrorCode::Timeout);
    if !unanswered && !is_name_taken(&error) {
        return Err(error.into());
    }
    // The parent's children, hidden ones included.
    let children = list_folders(effects, config, mailbox, folder.parent, true).await;
    match children.map(|children| find_child(children, folder.display_name)) {
        Ok(Some(existing)) => Ok(FolderCreated::Existing(existing)),
        _ => Err(error.into()),
    }
}

/// A folder with the display names from the tree's root down to it (its own last).
#[derive(Debug, Clone, PartialEq)]
pub struct FolderNode {
    /// The folder as Graph listed it.
    pub folder: Value,
    /// Display names from the first level below the root down to this folder, its own last.
    pub path: Vec<String>,
}

/// `listFolderTree`: every folder below `root` (default: the mailbox's top level), breadth first so
/// parents come before children, every page of every level. Folders that say they have no children are
/// not asked for them.
pub async fn list_folder_tree<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    mailbox: &str,
    root: Option<&str>,
    include_hidden: bool,
) -> Result<Vec<FolderNode>, Failure> {
    validate_mailbox_id(mailbox)?;
    if let Some(root) = root {
        validate_id("options.rootFolderId", root)?;
    }
    let mut nodes: Vec<FolderNode> = Vec::new();
    // Nodes whose children are still to list: `None` is the root itself.
    let mut next: usize = 0;
    let mut pending_root = true;
    loop {
        let (parent, parent_path) = if pending_root {
            pending_root = false;
            (root.map(String::from), Vec::new())
        } else {
            let Some(node) = nodes.get(next) else {
                return Ok(nodes);
            };
            next += 1;
            let childless =
                matches!(node.folder.get("childFolderCount"), Some(Value::Number(n)) if n == "0");
            if childless {
                continue;
            }
            let id = node.folder.get_str("id").unwrap_or_default();
            (Some(String::from(id)), node.path.clone())
        };
        let children =
            list_folders(effects, config, mailbox, parent.as_deref(), include_hidden).await?;
        for child in children {
            if child.get_str("id").is_none_or(str::is_empty) {
                continue;
            }
            let mut path = parent_path.clone();
            path.push(child.get_str("displayName").unwrap_or_default().into());
            nodes.push(FolderNode {
                folder: child,
                path,
            });
        }
    }
}
