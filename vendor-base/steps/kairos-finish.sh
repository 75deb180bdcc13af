#!/bin/sh
# The last step of every vendor base image, after the Kairos framework's files are in: the kernel
# and an initrd where Kairos boots them from (/boot/vmlinuz, /boot/initrd), the FIPS pieces when
# asked, Kairos's identity in /etc/os-release, and nothing of the build left behind.
# Arguments: flavour (rhel, ubuntu, sles), Kairos version, "true" for FIPS, the image's name.
set -eu
flavor=$1
version=$2
fips=$3
name=$4

kernel=$(find /lib/modules -mindepth 1 -maxdepth 1 -type d -exec basename {} \; | sort | tail -n 1)
if [ -z "$kernel" ] || [ ! -e "/boot/vmlinuz-$kernel" ]; then
    echo "kairos-finish: no kernel installed (/lib/modules, /boot/vmlinuz-*)" >&2
    exit 1
fi
ln -sf "vmlinuz-$kernel" /boot/vmlinuz

if [ "$fips" = true ]; then
    # The fips module verifies the kernel against its HMAC at boot, looked for beside /boot/vmlinuz.
    mkdir -p /etc/dracut.conf.d
    printf 'add_dracutmodules+=" fips "\n' > /etc/dracut.conf.d/canvos-fips.conf
    ln -sf ".vmlinuz-$kernel.hmac" /boot/.vmlinuz.hmac
    # FIPS nodes install with fips=1 selinux=0: SELinux is not supported there.
    if [ -d /etc/selinux ]; then echo "SELINUX=disabled" > /etc/selinux/config; fi
fi

# No host-only initrd: the image boots on hardware this build never saw.
dracut -f -N "/boot/initrd-$kernel" "$kernel"
ln -sf "initrd-$kernel" /boot/initrd
depmod -a "$kernel"
# The distribution's own initramfs is not what Kairos boots; it only costs space.
rm -f /boot/initramfs-*

variant=core
if [ "$fips" = true ]; then variant=fips; fi
kept=$(grep -v '^KAIROS_' /etc/os-release || true)
rm -f /etc/os-release
{
    if [ -n "$kept" ]; then printf '%s\n' "$kept"; fi
    printf 'KAIROS_NAME="kairos-%s-%s"\n' "$variant" "$name"
    printf 'KAIROS_VERSION="%s"\n' "$version"
    printf 'KAIROS_VERSION_ID="%s"\n' "$version"
    printf 'KAIROS_ID="%s"\n' "$flavor"
    printf 'KAIROS_ID_LIKE="kairos-%s-%s"\n' "$variant" "$name"
    printf 'KAIROS_PRETTY_NAME="kairos-%s-%s %s"\n' "$variant" "$name" "$version"
    printf 'KAIROS_FLAVOR="%s"\n' "$flavor"
    printf 'KAIROS_VARIANT="%s"\n' "$variant"
    printf 'KAIROS_IMAGE_LABEL="%s"\n' "$name"
} > /etc/os-release

# Each node makes its own machine-id at first boot; caches and temporary files are dead weight.
rm -f /etc/machine-id /var/lib/dbus/machine-id
rm -rf /var/cache/* /tmp/* /var/tmp/*
