#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm.sh: the kernel lab. Boots one of Debian's generic kernels under qemu and runs the
# test suite inside it, against this build, on this machine's own filesystem:
#
#   tests/vm.sh KERNEL [SUITE...]          KERNEL: 6.1 (Debian 12) or 6.12 (Debian 13)
#   tests/vm.sh --smoke KERNEL             the smoke suite, lines prefixed for run.sh ("vm_6.1")
#
# (`make check-vm KERNEL=6.1 TESTS='...'` calls the first form; `make check` the second.)
# VM_CMD='shell command' runs that in the guest instead of run.sh (from the top directory).
# The kernel package comes from the Debian archive with apt: from this system's package lists
# when they have it, else from the suite's own lists kept under build/ (a private sources list,
# used only for that download: the system's apt sources are never touched). The package and a
# small initramfs (busybox-static, the needed modules) are cached in build/vm/KERNEL/, so a
# second run neither downloads nor rebuilds anything.
#
# The guest: qemu with TCG (KVM is nested and unusable here), 2 CPUs on one host thread (see
# VM_TCG_THREAD), 2 GiB. Its /init mounts
# this machine's / read-only over 9p with a tmpfs overlay on top, gives it what a booted system
# has (proc, sys, dev, /dev/fd, /dev/pts, /tmp, /run, bpffs, tracefs, debugfs, cgroup2,
# /boot/config-VERSION, the modules of the booted kernel and a modprobe for them), switches into
# it and runs tests/run.sh there; its output and logs go to a second, writable 9p share.
# Prints the guest's run and ends with its "N passed, N failed, N skipped" line; exit status
# that of the guest's run.sh (2 when the VM could not run at all).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${O:=$top/build}"
: "${BINDIR:=$top}"
O=$(cd "$O" && pwd)
BINDIR=$(cd "$BINDIR" && pwd)
VM_DIR=${VM_DIR:-$top/build/vm}
# One host thread runs both vCPUs: with one thread each (thread=multi) the guest kernel
# occasionally oopses on an int3 of its own code patching (a static key flipped while the other
# vCPU runs the code: twice in about twenty 6.12 boots, once at boot, once mid-run).
VM_TCG_THREAD=${VM_TCG_THREAD:-single}
# Timeouts for the whole guest run (seconds): the smoke suite, a full run.
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-900}
FULL_TIMEOUT=${FULL_TIMEOUT:-7200}

# Modules loaded at boot (their dependencies follow): the 9p root and the overlay on it, and
# what the suite uses. The kernel's module requests go to busybox modprobe, over the same set.
MODULES="virtio_pci 9pnet_virtio 9p overlay veth sch_ingress cls_bpf"

# ---------------------------------------------------------------- inside the guest

# After /init switched into the host's filesystem: run the command the host left in the output
# share, record its exit status, power off.
if [ "${1:-}" = --guest ]; then
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	out=${vmlab_out:?}
	export VMLAB_GUEST=1	# run.sh leaves out the vm_* suites; vm.sh refuses to nest
	ip link set lo up
	bash "$out/cmd" </dev/null >>"$out/output" 2>&1
	echo $? >"$out/rc"
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
	exit 1
fi

smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
kernel=${1:-}
[ -n "$kernel" ] || { echo "usage: tests/vm.sh [--smoke] 6.1|6.12 [SUITE...]" >&2; exit 2; }
shift
suites=("$@")
[ $smoke = 1 ] && suites=(smoke)

# Kernel table: package name pattern (newest match wins) and the Debian suites that carry it.
case $kernel in
6.1) pkg_re='^linux-image-6\.1\.0-[0-9]+-amd64$'; dists="bookworm bookworm-security" ;;
6.12) pkg_re='^linux-image-6\.12\.[0-9]+\+deb13-amd64$'; dists="trixie trixie-security" ;;
*) echo "tests/vm.sh: unknown kernel '$kernel' (known: 6.1, 6.12)" >&2; exit 2 ;;
esac
kdir="$VM_DIR/$kernel"
label="vm_$kernel"

# unavailable REASON: the VM cannot run here. As part of run.sh this is a skip with the reason.
unavailable() {
	if [ $smoke = 1 ]; then
		echo "SKIP $label: $*"
		exit 0
	fi
	echo "tests/vm.sh: $*" >&2
	exit 2
}

say() { [ $smoke = 1 ] || echo "vm: $*" >&2; }

