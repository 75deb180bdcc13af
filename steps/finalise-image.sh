#!/bin/sh
# Host keys and the machine-id must be created on each device at first boot: shared ones make
# DHCP leases, journald and Kubernetes node identities collide across a fleet. An empty,
# read-only /etc/machine-id is what systemd fills in at first boot. Caches, logs and temporary
# files only add weight to every image built on this one.
set -eu

rm -f /etc/ssh/ssh_host_*
rm -f /var/lib/dbus/machine-id
rm -f /etc/machine-id
: > /etc/machine-id
chmod 444 /etc/machine-id
rm -rf /var/cache/* /var/tmp/* /tmp/*
find /var/log -type f \( -name '*.log' -o -name '*.gz' -o -name '*.[0-9]' \) -delete 2>/dev/null || true
if [ -d /var/log/journal ]; then rm -rf /var/log/journal/*; fi
