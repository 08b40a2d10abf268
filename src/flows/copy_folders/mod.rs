//! `copyFolders`: a folder, a folder tree or a whole mailbox copied into another mailbox, then again
//! later with only what changed. One concern per file:
//!
//! - [`mapping`]: which folders, in which order, and where each lands in the target (pure).
//! - [`state`]: `CopyState`, the versioned JSON a later pass starts from (pure).
//! - [`plan`]: what a pass does with each item of a folder's delta round (pure).
//! - [`hierarchy`]: the copy's folder list after a folders/delta round (pure).
//! - [`store`]: where the item map lives (the state, or the caller's async store).
//! - [`run`]: one pass over the effects.

pub mod hierarchy;
pub mod mapping;
pub mod plan;
pub mod run;
pub mod state;
pub mod store;
