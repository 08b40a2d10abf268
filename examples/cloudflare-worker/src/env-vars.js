// Reading the Worker's vars: one parse per env object (an isolate hands the same env to every request), and
// readers that note what is wrong in `problems` by the var's name, never its value (a var may be a secret).

/** `read(env)` returning `parse(env)`, parsed once per env object. */
export function cachedPerEnv(parse) {
  const cache = new WeakMap();
  return (env) => {
    let result = cache.get(env);
    if (!result) {
      result = parse(env ?? {});
      cache.set(env, result);
    }
    return result;
  };
}

/** `text`, `list` and `integer` readers of `env`'s vars; each problem found is pushed onto `problems`. */
export function varReaders(env, problems) {
  const text = (name) => {
    const v = env[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") {
      problems.push(`${name}: must be a string`);
      return undefined;
    }
    const t = v.trim();
    return t === "" ? undefined : t;
  };
  const list = (name) => {
    const v = text(name);
    return v === undefined ? [] : v.split(/[\s,]+/).filter(Boolean);
  };
  const integer = (name, fallback, min, max) => {
    const v = text(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  return { text, list, integer };
}
