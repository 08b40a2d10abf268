// A small reader of a wasm binary: section sizes, every function body's size, and the names that the
// `name` custom section gives them. Enough for a twiggy-top-like breakdown grouped by crate and module.

function reader(buf) {
  let pos = 0;
  const r = {
    get pos() {
      return pos;
    },
    set pos(p) {
      pos = p;
    },
    byte: () => buf[pos++],
    u32() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = buf[pos++];
        result += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) return result;
        shift += 7;
      }
    },
    string() {
      const len = r.u32();
      const s = new TextDecoder().decode(buf.subarray(pos, pos + len));
      pos += len;
      return s;
    },
  };
  return r;
}

const SECTION_NAMES = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];

/**
 * Returns { sections: [{ name, size }], functions: [{ index, name, size }], dataSegments: [{ size }],
 * nameSectionSize, importedFunctions }. `size` of a section counts its id and length bytes; a function's
 * size is its body with its length prefix, as twiggy counts it.
 */
export function readWasm(buf) {
  const r = reader(buf);
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error("not a wasm module");
  r.pos = 8;
  const sections = [];
  const bodies = [];
  const dataSegments = [];
  const names = new Map();
  let importedFunctions = 0;
  let nameSectionSize = 0;
  let dataRange = null;
  while (r.pos < buf.length) {
    const start = r.pos;
    const id = r.byte();
    const len = r.u32();
    const contentStart = r.pos;
    const end = contentStart + len;
    let name = SECTION_NAMES[id] ?? `unknown(${id})`;
    if (id === 0) {
      const custom = r.string();
      name = `custom "${custom}"`;
      if (custom === "name") {
        nameSectionSize = end - start;
        while (r.pos < end) {
          const sub = r.byte();
          const subLen = r.u32();
          const subEnd = r.pos + subLen;
          if (sub === 1) {
            const count = r.u32();
            for (let i = 0; i < count; i += 1) {
              const index = r.u32();
              names.set(index, r.string());
            }
          }
          r.pos = subEnd;
        }
      }
    } else if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i += 1) {
        r.string();
        r.string();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          importedFunctions += 1;
        } else if (kind === 1) {
          r.byte();
          const flags = r.u32();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 2) {
          const flags = r.u32();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 3) {
          r.byte();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        }
      }
    } else if (id === 10) {
      const count = r.u32();
      for (let i = 0; i < count; i += 1) {
        const bodyStart = r.pos;
        const size = r.u32();
        r.pos += size;
        bodies.push(r.pos - bodyStart);
      }
    } else if (id === 11) {
      dataRange = [contentStart, end];
      const count = r.u32();
      for (let i = 0; i < count; i += 1) {
        const segStart = r.pos;
        const flags = r.u32();
        if (flags === 2) r.u32();
        if (flags !== 1) {
          // A constant expression, ended by 0x0b (i32.const / global.get with LEB operands).
          for (;;) {
            const op = r.byte();
            if (op === 0x0b) break;
            if (op === 0x41 || op === 0x23) r.u32();
            else if (op === 0x42) r.u32();
          }
        }
        const size = r.u32();
        r.pos += size;
        dataSegments.push({ size: r.pos - segStart, bytes: size });
      }
    }
    sections.push({ name, size: end - start });
    r.pos = end;
  }
  const functions = bodies.map((size, i) => {
    const index = importedFunctions + i;
    return { index, name: names.get(index) ?? `code[${i}]`, size };
  });
  return { sections, functions, dataSegments, dataRange, nameSectionSize, importedFunctions, named: names.size > 0 };
}

/** A demangled Rust path without its `::h0123...` hash. */
export function cleanName(name) {
  return name.replace(/::h[0-9a-f]{16}$/, "").replace(/\[[0-9a-f]{16}\]/g, "");
}

/**
 * The group a (demangled) function's bytes are charged to: the crate, and for this crate and core/alloc its
 * module. `<T as Trait>::f` is charged to T (to the trait when it is a core::fmt trait or T has no path),
 * closures to their function's module; wasm-bindgen's generated exports and shims to their own group.
 */
export function groupOf(demangled) {
  const name = cleanName(demangled);
  if (/^(__wbg_|__wbindgen|__externref|wasm_bindgen__convert__closures|__wasm)|externref shim$/.test(name)) return "wasm-bindgen (generated exports and shims)";
  if (/^code\[\d+\]$/.test(name)) return "(unnamed)";
  let path = name;
  const impl = /^<+&?(?:mut )?(?:dyn )?([^<>\s]+)(?:<.*?>)?(?: as ([^<>\s]+))?/.exec(name);
  if (name.startsWith("<")) {
    const [, self = "", trait] = impl ?? [];
    if (trait && trait.startsWith("core::fmt::")) path = "core::fmt::x";
    else if (self.includes("::")) path = self;
    else if (trait) path = trait;
    else return "core (methods of primitive types)";
  }
  const parts = path.split("::").filter(Boolean);
  const crate = parts[0] ?? name;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(crate)) return "(other)";
  if (crate === "graph_mailbox_import" || crate === "core" || crate === "alloc" || crate === "std") {
    return parts.length > 2 ? `${crate}::${parts[1]}` : crate;
  }
  return crate;
}

/**
 * What the data section's text is: printable ASCII runs of 8 characters or more (messages, JSON keys, error
 * codes), and among them the source paths that panic locations carry (`/rustc/...`, `.../registry/...*.rs`).
 */
export function dataStrings(buf, range) {
  if (!range) return { textBytes: 0, runs: 0, pathBytes: 0, paths: [] };
  const text = buf.subarray(range[0], range[1]).toString("latin1");
  const runs = text.match(/[\x20-\x7e]{8,}/g) ?? [];
  const paths = text.match(/\/[\x21-\x7e]*?\/[\x21-\x7e]+?\.rs/g) ?? [];
  return {
    textBytes: runs.reduce((n, s) => n + s.length, 0),
    runs: runs.length,
    pathBytes: paths.reduce((n, s) => n + s.length, 0),
    paths: [...new Set(paths)],
  };
}
