#!/bin/sh
# tests/gofixtures/regen.sh: rebuilds the Go heap-profile fixtures (heap-NN.pb.gz)
# with Debian's golang-go, offline (standard library only). Run from anywhere:
#   sh tests/gofixtures/regen.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GO111MODULE=off GOCACHE="$tmp/cache" HOME="$tmp"
go build -o "$tmp/gofixture" "$here/main.go"
rm -f "$here"/heap-*.pb.gz
"$tmp/gofixture" -o "$here" -n 12 -i 200ms -rate 65536
ls -l "$here"/heap-*.pb.gz
