# The two commands of the README. Both install what they need first (scripts/setup.sh is idempotent).
.PHONY: demo test build

demo:
	./scripts/setup.sh
	./scripts/build.sh
	node scripts/demo.mjs

test:
	./scripts/test.sh

build:
	./scripts/setup.sh
	./scripts/build.sh
