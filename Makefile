# SPDX-License-Identifier: GPL-2.0
# XDP sample and benchmark suite, classic samples/bpf layout:
#   <tool>_kern.c  -> build/<tool>_kern.o -> build/<tool>.skel.h (bpftool)
#   <tool>_user.c  + common_user.c + skeleton -> ./<tool>   (xdpsock and the tests: + frame.c)
# make [all] | check | check-vm | bench | demo | clean | install   V=1 shows commands; SAN=address|undefined

TOOLS_ALL := xdp_rxq_info xdp_monitor xdp_fwd xdpsock xdp_sample_pkts cpustat \
	     xdp_redirect xdp_redirect_cpu
# A tool is built once it has a loader; its BPF object and skeleton as soon as it has a program
# (the prog tests use skeletons of tools whose loader is not written yet).
TOOLS     := $(foreach t,$(TOOLS_ALL),$(if $(wildcard $(t)_user.c),$(t)))
KERNS     := $(foreach t,$(TOOLS_ALL),$(if $(wildcard $(t)_kern.c),$(t)))

# Sanitizer builds keep their objects and binaries apart, so switching never mixes objects.
O        ?= build$(if $(SAN),/san-$(SAN))
BINDIR   := $(if $(SAN),$(O),.)
CLANG    ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL  ?= bpftool
CC       ?= gcc
PREFIX   ?= /usr/local
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')

ifeq ($(V),1)
  Q :=
  msg :=
else
  Q := @
  msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS     := libbpf libelf zlib
# Include paths stay apart from CFLAGS, so `make CFLAGS="-O0 -g"` still finds the skeletons.
INCLUDES := -I$(O) -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# CFLAGS is the user's (`make CFLAGS="-O0 -g"`); warnings and dependency files are always on.
CFLAGS   ?= -O2 -g
XCFLAGS  := -Wall -Wextra -MMD -MP
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz) -lm
ifneq ($(SAN),)
  XCFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=$(SAN)
endif

