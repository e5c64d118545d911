# SPDX-License-Identifier: GPL-2.0
#
# virtif: user-facing make targets. Kbuild itself reads ./Kbuild.
#
#   make               build drivers/net/virtif/virtif.ko against KDIR
#   make run           build what is needed, boot a VM and show virtif at work
#   make check         install, build and run the test-suite in a VM
#   make stress        the fault campaign, ITER rounds of each fault (100);
#                      STRESS="pair rmmod" runs only those of stress/
#   make fuzz          the fuzzer, DURATION seconds (600), SEED=n to replay
#   make bench         compare virtif with veth, tap, vxlan, dummy in one VM
#                      (release; DURATION=s REPEAT=n OUT=file QUICK=1)
#   make samples       build the user-space samples (samples/, Cargo)
#   make kernel        build our kernel (PROFILE=debug|release, cached)
#   make shell         interactive shell in a VM running our kernel
#   make deps          install build and test dependencies (idempotent)
#   make clean         remove module build products
#
# KDIR defaults to our own kernel build (made on demand, cached by a hash of
# its inputs). To build against your own Rust-enabled kernel tree, pass
# KDIR=/path/to/kernel/build (plus LLVM=1 etc. as that tree was built).

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PROFILE ?= debug
SCRIPTS := $(TOP)/scripts
TESTDIR := $(TOP)/tools/testing/selftests/drivers/net/virtif

include $(SCRIPTS)/toolchain.env

ifeq ($(origin KDIR),undefined)
# Our kernel: make sure it (and the toolchain) exist, then use it.
RUSTC_VER = $(shell $(HOME)/.cargo/bin/rustc --version 2>/dev/null | cut -d' ' -f2)
KBUILD_VARS = LLVM=$(LLVM_SUFFIX) RUST_LIB_SRC=/usr/src/rustc-$(RUSTC_VER)/library
GET_KDIR = $(SCRIPTS)/install-deps && $(SCRIPTS)/build-kernel --profile $(PROFILE) --print-dir
else
KBUILD_VARS =
GET_KDIR = echo $(KDIR)
endif

# kbuild does not notice a change of KDIR: remember the last one and start
# clean when it changes (e.g. between the debug and release kernels).
define kbuild
	@set -e; kdir=$$($(GET_KDIR)); \
	if [ "$$(cat $(2)/.virtif-kdir 2>/dev/null)" != "$$kdir" ]; then \
		$(MAKE) -s -C $$kdir M=$(2) $(KBUILD_VARS) clean; \
		echo "$$kdir" > $(2)/.virtif-kdir; \
	fi; \
	$(MAKE) -C $$kdir M=$(2) $(KBUILD_VARS) $(1)
endef

.PHONY: all modules deps kernel run check stress fuzz bench samples shell clean test-modules selftests

all: modules

modules:
	$(call kbuild,modules,$(TOP))

deps:
	@$(SCRIPTS)/install-deps

kernel: deps
	@$(SCRIPTS)/build-kernel --profile $(PROFILE)

# Modules used only by the test-suite (e.g. a deliberate WARN for the
# harness's own negative tests).
test-modules:
	$(call kbuild,modules,$(TESTDIR)/modules)

samples: deps
	@$(SCRIPTS)/build-samples

# What the tests need besides the module: the uapi constants for the Python
# helpers, the 32-bit attach program (tools/testing/.../virtif/Makefile).
selftests: deps
	@$(MAKE) -s -C $(TESTDIR)

check: modules test-modules samples selftests
	@$(TESTDIR)/run_tests

# The fault campaign: every fault of stress/, ITER rounds each, under traffic.
ITER ?= 100
# One guest with 2 CPUs runs them one after the other (each wants 2 CPUs:
# faults race traffic from the other CPU; two such guests on a 2-core host
# would only slow each other down).
stress: modules test-modules samples selftests
	@VIRTIF_TEST_TIMEOUT=$$(( $(ITER) * 120 + 600 )) $(TESTDIR)/run_tests --jobs 1 --iter $(ITER) \
		$(if $(STRESS),$(addprefix stress/,$(STRESS)),$(patsubst $(TESTDIR)/%.sh,%,$(wildcard $(TESTDIR)/stress/*.sh)))

# The fuzzer, DURATION seconds; SEED=n replays a run.
FUZZ_DURATION = $(or $(DURATION),600)
fuzz: modules test-modules samples selftests
	@VIRTIF_FUZZ_DURATION=$(FUZZ_DURATION) VIRTIF_TEST_TIMEOUT=$$(( $(FUZZ_DURATION) + 900 )) \
		$(if $(SEED),VIRTIF_FUZZ_SEED=$(SEED)) $(TESTDIR)/run_tests fuzz/fuzz

run: modules samples selftests
	@$(SCRIPTS)/vm-run --profile $(PROFILE) -- $(SCRIPTS)/demo

# The benchmark runs on the release kernel unless PROFILE is given.
BENCH_PROFILE = $(if $(filter command environment,$(origin PROFILE)),$(PROFILE),release)
bench: samples
	@$(SCRIPTS)/bench --profile $(BENCH_PROFILE) $(if $(DURATION),--duration $(DURATION)) \
		$(if $(REPEAT),--repeat $(REPEAT)) $(if $(QUICK),--quick) $(if $(OUT),--out $(OUT))

shell: deps
	@$(SCRIPTS)/vm-run --profile $(PROFILE) --shell

clean:
	@for d in $(TOP) $(TESTDIR)/modules; do \
		kdir=$$(cat $$d/.virtif-kdir 2>/dev/null); \
		[ -z "$$kdir" ] || [ ! -d "$$kdir" ] || $(MAKE) -s -C $$kdir M=$$d $(KBUILD_VARS) clean; \
		rm -f $$d/.virtif-kdir; \
	done
	@$(MAKE) -s -C $(TESTDIR) clean
