# Your customisation layer of the Palette edge base image.
#
# The Earthfile builds this file FROM the Kairos base image (BASE) before it adds what Palette
# needs, so whatever you add here is in the provider images and the installer. It also builds with
# a plain `docker build --build-arg BASE=<image> .`: proxies then come from
# `--build-arg HTTP_PROXY=...` (Docker passes the proxy variables to RUN without an ARG).
ARG BASE
FROM ${BASE}

# Decides where CA certificates go; empty means "ask the image's /etc/os-release".
ARG OS_DISTRIBUTION=

# CA certificates to trust (a TLS-inspecting proxy's, a private registry's): *.crt or *.pem files
# in certs/. The Earthfile also places PROXY_CERT_PATH there. `certs*` is a wildcard so that a
# context without that folder still builds; the Dockerfile is listed so the COPY always has a
# source.
COPY Dockerfile certs* /tmp/canvos-certs/
RUN set -eu; \
    found=""; \
    for cert in /tmp/canvos-certs/*.crt /tmp/canvos-certs/*.pem; do \
        if [ -f "$cert" ]; then found="$found $cert"; fi; \
    done; \
    if [ -n "$found" ]; then \
        distro="$OS_DISTRIBUTION"; \
        if [ -z "$distro" ] && [ -r /etc/os-release ]; then distro=$(sed -n 's/^ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release); fi; \
        case "$distro" in \
            opensuse*|sles|sle*) store=/etc/pki/trust/anchors ;; \
            rhel|centos|rocky|almalinux|fedora) store=/etc/pki/ca-trust/source/anchors ;; \
            *) store=/usr/local/share/ca-certificates ;; \
        esac; \
        mkdir -p "$store"; \
        for cert in $found; do \
            name=$(basename "$cert"); \
            cp "$cert" "$store/${name%.*}.crt"; \
        done; \
        if command -v update-ca-certificates >/dev/null 2>&1; then update-ca-certificates; \
        elif command -v update-ca-trust >/dev/null 2>&1; then update-ca-trust extract; \
        else echo "warning: no update-ca-certificates in the base image; certificates copied to $store only" >&2; fi; \
    fi; \
    rm -rf /tmp/canvos-certs

# Add your own steps below. Examples (keep each RUN cleaning up after itself):
#
# Ubuntu:
# RUN apt-get update && apt-get install -y --no-install-recommends nfs-common open-iscsi \
#     && apt-get clean && rm -rf /var/lib/apt/lists/*
#
# openSUSE Leap:
# RUN zypper --non-interactive install --no-recommends nfs-client open-iscsi \
#     && zypper clean --all
