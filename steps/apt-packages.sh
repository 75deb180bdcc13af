#!/bin/sh
# Ubuntu: the tools Palette needs on a node, and the distribution's updates. The kernel is held
# unless UPDATE_KERNEL=true: a held kernel stays the one the base image was validated with.
set -eu
export DEBIAN_FRONTEND=noninteractive

if [ "${UPDATE_KERNEL:-false}" != "true" ]; then
    kernel_packages=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' \
        'linux-image-*' 'linux-headers-*' 'linux-modules-*' 'linux-generic*' 2>/dev/null |
        awk '$1 ~ /^.i/ { print $2 }')
    if [ -n "$kernel_packages" ]; then
        # Word splitting is wanted: one package name per word.
        # shellcheck disable=SC2086
        apt-mark hold $kernel_packages
    fi
fi

apt-get update
apt-get install -y --no-install-recommends zstd vim iputils-ping bridge-utils curl tcpdump ethtool
# A newer kernel is always a new package (linux-image-<version>); plain `upgrade` never installs
# new packages, so without --with-new-pkgs UPDATE_KERNEL=true would change nothing.
apt-get upgrade -y --no-install-recommends --with-new-pkgs
apt-get clean
rm -rf /var/lib/apt/lists/*
