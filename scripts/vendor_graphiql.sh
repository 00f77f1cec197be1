#!/usr/bin/env bash
# Fetches the GraphiQL explorer's browser bundles from the npm registry into the package, so
# GET /graphql works with no internet. Run from the repository root; commit what it writes.
set -euo pipefail
dest=mockserver/static/graphiql
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent graphiql@3.8.3 react@18.3.1 react-dom@18.3.1 >/dev/null)
for f in "$tmp"/*.tgz; do tar -xzf "$f" -C "$tmp" --one-top-level="$(basename "$f" .tgz)"; done
cp "$tmp"/graphiql-3.8.3/package/graphiql.min.js "$tmp"/graphiql-3.8.3/package/graphiql.min.css "$dest"/
cp "$tmp"/react-18.3.1/package/umd/react.production.min.js "$dest"/
cp "$tmp"/react-dom-18.3.1/package/umd/react-dom.production.min.js "$dest"/
cp "$tmp"/graphiql-3.8.3/package/LICENSE "$dest"/LICENSE-graphiql
cp "$tmp"/react-18.3.1/package/LICENSE "$dest"/LICENSE-react
rm -rf "$tmp"
echo "vendored GraphiQL 3.8.3 and React 18.3.1 into $dest"
