#!/bin/sh
# Prints the Kubernetes versions to build, one per line: K8S_VERSIONS (comma-separated), else
# K8S_VERSION, else every version of K8S_DISTRIBUTION in the matrix file ($1), from its "fips"
# section when FIPS_ENABLED=true (falling back to "fips"."other" for distributions without a
# list of their own). k8s_version.json is plain data; sed on its compacted text keeps jq out of
# the helper image.
set -eu

matrix=${1:?usage: select-k8s-versions.sh K8S_VERSION_JSON}

if [ -n "${K8S_VERSIONS:-}" ]; then
    list=$K8S_VERSIONS
elif [ -n "${K8S_VERSION:-}" ]; then
    list=$K8S_VERSION
else
    section=standard
    if [ "${FIPS_ENABLED:-false}" = "true" ]; then section=fips; fi
    block=$(tr -d ' \t\r\n' < "$matrix" | sed -n "s/.*\"$section\":{\([^}]*\)}.*/\1/p")
    list=$(printf '%s' "$block" | sed -n "s/.*\"${K8S_DISTRIBUTION:-}\":\[\([^]]*\)\].*/\1/p")
    if [ -z "$list" ] && [ "$section" = "fips" ]; then
        list=$(printf '%s' "$block" | sed -n 's/.*"other":\[\([^]]*\)\].*/\1/p')
    fi
fi

versions=$(printf '%s' "$list" | tr -d ' "\t\r' | tr ',' '\n' | sed '/^$/d')
if [ -z "$versions" ]; then
    echo "no Kubernetes versions for K8S_DISTRIBUTION=${K8S_DISTRIBUTION:-} FIPS_ENABLED=${FIPS_ENABLED:-false} in $matrix" >&2
    exit 1
fi
printf '%s\n' "$versions"
