#!/bin/sh
# Kairos reads its identity from the KAIROS_ fields of /etc/os-release: its own release
# (KAIROS_VERSION, not Palette's), the distribution as flavour and variant, and where the image
# came from. Old KAIROS_ lines are dropped first, so a rebuilt image never carries two.
set -eu

template=${1:-/usr/lib/os-release.tmpl}

OS_NAME="kairos-core-$OS_DISTRIBUTION"
OS_RELEASE_VERSION=$KAIROS_VERSION
OS_ID=$OS_DISTRIBUTION
OS_REPO="${IMAGE_REGISTRY%/}/$IMAGE_REPO"
OS_LABEL="$OS_DISTRIBUTION-$OS_VERSION-$ARCH"
OS_FLAVOR=$OS_DISTRIBUTION
export OS_NAME OS_RELEASE_VERSION OS_ID OS_REPO OS_LABEL OS_FLAVOR

# /etc/os-release is often a link into /usr/lib; the result is a file of its own either way.
kept=$(grep -v '^KAIROS_' /etc/os-release || true)
rm -f /etc/os-release
{
    if [ -n "$kept" ]; then printf '%s\n' "$kept"; fi
    # Only these names are substituted: a literal $ elsewhere in the template stays.
    # shellcheck disable=SC2016
    envsubst '$OS_NAME $OS_RELEASE_VERSION $OS_ID $OS_REPO $OS_LABEL $OS_FLAVOR' < "$template"
} > /etc/os-release
