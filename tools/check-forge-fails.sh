#!/usr/bin/env bash
# Proves that `make forge` goes red when forge fails: in a temporary copy of the project's forge files,
# (1) a deliberately failing test and (2) a test file that does not compile must each make the
# Makefile's forge step exit non-zero. Exits 1 if either leaves the step green.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$ROOT/Makefile" "$ROOT/foundry.toml" "$ROOT/contracts" "$ROOT/tools" "$work/"
mkdir -p "$work/tests/forge" "$work/build"
cp -r "$ROOT/tests/forge/utils" "$work/tests/forge/"
ln -s "$ROOT/node_modules" "$work/node_modules"
ln -s "$ROOT/.venv" "$work/.venv"
# The project's compiled contracts, so that only the new test file is compiled.
[ -d "$ROOT/build/forge-cache" ] && cp -r "$ROOT/build/forge-cache" "$ROOT/build/forge-out" "$work/build/" 2>/dev/null || true

run_forge_step() {
  # The Makefile's own forge step, without this check (it would recurse).
  IN_FORGE_CHECK=1 make -s -C "$work" forge FORGE_ARGS="--match-path tests/forge/Deliberate.t.sol" \
    >"$work/forge.log" 2>&1 <<<"" && return 0 || return 1
}

cat >"$work/tests/forge/Deliberate.t.sol" <<'SOL'
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract DeliberateFailureTest {
    function test_deliberatelyFails() public pure {
        revert("this test fails on purpose");
    }
}
SOL
if run_forge_step; then
  echo "check-forge-fails: a failing forge test left the forge step green" >&2
  tail -20 "$work/forge.log" >&2
  exit 1
fi
grep -q "test_deliberatelyFails" "$work/forge.log" || { echo "check-forge-fails: forge did not run the test" >&2; tail -20 "$work/forge.log" >&2; exit 1; }

printf 'pragma solidity ^0.8.28;\ncontract Broken { function f() public { undefined(); } }\n' \
  >"$work/tests/forge/Deliberate.t.sol"
if run_forge_step; then
  echo "check-forge-fails: a test file that does not compile left the forge step green" >&2
  tail -20 "$work/forge.log" >&2
  exit 1
fi
echo "check-forge-fails: a failing forge test and a non-compiling test file both make the forge step exit non-zero"
