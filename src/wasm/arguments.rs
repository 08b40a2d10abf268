//! Reading the positional arguments of the exported calls (ids, arrays of ids, the members of `source`
//! and `target`), with errors that name the argument. The reads follow [`super::options`]' rules: own
//! properties only, and whatever a getter or trap throws becomes an `invalidArgument`.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::options::{own_str, string_list, text, ListProblem};
use crate::error::MailboxError;

/// An id argument named `name` in its error: a string of valid Unicode (a lone surrogate would silently
/// become U+FFFD, another id) of at most 65536 characters. What makes an id valid is checked by the core.
fn read_id(value: &JsValue, name: &str) -> Result<String, MailboxError> {
    text(value).ok_or_else(|| must_be_text(name))
}

/// `mailboxId`.
pub(super) fn read_mailbox_id(value: &JsValue) -> Result<String, MailboxError> {
    read_id(value, "mailboxId")
}

/// `folderId` (listItems, listItemChanges).
pub(super) fn read_folder_id(value: &JsValue) -> Result<String, MailboxError> {
    read_id(value, "folderId")
}

/// resolveMailbox's `user`: a user id or user principal name.
pub(super) fn read_user(value: &JsValue) -> Result<String, MailboxError> {
    text(value).ok_or_else(|| {
        MailboxError::invalid_argument("user must be a user id or user principal name (a string)")
    })
}

/// Most ids one call takes (a copy's `source.itemIds`, an export's `itemIds`).
const MAX_IDS: u32 = 10_000_000;

/// An array of strings from JavaScript (item ids), each of valid Unicode; own entries only.
pub(super) fn read_string_array(value: &JsValue, name: &str) -> Result<Vec<String>, MailboxError> {
    let wrong = || {
        MailboxError::invalid_argument(
            [name, " must be an array of strings of valid Unicode text"].concat(),
        )
    };
    let threw =
        || MailboxError::invalid_argument([name, " could not be read: reading it threw"].concat());
    string_list(value, MAX_IDS).map_err(|problem| match problem {
        ListProblem::Wrong => wrong(),
        ListProblem::Threw => threw(),
    })
}

/// A string member of an argument object (own properties only), named in the error as `what`.
pub(super) fn read_member(value: &JsValue, key: &str, what: &str) -> Result<String, MailboxError> {
    read_optional_member(value, key, what)?.ok_or_else(|| must_be_text(what))
}

/// [`read_member`] for a member that may be absent (undefined or null).
pub(super) fn read_optional_member(
    value: &JsValue,
    key: &str,
    what: &str,
) -> Result<Option<String>, MailboxError> {
    own_str(value, key)
        .map_err(|_| {
            MailboxError::invalid_argument([what, " could not be read: reading it threw"].concat())
        })?
        .map(|member| text(&member).ok_or_else(|| must_be_text(what)))
        .transpose()
}

fn must_be_text(what: &str) -> MailboxError {
    MailboxError::invalid_argument(
        [
            what,
            " must be a string of valid Unicode text, at most 65536 characters",
        ]
        .concat(),
    )
}