# ---------------------------------------------------------------- the kernel package

# apt with a private sources list and private state, for the suites in $dists only
apt_private() {
	local a="$kdir/apt"
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" || return 1
	: >"$a/sources.list"
	local d
	for d in $dists; do
		local uri=http://deb.debian.org/debian
		case $d in *-security) uri=http://deb.debian.org/debian-security ;; esac
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $d main" \
			>>"$a/sources.list"
	done
	APT_OPTS=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache"
		-o Dir::Etc::preferencesparts=- -o APT::Sandbox::User=root)
}

newest_pkg() {
	apt-cache "$@" search --names-only "$pkg_re" 2>/dev/null | awk '{print $1}' | sort -V | tail -1
}

# fetch_kernel: $kdir/pkg.deb (cached) and its name in $kdir/pkg.name
fetch_kernel() {
	[ -s "$kdir/pkg.deb" ] && [ -s "$kdir/pkg.name" ] && return 0
	command -v apt-get >/dev/null || unavailable "no apt-get to download the kernel package"
	mkdir -p "$kdir" || unavailable "cannot create $kdir"
	local pkg
	APT_OPTS=()
	pkg=$(newest_pkg)
	if [ -z "$pkg" ]; then
		apt_private || unavailable "cannot create $kdir/apt"
		say "updating private package lists for $dists"
		apt-get "${APT_OPTS[@]}" -qq update >"$kdir/apt.log" 2>&1 ||
			unavailable "apt-get update of $dists failed (no network?), see $kdir/apt.log"
		pkg=$(newest_pkg "${APT_OPTS[@]}")
		[ -n "$pkg" ] || unavailable "no package matching $pkg_re in $dists"
	fi
	say "downloading $pkg"
	rm -rf "$kdir/dl"
	mkdir -p "$kdir/dl"
	(cd "$kdir/dl" && apt-get "${APT_OPTS[@]}" -o APT::Sandbox::User=root -qq download "$pkg") \
		>"$kdir/apt.log" 2>&1 ||
		unavailable "apt-get download $pkg failed (no network?), see $kdir/apt.log"
	mv "$kdir"/dl/*.deb "$kdir/pkg.deb" && rmdir "$kdir/dl" && echo "$pkg" >"$kdir/pkg.name" ||
		unavailable "apt-get download $pkg gave no package"
}

# ---------------------------------------------------------------- the initramfs

# The guest's /init, run by busybox sh (@KVER@: the kernel version); vmlab_out and vmlab_guest
# come from the kernel command line.
write_init() {
	cat <<'EOF'
#!/bin/sh
export PATH=/bin
kver=@KVER@
fatal() { echo "vmlab init: $*"; echo o >/proc/sysrq-trigger; sleep 10; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/vmlab-modules); do
	modprobe "$m" || fatal "modprobe $m failed"
done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower ||
	fatal "mount the host's / (9p)"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fatal "mount the overlay"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmout "/newroot$vmlab_out" ||
	fatal "mount the output share on $vmlab_out"
for d in proc sys dev; do
	mount --move /$d /newroot/$d
done
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t tracefs tracefs /newroot/sys/kernel/tracing
mount -t debugfs debugfs /newroot/sys/kernel/debug
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
# the booted kernel's modules and config, and busybox as the kernel's modprobe for them
mkdir -p /newroot/lib/modules /newroot/boot /newroot/run/vmlab
cp -a /lib/modules/$kver /newroot/lib/modules/
cp /boot/config-$kver /newroot/boot/
cp /bin/busybox /newroot/run/vmlab/busybox
ln -s busybox /newroot/run/vmlab/modprobe
echo /run/vmlab/modprobe >/newroot/proc/sys/kernel/modprobe
exec switch_root /newroot /bin/bash "$vmlab_guest" --guest
EOF
}

# module_closure ROOT KVER MOD...: copy MOD and its dependencies from the extracted package
# ROOT into the initramfs tree $ird (xz-compressed ones decompressed, for busybox); built-in
# modules are skipped.
module_closure() {
	local root=$1 kv=$2 m f rel dep
	shift 2
	local mdir="$root/lib/modules/$kv"
	[ -d "$mdir" ] || mdir="$root/usr/lib/modules/$kv"
	local todo=("$@") done=" "
	while [ ${#todo[@]} -gt 0 ]; do
		m=${todo[0]}
		todo=("${todo[@]:1}")
		m=${m//-/_}
		case $done in *" $m "*) continue ;; esac
		done+="$m "
		# module names use '_' where file names may use '-'
		if sed 's/-/_/g' "$mdir/modules.builtin" | grep -q "/$m\.ko$"; then
			continue
		fi
		rel=$(sed 's/-/_/g; s/\.ko\.[a-z]*$/.ko/' "$mdir/modules.order" | grep -n "/$m\.ko$" |
			head -1 | cut -d: -f1)
		[ -n "$rel" ] || { echo "module $m not in the package" >&2; return 1; }
		rel=$(sed -n "${rel}p" "$mdir/modules.order")
		f="$mdir/$rel"
		[ -e "$f" ] || f=$(ls "$mdir/$rel".* 2>/dev/null | head -1)
		[ -e "$f" ] || { echo "module file $rel missing" >&2; return 1; }
		rel=${rel%.xz}
		mkdir -p "$(dirname "$ird/lib/modules/$kv/$rel")"
		case $f in
		*.xz) xz -dc "$f" >"$ird/lib/modules/$kv/$rel" ;;
		*) cp "$f" "$ird/lib/modules/$kv/$rel" ;;
		esac || return 1
		echo "$rel" >>"$ird/lib/modules/$kv/modules.order"
		for dep in $(tr '\0' '\n' <"$ird/lib/modules/$kv/$rel" | sed -n 's/^depends=//p' |
			tr ',' ' '); do
			todo+=("$dep")
		done
	done
}

# build_initramfs: $kdir/vmlinuz, $kdir/config, $kdir/initramfs.gz (cached; rebuilt when this
# script is newer)
build_initramfs() {
	local img="$kdir/initramfs.gz"
	[ -s "$img" ] && [ "$img" -nt "$0" ] && [ -s "$kdir/vmlinuz" ] && return 0
	local bb
	bb=$(command -v busybox) || unavailable "busybox-static is not installed"
	ldd "$bb" >/dev/null 2>&1 && unavailable "$bb is dynamically linked (install busybox-static)"
	say "building the initramfs"
	local x="$kdir/pkg" kv
	rm -rf "$x" "$kdir/ird"
	dpkg-deb -x "$kdir/pkg.deb" "$x" || unavailable "cannot unpack $kdir/pkg.deb"
	kv=$(ls "$x/boot" | sed -n 's/^vmlinuz-//p' | head -1)
	[ -n "$kv" ] || unavailable "no vmlinuz in $(cat "$kdir/pkg.name")"
	ird="$kdir/ird"
	mkdir -p "$ird"/{bin,etc,proc,sys,dev,boot,lib/modules/"$kv"}
	cp "$bb" "$ird/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -s busybox "$ird/bin/$a"
	done
	module_closure "$x" "$kv" $MODULES || unavailable "collecting the kernel modules failed"
	local mdir="$x/lib/modules/$kv"
	[ -d "$mdir" ] || mdir="$x/usr/lib/modules/$kv"
	cp "$mdir"/modules.builtin* "$ird/lib/modules/$kv/"
	"$bb" depmod -b "$ird" "$kv" || unavailable "depmod failed"
	echo "$MODULES" >"$ird/etc/vmlab-modules"
	cp "$x/boot/config-$kv" "$ird/boot/"
	write_init | sed "s/@KVER@/$kv/" >"$ird/init"
	chmod 755 "$ird/init"
	(cd "$ird" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) >"$img.tmp" &&
		mv "$img.tmp" "$img" || unavailable "cannot write $img"
	cp "$x/boot/vmlinuz-$kv" "$kdir/vmlinuz"
	cp "$x/boot/config-$kv" "$kdir/config"
	echo "$kv" >"$kdir/kver"
	rm -rf "$x" "$ird"
}

# ---------------------------------------------------------------- the run

[ -z "${VMLAB_GUEST:-}" ] || unavailable "already inside the kernel lab's guest (no nested VMs)"
# the guest has its own /tmp, /run, /dev, /proc and /sys: the build must live elsewhere
for d in "$top" "$O" "$BINDIR"; do
	case $d/ in
	/tmp/*|/run/*|/dev/*|/proc/*|/sys/*)
		unavailable "$d is not visible in the guest (it has its own /tmp and /run):" \
			"run the kernel lab from a clone elsewhere" ;;
	esac
done
command -v qemu-system-x86_64 >/dev/null || unavailable "qemu-system-x86_64 is not installed"
[ "$(uname -m)" = x86_64 ] || unavailable "the kernel lab boots amd64 kernels (this is $(uname -m))"
[ "$(id -u)" = 0 ] || unavailable "needs root (the guest shares this machine's / as root)"
fetch_kernel
build_initramfs
kver=$(cat "$kdir/kver")

share="$kdir/share"
rm -rf "$share"
mkdir -p "$share/logs" || unavailable "cannot create $share"
: >"$share/output"
{
	echo "export O='$O' BINDIR='$BINDIR' LOGS='$share/logs'"
	echo "cd '$top' || exit 1"
	echo "echo \"# guest kernel \$(uname -r), \$(nproc) CPUs\""
	if [ -n "${VM_CMD:-}" ]; then
		echo "$VM_CMD"
	else
		printf 'exec bash tests/run.sh'
		[ ${#suites[@]} -eq 0 ] || printf ' %q' "${suites[@]}"
		echo
	fi
} >"$share/cmd"

timeout=$FULL_TIMEOUT
[ $smoke = 1 ] && timeout=$SMOKE_TIMEOUT
# boot: run the guest until it powers off (or the timeout); its exit status in $qrc.
boot() {
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel "tcg,thread=$VM_TCG_THREAD" -cpu max -smp 2 -m 2G \
		-display none -monitor none -serial "file:$kdir/console.log" -nic none -no-reboot \
		-kernel "$kdir/vmlinuz" -initrd "$kdir/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet vmlab_out=$share vmlab_guest=$here/vm.sh" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$share,mount_tag=vmout,security_model=none,multidevs=remap" \
		</dev/null >"$kdir/qemu.log" 2>&1 &
	qpid=$!
	trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
	if [ $smoke = 1 ]; then
		wait $qpid
		qrc=$?
	else
		# stream the guest's output, holding back its last line (the final count) to the end
		tail -n +1 -f --pid=$qpid "$share/output" | {
			have=0
			while IFS= read -r line; do
				[ $have = 1 ] && printf '%s\n' "$prev"
				prev=$line have=1
			done
			[ $have = 0 ] || printf '%s\n' "$prev" >"$share/last"
		}
		wait $qpid
		qrc=$?
	fi
	trap - EXIT
}

say "booting $(cat "$kdir/pkg.name") ($kver) under qemu (TCG thread=$VM_TCG_THREAD, 2 CPUs), suites: ${suites[*]:-all}"
t0=$(date +%s)
# Should a guest still die while booting (seen with thread=multi, see VM_TCG_THREAD), one that
# died before it ran anything boots again.
rm -f "$kdir"/console.log.*
for try in 1 2 3; do
	boot
	[ -s "$share/output" ] || [ -s "$share/rc" ] || [ "$qrc" = 124 ] || [ $try = 3 ] && break
	cp "$kdir/console.log" "$kdir/console.log.$try"
	say "the guest died while booting (console: $kdir/console.log.$try); booting again"
done
secs=$(( $(date +%s) - t0 ))

if [ ! -s "$share/rc" ]; then
	why="the guest did not finish (qemu exit $qrc$([ $qrc = 124 ] && echo ", timeout ${timeout} s"))"
	if [ $smoke = 1 ]; then
		sed -n '/^$/q; /^\(PASS\|FAIL\|SKIP\) /s//&'"$label"'\//p; /^  /p' "$share/output"
		echo "FAIL $label: $why"
		echo "  console: $kdir/console.log; last lines:"
		tail -5 "$kdir/console.log" | sed 's/^/    /'
		exit 1
	fi
	echo "vm: $why after $secs s; console: $kdir/console.log" >&2
	tail -20 "$kdir/console.log" >&2
	exit 1
fi
rc=$(cat "$share/rc")
if [ $smoke = 1 ]; then
	# the guest's result lines, named after the kernel; its summary block is the host's to print
	sed -n '/^$/q; s/^\(PASS\|FAIL\|SKIP\) /\1 '"$label"'\//p; /^  /p' "$share/output"
	echo "  $label: $(cat "$kdir/pkg.name"), $secs s"
	exit 0
fi
echo "# vm $kernel: $(cat "$kdir/pkg.name") ($kver), boot and run $secs s; logs in $share/logs"
cat "$share/last" 2>/dev/null
exit "$rc"
