#!/bin/sh
# The installer ISO from the installer image's root filesystem ($1) with the ISO overlay ($2),
# written to $3 with its checksum. Runs in osbuilder-tools for linux/$ARCH: osbuilder names
# x86_64 what Docker calls amd64.
set -eu

rootfs=${1:?usage: build-iso.sh ROOTFS OVERLAY OUTPUT_DIR}
overlay=${2:?usage: build-iso.sh ROOTFS OVERLAY OUTPUT_DIR}
output=${3:?usage: build-iso.sh ROOTFS OVERLAY OUTPUT_DIR}

case "${ARCH:-amd64}" in
    amd64) iso_arch=x86_64 ;;
    arm64) iso_arch=arm64 ;;
    *)
        echo "build-iso: unknown ARCH=$ARCH" >&2
        exit 1
        ;;
esac

/entrypoint.sh --name "$ISO_NAME" build-iso --date=false --overlay-iso "$overlay" "dir:$rootfs" --output "$output/" --arch "$iso_arch"
if [ ! -s "$output/$ISO_NAME.iso" ]; then
    echo "build-iso: osbuilder wrote no $output/$ISO_NAME.iso" >&2
    exit 1
fi
# The bare file name in sha256sum's format, so `sha256sum -c` works inside build/.
cd "$output"
sha256sum "$ISO_NAME.iso" > "$ISO_NAME.iso.sha256"
