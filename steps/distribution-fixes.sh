#!/bin/sh
# Small per-distribution fixes Kairos and Palette rely on (kept upstream in CanvOS to this day).
set -eu

case "${OS_DISTRIBUTION:-}" in
    ubuntu)
        # Kairos' upgrade tooling calls grub2-editenv, which Ubuntu names grub-editenv.
        if [ ! -e /usr/bin/grub2-editenv ]; then
            editenv=$(command -v grub-editenv || true)
            for candidate in /usr/sbin/grub-editenv /usr/bin/grub-editenv; do
                if [ -z "$editenv" ] && [ -x "$candidate" ]; then editenv=$candidate; fi
            done
            if [ -n "$editenv" ]; then ln -s "$editenv" /usr/bin/grub2-editenv; fi
        fi
        ;;
    opensuse-leap | sles)
        # Palette's Kubernetes packages confine containers with AppArmor, and look for
        # apparmor_parser in /usr/bin. SLE Micro images bring AppArmor themselves.
        if [ "$OS_DISTRIBUTION" = "opensuse-leap" ]; then
            zypper --non-interactive install --no-recommends apparmor-parser apparmor-profiles
            zypper --non-interactive clean --all
        fi
        if [ ! -e /usr/bin/apparmor_parser ] && [ -e /sbin/apparmor_parser ]; then
            cp /sbin/apparmor_parser /usr/bin/apparmor_parser
        fi
        ;;
    rhel)
        # The Palette agent generates certificates with the openssl command.
        if ! command -v openssl >/dev/null 2>&1; then
            if command -v dnf >/dev/null 2>&1; then dnf install -y openssl; else yum install -y openssl; fi
        fi
        ;;
esac
