#!/bin/sh
# etcdctl for the provider images, from ETCD_REPO (github.com/etcd-io, or a mirror of its
# release layout), checked against the release's published SHA256SUMS. curl honours the proxy
# variables and the CA certificates the helper trusts; busybox wget does neither reliably.
# Writes $1/etcdctl.
set -eu

dest=${1:?usage: download-etcdctl.sh DEST_DIR}
repo=${ETCD_REPO%/}
archive="etcd-$ETCD_VERSION-linux-$ARCH.tar.gz"
url="$repo/etcd/releases/download/$ETCD_VERSION"

if ! command -v curl >/dev/null 2>&1; then
    apk add --no-cache curl
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
curl --fail --silent --show-error --location --retry 5 --output "$archive" "$url/$archive"
curl --fail --silent --show-error --location --retry 5 --output SHA256SUMS "$url/SHA256SUMS"
if ! grep -q " $archive\$" SHA256SUMS; then
    echo "download-etcdctl: $archive is not listed in $url/SHA256SUMS" >&2
    exit 1
fi
grep " $archive\$" SHA256SUMS | sha256sum -c -
tar -xzf "$archive" "etcd-$ETCD_VERSION-linux-$ARCH/etcdctl"
mkdir -p "$dest"
mv "etcd-$ETCD_VERSION-linux-$ARCH/etcdctl" "$dest/etcdctl"
chmod 755 "$dest/etcdctl"
