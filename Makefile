# omniq: the two commands of the README.
#   make run   installs what is missing, builds, runs the demo on the embedded default
#   make test  installs what is missing, builds, runs every test
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: run test

# Optimised without debug info: a third less compile time on two cores.
define configure_and_build
	./scripts/install-deps.sh
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  $(CMAKE_FLAGS) $(1)
	cmake --build $(BUILD_DIR) -j $(JOBS)
endef

run:
	$(call configure_and_build,-DOMNIQ_BUILD_CLI=ON -DOMNIQ_BUILD_TESTS=OFF -DOMNIQ_BUILD_EXAMPLES=OFF)
	$(BUILD_DIR)/tools/cli/omniq demo

test:
	$(call configure_and_build,-DOMNIQ_BUILD_TESTS=ON -DOMNIQ_BUILD_EXAMPLES=ON -DOMNIQ_BUILD_CLI=ON)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
