// `graph-mailbox-import/init`: the public API plus the loader, for hosts that pass the module themselves.
// Written by hand, like index.d.ts, without DOM types: the object forms below are checked when loading.
export * from "./index.js";

/** Where `init` gets the module: its URL (a string or a `URL`), a fetch `Request` or `Response` for it, its
 *  bytes (an `ArrayBuffer` or a view of one), or a compiled `WebAssembly.Module`. */
export type InitInput = string | object;

/** What `initSync` instantiates: the module's bytes (an `ArrayBuffer` or a view of one) or a compiled
 *  `WebAssembly.Module`. */
export type SyncInitInput = ArrayBuffer | ArrayBufferView | object;

/** Fetches (for a URL, Request or Response) and instantiates the module. A second call does nothing. */
export default function init(options?: { module_or_path: InitInput | Promise<InitInput> }): Promise<unknown>;

/** Instantiates the module synchronously from its bytes or a compiled module. A second call does nothing. */
export function initSync(options: { module: SyncInitInput }): unknown;
