#!/bin/bash
# Every expected output in tests/domainxml against libvirt's domain.rng (xml-validate.sh).
exec bash "${top_srcdir:?run from make check}/tests/unit/xml-validate.sh" domain
