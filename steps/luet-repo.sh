#!/bin/sh
# The provider images install Kubernetes from Spectro Cloud's luet repository (arm64 packages
# live in a repository of their own). Credentials of a private mirror ($1, the workspace's
# spectro-luet-auth.yaml) are appended when given.
set -eu

auth=${1:-}
repo="${SPECTRO_LUET_REPO%/}/luet-repo"
if [ "${ARCH:-amd64}" = "arm64" ]; then repo="${SPECTRO_LUET_REPO%/}/luet-repo-arm"; fi

mkdir -p /etc/luet/repos.conf.d
cat > /etc/luet/repos.conf.d/spectro.yaml <<YAML
name: spectro
description: Spectro Cloud packages (Kubernetes, container runtimes)
type: docker
enable: true
cached: true
priority: 1
verify: false
urls:
  - "$repo"
YAML
if [ -n "$auth" ] && [ -f "$auth" ]; then
    cat "$auth" >> /etc/luet/repos.conf.d/spectro.yaml
    rm -f "$auth"
fi
