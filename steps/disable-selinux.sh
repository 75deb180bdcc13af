#!/bin/sh
# Kairos boots Ubuntu and openSUSE with `security=selinux selinux=1`. Both must go: with
# security=selinux left in, the kernel makes (disabled) SELinux its major LSM and AppArmor, which
# Palette's Kubernetes packages rely on, never starts. Whole words only: `selinux=10` or a
# `security=selinuxfoo` someone wrote on purpose stay as they are.
set -eu

file=${1:-/etc/cos/bootargs.cfg}
if [ ! -f "$file" ]; then exit 0; fi
sed -E -i \
    -e 's/[[:space:]]+security=selinux([[:space:]"]|$)/\1/g' \
    -e 's/(^|")security=selinux([[:space:]]+|$)/\1/g' \
    -e 's/(^|[[:space:]"])selinux=1([[:space:]"]|$)/\1selinux=0\2/g' \
    "$file"
