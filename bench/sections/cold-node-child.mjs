// One cold start in a fresh Node process: import a consumer module (which imports its library at top
// level; ours reads and instantiates the wasm there) and make its cheapest call. Prints the milliseconds
// from before the import to after the call, and since the process's time origin.
const target = process.argv[2];
const t0 = performance.now();
if (target !== "none") {
  const consumer = await import(target);
  consumer.coldStart();
}
const t1 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, sinceOriginMs: t1 }));
