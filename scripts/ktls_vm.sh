#!/usr/bin/env bash
# Runs a command on a kernel that has kernel TLS (CONFIG_TLS), in a virtual machine.
#
#   bash scripts/ktls_vm.sh [-m MEM] [-t SECONDS] [-s CPUS] [-b PATH]... [-e VAR=VALUE]... -- COMMAND ARGS...
#   bash scripts/ktls_vm.sh --prepare      (fetch the kernel, build the initramfs, print their paths)
#
# The guest is Debian 12's own kernel (linux-image-amd64's 6.1, where tls is a module) under
# qemu-system-x86_64 -accel tcg, with this machine's root file system shared read-only over
# 9p and a busybox initramfs (docs/ktls.md). The command runs chrooted into that root, in the
# caller's working directory, with tmpfs on /tmp, /run, /var/tmp and /dev/shm and loopback up.
# Paths under the host's /tmp that the command names (its working directory, its arguments,
# and -b PATH) are bound read-only over the guest's /tmp by their first component
# (/tmp/build/x binds /tmp/build).
#
# Prints the command's output (stdout and stderr together) and exits with its status.
# Exit 77, saying why, when the guest cannot be had (no qemu and no way to install it, the
# kernel package cannot be fetched); 124 when the guest ran past the timeout; 125 when the
# guest did not report the command's status (its console log is printed).
#
# Needs as root, installed if missing through scripts/setup.sh: qemu-system-x86,
# busybox-static, cpio, kmod. Cache (kernel package, vmlinuz, initramfs):
# ${RAPIDTLS_KTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rapidtls-ktls}.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"   # modinfo, depmod for users whose PATH lacks them
mem=1G
cpus=2
timeout_s=${RAPIDTLS_KTLS_TIMEOUT:-300}
prepare_only=false
binds=()
envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -m) mem=$2; shift 2 ;;
    -t) timeout_s=$2; shift 2 ;;
    -s) cpus=$2; shift 2 ;;
    -b) binds+=("$2"); shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    --prepare) prepare_only=true; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "ktls_vm: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! $prepare_only && [ $# -eq 0 ]; then
  echo "ktls_vm: no command given (usage: ktls_vm.sh [options] -- COMMAND ARGS...)" >&2
  exit 2
fi

skip() { echo "ktls_vm: SKIP: $*" >&2; exit 77; }
log() { echo "ktls_vm: $*" >&2; }

# 1. The host's tools.
tools_missing=false
for t in qemu-system-x86_64 cpio modinfo depmod dpkg-deb apt-get flock timeout; do
  command -v "$t" >/dev/null || tools_missing=true
done
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx modprobe || tools_missing=true
if $tools_missing; then
  [ "$(id -u)" = 0 ] || skip "qemu-system-x86, busybox-static, cpio or kmod missing, and not root to install them"
  bash "$here/setup.sh" qemu-system-x86 busybox-static cpio kmod >&2 ||
    skip "could not install qemu-system-x86 busybox-static cpio kmod"
fi
# busybox-static's busybox, not a dynamically linked one: the initramfs has no libc.
if ldd /bin/busybox >/dev/null 2>&1; then
  skip "/bin/busybox is dynamically linked (busybox-static is not installed)"
fi

cache=${RAPIDTLS_KTLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rapidtls-ktls}
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9   # one preparation at a time; boots share the finished files read-only

