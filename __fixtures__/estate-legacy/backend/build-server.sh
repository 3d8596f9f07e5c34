#!/bin/sh
# Builds the API stand-in as one static binary, `server`, beside this script: the
# Dockerfile copies it into a `FROM scratch` image, so `docker build` needs no base image
# and no network. Run it before building the image (the deploy workflow does).
# Needs a C compiler and a static libc (Debian/Ubuntu: gcc and libc6-dev, as on
# GitHub's ubuntu runners).
set -eu
cd "$(dirname "$0")"
${CC:-gcc} -static -Os -s -Wall -Wextra -Werror -o server server.c
echo "built $(pwd)/server ($(wc -c < server) bytes)"
