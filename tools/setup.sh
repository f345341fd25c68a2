#!/usr/bin/env bash
# One idempotent setup step for FlexUnity: a Python venv with pinned dependencies, the npm toolchain
# pinned by package-lock.json (solcjs, anvil, forge, cast, OpenZeppelin, viem and esbuild), viem bundled
# for the web pages, Debian's chromium for the browser tests (installed when missing and run as root),
# and the project's `solc`
# wrapper made visible to py-solc-x, ape-solidity, forge and slither.
# A second run with nothing changed only compares two hashes and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3.11}
STAMPS=.stamps
mkdir -p "$STAMPS"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- prerequisites ---------------------------------------------------------------------------
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || fail "Python 3.11 is required (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11."
command -v node >/dev/null || fail "Node.js 20 is required (node not found)."
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || fail "Node.js >= 20 is required (found $(node --version))."

# --- npm toolchain -----------------------------------------------------------------------------
npm_hash=$(hash_of package.json package-lock.json)
if [ ! -d node_modules ] || [ "$(cat $STAMPS/npm 2>/dev/null)" != "$npm_hash" ]; then
  say "installing npm toolchain (solc 0.8.28, anvil/forge/cast 1.7.1, OpenZeppelin, viem, esbuild) from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_hash" > $STAMPS/npm
fi

# --- the pages' wallet library: viem bundled into one static file (no CDN at run time) ---------------
bundle=flexunity/web/static/vendor/viem.js
bundle_hash=$(hash_of package-lock.json flexunity/web/js/viem-entry.js)
if [ ! -s "$bundle" ] || [ "$(cat $STAMPS/viem 2>/dev/null)" != "$bundle_hash" ]; then
  say "bundling viem for the web pages ($bundle)"
  node_modules/.bin/esbuild flexunity/web/js/viem-entry.js --bundle --format=iife --global-name=viem \
    --minify --target=es2020 --log-level=warning --outfile="$bundle"
  echo "$bundle_hash" > $STAMPS/viem
fi

# --- Python venv -------------------------------------------------------------------------------
py_hash=$(hash_of requirements.lock pyproject.toml)
if [ ! -x .venv/bin/python ] || [ "$(cat $STAMPS/python 2>/dev/null)" != "$py_hash" ]; then
  say "creating the Python venv (.venv) from requirements.lock"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.3.1
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$py_hash" > $STAMPS/python
fi

# --- the solc wrapper, where every tool looks for a compiler ------------------------------------
# py-solc-x and ape-solidity: a folder of solc-v<version> symlinks (a copy would lose node_modules).
version=$(tools/bin/solc --version | sed -n 's/^Version: \([0-9.]*\)+.*/\1/p')
mkdir -p .solcx "$HOME/.solcx"
ln -sfn "$ROOT/tools/bin/solc" ".solcx/solc-v$version"
[ -e "$HOME/.solcx/solc-v$version" ] || ln -sfn "$ROOT/tools/bin/solc" "$HOME/.solcx/solc-v$version"
# forge and slither call `solc` on PATH; solc-select put a downloader named solc in the venv: replace it.
ln -sfn "$ROOT/tools/bin/solc" .venv/bin/solc
# anvil, forge and cast: the native binaries inside the npm packages. The npm wrappers in
# node_modules/.bin do not pass on the tool's exit status (a failing `forge test` would exit 0) and
# leave the native process running when they are killed.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-amd64 ;;
  Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
  Darwin-x86_64) platform=darwin-amd64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  *) fail "no Foundry binaries for $(uname -s)-$(uname -m) in @foundry-rs" ;;
esac
for tool in anvil forge cast; do
  native="$ROOT/node_modules/@foundry-rs/$tool-$platform/bin/$tool"
  [ -x "$native" ] || fail "$native is missing: delete node_modules and run tools/setup.sh again"
  ln -sfn "$native" ".venv/bin/$tool"
done

# --- headless Chromium: the browser tests of tests/web (marker `browser`) and tests/lab's report
# screenshots (a Debian package; needs root) --------------------------------------------------------
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium (browser tests, headless report screenshots)"
    apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
      || say "chromium could not be installed: the report screenshot test will be skipped"
  else
    say "chromium missing (install Debian's chromium as root): the browser tests fail, the report screenshot test is skipped"
  fi
fi

say "ready: $(.venv/bin/python --version), node $(node --version), solc $version, $(.venv/bin/anvil --version | head -1)"