# 2. The kernel package: the one linux-image-amd64 (its candidate version) depends on.
kernel_package() {
  local kv
  kv=$(apt-cache policy linux-image-amd64 2>/dev/null | awk '/Candidate:/ {print $2}' || true)
  [ -n "$kv" ] && [ "$kv" != "(none)" ] || return 0
  apt-cache show "linux-image-amd64=$kv" 2>/dev/null |
    sed -n 's/^Depends:.*\(linux-image-6\.1[^ ,]*-amd64\).*/\1/p' | head -n1 || true
}
cached_deb() { ls -t "$cache/$1"_*_amd64.deb 2>/dev/null | head -n1 || true; }
download() {
  log "downloading $1 (Debian's kernel, CONFIG_TLS=m) into $cache"
  local t0
  t0=$(date +%s.%N)
  (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$1") >&2 2>&1 || return 1
  log "downloaded $1 in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
}
kpkg=$(kernel_package)
deb=""
[ -n "$kpkg" ] && deb=$(cached_deb "$kpkg")
if [ -z "$deb" ]; then
  # No apt lists, or stale ones naming a package gone from the archive: update once (root).
  if { [ -z "$kpkg" ] || ! download "$kpkg"; } && [ "$(id -u)" = 0 ]; then
    log "apt-get update, then once more"
    apt-get update -qq >&2 || true
    kpkg=$(kernel_package)
    if [ -n "$kpkg" ] && [ -z "$(cached_deb "$kpkg")" ]; then download "$kpkg" || true; fi
  fi
  [ -n "$kpkg" ] && deb=$(cached_deb "$kpkg")
fi
if [ -z "$deb" ]; then   # apt cannot tell or fetch: the newest package already cached
  deb=$(ls -t "$cache"/linux-image-6.1*-amd64_*_amd64.deb 2>/dev/null | head -n1 || true)
fi
[ -n "$deb" ] || skip "Debian's kernel package (linux-image-6.1*-amd64) is not cached and apt-get download could not fetch it"

# 3. vmlinuz and the initramfs, rebuilt when the kernel package or this script changes.
key=$( (basename "$deb"; sha256sum "$0" /bin/busybox) | sha256sum | cut -c1-16)
kdir="$cache/$(basename "$deb" .deb)"
if [ ! -f "$kdir/ready-$key" ]; then
  log "building the initramfs for $(basename "$deb")"
  t0=$(date +%s)
  rm -rf "$kdir"
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  dpkg-deb -x "$deb" "$work/pkg"
  shopt -s nullglob
  found=("$work"/pkg/lib/modules/* "$work"/pkg/usr/lib/modules/*)
  [ ${#found[@]} -gt 0 ] || skip "$(basename "$deb") has no lib/modules"
  moddir=${found[0]}
  kver=$(basename "$moddir")
  found=("$work"/pkg/boot/vmlinuz-*)
  [ ${#found[@]} -gt 0 ] || skip "$(basename "$deb") has no boot/vmlinuz"
  vmlinuz=${found[0]}
  shopt -u nullglob

  declare -A mod_path=()
  while IFS= read -r f; do
    n=$(basename "$f"); n=${n%%.ko*}; mod_path[${n//-/_}]=$f
  done < <(cd "$moddir" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
  declare -A builtin=()
  if [ -f "$moddir/modules.builtin" ]; then
    while IFS= read -r f; do
      n=$(basename "$f" .ko); builtin[${n//-/_}]=1
    done < "$moddir/modules.builtin"
  fi
  declare -A seen=()
  order=()
  # Depth first over `modinfo -F depends`, so that a module comes after what it needs.
  add_module() {
    local n=${1//-/_} d
    [ -n "${seen[$n]:-}" ] && return 0
    seen[$n]=1
    if [ -n "${builtin[$n]:-}" ]; then return 0; fi
    if [ -z "${mod_path[$n]:-}" ]; then
      [ "${2:-}" = optional ] && { log "note: no module $n in $kver (not needed)"; return 0; }
      skip "module $n is neither built in nor shipped in $kver"
    fi
    for d in $(modinfo -F depends "$moddir/${mod_path[$n]}" | tr ',' ' '); do add_module "$d"; done
    order+=("$n")
  }
  # virtio and 9p for the root file system, tls, and the AEADs kernel TLS asks the crypto
  # API for (modprobe in the guest finds them too, but loading them here is explicit).
  for m in virtio_pci 9pnet_virtio 9p tls; do add_module "$m"; done
  for m in gcm ghash_generic ghash_clmulni_intel aesni_intel ctr ccm chacha20poly1305 \
           chacha_x86_64 poly1305_x86_64 cryptd; do
    add_module "$m" optional
  done

  root="$work/initramfs"
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,host,hosttmp,etc/ktls-vm,lib/modules/"$kver"}
  cp /bin/busybox "$root/bin/busybox"
  : > "$root/etc/ktls-vm/modules"
  for n in "${order[@]}"; do
    rel=${mod_path[$n]}
    mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
    case "$rel" in   # busybox insmod takes plain .ko files
      *.xz) xz -dc "$moddir/$rel" > "$root/lib/modules/$kver/${rel%.xz}"; rel=${rel%.xz} ;;
      *.zst) zstd -qdc "$moddir/$rel" > "$root/lib/modules/$kver/${rel%.zst}"; rel=${rel%.zst} ;;
      *) cp "$moddir/$rel" "$root/lib/modules/$kver/$rel" ;;
    esac
    echo "$rel" >> "$root/etc/ktls-vm/modules"
  done
  cp "$moddir"/modules.builtin* "$moddir"/modules.order "$root/lib/modules/$kver/" 2>/dev/null || true
  depmod -b "$root" "$kver"
  echo "$kver" > "$root/etc/ktls-vm/kver"
  cat > "$root/init" <<'INIT'
#!/bin/busybox sh
# rapidtls ktls_vm guest init (scripts/ktls_vm.sh): modules, the host's root over 9p,
# writable tmpfs, loopback, then the command from ktls_vm.run=FILE; its status on the
# console as "ktls-vm: exit N"; power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
kver=$(cat /etc/ktls-vm/kver)
# The kernel's module helper runs in this root (kthreadd's), not in the chroot below.
ln -s /bin/modprobe /sbin/modprobe
echo /sbin/modprobe > /proc/sys/kernel/modprobe
fail() { echo "ktls-vm: $*"; echo "ktls-vm: exit 125"; poweroff -f; sleep 5; }
while read -r m; do
  insmod "/lib/modules/$kver/$m" || fail "insmod $m failed"
done < /etc/ktls-vm/modules
run=""
for a in $(cat /proc/cmdline); do
  case "$a" in ktls_vm.run=*) run=${a#ktls_vm.run=} ;; esac
done
[ -n "$run" ] || fail "no ktls_vm.run= on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host ||
  fail "cannot mount the host's root over 9p"
cp "/host$run/cmd.sh" "/host$run/binds" /etc/ktls-vm/ || fail "cannot read $run"
mount --bind /host/tmp /hosttmp
mount -t tmpfs -o mode=1777 tmpfs /host/tmp
mount -t tmpfs -o mode=755 tmpfs /host/run
[ -d /host/var/tmp ] && mount -t tmpfs -o mode=1777 tmpfs /host/var/tmp
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
while read -r b; do
  [ -n "$b" ] || continue
  mkdir -p "/host$b" && mount --bind "/hosttmp${b#/tmp}" "/host$b" || fail "cannot bind $b"
done < /etc/ktls-vm/binds
ip link set lo up
cp /etc/ktls-vm/cmd.sh /host/tmp/.ktls-vm-cmd.sh
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "ktls-vm: running"
chroot /host /bin/sh /tmp/.ktls-vm-cmd.sh </dev/null >/dev/ttyS1 2>&1
echo "ktls-vm: exit $?"
poweroff -f
sleep 5
INIT
  chmod +x "$root/init"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
  mkdir -p "$kdir"
  cp "$vmlinuz" "$kdir/vmlinuz"
  mv "$work/initramfs.gz" "$kdir/initramfs.gz"
  printf '%s\n' "${order[@]}" > "$kdir/modules"
  echo "$kver" > "$kdir/kver"
  touch "$kdir/ready-$key"
  rm -rf "$work"
  trap - EXIT
  # Older kernels (Debian moved linux-image-amd64 on) are not needed again.
  for old in "$cache"/linux-image-*; do
    case "$old" in "$deb"|"$kdir") ;; *) rm -rf "$old" ;; esac
  done
  log "initramfs for $kver ready in $(( $(date +%s) - t0 )) s: modules ${order[*]}"
fi
flock -u 9
if $prepare_only; then
  echo "$kdir/vmlinuz"
  echo "$kdir/initramfs.gz"
  exit 0
fi

# 4. The command: a script the guest copies in before it covers /tmp, and the /tmp paths
# to bind.
run=$(mktemp -d "${TMPDIR:-/tmp}/ktls_vm.XXXXXX")
trap 'rm -rf "$run"' EXIT
case "$run" in /*) ;; *) run="$PWD/$run" ;; esac
{
  printf 'export PATH=%q HOME=%q LANG=C.UTF-8 TERM=dumb\n' "$PATH" "${HOME:-/root}"
  for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
  printf 'cd %q || exit 125\n' "$PWD"
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$run/cmd.sh"
first_component() {   # /tmp/a/b -> /tmp/a, for paths under /tmp that exist on the host
  case "$1" in /tmp/?*) ;; *) return 0 ;; esac
  local rest=${1#/tmp/}
  local top="/tmp/${rest%%/*}"
  [ -e "$top" ] && echo "$top"
  return 0
}
{
  first_component "$PWD"
  for a in "$@" "${binds[@]}"; do first_component "$a"; done
} | sort -u > "$run/binds"

console="$run/console.log"
log "booting $(cat "$kdir/kver") (qemu tcg, $cpus cpu, $mem)"
t0=$(date +%s.%N)
rc=0
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -cpu max -smp "$cpus" -m "$mem" -no-reboot \
  -display none -monitor none -nic none -vga none \
  -kernel "$kdir/vmlinuz" -initrd "$kdir/initramfs.gz" \
  -append "console=ttyS0 quiet panic=-1 mitigations=off ktls_vm.run=$run" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -serial "file:$console" -serial stdio </dev/null || rc=$?
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  log "the guest ran past ${timeout_s} s and was stopped; its console:"
  tr -d '\r' < "$console" | tail -n 40 >&2
  exit 124
fi
status=$(tr -d '\r' < "$console" | sed -n 's/^ktls-vm: exit \([0-9]*\)$/\1/p' | tail -n1)
if [ -z "$status" ]; then
  log "the guest did not report the command's status (qemu exit $rc); its console:"
  tr -d '\r' < "$console" | tail -n 40 >&2
  exit 125
fi
log "guest exit status $status (boot, run and power-off in $elapsed s)"
exit "$status"
