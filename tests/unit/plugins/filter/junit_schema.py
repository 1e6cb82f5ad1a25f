# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JUnit XML schema that pytest validates its own --junitxml output against, for the audit_junit tests.

It is testing/example_scripts/junit-10.xsd in pytest's source distribution (the Jenkins xunit plugin's JUnit 10
schema), of the pytest version requirements-test.txt pins. It is kept in $TENCENTOS_FLEET_WORKDIR/junit/ (default
/var/tmp/tencentos-fleet, as tools/lib.sh has it); when it is not there, pytest's sdist is downloaded with pip into a
temporary directory and that one file is taken out of it.

Where the schema or xmlschema cannot be had, ``unavailable`` fails the test under CI (CI set, as CI systems do)
and skips it elsewhere, with the reason.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile

import pytest

REQUIREMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..',
                            'requirements-test.txt')
DEFAULT_WORKDIR = '/var/tmp/tencentos-fleet'
XSD_IN_SDIST = 'testing/example_scripts/junit-10.xsd'
PIP_TIMEOUT = 600


class SchemaUnavailable(Exception):
    """The schema could not be found nor fetched; the message says why."""


def unavailable(reason):
    """Fail under CI, skip elsewhere."""
    if os.environ.get('CI', '').strip().lower() not in ('', '0', 'false', 'no'):
        pytest.fail('%s (CI is set: the JUnit output must be validated)' % reason)
    pytest.skip(reason)


def pinned_pytest():
    with open(REQUIREMENTS) as requirements:
        for line in requirements:
            match = re.match(r'pytest==([^\s;#]+)', line.strip())
            if match:
                return match.group(1)
    raise SchemaUnavailable('requirements-test.txt pins no pytest version')


def xsd_path():
    workdir = os.environ.get('TENCENTOS_FLEET_WORKDIR') or DEFAULT_WORKDIR
    return os.path.join(workdir, 'junit', 'junit-10.xsd')


def xsd_from_sdist(sdist, version):
    """The schema's bytes, out of pytest's sdist ``sdist``."""
    with tarfile.open(sdist) as archive:
        member = archive.extractfile('pytest-%s/%s' % (version, XSD_IN_SDIST))
        if member is None:
            raise SchemaUnavailable('%s has no %s' % (sdist, XSD_IN_SDIST))
        return member.read()


def download_xsd(version):
    """The schema's bytes, from pytest's sdist fetched with pip."""
    with tempfile.TemporaryDirectory() as download_dir:
        command = [sys.executable, '-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps',
                   '--no-binary', ':all:', '--dest', download_dir, 'pytest==%s' % version]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as problem:
            raise SchemaUnavailable('%s: %s' % (' '.join(command), problem)) from problem
        sdists = glob.glob(os.path.join(download_dir, 'pytest-%s.tar.gz' % version))
        if done.returncode != 0 or not sdists:
            raise SchemaUnavailable('could not download pytest %s sdist for %s (%s): %s' % (
                version, XSD_IN_SDIST, ' '.join(command), (done.stderr or done.stdout).strip()[-500:]))
        return xsd_from_sdist(sdists[0], version)


def junit_xsd():
    """The path of junit-10.xsd, fetched first when it is not in the work directory."""
    path = xsd_path()
    if not os.path.isfile(path):
        content = download_xsd(pinned_pytest())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = '%s.%d.partial' % (path, os.getpid())
        with open(partial, 'wb') as xsd:
            xsd.write(content)
        os.replace(partial, path)
    return path


def junit_schema():
    """The junit-10.xsd schema as an xmlschema object; fails or skips (``unavailable``) when it cannot be had."""
    try:
        import xmlschema
    except ImportError:
        unavailable('xmlschema is not installed: pip install it as requirements-test.txt pins it')
    try:
        return xmlschema.XMLSchema10(junit_xsd())
    except (SchemaUnavailable, OSError) as problem:
        unavailable('junit-10.xsd is not in %s and could not be fetched: %s' % (xsd_path(), problem))
