#!/bin/sh
# SLE Micro's repositories through a registration of the build itself, the packages a Kairos image
# needs, and deregistration, in one RUN step: the registration code (a BuildKit secret) and the
# zypper credentials registration writes never reach a layer.
set -eu

code_file=/run/secrets/sle-regcode
if [ ! -s "$code_file" ]; then
    echo "slem: no SLE Micro registration code (the secret sle-regcode)" >&2
    exit 1
fi

registered=false
leave() {
    if [ "$registered" = true ]; then SUSEConnect --de-register || true; fi
    SUSEConnect --cleanup || true
    rm -rf /etc/zypp/credentials.d/* /etc/SUSEConnect /var/cache/zypp/*
}
trap leave EXIT

SUSEConnect --regcode "$(cat "$code_file")"
registered=true
zypper --non-interactive --gpg-auto-import-keys refresh
zypper --non-interactive install --no-recommends \
    kernel-default kernel-firmware-all dracut squashfs \
    grub2-i386-pc grub2-x86_64-efi shim \
    systemd systemd-network dhcp-client iproute2 iptables conntrack-tools \
    parted gptfdisk e2fsprogs dosfstools lvm2 mdadm cryptsetup device-mapper multipath-tools \
    openssh sudo haveged open-iscsi nfs-client open-vm-tools qemu-guest-agent \
    coreutils curl file gawk jq nano rsync tar which zstd
# Kairos configures the network with systemd-networkd; NetworkManager would fight it.
systemctl disable NetworkManager.service NetworkManager-wait-online.service || true
