#!/bin/sh
# openSUSE Leap: the tools Palette needs on a node, and the distribution's updates. The kernel is locked unless UPDATE_KERNEL=true, as apt-packages.sh holds it on Ubuntu.
set -eu

if [ "${UPDATE_KERNEL:-false}" != "true" ]; then
    zypper --non-interactive addlock 'kernel-de*'
fi
zypper --non-interactive refresh
zypper --non-interactive update
zypper --non-interactive install --no-recommends zstd vim iputils bridge-utils curl tcpdump ethtool
zypper --non-interactive clean --all
