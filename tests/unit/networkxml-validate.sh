#!/bin/bash
# Every expected output in tests/networkxml against libvirt's network.rng (xml-validate.sh).
exec bash "${top_srcdir:?run from make check}/tests/unit/xml-validate.sh" network
