# The two commands of the README. Both install what they need first (scripts/setup.sh is idempotent).
.PHONY: demo test build

# The demo also runs the example Worker behind the page's Jobs view: its dependencies (wrangler, jose) once.
demo:
	./scripts/setup.sh
	./scripts/build.sh
	[ -f examples/cloudflare-worker/node_modules/wrangler/bin/wrangler.js ] || npm --prefix examples/cloudflare-worker ci --no-audit --no-fund --loglevel=error
	node scripts/demo.mjs

test:
	./scripts/test.sh

build:
	./scripts/setup.sh
	./scripts/build.sh
