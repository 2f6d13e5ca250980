#!/usr/bin/env bash
# Install the Debian packages that building, testing and benchmarking the suite need.
# As root: installs whatever is missing (apt-get). Otherwise: prints the exact command.
# Exit 0 when everything is present afterwards, 1 otherwise.
set -u

# command-or-file to probe : Debian package that provides it
NEEDS=(
	"cmd:clang:clang"
	"cmd:llvm-strip:llvm"
	"cmd:bpftool:bpftool"
	"cmd:pkg-config:pkg-config"
	"cmd:make:make"
	"cmd:gcc:gcc"
	"cmd:ip:iproute2"
	"cmd:tcpdump:tcpdump"
	"cmd:ping:iputils-ping"
	"cmd:nstat:iproute2"
	"cmd:ethtool:ethtool"
	"cmd:python3:python3"
	"cmd:gnuplot:gnuplot-nox"
	"cmd:valgrind:valgrind"
	"cmd:qemu-system-x86_64:qemu-system-x86"
	"static:busybox:busybox-static"
	"cmd:xz:xz-utils"
	"pc:libbpf:libbpf-dev"
	"pc:libxdp:libxdp-dev"
	"pc:libelf:libelf-dev"
	"pc:zlib:zlib1g-dev"
	"pc:libpcap:libpcap-dev"
	"file:/usr/include/asm/types.h:linux-libc-dev"
	"file:/usr/lib/x86_64-linux-gnu/libasan.so.8:libgcc-12-dev"
)

missing=()
for n in "${NEEDS[@]}"; do
	kind=${n%%:*}; rest=${n#*:}; what=${rest%%:*}; pkg=${rest#*:}
	case $kind in
	cmd) command -v "$what" >/dev/null 2>&1 && continue ;;
	pc) pkg-config --exists "$what" 2>/dev/null && continue ;;
	# the kernel lab's initramfs needs a busybox that runs without shared libraries
	static) command -v "$what" >/dev/null 2>&1 && ! ldd "$(command -v "$what")" >/dev/null 2>&1 &&
		continue ;;
	file) [ -e "$what" ] && continue
	      # asm/types.h lives under the multiarch dir on Debian
	      [ "$what" = /usr/include/asm/types.h ] && [ -e "/usr/include/$(uname -m)-linux-gnu/asm/types.h" ] && continue
	      [ "$pkg" = libgcc-12-dev ] && continue ;;
	esac
	case " ${missing[*]:-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages; install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/install-deps.log 2>&1; then
	echo "install-deps: apt-get install failed (log: /tmp/install-deps.log)" >&2
	tail -5 /tmp/install-deps.log >&2
	exit 1
fi
exit 0
