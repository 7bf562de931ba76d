#!/usr/bin/env bash
# Builds the benchmark OS tree once (cached): a Debian bookworm minbase root shaped like an
# OSTree commit input — no device nodes, /etc moved to /usr/etc, kernel+initramfs under
# /usr/lib/modules/$kver/. Usage: bench/make-tree.sh [DIR] (default .bench/tree)
set -euo pipefail
dir=${1:-.bench/tree}
[ -f "$dir.complete" ] && { echo "$dir"; exit 0; }
command -v debootstrap >/dev/null || { echo "bench: needs debootstrap: apt-get install -y debootstrap" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: debootstrap needs root" >&2; exit 1; }
rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
debootstrap --variant=minbase --include=systemd,systemd-sysv,linux-image-amd64,python3,perl,openssh-server \
  bookworm "$dir.tmp" >&2
cd "$dir.tmp"
find . -xdev \( -type c -o -type b -o -type p -o -type s \) -delete
kver=$(ls lib/modules 2>/dev/null || ls usr/lib/modules | head -1)
kver=$(ls usr/lib/modules | head -1)
if [ ! -f boot/initrd.img-$kver ]; then
  # minbase has no initramfs-tools; a stand-in initramfs keeps the layout realistic
  head -c 30000000 /dev/urandom > "usr/lib/modules/$kver/initramfs.img"
else
  mv "boot/initrd.img-$kver" "usr/lib/modules/$kver/initramfs.img"
fi
mv "boot/vmlinuz-$kver" "usr/lib/modules/$kver/vmlinuz"
rm -rf boot/* var/cache/apt/*.bin var/log/* proc/* sys/* dev/* run/* tmp/*
[ -d usr/etc ] && rm -rf usr/etc
mv etc usr/etc
cd - >/dev/null
mv "$dir.tmp" "$dir"; touch "$dir.complete"
echo "$dir"
