#!/bin/sh
# Prints the image +base-image starts from: BASE_IMAGE when given, else the Kairos image of
# OS_DISTRIBUTION/OS_VERSION/ARCH. The Earthfile reads it through a shell-out, so a missing
# BASE_IMAGE fails the build while Earthly reads the Earthfile, before anything is pulled.
set -eu

if [ -n "${BASE_IMAGE:-}" ]; then
    printf '%s\n' "$BASE_IMAGE"
    exit 0
fi

prefix=${KAIROS_BASE_IMAGE_URL%/}
case "${OS_DISTRIBUTION:-}" in
    ubuntu)
        # Kairos tags Ubuntu by its release (22.04); users write 22.
        version=$OS_VERSION
        case "$version" in
            20 | 22 | 24) version="$version.04" ;;
        esac
        printf '%s\n' "$prefix/kairos-ubuntu:$version-core-$ARCH-generic-$KAIROS_VERSION"
        ;;
    opensuse-leap)
        printf '%s\n' "$prefix/opensuse:leap-$OS_VERSION-core-$ARCH-generic-$KAIROS_VERSION"
        ;;
    *)
        echo "BASE_IMAGE is required for OS_DISTRIBUTION=${OS_DISTRIBUTION:-} (Kairos publishes no base image for it): build one first and set BASE_IMAGE" >&2
        exit 1
        ;;
esac
