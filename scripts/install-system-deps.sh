#!/usr/bin/env bash
# Installs, from Debian's packages, the system programs the test suites need and a fresh machine may lack:
# Python 3.9-3.11 with venv (ml-metadata 1.17.1), make/g++/git (better-sqlite3 from source), Java 17 + Maven (the
# graph suite's Neo4j), PostgreSQL's server (the PostgreSQL suites), MariaDB's server (the MySQL suites), Chromium (the
# browser suites, driven by playwright-core, which cannot download a browser of its own here), buildah, podman and
# runc (the image suite). Does nothing for what is already there. Packaged services are not started: the suites run
# their own throw-away instances.
# Needs root and apt-get; without them it only reports what is missing (the suites that need it then say so).
set -euo pipefail

missing=()
have_python() {
  { command -v python3.11 >/dev/null && python3.11 -c 'import venv, ensurepip' 2>/dev/null; } ||
    python3 -c 'import sys, venv, ensurepip; sys.exit(0 if (3,9) <= sys.version_info[:2] <= (3,11) else 1)' 2>/dev/null
}
have_python || missing+=(python3.11 python3.11-venv)
for tool in make g++ git; do command -v "$tool" >/dev/null || { missing+=(build-essential git); break; }; done
for tool in java javac mvn; do command -v "$tool" >/dev/null || { missing+=(openjdk-17-jdk-headless maven); break; }; done
{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; } || missing+=(postgresql)
{ command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]]; } || missing+=(mariadb-server)
# The cmf-server suites: curl drives the HTTP API, unshare runs cmflib's cmf-server in its own mount namespace.
command -v curl >/dev/null || missing+=(curl)
command -v unshare >/dev/null || missing+=(util-linux)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# The image suite: buildah builds the image (no Docker daemon), podman runs it with Debian's runc.
for tool in buildah podman runc; do command -v "$tool" >/dev/null || { missing+=(buildah podman runc); break; }; done

[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: missing Debian packages (install them as root): ${missing[*]}" >&2
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}" >&2
# Keep the packages' services (a system MariaDB or PostgreSQL owned by root) from starting: invoke-rc.d asks
# policy-rc.d, and 101 means "not allowed". A policy already in place is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  trap '[[ -n "$own_policy" ]] && rm -f "$policy"' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
