# The front door of tencentos.fleet. Each target calls one script in tools/.
#   make demo    set everything up, start the simulated fleet, run playbooks/site.yml, print the report
#   make test    the whole test suite (what CI runs)
.PHONY: help setup demo test bench faults lint sanity units molecule fleet-up fleet-down clean

help:
	@sed -n 's/^#   //p' Makefile

#   make setup       machine packages, virtualenvs, collections, images, local mirror
setup:
	bash tools/setup.sh

demo:
	bash tools/demo.sh

test:
	bash tools/test.sh

#   make bench       benchmarks on SSH fleets of their own (BENCH_SIZES=50; "50 200 500" for the growth), with ratios against baselines
bench:
	bash tools/bench.sh

#   make lint        yamllint and ansible-lint
lint:
	bash tools/lint.sh

#   make sanity      ansible-test sanity on the oldest and newest controller
sanity:
	bash tools/sanity.sh

#   make units       unit tests on every target Python of this machine
units:
	bash tools/units.sh

#   make molecule    the molecule scenarios
molecule:
	bash tools/molecule.sh

#   make faults      the fault suite on an SSH fleet of its own (FAULT_HOSTS=200), with a table of host counts
faults:
	bash tools/faults.sh

#   make fleet-up N=50  start N simulated SSH hosts (1-500, default 9: one per release); inventory printed at the end
N ?= 9
fleet-up:
	bash molecule/resources/scripts/ssh-fleet.sh up $(N)

#   make fleet-down  stop the demo's SSH hosts, the podman hosts of the tests, and the local mirror
fleet-down:
	bash molecule/resources/scripts/ssh-fleet.sh down
	bash molecule/resources/scripts/fleet.sh down
	bash molecule/resources/scripts/serve-repo.sh stop

#   make clean       remove the virtualenvs (images and caches in $TENCENTOS_FLEET_WORKDIR stay)
clean:
	rm -rf .venv .venv-2.16 .venv-newest tests/output
