#!/bin/sh
# The local Palette UI (Edge Management Console) ships as an optional ui.tar beside the
# Earthfile; it is unpacked into /opt/spectrocloud/emc of the installer image.
set -eu

archive=${1:?usage: install-ui.sh UI_TAR}
if [ ! -f "$archive" ]; then exit 0; fi
mkdir -p /opt/spectrocloud/emc
tar -xf "$archive" -C /opt/spectrocloud/emc
rm -f "$archive"
