#!/bin/sh
# A UBI image is made to run as a container: it masks the units a booted system needs. Unmasked
# here, and the consoles, networking and SSH a Kairos node starts with switched on.
set -eu

systemctl list-unit-files --no-legend --state=masked | while read -r unit _; do
    systemctl unmask "$unit"
done
for unit in getty@tty1.service getty@tty2.service systemd-networkd systemd-resolved sshd; do
    systemctl enable "$unit"
done
# Kairos's images run with SELinux off or permissive: a relabel at first boot would only cost time.
systemctl disable selinux-autorelabel-mark.service || true
