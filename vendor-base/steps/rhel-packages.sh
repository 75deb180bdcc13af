#!/bin/sh
# Registration with Red Hat, the packages a Kairos image needs, and unregistration, all in one RUN
# step: neither the credentials (BuildKit secrets, mounted for this step only) nor the entitlement
# certificates registration writes ever reach a layer. $1 is "true" for the FIPS flavour.
set -eu
fips=${1:-false}

secret() {
    if [ -s "/run/secrets/$1" ]; then cat "/run/secrets/$1"; fi
}

registered=false
leave() {
    # Failed or not, the step ends unregistered, and subscription-manager's local data goes too.
    if [ "$registered" = true ]; then subscription-manager unregister || true; fi
    subscription-manager clean || true
}
trap leave EXIT

# UBI images use the host's subscription through this file; a build host is seldom a RHEL one.
rm -f /etc/rhsm-host

org=$(secret rh-org)
key=$(secret rh-activation-key)
user=$(secret rh-username)
password=$(secret rh-password)
if [ -n "$org" ] && [ -n "$key" ]; then
    subscription-manager register --org "$org" --activationkey "$key"
elif [ -n "$user" ] && [ -n "$password" ]; then
    subscription-manager register --username "$user" --password "$password"
else
    echo "rhel: no Red Hat credentials (the secrets rh-username and rh-password, or rh-org and rh-activation-key)" >&2
    exit 1
fi
registered=true
unset org key user password
# Accounts with Simple Content Access have nothing to attach; older ones need a subscription.
subscription-manager attach --auto || echo "rhel: subscription-manager attach --auto failed; fine with Simple Content Access"

arch=$(uname -m)
subscription-manager repos --enable "rhel-8-for-$arch-baseos-rpms" --enable "rhel-8-for-$arch-appstream-rpms"
dnf install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-8.noarch.rpm
echo "install_weak_deps=False" >> /etc/dnf/dnf.conf
# The kernel's install scripts need a machine-id (Red Hat bug 1737355); kairos-finish.sh removes it.
uuidgen > /etc/machine-id

# What Kairos needs to install and boot a node: kernel, bootloaders, dracut with live and squash
# support, the partitioning and file system tools, systemd's networking, and openssl (Palette's
# agent uses it).
dnf install -y \
    kernel kernel-modules kernel-modules-extra \
    dracut dracut-live dracut-network dracut-squash squashfs-tools \
    grub2 grub2-pc grub2-efi-x64 grub2-efi-x64-modules shim-x64 efibootmgr \
    systemd systemd-networkd systemd-timesyncd dhclient \
    parted e2fsprogs dosfstools lvm2 device-mapper cryptsetup \
    openssh-server openssh-clients sudo audit polkit haveged kbd ncurses \
    iptables iproute-tc conntrack socat ethtool iscsi-initiator-utils open-vm-tools \
    openssl curl tar zstd rsync jq which gawk nano
if [ "$fips" = true ]; then
    # dracut's fips module checks the kernel at boot; fips-mode-setup switches the crypto policy.
    dnf install -y dracut-fips crypto-policies-scripts
fi
dnf clean all
