#!/usr/bin/env bash
# Builds the VS Code extension (grammar, language configuration, the client that starts `neutron lsp`) into a
# .vsix: `bash package.sh [OUT.vsix]` (default: neutron-lang.vsix here). Needs node and npm.
set -euo pipefail
out="$(realpath -m "${1:-neutron-lang.vsix}")"
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
npx --no-install vsce package --no-yarn --skip-license -o "$out"
