#!/bin/sh
# Kernel, modules and initrd must match or the node cannot mount its root filesystem at boot:
# after package changes the initrd is rebuilt for the newest installed kernel (or $1), and the
# /boot/vmlinuz and /boot/initrd links Kairos boots point at it.
set -eu

kernel=${1:-}
if [ -z "$kernel" ]; then
    kernel=$(find /lib/modules -mindepth 1 -maxdepth 1 -type d -exec basename {} \; | sort -V | tail -n 1)
fi
if [ -z "$kernel" ]; then
    echo "rebuild-initrd: no kernel under /lib/modules" >&2
    exit 1
fi

depmod -a "$kernel"
dracut -f "/boot/initrd-$kernel" "$kernel"
ln -sf "initrd-$kernel" /boot/initrd
if [ -e "/boot/vmlinuz-$kernel" ]; then
    ln -sf "vmlinuz-$kernel" /boot/vmlinuz
fi
