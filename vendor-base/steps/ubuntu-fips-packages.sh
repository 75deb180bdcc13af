#!/bin/sh
# Ubuntu Pro attached, the FIPS kernel and libraries and the packages a Kairos image needs
# installed, and Pro detached again, in one RUN step: the token (a BuildKit secret) and the machine
# token Pro keeps never reach a layer. The attach configuration is written to a tmpfs, not the image.
set -eu

token_file=/run/secrets/ubuntu-pro-token
if [ ! -s "$token_file" ]; then
    echo "ubuntu-focal-fips: no Ubuntu Pro token (the secret ubuntu-pro-token)" >&2
    exit 1
fi

attached=false
leave() {
    if [ "$attached" = true ]; then pro detach --assume-yes || true; fi
    rm -rf /var/lib/ubuntu-advantage/private /var/lib/apt/lists/*
}
trap leave EXIT

apt-get update
apt-get install -y --no-install-recommends ubuntu-advantage-tools ca-certificates

config=/canvos-scratch/pro-attach.yaml
umask 077
{
    printf 'token: %s\n' "$(cat "$token_file")"
    printf 'enable_services:\n  - fips\n'
} > "$config"
umask 022
pro attach --attach-config "$config"
attached=true
rm -f "$config"

# The certified FIPS kernel (the container image has none of its own) and FIPS libraries.
apt-get install -y --no-install-recommends \
    linux-image-fips linux-headers-fips \
    openssl libssl1.1 libssl1.1-hmac libgcrypt20 libgcrypt20-hmac \
    grub2-common grub-pc-bin grub-efi-amd64-bin grub-efi-amd64-signed shim-signed efibootmgr \
    dracut dracut-network squashfs-tools \
    systemd systemd-timesyncd isc-dhcp-client iproute2 iptables conntrack \
    parted gdisk e2fsprogs dosfstools lvm2 mdadm cryptsetup dmsetup \
    openssh-server openssh-client sudo haveged kbd console-data \
    open-iscsi nfs-common open-vm-tools qemu-guest-agent \
    coreutils curl file gawk jq nano rsync tar xz-utils zstd
apt-get clean
