//! Reading the positional arguments of the exported calls (ids, arrays of ids, the members of `source`
//! and `target`), with errors that name the argument. The reads follow [`super::options`]' rules: own
//! properties only, and whatever a getter or trap throws becomes an `invalidArgument`.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::options::{own_str, string_list, text, ListProblem};
use crate::error::MailboxError;

/// A mailbox id from JavaScript: a string of valid Unicode (a lone surrogate would silently become U+FFFD).
pub(super) fn read_mailbox_id(value: &JsValue) -> Result<String, MailboxError> {
    text(value).ok_or_else(|| {
        MailboxError::invalid_argument(
            "mailboxId must be a string of valid Unicode text, at most 65536 characters",
        )
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
    let must = || {
        MailboxError::invalid_argument(
            [
                what,
                " must be a string of valid Unicode text, at most 65536 characters",
            ]
            .concat(),
        )
    };
    own_str(value, key)
        .map_err(|_| {
            MailboxError::invalid_argument([what, " could not be read: reading it threw"].concat())
        })?
        .and_then(|v| text(&v))
        .ok_or_else(must)
}