# Host include dirs so uapi headers resolve under -target bpf on multiarch Debian.
SYS_INC := $(shell $(CLANG) -v -E - </dev/null 2>&1 | sed -n \
	'/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -MMD -MP -I$(O) -I. $(SYS_INC)

BINS     := $(TOOLS:%=$(BINDIR)/%)
SKELS    := $(KERNS:%=$(O)/%.skel.h)
PROG_TESTS := $(filter-out tests/prog_run.c,$(wildcard tests/prog_*.c))
TEST_BINS  := $(O)/tests/unit_common $(O)/tests/prog_run $(O)/tests/pktgen $(O)/tests/progcost \
	      $(O)/tests/progstats
TEST_BPF   := $(patsubst tests/%.c,$(O)/tests/%.o,$(wildcard tests/*_kern.c))

all: $(BINS) $(SKELS)

$(O) $(O)/tests:
	$(Q)mkdir -p $@

# vmlinux.h for tracing programs (CO-RE), from the running kernel's BTF; rewritten only on change.
$(O)/vmlinux.h: | $(O)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp
	$(Q)cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# One BPF recipe for every object: the tools' (stripped of DWARF; BTF stays) and the test suite's.
define bpf_compile
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
endef

$(O)/%_kern.o: %_kern.c | $(O) $(O)/vmlinux.h
	$(bpf_compile)
	$(Q)$(LLVM_STRIP) -g $@

$(O)/%.skel.h: $(O)/%_kern.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_kern > $@.tmp && mv $@.tmp $@

$(O)/%_user.o: %_user.c $(O)/%.skel.h | $(O)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(INCLUDES) -c $< -o $@

# The shared user-space modules: common_user (every tool), frame (frame building), xdp_trace
# (the xdp:* tracepoints, around xdp_monitor's BPF object).
$(O)/common_user.o $(O)/frame.o $(O)/xdp_trace.o: $(O)/%.o: %.c | $(O)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(INCLUDES) -c $< -o $@
$(O)/xdp_trace.o: $(O)/xdp_monitor.skel.h

# Per-tool libraries.
$(BINDIR)/xdpsock: LDLIBS += $(shell pkg-config --libs libxdp 2>/dev/null || echo -lxdp)
$(BINDIR)/xdp_sample_pkts: LDLIBS += $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
$(BINDIR)/xdpsock: LDLIBS += -lpthread
$(BINDIR)/xdpsock: $(O)/frame.o
# the tools that count the xdp:* tracepoints
TRACE_TOOLS := xdp_monitor xdp_fwd xdp_redirect xdp_redirect_cpu
$(filter $(TRACE_TOOLS:%=$(BINDIR)/%),$(BINS)): $(O)/xdp_trace.o

$(BINS): $(BINDIR)/%: $(O)/%_user.o $(O)/common_user.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests
# BPF objects of the test suite itself (baselines, helpers), loaded by file name
$(O)/tests/%_kern.o: tests/%_kern.c | $(O)/tests
	$(bpf_compile)

$(O)/tests/%.o: tests/%.c | $(O)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(INCLUDES) -Itests -c $< -o $@

$(PROG_TESTS:tests/%.c=$(O)/tests/%.o) $(O)/tests/prog_run.o: $(SKELS)

$(O)/tests/unit_common: $(O)/tests/unit_common.o $(O)/tests/harness.o $(O)/common_user.o \
			$(O)/frame.o
$(O)/tests/prog_run: $(O)/tests/prog_run.o $(PROG_TESTS:tests/%.c=$(O)/tests/%.o) \
		     $(O)/tests/harness.o $(O)/common_user.o $(O)/frame.o
$(O)/tests/prog_run: LDLIBS += $(shell pkg-config --libs libxdp 2>/dev/null || echo -lxdp)
# clang's reference encodings for tests/prog_bpf_insn.c (read at run time, next to prog_run)
$(O)/tests/bpf_insn_ref.o: tests/bpf_insn_ref.c | $(O)/tests
	$(bpf_compile)
$(O)/tests/prog_run: | $(O)/tests/bpf_insn_ref.o
$(O)/tests/pktgen: $(O)/tests/pktgen.o $(O)/common_user.o $(O)/frame.o
$(O)/tests/pktgen: LDLIBS += -lpthread
$(O)/tests/progstats: $(O)/tests/progstats.o $(O)/common_user.o
$(O)/tests/progcost.o: $(SKELS)
$(O)/tests/progcost: $(O)/tests/progcost.o $(O)/tests/prog_lib.o $(O)/tests/harness.o \
		     $(O)/common_user.o $(O)/frame.o
$(TEST_BINS):
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# xdp_monitor's redirect workload for its tests (tests/xdp_redirect_to.c); the bare redirect
# programs of tests/xdp_floor_kern.c on a device, for the benchmarks (tests/xdp_floor_attach.c)
tests: $(O)/tests/xdp_redirect_to $(O)/tests/xdp_floor_attach
$(O)/tests/xdp_redirect_to: $(O)/tests/xdp_redirect_to.o
$(O)/tests/xdp_floor_attach: $(O)/tests/xdp_floor_attach.o
$(O)/tests/xdp_redirect_to $(O)/tests/xdp_floor_attach:
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

deps:
	$(Q)scripts/install-deps.sh

tests: $(BINS) $(SKELS) $(TEST_BINS) $(TEST_BPF)

# The README's two commands. Each installs what is missing first, then builds.
check: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)O=$(abspath $(O)) BINDIR=$(abspath $(BINDIR)) tests/run.sh $(TESTS)

# The suite inside Debian's own kernels under qemu (tests/vm.sh): KERNEL=6.1 (Debian 12),
# 6.12 (Debian 13) or both ('6.1 6.12'); TESTS='...' limits the suites as for check.
KERNEL ?= 6.1
check-vm: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)rc=0; for k in $(KERNEL); do \
		O=$(abspath $(O)) BINDIR=$(abspath $(BINDIR)) tests/vm.sh $$k $(TESTS) || rc=1; \
	done; exit $$rc

bench: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)O=$(abspath $(O)) BINDIR=$(abspath $(BINDIR)) tests/bench.sh $(BENCH)

demo: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)O=$(abspath $(O)) BINDIR=$(abspath $(BINDIR)) tests/demo.sh

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

# O= and SAN= choose what is removed: `make O=/tmp/x clean` removes only that tree.
clean:
	rm -rf $(O) $(if $(filter .,$(BINDIR)),$(TOOLS_ALL:%=./%))

help:
	@echo "targets: all check bench demo install clean deps   vars: V=1 SAN=address|undefined O=dir"
	@echo "         TESTS='unit prog e2e_xdp_rxq_info' limits make check; PREFIX/DESTDIR for install"
	@echo "         check-vm KERNEL=6.1|6.12 [TESTS=...]: the suite in Debian's kernel under qemu"

.PHONY: all check check-vm bench demo install clean deps tests help
.DELETE_ON_ERROR:
.SECONDARY:

-include $(wildcard $(O)/*.d $(O)/tests/*.d)
